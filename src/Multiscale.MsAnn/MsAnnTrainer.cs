using System.Diagnostics;
using System.Text.Json.Nodes;
using Multiscale.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>Training settings of an MsANN run.</summary>
public sealed record MsAnnTrainingOptions
{
    /// <summary>The cost budget C (the paper's ≈ 256,000 examples at the finest level).</summary>
    public double Budget { get; init; } = 256_000;

    /// <summary>Examples per batch (128 in the reference code).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>The optimizer's learning rate per level (5e-4 in the paper, with RMSProp).</summary>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>
    /// Coarse steps evaluate the Galerkin coarse model on restricted data (cost ∝ |M_l|) instead of the finest network
    /// with the restricted gradient of eq. (3.13) (the paper's faithful step, the default).
    /// </summary>
    public bool CoarseSteps { get; init; }

    /// <summary>
    /// Coarse levels train τ-corrected coarse networks on restricted data (<see cref="TauCorrectedVisits"/>) when set;
    /// null: the faithful eq. (3.13) steps (or <see cref="CoarseSteps"/>).
    /// </summary>
    public TauCorrectionOptions? TauCorrection { get; init; }

    /// <summary>
    /// The §4.4 baseline: the same hierarchy with every level's variables trained together by one optimizer, on the
    /// finest network at every step (the schedule is ignored); each step costs Σ_l |M_l|/|M_0| × batch.
    /// </summary>
    public bool AllTogether { get; init; }

    /// <summary>
    /// Which optimizer each level uses (every level the same flavor, each its own state): TensorFlow 1's RMSProp, as the
    /// reference code (the default), PyTorch's RMSProp, or Adam. See <see cref="RmsProp"/> and <see cref="Adam"/>.
    /// </summary>
    public OptimizerFlavor Optimizer { get; init; } = OptimizerFlavor.RmsPropTensorFlow1;

    /// <summary>
    /// The early-phase schedule: once C(t) has reached this cost, visits to levels ≥ 1 are skipped and the run trains the
    /// finest level only (null: coarse visits throughout). A cost, not seconds, so a seeded run repeats exactly and a
    /// resumed run takes the same turn; with τ-corrected visits the next level-0 visit returns the active corrections.
    /// </summary>
    public double? CoarseUntil { get; init; }

    /// <summary>
    /// Start the coarse levels' variables θ⁽ˡ⁾ (l ≥ 1) at zero instead of Glorot draws, so Θ starts at θ⁽⁰⁾ — the same
    /// weights default training (L = 0) draws from the same seed, and the same initial MSE.
    /// </summary>
    public bool ZeroCoarseInit { get; init; }

    /// <summary>Validation MSE is measured every this much cost (and at the start and the end).</summary>
    public double EvaluateEvery { get; init; } = 2048;

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate()
    {
        if (!(Budget > 0)) throw new MultiscaleException($"the budget must be positive (got {Budget})");
        if (BatchSize < 1) throw new MultiscaleException($"the batch size must be positive (got {BatchSize})");
        if (!(LearningRate > 0)) throw new MultiscaleException($"the learning rate must be positive (got {LearningRate})");
        if (!(EvaluateEvery > 0)) throw new MultiscaleException($"the evaluation interval must be positive (got {EvaluateEvery})");
        if (CoarseUntil is { } until && !(until > 0 && double.IsFinite(until)))
            throw new MultiscaleException($"the cost after which coarse visits stop must be positive (got {until})");
        if (TauCorrection is { } tau)
        {
            tau.Validate();
            if (AllTogether) throw new MultiscaleException("the τ-corrected coarse model trains levels in turn; it cannot be combined with training all levels together");
            if (CoarseSteps) throw new MultiscaleException("the τ-corrected coarse model and the uncorrected coarse steps are two coarse-level modes; choose one");
        }
    }

    /// <summary>Throws <see cref="MultiscaleException"/> when the settings need a deeper hierarchy than <paramref name="depth"/>.</summary>
    public void ValidateDepth(int depth)
    {
        if (TauCorrection is not null && depth < 1)
            throw new MultiscaleException("the τ-corrected coarse model needs a hierarchy of depth L ≥ 1 (at L = 0 there is no coarse level)");
    }
}

/// <summary>One row of metrics.csv.</summary>
/// <param name="Step">Batches so far (all levels).</param>
/// <param name="Level">Level of the last batch.</param>
/// <param name="Cost">C(t).</param>
/// <param name="Seconds">Wall-clock seconds of training so far (evaluation excluded).</param>
/// <param name="ValidationMse">Validation MSE at this point.</param>
/// <param name="CpuSeconds">CPU seconds of the training thread so far (evaluation excluded; <see cref="ThreadCpuTime"/>): the
/// load-robust estimate of <paramref name="Seconds"/> on a quiet machine. Not a metrics.csv column (its columns stay as they were).</param>
public readonly record struct MsAnnMetrics(long Step, int Level, double Cost, double Seconds, double ValidationMse, double CpuSeconds = 0);

/// <summary>Where a run's training seconds went.</summary>
/// <param name="FineSteps">Steps at level 0 (all-together steps included).</param>
/// <param name="CoarseSteps">Steps at levels ≥ 1.</param>
/// <param name="VisitSetup">Starting and ending visits (the kept sums' bookkeeping).</param>
public readonly record struct MsAnnTimeSplit(double FineSteps, double CoarseSteps, double VisitSetup)
{
    /// <summary>The three parts' sum.</summary>
    public double Total => FineSteps + CoarseSteps + VisitSetup;
}

/// <summary>What a training run measured: wall-clock seconds and, beside them, the training thread's CPU seconds
/// (<see cref="ThreadCpuTime"/>; <c>Cpu…</c>), the same quantities on the load-robust clock.</summary>
public sealed record MsAnnResult(double InitialMse, double FinalMse, double? CostToTenth, double? SecondsToTenth,
    double TotalCost, double TotalSeconds, IReadOnlyList<MsAnnMetrics> Metrics, IReadOnlyList<RunArray>? Weights = null,
    MsAnnTimeSplit TimeSplit = default, TauCorrectionStatistics? Tau = null, double? CpuSecondsToTenth = null, double CpuTotalSeconds = 0,
    MsAnnTimeSplit CpuTimeSplit = default);

/// <summary>
/// Trains a <see cref="MultilevelNetwork"/> with Algorithm 3.1: cycles of the schedule until the budget is spent; a
/// step at level l updates θ⁽ˡ⁾ alone with that level's own optimizer (by default RMSProp with decay 0.9 and ε = 1e-10,
/// as the reference TensorFlow code). Every step runs in a dispose scope; only parameters and optimizer state live
/// across steps. With L = 0 a step is a plain training step: a forward pass with the level-0 parameters, backward, update.
/// </summary>
public static class MsAnnTrainer
{
    /// <summary>
    /// Runs the training. <paramref name="nextBatch"/> returns (input, target) for the given batch size. With
    /// <paramref name="checkpointing"/> the run saves its whole state when a checkpoint is due and when it is cancelled
    /// (inside a visit, at an explicit position: the visit's index in the cycle and the batches done in it), and a run
    /// started from one of these checkpoints continues to the same numbers as one never stopped.
    /// </summary>
    public static MsAnnResult Train(MultilevelNetwork network, CycleSchedule schedule, MsAnnTrainingOptions options,
        Func<int, (Tensor Input, Tensor Target)> nextBatch, (Tensor Input, Tensor Target) validation,
        Action<MsAnnMetrics>? progress = null, CancellationToken cancellation = default, MsAnnCheckpointing? checkpointing = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nextBatch);
        options.Validate();
        options.ValidateDepth(schedule.Depth);
        if (schedule.Depth != network.Shape.Depth)
            throw new MultiscaleException($"the schedule's depth {schedule.Depth} differs from the hierarchy's {network.Shape.Depth}");

        var optimizers = options.AllTogether
            ? new[] { LevelOptimizer.Create(options.Optimizer, Enumerable.Range(0, network.Shape.Depth + 1).SelectMany(network.Variables), options.LearningRate) }
            : Enumerable.Range(0, network.Shape.Depth + 1)
                .Select(l => LevelOptimizer.Create(options.Optimizer, network.Variables(l), options.LearningRate))
                .ToArray();
        if (options.AllTogether) schedule = new CycleSchedule(schedule.Depth, 1, 1);
        // τ-corrected coarse levels run their own coarse networks; the multilevel network stays in ONE level-0 visit for
        // the whole run (reopening it for each of a deep W-cycle's many coarse visits was measured as a real overhead).
        using var tau = options.TauCorrection is { } tauOptions ? new TauCorrectedVisits(network, tauOptions, options.Optimizer, options.LearningRate) : null;
        IDisposable? fineVisit = null;
        network.InvalidateSums();   // the caller may have changed variables since the last visit
        var meter = new CostMeter(network.Shape);
        // Wall-clock and the training thread's CPU time, both counted over the same intervals.
        var training = new TrainingClock();
        double secondsBefore = 0, cpuBefore = 0;   // training seconds of the runs this one continues
        double Seconds() => secondsBefore + training.Seconds;
        double CpuSeconds() => cpuBefore + training.CpuSeconds;
        // The split of the training time, in stopwatch ticks (and CPU seconds) of this call (before: the runs this one continues).
        var splitBefore = new MsAnnTimeSplit();
        var cpuSplitBefore = new MsAnnTimeSplit();
        long fineTicks = 0, coarseTicks = 0, visitTicks = 0;
        double fineCpu = 0, coarseCpu = 0, visitCpu = 0;
        MsAnnTimeSplit Split() => new(splitBefore.FineSteps + fineTicks / (double)Stopwatch.Frequency,
            splitBefore.CoarseSteps + coarseTicks / (double)Stopwatch.Frequency, splitBefore.VisitSetup + visitTicks / (double)Stopwatch.Frequency);
        MsAnnTimeSplit CpuSplit() => new(cpuSplitBefore.FineSteps + fineCpu, cpuSplitBefore.CoarseSteps + coarseCpu, cpuSplitBefore.VisitSetup + visitCpu);
        var metrics = new List<MsAnnMetrics>();
        double initial;
        double? costToTenth = null, secondsToTenth = null, cpuSecondsToTenth = null;
        double nextEvaluation = options.EvaluateEvery;
        int lastLevel = 0;
        long cycle = 0;
        int firstVisit = 0, firstBatch = 0;
        IDisposable? resumedVisit = null;
        bool resuming = checkpointing?.Resume is not null;
        var visits = schedule.Visits();

        if (checkpointing?.Resume is { } resume)
        {
            var state = resume.State["trainer"] as JsonObject ?? throw new MultiscaleException("the checkpoint holds no MsANN trainer state");
            if (state["visits_per_cycle"]!.GetValue<int>() != visits.Count || state["optimizers"]!.GetValue<int>() != optimizers.Length)
                throw new MultiscaleException("the checkpoint was written for another cycle schedule");
            cycle = state["cycle"]!.GetValue<long>();
            firstVisit = state["visit"]!.GetValue<int>();
            firstBatch = state["batch"]!.GetValue<int>();
            meter.Restore(Checkpoint.ToDouble(state["cost"]), state["batches"]!.GetValue<long>());
            secondsBefore = Checkpoint.ToDouble(state["seconds"]);
            cpuBefore = state["cpu_seconds"] is null ? 0 : Checkpoint.ToDouble(state["cpu_seconds"]);
            if (state["time_split"] is JsonArray split)
                splitBefore = new MsAnnTimeSplit(Checkpoint.ToDouble(split[0]), Checkpoint.ToDouble(split[1]), Checkpoint.ToDouble(split[2]));
            if (state["cpu_time_split"] is JsonArray cpuSplit)
                cpuSplitBefore = new MsAnnTimeSplit(Checkpoint.ToDouble(cpuSplit[0]), Checkpoint.ToDouble(cpuSplit[1]), Checkpoint.ToDouble(cpuSplit[2]));
            initial = Checkpoint.ToDouble(state["initial_mse"]);
            costToTenth = state["cost_to_tenth"] is null ? null : Checkpoint.ToDouble(state["cost_to_tenth"]);
            secondsToTenth = state["seconds_to_tenth"] is null ? null : Checkpoint.ToDouble(state["seconds_to_tenth"]);
            cpuSecondsToTenth = state["cpu_seconds_to_tenth"] is null ? null : Checkpoint.ToDouble(state["cpu_seconds_to_tenth"]);
            nextEvaluation = Checkpoint.ToDouble(state["next_evaluation"]);
            lastLevel = state["last_level"]!.GetValue<int>();
            metrics.AddRange(ReadMetrics(state["metrics"]));
            for (int k = 0; k < optimizers.Length; k++) optimizers[k].Restore(resume, $"optimizer{k}/");
            resume.RestoreGenerator("batches", checkpointing.BatchGenerator);
            int visitLevel = options.AllTogether ? 0 : visits[firstVisit].Level;
            resumedVisit = network.Restore(resume, "network/", options.AllTogether ? null : tau is null ? visitLevel : 0);
            if (tau is not null) tau.Restore(resume, "tau/", state["tau"] as JsonObject ?? throw new MultiscaleException("the checkpoint holds no τ-corrected visit state"));
            // The curve so far goes to the reporter again: a resumed run's TensorBoard files hold the whole run.
            foreach (var row in metrics) progress?.Invoke(row);
        }
        else
        {
            initial = ValidationMse(network, validation);
            metrics.Add(new MsAnnMetrics(0, 0, 0, 0, initial));
            progress?.Invoke(metrics[0]);
        }

        if (tau is not null)
        {
            training.Start();
            fineVisit = resumedVisit ?? network.Visit(0);
            training.Stop();
            resumedVisit = null;
        }

        void Evaluate()
        {
            double mse = ValidationMse(network, validation);
            var row = new MsAnnMetrics(meter.Batches, lastLevel, meter.Cost, Seconds(), mse, CpuSeconds());
            metrics.Add(row);
            progress?.Invoke(row);
            if (costToTenth is null && mse <= initial / 10)
            {
                costToTenth = meter.Cost;
                secondsToTenth = Seconds();
                cpuSecondsToTenth = CpuSeconds();
            }
        }

        // Called inside a visit: the position is the visit's index in the cycle and the batches it has done.
        void SaveCheckpoint(int visit, int batch)
        {
            using var checkpoint = new Checkpoint();
            checkpoint.State["trainer"] = new JsonObject
            {
                ["cycle"] = cycle,
                ["visit"] = visit,
                ["batch"] = batch,
                ["visits_per_cycle"] = visits.Count,
                ["optimizers"] = optimizers.Length,
                ["cost"] = Checkpoint.Number(meter.Cost),
                ["batches"] = meter.Batches,
                ["seconds"] = Checkpoint.Number(Seconds()),
                ["time_split"] = new JsonArray(Checkpoint.Number(Split().FineSteps), Checkpoint.Number(Split().CoarseSteps), Checkpoint.Number(Split().VisitSetup)),
                ["cpu_seconds"] = Checkpoint.Number(CpuSeconds()),
                ["cpu_time_split"] = new JsonArray(Checkpoint.Number(CpuSplit().FineSteps), Checkpoint.Number(CpuSplit().CoarseSteps), Checkpoint.Number(CpuSplit().VisitSetup)),
                ["initial_mse"] = Checkpoint.Number(initial),
                ["cost_to_tenth"] = costToTenth is { } c ? Checkpoint.Number(c) : null,
                ["seconds_to_tenth"] = secondsToTenth is { } t ? Checkpoint.Number(t) : null,
                ["cpu_seconds_to_tenth"] = cpuSecondsToTenth is { } ct ? Checkpoint.Number(ct) : null,
                ["next_evaluation"] = Checkpoint.Number(nextEvaluation),
                ["last_level"] = lastLevel,
                ["metrics"] = WriteMetrics(metrics),
            };
            network.Save(checkpoint, "network/");
            if (tau is not null) ((JsonObject)checkpoint.State["trainer"]!)["tau"] = tau.Save(checkpoint, "tau/");
            for (int k = 0; k < optimizers.Length; k++) optimizers[k].Save(checkpoint, $"optimizer{k}/");
            checkpoint.PutGenerator("batches", checkpointing!.BatchGenerator);
            checkpointing.Save(checkpoint);
        }

        bool done = false;
        try
        {
            while (!done)
            {
                for (int i = firstVisit; i < visits.Count; i++)
                {
                    // All-together steps run at the finest level with every variable; the visit then spans them all.
                    var visit = options.AllTogether ? new CycleVisit(0, 1) : visits[i];
                    // Past the early phase only the finest level trains (a resumed run is inside a visit it took).
                    if (!resuming && visit.Level > 0 && options.CoarseUntil is { } until && meter.Cost >= until) continue;
                    int b0 = 0;
                    IDisposable? visiting;
                    if (resuming)
                    {
                        // The checkpoint was taken inside this visit: it is open again, at the batch it had reached.
                        visiting = resumedVisit;
                        resumedVisit = null;
                        b0 = firstBatch;
                        resuming = false;
                    }
                    else
                    {
                        // Forming and releasing a visit's frozen sums is training work: it is timed with the steps.
                        training.Start();
                        visiting = options.AllTogether || tau is not null ? null : network.Visit(visit.Level);
                        // Entering or leaving coarse levels happens before the visit's first batch, so a checkpoint
                        // inside the visit always holds the state after it (skipped once the budget is spent).
                        if (tau is not null && meter.Cost < options.Budget) tau.Enter(visit.Level, nextBatch, options.BatchSize, meter.RecordEvaluation);
                        var (wall, cpu) = training.Stop();
                        visitTicks += wall;
                        visitCpu += cpu;
                    }
                    try
                    {
                        for (int b = b0; b < visit.Batches; b++)
                        {
                            if (meter.Cost >= options.Budget || cancellation.IsCancellationRequested)
                            {
                                if (checkpointing is not null && meter.Cost < options.Budget) SaveCheckpoint(i, b);
                                done = true;
                                break;
                            }
                            training.Start();
                            using (var scope = NewDisposeScope())
                            {
                                var (x, y) = nextBatch(options.BatchSize);
                                if (tau is not null && visit.Level > 0) tau.Step(visit.Level, x, y);
                                else
                                {
                                    var optimizer = options.AllTogether ? optimizers[0] : optimizers[visit.Level];
                                    optimizer.ZeroGrad();
                                    var loss = options.CoarseSteps && visit.Level > 0
                                        ? (network.ForwardCoarse(network.RestrictData(x, visit.Level)) - network.RestrictData(y, visit.Level)).square().mean()
                                        : (network.Forward(x) - y).square().mean();
                                    loss.backward();
                                    optimizer.Step();
                                }
                            }
                            var (wall, cpu) = training.Stop();
                            if (visit.Level == 0) (fineTicks, fineCpu) = (fineTicks + wall, fineCpu + cpu);
                            else (coarseTicks, coarseCpu) = (coarseTicks + wall, coarseCpu + cpu);
                            if (options.AllTogether) meter.RecordAllLevels(options.BatchSize);
                            else meter.Record(visit.Level, options.BatchSize);
                            lastLevel = visit.Level;
                            bool evaluated = meter.Cost >= nextEvaluation;
                            if (evaluated)
                            {
                                Evaluate();
                                while (nextEvaluation <= meter.Cost) nextEvaluation += options.EvaluateEvery;
                            }
                            // Counted in evaluations (rows of the curve), a unit of the same cost whatever L, γ and k.
                            if (checkpointing is not null && checkpointing.Due(evaluated) && meter.Cost < options.Budget) SaveCheckpoint(i, b + 1);
                        }
                    }
                    finally
                    {
                        training.Start();
                        visiting?.Dispose();
                        var (wall, cpu) = training.Stop();
                        visitTicks += wall;
                        visitCpu += cpu;
                    }
                    if (done) break;
                }
                firstVisit = 0;
                cycle++;
            }
            // A run that spent its budget inside a cycle returns its active coarse corrections; one stopped to be
            // continued keeps them in its checkpoint instead.
            if (tau is { ActiveDepth: > 0 } && !(checkpointing is not null && meter.Cost < options.Budget))
            {
                training.Start();
                tau.Finish(nextBatch, options.BatchSize, meter.RecordEvaluation);
                training.Stop();
            }
            if (metrics[^1].Cost != meter.Cost) Evaluate();
        }
        finally
        {
            resumedVisit?.Dispose();
            fineVisit?.Dispose();
            network.TrainOnly(null);
            foreach (var o in optimizers) o.Dispose();
        }
        return new MsAnnResult(initial, metrics[^1].ValidationMse, costToTenth, secondsToTenth, meter.Cost,
            Seconds(), metrics, TimeSplit: Split(), Tau: tau?.Statistics, CpuSecondsToTenth: cpuSecondsToTenth, CpuTotalSeconds: CpuSeconds(),
            CpuTimeSplit: CpuSplit());
    }

    /// <summary>Metrics rows as JSON arrays [step, level, cost, seconds, mse, cpu seconds] (doubles round-trip).</summary>
    internal static JsonArray WriteMetrics(IEnumerable<MsAnnMetrics> rows) =>
        new(rows.Select(m => (JsonNode)new JsonArray(m.Step, m.Level, Checkpoint.Number(m.Cost), Checkpoint.Number(m.Seconds), Checkpoint.Number(m.ValidationMse),
            Checkpoint.Number(m.CpuSeconds))).ToArray());

    /// <summary>Reads what <see cref="WriteMetrics"/> wrote.</summary>
    internal static IEnumerable<MsAnnMetrics> ReadMetrics(JsonNode? rows) =>
        (rows as JsonArray ?? throw new MultiscaleException("the checkpoint holds no metrics rows")).Select(r =>
        {
            var a = (JsonArray)r!;
            // Checkpoints written before the CPU clock have five entries.
            return new MsAnnMetrics(a[0]!.GetValue<long>(), a[1]!.GetValue<int>(), Checkpoint.ToDouble(a[2]), Checkpoint.ToDouble(a[3]), Checkpoint.ToDouble(a[4]),
                a.Count > 5 ? Checkpoint.ToDouble(a[5]) : 0);
        }).ToList();

    /// <summary>Mean squared error of the finest network on a fixed set, without gradients.</summary>
    public static double ValidationMse(MultilevelNetwork network, (Tensor Input, Tensor Target) validation)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return (network.Forward(validation.Input) - validation.Target).square().mean().item<float>();
    }
}
