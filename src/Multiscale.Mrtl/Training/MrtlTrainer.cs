using System.Diagnostics;
using System.Text.Json.Nodes;
using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Training;

/// <summary>
/// Algorithm 1 (MRTL) and its baselines. At every resolution: a fresh Adam with StepLR decay per epoch, shuffled
/// mini-batches of loss + regularizer, validation after each epoch, the finegraining criterion deciding when to leave,
/// and the best-validation checkpoint carried to the next resolution through <see cref="GridFinegrain"/> on each spatial
/// mode whose grid changes. Between the stages CP-ALS turns the full-rank weights into the low-rank factors. Every step
/// runs in a dispose scope; only parameters, optimizer state, the checkpoint and the current resolution's data live
/// across steps. Everything a step touches is on <see cref="MrtlTrainerOptions.Device"/>: each resolution's data is
/// moved there once, when it is discretized, so steps transfer nothing but the criterion's gradient statistics (the
/// gradient criteria read them on the CPU) and the scalar losses they report.
/// </summary>
public static class MrtlTrainer
{
    /// <summary>
    /// Runs <paramref name="options"/>.Method on the split; <paramref name="progress"/> sees every epoch record. With
    /// <paramref name="checkpointing"/> the run saves its whole state (stage, resolution step, epoch and position in
    /// the epoch's shuffled order, model, Adam state and learning-rate steps, best-validation checkpoint, criterion,
    /// generator, records) when a checkpoint is due and when it is cancelled, and a run started from one of these
    /// checkpoints continues to the same numbers as one never stopped.
    /// </summary>
    public static MrtlResult Train(MrtlSplit split, MrtlTrainerOptions options, Action<MrtlEpochRecord>? progress = null,
        CancellationToken cancellation = default, MrtlCheckpointing? checkpointing = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var data = split.Train;
        if (options.Schedule.Modes != data.Modes.Count)
            throw new MultiscaleException($"the schedule has {options.Schedule.Modes} spatial modes but the data has {data.Modes.Count}");
        var schedule = options.Method switch
        {
            MrtlMethod.Fixed => options.Schedule.AtFinest(),
            MrtlMethod.Random => options.Schedule.LowRankAtFinest(),
            _ => options.Schedule,
        };

        using var runScope = NewDisposeScope();
        var run = new Run(split, options, progress, cancellation, checkpointing);
        double positives = data.PositiveFraction;
        run.PositiveWeight = data.Task == MrtlTask.Classification
            ? (positives > 0 && positives < 1 ? (1 - positives) / positives : throw new MultiscaleException("the training labels are all of one class"))
            : 1.0;
        string? resumeStage = run.RestoreRun();

        LowRankModel low;
        if (resumeStage == "low")
        {
            using var scope = NewDisposeScope();
            low = (LowRankModel)run.ResumedModel(schedule.LowRank, lowRank: true);
        }
        else if (options.Method == MrtlMethod.Random)
        {
            using var scope = NewDisposeScope();
            int sparse = options.SparseComponents;
            low = options.Model == MrtlModelKind.LowRankSparse
                ? LowRankSparseModel.Random(data.Task, data.Outputs, data.FeatureShape, schedule.LowRank[0], options.Rank - sparse, sparse, run.Generator, options.RandomInitScale, run.ModelDevice)
                : LowRankModel.Random(data.Task, data.Outputs, data.FeatureShape, schedule.LowRank[0], options.Rank, run.Generator, options.RandomInitScale, run.ModelDevice);
        }
        else
        {
            TensorModel full = resumeStage == "full"
                ? run.ResumedModel(schedule.FullRank, lowRank: false)
                : new FullRankModel(data.Task, data.Outputs, data.FeatureShape, schedule.FullRank[0], run.Generator, options.FullInitScale, run.ModelDevice);
            full = run.Stage("full", full, schedule.FullRank, options.FullRank);
            run.FullValidation = run.LastBestValidation;
            run.KeepFullRank((FullRankModel)full);
            var clock = Stopwatch.StartNew();
            var cpAls = options.CpAls with { Seed = options.Seed };
            bool residual = options.Model == MrtlModelKind.LowRankSparse && options.SparseStart == SparseStart.Residual && options.SparseComponents > 0;
            bool gradient = run.GradientStart;
            (low, double fit, string? note) = residual
                ? LowRankStart.FromFullRankResidual((FullRankModel)full, options.Rank, options.SparseComponents, cpAls, run.Generator, options.RandomInitScale)
                : LowRankStart.FromFullRank((FullRankModel)full, options.Rank - (gradient ? options.SparseComponents : 0), cpAls, run.Generator, options.RandomInitScale);
            if (gradient)
            {
                // W^S waits at zero (no gradient reaches a zero CP term) until the low-rank step it starts at.
                var smooth = low;
                low = LowRankStart.WithZeroSparseTerm(smooth, options.SparseComponents);
                smooth.Dispose();
            }
            else if (options.Model == MrtlModelKind.LowRankSparse && !residual)
            {
                // Paper 000 initializes (31) from the factorized full-rank model: the K CP components are split between the terms.
                var cp = low;
                low = LowRankSparseModel.Split(cp, options.SparseComponents);
                cp.Dispose();
            }
            run.CpFit = fit;
            run.LowStartNote = note;
            run.CpSeconds = clock.Elapsed.TotalSeconds;
            run.TotalOffset += run.CpSeconds;
            full.Dispose();
        }
        double cpFit = run.CpFit, cpSeconds = run.CpSeconds, fullValidation = run.FullValidation;
        double fullSeconds = run.StageSeconds.GetValueOrDefault("full");
        var trained = (LowRankModel)run.Stage("low", low, schedule.LowRank, options.LowRank);

        var test = split.Test.Discretize(schedule.Finest, options.Device);
        var validation = split.Validation.Discretize(schedule.Finest, options.Device);
        var (testLoss, testMetric) = Evaluate(trained, test, run.PositiveWeight);
        var (valLoss, _) = Evaluate(trained, validation, run.PositiveWeight);
        return new MrtlResult
        {
            Method = options.Method,
            Model = trained,
            SecondsFull = fullSeconds,
            SecondsLow = run.StageSeconds.GetValueOrDefault("low"),
            SecondsCp = cpSeconds,
            CpFit = cpFit,
            SparseStartFit = run.SparseStartFit,
            SparseStartScale = run.GradientStart ? run.SparseStartScale : double.NaN,
            LowRankStartNote = run.LowStartNote,
            FullRank = run.FullRank,
            FullValidationLoss = fullValidation,
            ValidationLoss = valLoss,
            TestLoss = testLoss,
            TestF1 = data.Task == MrtlTask.Classification ? testMetric : null,
            TestMse = data.Task == MrtlTask.Regression ? testMetric : null,
            PositiveWeight = run.PositiveWeight,
            Cancelled = cancellation.IsCancellationRequested,
            Stopped = run.Stopped,
            FullResolutions = ResolutionSchedule.Format(schedule.FullRank),
            LowResolutions = ResolutionSchedule.Format(schedule.LowRank),
            Epochs = run.Records,
            Finegrains = run.Events,
        };
    }

    /// <summary>
    /// The task loss (no regularizer) and metric — F1 at probability 0.5 for classification, MSE for regression — of
    /// <paramref name="model"/> on all of <paramref name="data"/> (on the model's device).
    /// </summary>
    public static (double Loss, double Metric) Evaluate(TensorModel model, DiscreteData data, double positiveWeight = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        using var scope = NewDisposeScope();
        var logits = model.Predict(data);
        var labels = data.Labels;
        double loss = TensorModel.LossOf(logits, labels, model.Task, positiveWeight).item<float>();
        return (loss, model.Task == MrtlTask.Regression ? loss : F1(logits.gt(0), labels.gt(0.5)));
    }

    /// <summary>F1 = 2TP / (2TP + FP + FN) of boolean predictions against boolean labels (0 when there are no positives at all).</summary>
    internal static double F1(Tensor predicted, Tensor actual)
    {
        using var scope = NewDisposeScope();
        double tp = (predicted & actual).sum().item<long>();
        double fp = (predicted & ~actual).sum().item<long>();
        double fn = (~predicted & actual).sum().item<long>();
        return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
    }

    /// <summary>
    /// The model moved to <paramref name="to"/>: each spatial mode whose grid changes goes through
    /// <see cref="GridFinegrain.Apply"/> (nearest, bilinear with its cell-ratio scale, or the optimized map). With
    /// <paramref name="averagedInputs"/> (field modes, which the models contract as a mean over cells) the map is applied
    /// without its own scale (<see cref="GridFinegrain.ApplyUnscaled"/>), because the model's 1/D already carries the
    /// cell-ratio division. For the optimized map
    /// the outputs are then rescaled by the least-squares factor c of ‖y_coarse − c·y_fine‖² on
    /// <paramref name="fitCoarse"/>/<paramref name="fitFine"/> (the same samples at both resolutions), returned as the
    /// second value (1 otherwise). The given model is not changed or disposed. The new model is on the given model's
    /// device (the maps are applied there), and so must the fit batches be.
    /// </summary>
    public static (TensorModel Model, double Scale) Finegrain(TensorModel model, IReadOnlyList<GridShape> to, FinegrainMethod method,
        MrtlBatch? fitCoarse = null, MrtlBatch? fitFine = null, double s = 1.0, string? cacheDirectory = null, bool averagedInputs = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(to);
        if (to.Count != model.Grids.Count) throw new MultiscaleException($"the model has {model.Grids.Count} spatial modes, {to.Count} grids were given");
        for (int m = 0; m < to.Count; m++)
            if (to[m].Rows < model.Grids[m].Rows || to[m].Cols < model.Grids[m].Cols)
                throw new MultiscaleException($"finegraining goes coarse→fine; mode {m} would go from {model.Grids[m]} to {to[m]}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = model.Device;
        TensorModel fine;
        switch (model)
        {
            case FullRankModel full:
            {
                Tensor w = full.Weights.detach();
                for (int m = 0; m < to.Count; m++)
                    if (to[m] != model.Grids[m])
                    {
                        using var fg = GridFinegrain.Create(method, model.Grids[m], to[m], s, cacheDirectory);
                        // The maps are float64 on the CPU; ProlongationMap applies a copy in w's dtype on w's device,
                        // and the explicit target keeps the new weights on the model's device in any case.
                        w = (averagedInputs ? fg.ApplyUnscaled(w, 2 + m) : fg.Apply(w, 2 + m)).to(ScalarType.Float32, device);
                    }
                fine = new FullRankModel(model.Task, model.Outputs, model.FeatureShape, to, w, full.Bias.detach(), device);
                break;
            }
            case LowRankModel low:
            {
                int offset = 1 + low.FeatureShape.Count;
                // Both CP terms of the low-rank + sparse model move like the low-rank factors, spatial factor by spatial factor.
                Tensor[] Moved(IReadOnlyList<TorchSharp.Modules.Parameter> source)
                {
                    var factors = source.Select(f => (Tensor)f.detach()).ToArray();
                    for (int m = 0; m < to.Count; m++)
                        if (to[m] != model.Grids[m])
                        {
                            using var fg = GridFinegrain.Create(method, model.Grids[m], to[m], s, cacheDirectory);
                            var f = factors[offset + m];
                            factors[offset + m] = (averagedInputs ? fg.ApplyUnscaled(f, 0) : fg.Apply(f, 0)).to(ScalarType.Float32, device);
                        }
                    return factors;
                }
                fine = low is LowRankSparseModel ls
                    ? new LowRankSparseModel(model.Task, model.Outputs, model.FeatureShape, to, Moved(ls.Factors), Moved(ls.SparseFactors), ls.Bias.detach(), device)
                    : new LowRankModel(model.Task, model.Outputs, model.FeatureShape, to, Moved(low.Factors), low.Bias.detach(), device);
                break;
            }
            default: throw new ArgumentException("unknown model type", nameof(model));
        }
        double scale = 1;
        if (method == FinegrainMethod.Optimized && fitCoarse is not null && fitFine is not null)
        {
            var yc = model.Logits(fitCoarse) - model.Bias.index_select(0, fitCoarse.OutputIndex);
            var yf = fine.Logits(fitFine) - fine.Bias.index_select(0, fitFine.OutputIndex);
            // All-zero outputs (an untrained zero model) leave nothing to match: keep the map's own scale.
            try { scale = GridFinegrain.FitOutputScale(yc, yf); }
            catch (MultiscaleException) { scale = 1; }
            if (!double.IsFinite(scale) || scale == 0) scale = 1;
            var target = fine is FullRankModel ff ? ff.Weights : ((LowRankModel)fine).SpatialFactor(0);
            target.mul_((float)scale);
            // W^S is scaled with W^L, so that the sum, whose outputs the scale was fitted to, is what is scaled.
            if (fine is LowRankSparseModel fs) fs.SparseSpatialFactor(0).mul_((float)scale);
        }
        return (fine, scale);
    }

    /// <summary>The mutable state of one run.</summary>
    private sealed class Run
    {
        private readonly MrtlSplit _split;
        private readonly MrtlTrainerOptions _options;
        private readonly Action<MrtlEpochRecord>? _progress;
        private readonly CancellationToken _cancellation;
        private readonly MrtlCheckpointing? _checkpointing;
        private JsonObject? _resume;   // the trainer state still to be resumed into (cleared once used)

        public Run(MrtlSplit split, MrtlTrainerOptions options, Action<MrtlEpochRecord>? progress, CancellationToken cancellation,
            MrtlCheckpointing? checkpointing)
        {
            _split = split;
            _options = options;
            _progress = progress;
            _cancellation = cancellation;
            _checkpointing = checkpointing;
            Generator = new Generator((ulong)options.Seed);
        }

        /// <summary>The seeded CPU generator of every draw; draws are moved to the device afterwards.</summary>
        public Generator Generator { get; }

        /// <summary>Where the models live (CPU when the options name no device).</summary>
        public Device ModelDevice => _options.Device ?? CPU;
        public bool Averaged => _split.Train.Modes[0] is FieldMode;
        public double PositiveWeight { get; set; } = 1;
        public double TotalOffset { get; set; }
        public double LastBestValidation { get; private set; } = double.NaN;
        public double CpFit { get; set; } = double.NaN;
        public double CpSeconds { get; set; }
        public double FullValidation { get; set; } = double.NaN;
        public string? LowStartNote { get; set; }
        public double SparseStartFit { get; set; } = double.NaN;
        public double SparseStartScale { get; set; } = double.NaN;

        /// <summary>True when W^S starts from the low-rank stage's residual (<see cref="SparseStart.Gradient"/>; not for the random baseline).</summary>
        public bool GradientStart => _options.Model == MrtlModelKind.LowRankSparse && _options.SparseStart == SparseStart.Gradient
            && _options.SparseComponents > 0 && _options.Method != MrtlMethod.Random;

        /// <summary>The trained full-rank model's W and bias (CPU copies), which CP-ALS decomposed; null before (or for Random).</summary>
        public MrtlFullRankWeights? FullRank { get; private set; }

        public void KeepFullRank(FullRankModel full)
        {
            using var noGrad = no_grad();
            // In the mode order CP-ALS decomposes and <method>.tensor uses: [I, F₁…F_k, D₁…D_M].
            using var shaped = full.Weights.detach().reshape(full.TensorShape);
            FullRank = new MrtlFullRankWeights(RunArray.Of("weights", shaped), RunArray.Of("bias", full.Bias), ResolutionSchedule.Format(new[] { full.Grids }));
        }

        public Dictionary<string, double> StageSeconds { get; } = new();
        public List<MrtlEpochRecord> Records { get; } = new();
        public List<MrtlFinegrainEvent> Events { get; } = new();

        private Checkpoint ResumeCheckpoint => _checkpointing!.Resume!;

        /// <summary>
        /// Set when a stop has been saved: the run then only carries its model to the end without training or saving
        /// again, since the checkpoint, not this call's result, is what continues.
        /// </summary>
        public bool Stopped { get; private set; }

        /// <summary>
        /// With a checkpoint to resume: restores the run-wide state (records — reported again, so a resumed run's
        /// curves are whole — events, clocks, CP-ALS figures, the generator) and returns the stage it was taken in.
        /// </summary>
        public string? RestoreRun()
        {
            if (_checkpointing?.Resume is not { } checkpoint) return null;
            var state = checkpoint.State["trainer"] as JsonObject ?? throw new MultiscaleException("the checkpoint holds no MRTL trainer state");
            if (state["method"]?.GetValue<string>() != _options.Method.ToString())
                throw new MultiscaleException($"the checkpoint was written by a {state["method"]} run, not {_options.Method}");
            string model = MrtlTrainerOptions.ModelName(_options.Model);
            if ((state["model"]?.GetValue<string>() ?? "low-rank") != model)
                throw new MultiscaleException($"the checkpoint was written by a {state["model"]} model run, not {model}");
            _resume = state;
            Records.AddRange(MrtlRecords.ReadEpochs(state["records"]));
            Events.AddRange(MrtlRecords.ReadFinegrains(state["events"]));
            foreach (var (key, value) in (JsonObject)state["stage_seconds"]!) StageSeconds[key] = Checkpoint.ToDouble(value);
            TotalOffset = Checkpoint.ToDouble(state["total_offset"]);
            LastBestValidation = Checkpoint.ToDouble(state["last_best"]);
            CpFit = Checkpoint.ToDouble(state["cp_fit"]);
            CpSeconds = Checkpoint.ToDouble(state["cp_seconds"]);
            FullValidation = Checkpoint.ToDouble(state["full_validation"]);
            if (state["sparse_start_fit"] is { } sf) SparseStartFit = Checkpoint.ToDouble(sf);
            if (state["sparse_start_scale"] is { } sc) SparseStartScale = Checkpoint.ToDouble(sc);
            LowStartNote = state["low_start_note"]?.GetValue<string>();
            if (state["full_rank_grids"] is JsonValue grids) FullRank = MrtlFullRankWeights.Load(checkpoint, "", grids.GetValue<string>());
            checkpoint.RestoreGenerator("generator", Generator);
            foreach (var r in Records) _progress?.Invoke(r);
            return state["stage"]!.GetValue<string>();
        }

        /// <summary>The model the checkpoint holds, on the grids of the step it was taken at.</summary>
        public TensorModel ResumedModel(IReadOnlyList<IReadOnlyList<GridShape>> chain, bool lowRank)
        {
            var data = _split.Train;
            int step = _resume!["step"]!.GetValue<int>();
            if (step < 0 || step >= chain.Count) throw new MultiscaleException("the checkpoint was taken at a resolution step this schedule does not have");
            return TensorModel.Load(ResumeCheckpoint, "model/", lowRank, data.Task, data.Outputs, data.FeatureShape, chain[step], ModelDevice,
                sparseTerm: lowRank && _options.Model == MrtlModelKind.LowRankSparse);
        }

        /// <summary>Trains through a chain; returns the model at its last step (best checkpoint loaded). Disposes replaced models.</summary>
        public TensorModel Stage(string stage, TensorModel model, IReadOnlyList<IReadOnlyList<GridShape>> chain, StageOptions so)
        {
            var clock = new Clock();
            double stageStart = TotalOffset;
            int firstStep = 0;
            JsonObject? resume = null;
            if (_resume is not null && _resume["stage"]!.GetValue<string>() == stage)
            {
                resume = _resume;
                _resume = null;
                firstStep = resume["step"]!.GetValue<int>();
                stageStart = Checkpoint.ToDouble(resume["stage_start"]);
                clock.Offset = Checkpoint.ToDouble(resume["stage_clock"]);
            }
            for (int step = firstStep; step < chain.Count; step++)
            {
                var grids = chain[step];
                using var resolutionScope = NewDisposeScope();
                // Once per resolution, inside its scope: the device copies are freed when the run leaves the resolution.
                var train = _split.Train.Discretize(grids, _options.Device);
                var validation = _split.Validation.Discretize(grids, _options.Device);
                var kernels = grids.Select(g => new SpatialKernel(g, so.Regularization.Sigma)).ToArray();
                try
                {
                    clock.Start();
                    if (!model.Grids.SequenceEqual(grids))
                    {
                        // Only after a cancelled earlier stage: carry the model up without training on the way.
                        var (moved, _) = Finegrain(model, grids, _options.Finegrain, null, null, _options.OptimizedS, _options.CacheDirectory, Averaged);
                        model.Dispose();
                        model = moved;
                    }
                    // The gradient start of W^S, on arrival at its step (a resumed step already has it in the checkpoint).
                    if (stage == "low" && GradientStart && resume is null && !Stopped && !_cancellation.IsCancellationRequested
                        && step == _options.SparseStartStepIn(chain.Count) && model is LowRankSparseModel ls)
                    {
                        var cpAls = _options.CpAls with { Seed = _options.Seed };
                        var started = SparseGradientStart.Start(ls, train, PositiveWeight, cpAls);
                        SparseStartFit = started.Fit;
                        SparseStartScale = started.Scale;
                        model.Dispose();
                        model = started.Model;
                    }
                    // With checkpoints a stop is handled inside the resolution, where the state is saved first.
                    string reason = Stopped || (_cancellation.IsCancellationRequested && _checkpointing is null) ? "cancelled"
                        : Resolution(stage, step, model, train, validation, kernels, so, clock, stageStart, resume);
                    resume = null;
                    clock.Stop();
                    if (step + 1 < chain.Count)
                    {
                        clock.Start();
                        var next = chain[step + 1];
                        MrtlBatch? fitCoarse = null, fitFine = null;
                        if (_options.Finegrain == FinegrainMethod.Optimized)
                        {
                            var idx = arange(Math.Min(train.Count, _options.ScaleFitSamples), dtype: ScalarType.Int64, device: train.Device);
                            fitCoarse = train.Batch(idx);
                            fitFine = _split.Train.Discretize(next, _options.Device).Batch(idx);
                        }
                        var (fine, scale) = Finegrain(model, next, _options.Finegrain, fitCoarse, fitFine, _options.OptimizedS, _options.CacheDirectory, Averaged);
                        model.Dispose();
                        model = fine;
                        clock.Stop();
                        double before = LastBestValidation;
                        var nextValidation = _split.Validation.Discretize(next, _options.Device);
                        var (after, _) = Evaluate(model, nextValidation, PositiveWeight);
                        Events.Add(new MrtlFinegrainEvent(stage, ResolutionSchedule.Describe(grids), ResolutionSchedule.Describe(next),
                            _options.Finegrain, scale, reason, before, after, stageStart + clock.Seconds));
                    }
                }
                finally
                {
                    clock.Stop();
                    foreach (var k in kernels) k.Dispose();
                }
            }
            StageSeconds[stage] = clock.Seconds;
            TotalOffset = stageStart + clock.Seconds;
            return model;
        }

        private string Resolution(string stage, int step, TensorModel model, DiscreteData train, DiscreteData validation,
            SpatialKernel[] kernels, StageOptions so, Clock clock, double stageStart, JsonObject? resume)
        {
            string resolution = ResolutionSchedule.Describe(train.Grids);
            using var criterion = FinegrainCriterion.Create(_options.Criterion, _options.CriterionOptions with { MaxEpochs = so.MaxEpochs });
            // Over the module's parameters as they are now (an array, not the lazy parameters(): Adam re-enumerates a
            // lazy sequence at every step, and a device move replaces the tensors), so Adam is built after any move.
            var optimizer = optim.Adam(model.Parameters, lr: so.LearningRate);
            var sparse = model as LowRankSparseModel;
            var scheduler = optim.lr_scheduler.StepLR(optimizer, 1, so.Decay);
            Tensor[]? best = null;
            Tensor? order = null;
            string reason = "epoch cap";
            try
            {
                double bestLoss, bestTaskLoss;
                int firstEpoch = 1, firstStart = 0;
                double sum = 0;
                int batches = 0;
                var position = resume?["position"] as JsonObject;
                if (position is not null && position["epoch"]!.GetValue<int>() > 0)
                {
                    // Taken inside this resolution: the model was restored by the caller; here its optimizer, schedule,
                    // best checkpoint, criterion and position in the epoch's order.
                    var checkpoint = ResumeCheckpoint;
                    firstEpoch = position["epoch"]!.GetValue<int>();
                    firstStart = position["start"]!.GetValue<int>();
                    for (int e = 1; e < firstEpoch; e++) scheduler.step();
                    checkpoint.ReadPart("adam", optimizer.load_state_dict);
                    bestLoss = Checkpoint.ToDouble(position["best_loss"]);
                    bestTaskLoss = position["best_task_loss"] is { } task ? Checkpoint.ToDouble(task) : bestLoss;
                    best = model.Parameters.Select((p, k) => checkpoint.Get($"best/{k}").to(p.device).clone().DetachFromDisposeScope()).ToArray();
                    criterion.Restore((JsonObject)position["criterion"]!, checkpoint, "criterion/");
                    reason = position["reason"]!.GetValue<string>();
                    sum = Checkpoint.ToDouble(position["sum"]);
                    batches = position["batches"]!.GetValue<int>();
                    if (firstStart >= 0) order = checkpoint.Get("order").to(train.Device).clone().DetachFromDisposeScope();
                }
                else
                {
                    var (v0, m0) = Evaluate(model, validation, PositiveWeight);
                    bestLoss = v0 + L1(sparse, so);
                    bestTaskLoss = v0;
                    best = model.Snapshot();
                    Emit(new MrtlEpochRecord(stage, step, resolution, 0, clock.Seconds, stageStart + clock.Seconds,
                        double.NaN, v0, m0, double.NaN, null));
                }

                // The whole state at a point inside this resolution: before the batch at `start` of `epoch` (start −1:
                // the epoch's order is not drawn yet).
                void Save(int epoch, int start)
                {
                    if (Stopped) return;
                    Stopped = _cancellation.IsCancellationRequested;
                    using var checkpoint = new Checkpoint();
                    var criterionState = criterion.Save(checkpoint, "criterion/");
                    checkpoint.State["trainer"] = RunState(stage, step, stageStart, clock, new JsonObject
                    {
                        ["epoch"] = epoch,
                        ["start"] = start,
                        ["best_loss"] = Checkpoint.Number(bestLoss),
                        ["best_task_loss"] = Checkpoint.Number(bestTaskLoss),
                        ["reason"] = reason,
                        ["sum"] = Checkpoint.Number(sum),
                        ["batches"] = batches,
                        ["criterion"] = criterionState,
                    });
                    model.Save(checkpoint, "model/");
                    for (int k = 0; k < best!.Length; k++) checkpoint.Put($"best/{k}", best[k]);
                    if (start >= 0) checkpoint.Put("order", order!);
                    checkpoint.PutPart("adam", optimizer.save_state_dict);
                    checkpoint.PutGenerator("generator", Generator);
                    FullRank?.Save(checkpoint, "");
                    _checkpointing!.Save(checkpoint);
                }

                int n = train.Count;
                for (int epoch = firstEpoch; epoch <= so.MaxEpochs; epoch++)
                {
                    bool stopped = false;
                    using (var epochScope = NewDisposeScope())
                    {
                        int start0 = 0;
                        if (epoch == firstEpoch && order is not null) start0 = firstStart;
                        else
                        {
                            sum = 0;
                            batches = 0;
                            if (_checkpointing is not null && _cancellation.IsCancellationRequested) { Save(epoch, -1); return "cancelled"; }
                            order?.Dispose();
                            // Drawn on the CPU (the generator's device; the same order on every device), moved once per epoch.
                            order = randperm(n, generator: Generator).to(train.Device).DetachFromDisposeScope();
                        }
                        for (int start = start0; start < n; start += so.BatchSize)
                        {
                            if (_cancellation.IsCancellationRequested)
                            {
                                if (_checkpointing is not null) { Save(epoch, start); return "cancelled"; }
                                break;
                            }
                            using (var stepScope = NewDisposeScope())
                            {
                                var batch = train.Batch(order[start..Math.Min(n, start + so.BatchSize)]);
                                optimizer.zero_grad();
                                var objective = model.Loss(batch, PositiveWeight) + model.Regularizer(so.Regularization, kernels);
                                objective.backward();
                                // The L1 term of the objective at the point the gradient was taken (0 for the low-rank model).
                                double l1 = L1(sparse, so);
                                optimizer.step();
                                // L1 on the sparse term as its proximal map in Adam's metric: exact zeros, not a subgradient's
                                // jitter, and the zeros the L1 problem's optimality condition asks for (see LowRankSparseModel).
                                if (sparse is not null) ProximalStep(sparse, optimizer, so);
                                criterion.ObserveGradient(cat(model.Parameters.Select(p => p.grad!.detach().flatten()).ToArray()));
                                sum += objective.item<float>() + l1;
                                batches++;
                            }
                            if (_checkpointing is not null && start + so.BatchSize < n && _checkpointing.Due(false)) Save(epoch, start + so.BatchSize);
                        }
                    }
                    scheduler.step();
                    var (loss, metric) = Evaluate(model, validation, PositiveWeight);
                    // The checkpoint and the criterion judge the objective's validation part: the task loss, plus for the
                    // low-rank + sparse model its L1 term, without which the selection would undo the trade of accuracy
                    // for sparsity that λ₁ asks for (the least-shrunk model usually has the lowest plain loss).
                    double selected = loss + L1(sparse, so);
                    if (selected < bestLoss)
                    {
                        bestLoss = selected;
                        bestTaskLoss = loss;
                        foreach (var t in best) t.Dispose();
                        best = model.Snapshot();
                    }
                    if (batches > 0) (criterion as LossConvergenceCriterion)?.ObserveTrainingLoss(sum / batches);
                    bool leave = criterion.EndEpoch(selected);
                    bool cancelled = _checkpointing is null && _cancellation.IsCancellationRequested;
                    if (leave) reason = criterion.Reason ?? "criterion";
                    if (cancelled) reason = "cancelled";
                    bool last = leave || cancelled || epoch == so.MaxEpochs;
                    double statistic = criterion.History.Count > 0 ? criterion.History[^1] : double.NaN;
                    Emit(new MrtlEpochRecord(stage, step, resolution, epoch, clock.Seconds, stageStart + clock.Seconds,
                        batches > 0 ? sum / batches : double.NaN, loss, metric, statistic, last ? $"leave: {reason}" : null));
                    if (_checkpointing is not null && !last && (_checkpointing.Due(true) || _cancellation.IsCancellationRequested))
                    {
                        sum = 0;
                        batches = 0;
                        Save(epoch + 1, -1);
                        stopped = _cancellation.IsCancellationRequested;
                    }
                    if (stopped) return "cancelled";
                    if (last) break;
                }
                model.Restore(best);
                LastBestValidation = bestTaskLoss;
                return reason;
            }
            finally
            {
                if (best is not null) foreach (var t in best) t.Dispose();
                order?.Dispose();
                optimizer.Dispose();
            }
        }

        /// <summary>λ₁ Σ_m w_m‖V_m‖₁ of the low-rank + sparse model (0 for any other model).</summary>
        private double L1(LowRankSparseModel? sparse, StageOptions so) =>
            sparse is null ? 0 : sparse.L1Penalty(_options.LambdaSparse, so.Regularization.PerCell);

        /// <summary>
        /// The proximal step of the L1 term after <paramref name="optimizer"/>'s step, in Adam's metric averaged over
        /// each sparse spatial factor (one divisor per factor: the per-entry one is ε for cells no batch has visited yet).
        /// </summary>
        private void ProximalStep(LowRankSparseModel sparse, TorchSharp.Modules.Adam optimizer, StageOptions so)
        {
            if (_options.LambdaSparse == 0 || sparse.SparseRank == 0) return;
            using var scope = NewDisposeScope();
            var divisors = Enumerable.Range(0, sparse.Grids.Count).Select(m => AdamMetric.FactorDenominator(optimizer, sparse.SparseSpatialFactor(m))).ToArray();
            sparse.ProximalStep(optimizer.ParamGroups.First().LearningRate, _options.LambdaSparse, so.Regularization.PerCell, divisors);
        }

        /// <summary>The run-wide part of a checkpoint's trainer state, with the position inside the resolution.</summary>
        private JsonObject RunState(string stage, int step, double stageStart, Clock clock, JsonObject position) => new()
        {
            ["method"] = _options.Method.ToString(),
            ["model"] = MrtlTrainerOptions.ModelName(_options.Model),
            ["stage"] = stage,
            ["step"] = step,
            ["stage_start"] = Checkpoint.Number(stageStart),
            ["stage_clock"] = Checkpoint.Number(clock.Seconds),
            ["position"] = position,
            ["records"] = MrtlRecords.WriteEpochs(Records),
            ["events"] = MrtlRecords.WriteFinegrains(Events),
            ["stage_seconds"] = new JsonObject(StageSeconds.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Checkpoint.Number(kv.Value)))),
            ["total_offset"] = Checkpoint.Number(TotalOffset),
            ["last_best"] = Checkpoint.Number(LastBestValidation),
            ["cp_fit"] = Checkpoint.Number(CpFit),
            ["cp_seconds"] = Checkpoint.Number(CpSeconds),
            ["full_validation"] = Checkpoint.Number(FullValidation),
            ["sparse_start_fit"] = Checkpoint.Number(SparseStartFit),
            ["sparse_start_scale"] = Checkpoint.Number(SparseStartScale),
            ["low_start_note"] = LowStartNote,
            ["full_rank_grids"] = FullRank?.Grids,
        };

        private void Emit(MrtlEpochRecord record)
        {
            Records.Add(record);
            _progress?.Invoke(record);
        }
    }

    /// <summary>A stopwatch that continues from the seconds an interrupted run had counted.</summary>
    private sealed class Clock
    {
        private readonly Stopwatch _watch = new();
        public double Offset { get; set; }
        public double Seconds => Offset + _watch.Elapsed.TotalSeconds;
        public void Start() => _watch.Start();
        public void Stop() => _watch.Stop();
    }
}
