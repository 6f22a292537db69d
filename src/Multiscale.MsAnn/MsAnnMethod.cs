using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.MsAnn.Data;
using Multiscale.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>What one MsANN run needs: the data, the finest model's layers, the cycle schedule, the maps and the training settings.</summary>
/// <param name="Data">Where the batches and the validation set come from (opened by the run on its device).</param>
/// <param name="Sizes">Layer sizes of the finest model (first = last: an autoencoder).</param>
/// <param name="Schedule">γ, L, k; depth 0 is default training.</param>
/// <param name="Maps">How level maps are made.</param>
/// <param name="Training">Budget, batch, learning rate, optimizer flavor, coarse steps, all-together.</param>
/// <param name="Seed">Seed of initialization, maps and batches.</param>
/// <param name="CompareDefault">Also train the default model (L = 0) on the same data, as the sub-run <c>default</c>.</param>
/// <param name="MapCache">Folder where optimized level maps are kept between runs (null: solve every time); the maps are the same either way, so it is not a setting that <see cref="MsAnnMethod.Describe"/> records.</param>
public sealed record MsAnnSettings(AutoencoderDataSource Data, int[] Sizes, CycleSchedule Schedule, LayerMapStrategy Maps,
    MsAnnTrainingOptions Training, long Seed, bool CompareDefault = false, string? MapCache = null)
{
    /// <summary>Throws <see cref="MultiscaleException"/> when the settings cannot train (layers, depth, training options).</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Data);
        ArgumentNullException.ThrowIfNull(Sizes);
        if (Sizes.Length == 0 || Sizes.Any(n => n < 1)) throw new SettingsException("layers", $"must be positive integers (got {string.Join(',', Sizes)})");
        if (Sizes[0] != Sizes[^1]) throw new SettingsException("layers", $"must start and end with the same size: an autoencoder's first and last layers must match (got {Sizes[0]} and {Sizes[^1]})");
        _ = new HierarchyShape(Sizes, Schedule.Depth);
        Training.Validate();
        Training.ValidateDepth(Schedule.Depth);
    }
}

/// <summary>
/// MsANN as a hosted method (paper 004, Algorithm 3.1): trains the hierarchy, optionally default training beside it,
/// and returns the report (initial/final MSE, cost and seconds to 1/10 of the initial MSE), the validation curve of
/// each run and the loss-against-cost and loss-against-time figures.
/// </summary>
public sealed class MsAnnMethod : IMultiscaleMethod<MsAnnSettings>
{
    /// <inheritdoc/>
    public string Name => "msann";

    /// <inheritdoc/>
    /// <remarks>
    /// One field per setting, named as the <c>msann</c> command's option without its dashes (<c>--coarse-model</c> →
    /// <c>coarse_model</c>) and holding what that option takes, so a settings file reads like a command line. The map
    /// cache is left out: it changes where maps are kept, not the numbers.
    /// </remarks>
    public JsonObject Describe(MsAnnSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var t = settings.Training;
        return new JsonObject
        {
            ["task"] = settings.Data.Task,
            ["data"] = settings.Data.Folder,
            ["layers"] = string.Join(',', settings.Sizes),
            ["levels"] = settings.Schedule.Depth,
            ["gamma"] = settings.Schedule.Gamma,
            ["k"] = settings.Schedule.BatchesPerVisit,
            ["maps"] = settings.Maps.Name(),
            ["budget"] = t.Budget,
            ["batch"] = t.BatchSize,
            // null: derived from other fields (the optimizer's rate; budget/200), so a settings file that changes
            // those fields keeps meaning what it meant.
            ["lr"] = t.LearningRate == DefaultLearningRate(t.Optimizer) ? null : t.LearningRate,
            ["evaluate_every"] = t.EvaluateEvery == DefaultEvaluateEvery(t.Budget, t.BatchSize) ? null : t.EvaluateEvery,
            ["optimizer"] = t.Optimizer.Name(),
            ["coarse_steps"] = t.CoarseSteps,
            ["coarse_model"] = t.TauCorrection is null ? "faithful" : "tau",
            ["tau_acceptance"] = t.TauCorrection is { } tau ? (tau.Acceptance ? "on" : "off") : null,
            ["tau_batches"] = t.TauCorrection?.Batches,
            ["tau_average"] = t.TauCorrection?.Average,
            ["coarse_until"] = t.CoarseUntil,
            ["coarse_init"] = t.ZeroCoarseInit ? "zero" : "glorot",
            ["all_together"] = t.AllTogether,
            ["compare_default"] = settings.CompareDefault,
            ["seed"] = settings.Seed,
        };
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Defaults are the command's: one-object, layers 1024,256,128,256,1024, L = 4, γ = 2, k = 4, interpolation maps,
    /// budget 256,000, batch 128, TF1 RMSProp; a missing <c>lr</c> is the optimizer's tuned default
    /// (<see cref="DefaultLearningRate"/>) and a missing <c>evaluate_every</c> is budget/200 (at least one batch);
    /// <see cref="Describe"/> writes these two as null when they have their derived values.
    /// </remarks>
    public MsAnnSettings ReadSettings(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var r = new SettingsReader(settings);
        string task = r.Choice("task", "one-object", "one-object", "two-object", "mnist");
        string? folder = r.OptionalString("data");
        AutoencoderDataSource data = task == "mnist"
            ? AutoencoderDataSource.Mnist(folder ?? throw new SettingsException("data", "must name the MNIST folder for the mnist task"))
            : AutoencoderDataSource.SyntheticObjects(task == "two-object" ? 2 : 1);
        var sizes = ReadLayers(settings, r);
        var schedule = new CycleSchedule(r.Int("levels", 4), r.Int("gamma", 2), r.Int("k", 4));
        var maps = r.Choice("maps", LayerMapStrategy.Interpolation, LayerMapStrategyNames.Choices);
        var optimizer = r.Choice("optimizer", OptimizerFlavor.RmsPropTensorFlow1, OptimizerFlavorNames.Choices);
        double budget = r.Double("budget", 256_000);
        int batch = r.Int("batch", 128, min: 1);
        string coarseModel = r.String("coarse_model", "faithful");
        if (coarseModel is not ("faithful" or "tau")) throw new SettingsException("coarse_model", $"must be faithful or tau (got '{coarseModel}')");
        // Read either way, so a settings file may keep them with the faithful mode (where they mean nothing).
        bool acceptance = ReadSwitch(r, "tau_acceptance", true);
        int tauBatches = r.Int("tau_batches", 1);
        double tauAverage = r.Double("tau_average", 0);
        if (!(tauAverage >= 0 && tauAverage < 1))
            throw new SettingsException("tau_average", $"must be in [0, 1) (got {tauAverage.ToString(CultureInfo.InvariantCulture)})");
        string coarseInit = r.String("coarse_init", "glorot");
        if (coarseInit is not ("glorot" or "zero")) throw new SettingsException("coarse_init", $"must be glorot or zero (got '{coarseInit}')");
        double? coarseUntil = r.OptionalDouble("coarse_until");
        if (coarseUntil is { } until && !(until > 0 && double.IsFinite(until)))
            throw new SettingsException("coarse_until", $"must be a positive cost (got {until.ToString(CultureInfo.InvariantCulture)})");
        var training = new MsAnnTrainingOptions
        {
            Budget = budget,
            BatchSize = batch,
            LearningRate = r.OptionalDouble("lr") ?? DefaultLearningRate(optimizer),
            EvaluateEvery = r.OptionalDouble("evaluate_every") ?? DefaultEvaluateEvery(budget, batch),
            Optimizer = optimizer,
            CoarseSteps = r.Bool("coarse_steps", false),
            TauCorrection = coarseModel == "tau" ? new TauCorrectionOptions { Acceptance = acceptance, Batches = tauBatches, Average = tauAverage } : null,
            AllTogether = r.Bool("all_together", false),
            CoarseUntil = coarseUntil,
            ZeroCoarseInit = coarseInit == "zero",
        };
        var result = new MsAnnSettings(data, sizes, schedule, maps, training, r.Long("seed", 0), r.Bool("compare_default", false));
        r.Finish();
        result.Validate();
        return result;
    }

    /// <summary>The learning rate a run uses when none is given: the paper's 5e-4 with RMSProp, 3e-3 with Adam (the best of the tuning in docs/msann.md).</summary>
    public static double DefaultLearningRate(OptimizerFlavor optimizer) => optimizer == OptimizerFlavor.Adam ? 3e-3 : 5e-4;

    /// <summary>The evaluation interval when none is given: 200 evaluations over the budget, at most one per batch.</summary>
    public static double DefaultEvaluateEvery(double budget, int batch) => Math.Max(budget / 200, batch);

    /// <summary>Layer sizes as "1024,256,…" or a JSON array of integers.</summary>
    private static int[] ReadLayers(JsonObject settings, SettingsReader r)
    {
        if (r.Has("layers") && settings["layers"] is JsonArray array)
            return array.Select(n => n is JsonValue v && v.TryGetValue<int>(out int size) && size >= 1
                ? size
                : throw new SettingsException("layers", $"must be positive integers (got {n?.ToJsonString() ?? "null"})")).ToArray();
        string text = r.String("layers", "1024,256,128,256,1024");
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new SettingsException("layers", $"needs at least one size (got '{text}')");
        return parts.Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1
            ? v
            : throw new SettingsException("layers", $"must be positive integers (got '{t}')")).ToArray();
    }

    /// <summary>"on"/"off" (what the option takes) or true/false.</summary>
    private static bool ReadSwitch(SettingsReader r, string field, bool fallback)
    {
        if (!r.Has(field)) return fallback;
        try { return r.Bool(field, fallback); }
        catch (SettingsException)
        {
            string text = r.String(field, "on");
            return text is "on" or "off" ? text == "on" : throw new SettingsException(field, $"must be on or off (got '{text}')");
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With <see cref="RunContext.Checkpoints"/> the run checkpoints its state (the sub-run in training, the finished
    /// sub-runs' results, the trainer's whole state) when due and when cancelled, and continues from
    /// <see cref="RunCheckpoints.Resume"/> to the same numbers as an uninterrupted run.
    /// </remarks>
    public RunRecord Run(MsAnnSettings settings, RunContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        settings.Validate();
        var shape = new HierarchyShape(settings.Sizes, settings.Schedule.Depth);
        using var data = settings.Data.Open(settings.Sizes[0], settings.Seed, context.Device);
        var plan = new List<(string Name, HierarchyShape Shape, CycleSchedule Schedule)> { ("msann", shape, settings.Schedule) };
        if (settings.CompareDefault && settings.Schedule.Depth > 0)
            plan.Add(("default", new HierarchyShape(settings.Sizes, 0), new CycleSchedule(0, 1, 1)));

        var runs = new List<(string Name, MsAnnResult Result)>();
        var checkpoints = context.Checkpoints;
        Checkpoint? resume = checkpoints?.Resume;
        if (resume is not null)
        {
            foreach (var finished in resume.State["finished"] as JsonArray ?? new JsonArray())
                runs.Add((finished!["name"]!.GetValue<string>(), ReadResult(finished, resume)));
            if (resume.State["trainer"] is null) resume = null;   // saved between sub-runs: the next one starts fresh
        }
        void Finished(Checkpoint c) => c.State["finished"] = new JsonArray(runs.Select(r => (JsonNode)WriteResult(r.Name, r.Result, c)).ToArray());
        for (int i = runs.Count; i < plan.Count; i++)
        {
            if (i > 0 && context.Cancellation.IsCancellationRequested) break;
            var (name, runShape, schedule) = plan[i];
            var save = checkpoints is null ? (Action<Checkpoint>?)null : c =>
            {
                Finished(c);
                checkpoints.Save(c);
            };
            // The compared default model has no coarse level to correct.
            var training = i == 0 ? settings.Training : settings.Training with { TauCorrection = null };
            var result = TrainOne(runShape, schedule, settings.Maps, training, data, settings.Seed, context,
                run: i == 0 ? null : name, mapCache: settings.MapCache, resume: resume, save: save);
            resume = null;
            // Stopped before its budget: the trainer has saved its state, and the host keeps nothing of this call.
            bool stoppedEarly = context.Cancellation.IsCancellationRequested && result.TotalCost < settings.Training.Budget;
            runs.Add((name, result));
            if (stoppedEarly) break;
            if (context.Cancellation.IsCancellationRequested && checkpoints is not null && runs.Count < plan.Count)
            {
                using var between = new Checkpoint();
                Finished(between);
                checkpoints.Save(between);
            }
        }
        if (runs.Count > 1)
            foreach (bool cpu in new[] { false, true })
                if (EqualTime.Compare(runs[0].Result, runs[1].Result, cpu) is { } equal)
                    foreach (var p in equal.Points)
                        context.Reporter.Line(string.Create(CultureInfo.InvariantCulture,
                            $"  at {p.Seconds:F2} {(cpu ? "CPU s" : "s")} ({p.Factor}× default's {(cpu ? "CPU seconds" : "seconds")} to 1/10): MSE {p.MsAnnMse:G4}{(p.MsAnnEnded ? " (ended earlier)" : "")} against default {p.DefaultMse:G4}{(p.DefaultEnded ? " (ended earlier)" : "")}"));
        return Record(settings, runs);
    }

    /// <summary>A finished sub-run's numbers as JSON; its weights go into <paramref name="checkpoint"/> under <c>finished.&lt;name&gt;.</c>.</summary>
    private static JsonObject WriteResult(string name, MsAnnResult r, Checkpoint checkpoint)
    {
        var weights = r.Weights ?? Array.Empty<RunArray>();
        foreach (var a in weights)
        {
            using var tensor = a.ToTensor();
            checkpoint.Put($"finished.{name}.{a.Name}", tensor);
        }
        return new JsonObject
        {
            ["weights"] = new JsonArray(weights.Select(a => (JsonNode)JsonValue.Create(a.Name)!).ToArray()),
            ["name"] = name,
            ["initial_mse"] = Checkpoint.Number(r.InitialMse),
            ["final_mse"] = Checkpoint.Number(r.FinalMse),
            ["cost_to_tenth"] = r.CostToTenth is { } c ? Checkpoint.Number(c) : null,
            ["seconds_to_tenth"] = r.SecondsToTenth is { } t ? Checkpoint.Number(t) : null,
            ["total_cost"] = Checkpoint.Number(r.TotalCost),
            ["total_seconds"] = Checkpoint.Number(r.TotalSeconds),
            ["time_split"] = new JsonArray(Checkpoint.Number(r.TimeSplit.FineSteps), Checkpoint.Number(r.TimeSplit.CoarseSteps), Checkpoint.Number(r.TimeSplit.VisitSetup)),
            ["cpu_seconds_to_tenth"] = r.CpuSecondsToTenth is { } ct ? Checkpoint.Number(ct) : null,
            ["cpu_total_seconds"] = Checkpoint.Number(r.CpuTotalSeconds),
            ["cpu_time_split"] = new JsonArray(Checkpoint.Number(r.CpuTimeSplit.FineSteps), Checkpoint.Number(r.CpuTimeSplit.CoarseSteps), Checkpoint.Number(r.CpuTimeSplit.VisitSetup)),
            ["metrics"] = MsAnnTrainer.WriteMetrics(r.Metrics),
            ["tau"] = r.Tau?.ToJson(),
        };
    }

    /// <summary>"tau", "galerkin" (the uncorrected coarse steps) or "none" (the faithful eq. 3.13 steps).</summary>
    private static string CoarseModelName(MsAnnTrainingOptions t) => t.TauCorrection is not null ? "tau" : t.CoarseSteps ? "galerkin" : "none";

    private static MsAnnResult ReadResult(JsonNode node, Checkpoint checkpoint) => new(
        Checkpoint.ToDouble(node["initial_mse"]), Checkpoint.ToDouble(node["final_mse"]),
        node["cost_to_tenth"] is null ? null : Checkpoint.ToDouble(node["cost_to_tenth"]),
        node["seconds_to_tenth"] is null ? null : Checkpoint.ToDouble(node["seconds_to_tenth"]),
        Checkpoint.ToDouble(node["total_cost"]), Checkpoint.ToDouble(node["total_seconds"]), MsAnnTrainer.ReadMetrics(node["metrics"]).ToList(),
        (node["weights"] as JsonArray ?? new JsonArray()).Select(w => w!.GetValue<string>())
            .Select(a => RunArray.Of(a, checkpoint.Get($"finished.{node["name"]!.GetValue<string>()}.{a}"))).ToList(),
        node["time_split"] is JsonArray split
            ? new MsAnnTimeSplit(Checkpoint.ToDouble(split[0]), Checkpoint.ToDouble(split[1]), Checkpoint.ToDouble(split[2]))
            : default,
        node["tau"] is { } tau ? TauCorrectionStatistics.FromJson(tau) : null,
        node["cpu_seconds_to_tenth"] is null ? null : Checkpoint.ToDouble(node["cpu_seconds_to_tenth"]),
        node["cpu_total_seconds"] is null ? 0 : Checkpoint.ToDouble(node["cpu_total_seconds"]),
        node["cpu_time_split"] is JsonArray cpuSplit
            ? new MsAnnTimeSplit(Checkpoint.ToDouble(cpuSplit[0]), Checkpoint.ToDouble(cpuSplit[1]), Checkpoint.ToDouble(cpuSplit[2]))
            : default);

    /// <summary>
    /// Trains the one model <paramref name="settings"/> describe — without <see cref="MsAnnSettings.CompareDefault"/>'s
    /// baseline, and without a run folder — and returns its numbers and trained weights. Progress lines (prefixed by
    /// <paramref name="indent"/>) and the validation curves go to the context's reporter; the run stops early when the
    /// context is cancelled (its result then holds what was trained so far). Data given as
    /// <see cref="AutoencoderDataSource.Opened"/> is used as it is, so several runs can share one data set.
    /// </summary>
    public static MsAnnResult Train(MsAnnSettings settings, RunContext context, string indent = "  ")
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        settings.Validate();
        using var data = settings.Data.Open(settings.Sizes[0], settings.Seed, context.Device);
        return TrainOne(new HierarchyShape(settings.Sizes, settings.Schedule.Depth), settings.Schedule, settings.Maps, settings.Training, data,
            settings.Seed, context, indent: indent, mapCache: settings.MapCache);
    }

    /// <summary>
    /// Trains one model and reports its validation MSE (by cost, by step, and by cost per visited level) as curve
    /// points of sub-run <paramref name="run"/>, with a progress line at most once a second. Optimized level maps are
    /// read from and written to <paramref name="mapCache"/> when given. With <paramref name="save"/> the trainer
    /// checkpoints when <see cref="RunContext.Checkpoints"/> says it is due and when cancelled, and it continues from
    /// <paramref name="resume"/> when given.
    /// </summary>
    internal static MsAnnResult TrainOne(HierarchyShape shape, CycleSchedule schedule, LayerMapStrategy maps, MsAnnTrainingOptions options,
        IAutoencoderData data, long seed, RunContext context, string? run = null, string indent = "  ", string? mapCache = null,
        Checkpoint? resume = null, Action<Checkpoint>? save = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(data);
        using var layerMaps = new LayerMaps(shape, maps, seed, mapCache);
        using var network = new MultilevelNetwork(layerMaps, new Generator((ulong)seed), context.Device, options.ZeroCoarseInit);
        var reporter = context.Reporter;
        double lastLine = double.NegativeInfinity;
        var batches = IAutoencoderData.BatchGenerator(seed);
        var checkpointing = save is null ? null
            : new MsAnnCheckpointing(batches, resume, unitEnded => context.Checkpoints?.Due(unitEnded) ?? false, save);
        var result = MsAnnTrainer.Train(network, schedule, options, data.Batches(batches), data.Validation,
            m =>
            {
                long cost = (long)Math.Round(m.Cost);
                reporter.Scalar(run, "validation_mse/by_cost", m.ValidationMse, cost, m.Seconds);
                reporter.Scalar(run, "validation_mse/by_step", m.ValidationMse, m.Step, m.Seconds);
                if (m.Step > 0) reporter.Scalar(run, $"validation_mse/by_cost_last_level_{m.Level}", m.ValidationMse, cost, m.Seconds);
                if (m.Seconds - lastLine < 1 && m.Cost < options.Budget && m.Step > 0) return;
                lastLine = m.Seconds;
                reporter.Line(string.Create(CultureInfo.InvariantCulture, $"{indent}L={shape.Depth} cost {m.Cost,10:F0}  level {m.Level}  validation MSE {m.ValidationMse:G5}  {m.Seconds:F1}s"));
            }, context.Cancellation, checkpointing);
        result = result with { Weights = network.Arrays() };
        var split = result.TimeSplit;
        reporter.Line(string.Create(CultureInfo.InvariantCulture,
            $"{indent}→ MSE {result.InitialMse:G5} → {result.FinalMse:G5}; cost to 1/10: {(result.CostToTenth is { } c ? c.ToString("F0", CultureInfo.InvariantCulture) : "not reached")}; " +
            $"seconds to 1/10: {(result.SecondsToTenth is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) : "not reached")} " +
            $"(CPU {(result.CpuSecondsToTenth is { } cs ? cs.ToString("F2", CultureInfo.InvariantCulture) : "not reached")}); {result.TotalSeconds:F1} s, CPU {result.CpuTotalSeconds:F1} s " +
            $"(fine steps {split.FineSteps:F1} s, coarse steps {split.CoarseSteps:F1} s, visit setup {split.VisitSetup:F1} s)"));
        return result;
    }

    private static RunRecord Record(MsAnnSettings settings, List<(string Name, MsAnnResult Result)> runs)
    {
        static JsonObject Numbers(MsAnnResult r) => new()
        {
            ["initial_mse"] = r.InitialMse,
            ["final_mse"] = r.FinalMse,
            ["cost_to_tenth"] = r.CostToTenth,
            ["seconds_to_tenth"] = r.SecondsToTenth,
            ["total_cost"] = r.TotalCost,
            ["total_seconds"] = r.TotalSeconds,
            // Keys with "seconds" hold timings (which a resumed run does not repeat bit for bit).
            ["seconds_split"] = Split(r.TimeSplit),
            // The same on the training thread's CPU clock: what the wall-clock would be on a quiet machine (ThreadCpuTime).
            ["cpu_seconds_to_tenth"] = r.CpuSecondsToTenth,
            ["cpu_total_seconds"] = r.CpuTotalSeconds,
            ["cpu_seconds_split"] = Split(r.CpuTimeSplit),
        };
        static JsonObject Split(MsAnnTimeSplit split) => new()
        {
            ["fine_steps"] = split.FineSteps,
            ["coarse_steps"] = split.CoarseSteps,
            ["visit_setup"] = split.VisitSetup,
        };
        var report = new JsonObject { ["task"] = settings.Data.Task };
        foreach (var (key, value) in Numbers(runs[0].Result)) report[key] = value?.DeepClone();
        report["levels"] = settings.Schedule.Depth;
        report["gamma"] = settings.Schedule.Gamma;
        report["k"] = settings.Schedule.BatchesPerVisit;
        report["maps"] = settings.Maps.Name();
        report["coarse_steps"] = settings.Training.CoarseSteps;
        report["coarse_model"] = CoarseModelName(settings.Training);
        if (runs[0].Result.Tau is { } tau)
        {
            var json = tau.ToJson();
            json["acceptance"] = settings.Training.TauCorrection!.Acceptance;
            json["batches"] = settings.Training.TauCorrection.Batches;
            json["average"] = settings.Training.TauCorrection.Average;
            report["tau"] = json;
        }
        report["coarse_until"] = settings.Training.CoarseUntil;
        report["coarse_init"] = settings.Training.ZeroCoarseInit ? "zero" : "glorot";
        report["all_together"] = settings.Training.AllTogether;
        // Which CPU clock the cpu_* fields read: the training thread's (Linux) or the whole process's.
        report["cpu_clock"] = ThreadCpuTime.IsPerThread ? "thread" : "process";
        report["optimizer"] = settings.Training.Optimizer.Name();
        report["lr"] = settings.Training.LearningRate;
        if (runs.Count > 1)
        {
            report["default"] = Numbers(runs[1].Result);
            report["mse_at_equal_seconds"] = EqualTime.Compare(runs[0].Result, runs[1].Result)?.ToJson();
            report["mse_at_equal_cpu_seconds"] = EqualTime.Compare(runs[0].Result, runs[1].Result, cpuClock: true)?.ToJson();
        }

        var metrics = new MetricsTable("run", "step", "level", "cost", "seconds", "validation_mse");
        foreach (var (name, r) in runs)
            foreach (var m in r.Metrics)
                metrics.Add(name, m.Step, m.Level, m.Cost, m.Seconds, m.ValidationMse);

        FigureSeries Curve(string name, MsAnnResult r, Func<MsAnnMetrics, double> x) =>
            new(name, r.Metrics.Select(x).ToArray(), r.Metrics.Select(m => m.ValidationMse).ToArray());
        var figures = new RunFigure[]
        {
            new LineFigure("loss_vs_cost", "validation MSE against cost C(t)", "cost (examples at the finest level)", "validation MSE",
                runs.Select(r => Curve(r.Name, r.Result, m => m.Cost)).ToList(), LogX: true, LogY: true),
            new LineFigure("loss_vs_time", "validation MSE against wall-clock time", "seconds", "validation MSE",
                runs.Select(r => Curve(r.Name, r.Result, m => m.Seconds)).ToList(), LogX: true, LogY: true),
        };
        // The main run's names are bare (fine.layer0.weight); a compared default run's carry its name (default.fine.layer0.weight).
        var arrays = runs.SelectMany((r, i) => (r.Result.Weights ?? Array.Empty<RunArray>()).Select(a => i == 0 ? a : a with { Name = $"{r.Name}.{a.Name}" })).ToList();
        return new RunRecord(report, metrics, figures, arrays);
    }
}

/// <summary>How map strategies are spelled on the command line and in reports.</summary>
public static class LayerMapStrategyNames
{
    /// <summary>The spellings: interpolation, grid, aggregation, optimized, optimized-grid, shuffled, random.</summary>
    public static ChoiceNames<LayerMapStrategy> Choices { get; } = new("map strategy",
        ("interpolation", LayerMapStrategy.Interpolation), ("grid", LayerMapStrategy.Grid), ("aggregation", LayerMapStrategy.Aggregation),
        ("optimized", LayerMapStrategy.Optimized), ("optimized-grid", LayerMapStrategy.OptimizedGrid), ("shuffled", LayerMapStrategy.Shuffled),
        ("random", LayerMapStrategy.Random));

    /// <summary>"optimized-grid" for <see cref="LayerMapStrategy.OptimizedGrid"/>, else the lower-case name.</summary>
    public static string Name(this LayerMapStrategy strategy) => Choices.Name(strategy);
}
