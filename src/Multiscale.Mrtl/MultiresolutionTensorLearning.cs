using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;

namespace Multiscale.Mrtl;

/// <summary>What one MRTL run needs: the data, the trainer's settings, and which methods to train on the same split.</summary>
/// <param name="Data">Where the dataset comes from (loaded by the run; split by <see cref="MrtlTrainerOptions.Seed"/> into train, validation and test).</param>
/// <param name="Options">Schedule, criterion, finegraining, rank, stage settings, seed; its method and device are set per run.</param>
/// <param name="Methods">MRTL and/or its baselines; the first is the main run, the others are sub-runs named after their method.</param>
public sealed record MrtlSettings(MrtlDataSource Data, MrtlTrainerOptions Options, IReadOnlyList<MrtlMethod> Methods)
{
    /// <summary>Throws <see cref="MultiscaleException"/> when the settings cannot train.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Data);
        ArgumentNullException.ThrowIfNull(Options);
        ArgumentNullException.ThrowIfNull(Methods);
        if (Methods.Count == 0) throw new MultiscaleException("no MRTL method to run (expected mrtl, fixed and/or random)");
        if (Methods.Distinct().Count() != Methods.Count) throw new MultiscaleException("each MRTL method may run once per call");
        Options.Validate();
    }

    /// <summary>Value equality with the methods compared by content (a record compares lists by reference).</summary>
    public bool Equals(MrtlSettings? other) =>
        other is not null && Equals(Data, other.Data) && Equals(Options, other.Options) && Methods.SequenceEqual(other.Methods);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Data, Options, Methods.Count);
}

/// <summary>
/// Multiresolution tensor learning as a hosted method (paper 001, Algorithm 1, and its fixed-resolution and random-init
/// baselines): trains each requested method on one split and returns the report (timings, validation loss, test F1 or
/// MSE, Moran's I and factor recovery of the spatial factors, the resolutions and finegraining events), a metrics row
/// per epoch, the loss-against-time figure with finegraining marked, and heatmaps of the main run's spatial factors.
/// </summary>
public sealed class MultiresolutionTensorLearning : IMultiscaleMethod<MrtlSettings>
{
    /// <inheritdoc/>
    public string Name => "mrtl";

    /// <inheritdoc/>
    /// <remarks>
    /// One field per setting, named as the <c>mrtl</c> command's option without its dashes (<c>--lr-full</c> →
    /// <c>lr_full</c>) and holding what that option takes; settings no option reaches (decay, per-stage
    /// regularization, CP-ALS tolerance, …) have fields too, so every run a program makes can be described. The data
    /// is described by the fields of its options (<c>task</c>, <c>size</c>, <c>samples</c>, <c>data</c>,
    /// <c>positions</c>, <c>fields</c>, …); a dataset held in memory (<see cref="InMemorySource"/>) is named but cannot be read back.
    /// </remarks>
    public JsonObject Describe(MrtlSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return MrtlSettingsJson.Write(settings);
    }

    /// <inheritdoc/>
    public MrtlSettings ReadSettings(JsonObject settings) => MrtlSettingsJson.Read(settings);

    /// <inheritdoc/>
    public RunRecord Run(MrtlSettings settings, RunContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        settings.Validate();
        var data = settings.Data.Load(settings.Options.Seed);
        context.Reporter.Line($"  data {settings.Data.Name}: {data.Count} samples, I = {data.Outputs}, modes {string.Join(", ", data.Modes.Select(m => m.Name))}");
        var split = data.Split(settings.Options.Seed);
        var runs = new List<(MrtlResult Result, IReadOnlyList<SpatialFactorReport> Factors)>();
        var checkpoints = context.Checkpoints;
        Checkpoint? resume = checkpoints?.Resume;
        try
        {
            if (resume is not null)
            {
                int i = 0;
                foreach (var finished in resume.State["finished"] as JsonArray ?? new JsonArray())
                {
                    var result = ReadResult((JsonObject)finished!, resume, $"finished{i++}/", settings, data, context.Device);
                    runs.Add((result, FactorReport.Compute(result.Model, data.Planted)));
                }
                if (resume.State["trainer"] is null) resume = null;   // saved between methods: the next one starts fresh
            }
            string metricName = data.Task == MrtlTask.Classification ? "F1" : "MSE";
            for (int m = runs.Count; m < settings.Methods.Count; m++)
            {
                if (m > 0 && context.Cancellation.IsCancellationRequested) break;
                var method = settings.Methods[m];
                string name = MethodName(method);
                string? run = runs.Count == 0 ? null : name;
                int epochIndex = 0;
                var checkpointing = checkpoints is null ? null : new MrtlCheckpointing(resume, checkpoints.Due, c =>
                {
                    AddFinished(c, runs);
                    checkpoints.Save(c);
                });
                var result = MrtlTrainer.Train(split, Configure(settings.Options, method, context), e =>
                {
                    if (e.Epoch == 0) return;
                    epochIndex++;
                    context.Reporter.Scalar(run, "loss/validation", e.ValidationLoss, epochIndex, e.TotalSeconds);
                    context.Reporter.Scalar(run, "loss/train", e.TrainLoss, epochIndex, e.TotalSeconds);
                    context.Reporter.Scalar(run, $"validation/{metricName}", e.ValidationMetric, epochIndex, e.TotalSeconds);
                    context.Reporter.Line(string.Create(CultureInfo.InvariantCulture,
                        $"  {name} {e.Stage} {e.Resolution} epoch {e.Epoch}: train {e.TrainLoss:G5} val {e.ValidationLoss:G5} {metricName} {e.ValidationMetric:G4} {e.TotalSeconds:F1}s{(e.Event is null ? "" : "  " + e.Event)}"));
                }, context.Cancellation, checkpointing);
                resume = null;
                runs.Add((result, FactorReport.Compute(result.Model, data.Planted)));
                if (result.LowRankStartNote is { } note) context.Reporter.Line($"  {name}: {note}");
                context.Reporter.Line(string.Create(CultureInfo.InvariantCulture,
                    $"  → {name}: val {result.ValidationLoss:G5}, test {(result.TestF1 is { } t ? $"F1 {t:F4}" : $"MSE {result.TestMse:G5}")}, {result.SecondsTotal:F1} s (full {result.SecondsFull:F1}, cp {result.SecondsCp:F1}, low {result.SecondsLow:F1})"));
                if (context.Cancellation.IsCancellationRequested)
                {
                    // A method that finished before the stop is kept for the resumed run; one stopped part-way has saved its own state.
                    if (checkpoints is not null && !result.Stopped && runs.Count < settings.Methods.Count)
                    {
                        using var between = new Checkpoint();
                        AddFinished(between, runs);
                        checkpoints.Save(between);
                    }
                    break;
                }
            }
            return Record(settings, data, runs, context.Device);
        }
        finally
        {
            foreach (var r in runs) r.Result.Model.Dispose();
        }
    }

    /// <summary>The finished methods' results (scalars and records as JSON, models' parameters as tensors).</summary>
    private static void AddFinished(Checkpoint checkpoint, List<(MrtlResult Result, IReadOnlyList<SpatialFactorReport> Factors)> runs)
    {
        var finished = new JsonArray();
        for (int i = 0; i < runs.Count; i++)
        {
            var r = runs[i].Result;
            r.Model.Save(checkpoint, $"finished{i}/");
            r.FullRank?.Save(checkpoint, $"finished{i}/");
            finished.Add(new JsonObject
            {
                ["method"] = r.Method.ToString(),
                ["full_rank_grids"] = r.FullRank?.Grids,
                ["seconds_full"] = Checkpoint.Number(r.SecondsFull),
                ["seconds_low"] = Checkpoint.Number(r.SecondsLow),
                ["seconds_cp"] = Checkpoint.Number(r.SecondsCp),
                ["cp_fit"] = Checkpoint.Number(r.CpFit),
                ["full_validation_loss"] = Checkpoint.Number(r.FullValidationLoss),
                ["validation_loss"] = Checkpoint.Number(r.ValidationLoss),
                ["test_loss"] = Checkpoint.Number(r.TestLoss),
                ["test_f1"] = r.TestF1 is { } f ? Checkpoint.Number(f) : null,
                ["test_mse"] = r.TestMse is { } m ? Checkpoint.Number(m) : null,
                ["positive_weight"] = Checkpoint.Number(r.PositiveWeight),
                ["full_resolutions"] = r.FullResolutions,
                ["low_resolutions"] = r.LowResolutions,
                ["epochs"] = MrtlRecords.WriteEpochs(r.Epochs),
                ["finegrains"] = MrtlRecords.WriteFinegrains(r.Finegrains),
            });
        }
        checkpoint.State["finished"] = finished;
    }

    private static MrtlResult ReadResult(JsonObject o, Checkpoint checkpoint, string prefix, MrtlSettings settings, MrtlDataset data, TorchSharp.torch.Device device)
    {
        var method = Enum.Parse<MrtlMethod>(o["method"]!.GetValue<string>());
        var finest = settings.Options.Schedule.Finest;
        var model = (LowRankModel)TensorModel.Load(checkpoint, prefix, lowRank: true, data.Task, data.Outputs, data.FeatureShape, finest, device,
            sparseTerm: settings.Options.Model == MrtlModelKind.LowRankSparse);
        MrtlFullRankWeights? fullRank = o["full_rank_grids"] is JsonValue grids
            ? MrtlFullRankWeights.Load(checkpoint, prefix, grids.GetValue<string>())
            : null;
        return new MrtlResult
        {
            Method = method,
            Model = model,
            FullRank = fullRank,
            SecondsFull = Checkpoint.ToDouble(o["seconds_full"]),
            SecondsLow = Checkpoint.ToDouble(o["seconds_low"]),
            SecondsCp = Checkpoint.ToDouble(o["seconds_cp"]),
            CpFit = Checkpoint.ToDouble(o["cp_fit"]),
            FullValidationLoss = Checkpoint.ToDouble(o["full_validation_loss"]),
            ValidationLoss = Checkpoint.ToDouble(o["validation_loss"]),
            TestLoss = Checkpoint.ToDouble(o["test_loss"]),
            TestF1 = o["test_f1"] is null ? null : Checkpoint.ToDouble(o["test_f1"]),
            TestMse = o["test_mse"] is null ? null : Checkpoint.ToDouble(o["test_mse"]),
            PositiveWeight = Checkpoint.ToDouble(o["positive_weight"]),
            FullResolutions = o["full_resolutions"]!.GetValue<string>(),
            LowResolutions = o["low_resolutions"]!.GetValue<string>(),
            Epochs = MrtlRecords.ReadEpochs(o["epochs"]),
            Finegrains = MrtlRecords.ReadFinegrains(o["finegrains"]),
        };
    }

    /// <summary>The trainer options of one method's run on the context's device.</summary>
    private static MrtlTrainerOptions Configure(MrtlTrainerOptions options, MrtlMethod method, RunContext context) =>
        options with { Method = method, Device = context.Device };

    internal static string MethodName(MrtlMethod method) => MrtlTrainerOptions.MethodNames.Name(method);

    /// <summary>
    /// "factor k" (low-rank + sparse: "smooth k" or "sparse k", the learned term and its column), with the planted factor
    /// matched to it, its kind and the |cosine| when known.
    /// </summary>
    private static string PanelTitle(LowRankModel model, int learned, Interpretability.FactorRecoveryResult? recovery, IReadOnlyList<bool>? sparse)
    {
        string head = model is not LowRankSparseModel ? string.Create(CultureInfo.InvariantCulture, $"factor {learned + 1}")
            : model.IsSparseColumn(learned) ? string.Create(CultureInfo.InvariantCulture, $"sparse {learned - model.Rank + 1}")
            : string.Create(CultureInfo.InvariantCulture, $"smooth {learned + 1}");
        if (recovery is null) return head;
        int planted = recovery.Assignment.ToList().IndexOf(learned);
        if (planted < 0) return head + " · unmatched";
        string kind = sparse is not null && sparse[planted] ? "sparse" : "smooth";
        // Shorter for the two-term model (its head names the learned term), so that a 180-pixel panel shows it whole.
        return model is LowRankSparseModel
            ? string.Create(CultureInfo.InvariantCulture, $"{head} ~ {kind} {planted + 1}, {recovery.Cosines[planted]:F2}")
            : string.Create(CultureInfo.InvariantCulture, $"{head} · {kind} {planted + 1} · |cos| {recovery.Cosines[planted]:F2}");
    }

    private static double? MeanOrNull(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        return finite.Length > 0 ? finite.Average() : null;
    }

    private static JsonArray Numbers(IEnumerable<double> values) =>
        new(values.Select(v => (JsonNode?)(double.IsFinite(v) ? JsonValue.Create(v) : null)).ToArray());

    /// <summary>Per spatial mode: per-column Moran's I and sparsity, and recovery overall and per planted kind.</summary>
    private static JsonObject FactorMeasures(IReadOnlyList<SpatialFactorReport> factors, IReadOnlyList<string> modeNames)
    {
        var modes = new JsonObject();
        foreach (var f in factors)
            modes[modeNames[f.Mode]] = new JsonObject
            {
                ["grid"] = f.Grid.ToString(),
                ["morans_i"] = Numbers(f.MoransI),
                ["zero_fraction"] = Numbers(f.ZeroFraction),
                ["hoyer"] = Numbers(f.Hoyer),
                ["gini"] = Numbers(f.Gini),
                ["recovery"] = f.Recovery?.Mean,
                ["recovery_smooth"] = double.IsFinite(f.RecoverySmooth) ? f.RecoverySmooth : null,
                ["recovery_sparse"] = double.IsFinite(f.RecoverySparse) ? f.RecoverySparse : null,
                ["term"] = new JsonArray(f.SparseColumns.Select(s => (JsonNode)JsonValue.Create(s ? "sparse" : "smooth")!).ToArray()),
            };
        return modes;
    }

    /// <summary>The learned sparse term's columns against the smooth term's: mean zero fraction and Moran's I over all spatial modes.</summary>
    private static JsonObject SparseTermSummary(IReadOnlyList<SpatialFactorReport> factors)
    {
        double? Mean(Func<SpatialFactorReport, double> of) => MeanOrNull(factors.Select(of));
        return new JsonObject
        {
            ["zero_fraction_sparse"] = Mean(f => f.MeanOver(f.ZeroFraction, true)),
            ["zero_fraction_smooth"] = Mean(f => f.MeanOver(f.ZeroFraction, false)),
            ["morans_i_sparse"] = Mean(f => f.MeanOver(f.MoransI, true)),
            ["morans_i_smooth"] = Mean(f => f.MeanOver(f.MoransI, false)),
        };
    }

    private static RunRecord Record(MrtlSettings settings, MrtlDataset data, List<(MrtlResult Result, IReadOnlyList<SpatialFactorReport> Factors)> runs, TorchSharp.torch.Device device)
    {
        var options = settings.Options;
        JsonObject Entry(MrtlResult r, IReadOnlyList<SpatialFactorReport> factors)
        {
            var recoveries = factors.Where(f => f.Recovery is not null).Select(f => f.Recovery!.Mean).ToArray();
            var morans = factors.Select(f => f.MoransIMean).Where(double.IsFinite).ToArray();
            var moransByMode = new JsonObject();
            foreach (var f in factors) moransByMode[data.Modes[f.Mode].Name] = double.IsFinite(f.MoransIMean) ? f.MoransIMean : null;
            return new JsonObject
            {
                ["method"] = MethodName(r.Method),
                ["criterion"] = FinegrainCriterion.Name(options.Criterion),
                ["finegrain"] = options.Finegrain.ToString().ToLowerInvariant(),
                ["seconds_full"] = r.SecondsFull,
                ["seconds_cp"] = r.SecondsCp,
                ["seconds_low"] = r.SecondsLow,
                ["seconds_total"] = r.SecondsTotal,
                ["val_loss"] = r.ValidationLoss,
                ["full_val_loss"] = double.IsFinite(r.FullValidationLoss) ? r.FullValidationLoss : null,
                ["test_loss"] = r.TestLoss,
                ["test_f1"] = r.TestF1,
                ["test_mse"] = r.TestMse,
                ["cp_fit"] = double.IsFinite(r.CpFit) ? r.CpFit : null,
                ["low_rank_start"] = r.Method == MrtlMethod.Random ? "random" : r.LowRankStartNote is null ? "cp-als" : "random (weak data)",
                ["low_rank_start_note"] = r.LowRankStartNote,
                ["morans_i_mean"] = morans.Length > 0 ? morans.Average() : null,
                ["morans_i"] = moransByMode,
                ["factor_recovery"] = recoveries.Length > 0 ? recoveries.Average() : null,
                ["factor_recovery_smooth"] = MeanOrNull(factors.Select(f => f.RecoverySmooth)),
                ["factor_recovery_sparse"] = MeanOrNull(factors.Select(f => f.RecoverySparse)),
                ["factors"] = FactorMeasures(factors, data.Modes.Select(m => m.Name).ToArray()),
                ["sparse_term"] = r.Model is LowRankSparseModel ? SparseTermSummary(factors) : null,
                ["resolutions"] = new JsonObject { ["full"] = r.FullResolutions, ["low"] = r.LowResolutions },
                ["finegrains"] = new JsonArray(r.Finegrains.Select(e => (JsonNode)new JsonObject
                {
                    ["stage"] = e.Stage, ["from"] = e.From, ["to"] = e.To, ["scale"] = e.Scale, ["reason"] = e.Reason,
                    ["val_loss_before"] = e.ValidationLossBefore, ["val_loss_after"] = e.ValidationLossAfter, ["seconds"] = e.TotalSeconds,
                }).ToArray()),
            };
        }
        var report = Entry(runs[0].Result, runs[0].Factors);
        report["task"] = settings.Data.Name;
        report["samples"] = data.Count;
        report["outputs"] = data.Outputs;
        report["rank"] = options.Rank;
        report["model"] = MrtlTrainerOptions.ModelName(options.Model);
        if (options.Model == MrtlModelKind.LowRankSparse)
        {
            report["sparse_rank"] = options.SparseComponents;
            report["lambda_sparse"] = options.LambdaSparse;
            report["sparse_start"] = options.SparseStart.ToString().ToLowerInvariant();
            if (options.SparseStart == SparseStart.Gradient)
            {
                // Where W^S started from the low-rank stage's residual, and that start's CP fit and line-search step.
                report["sparse_start_step"] = options.SparseStartStepIn(options.Schedule.LowRank.Count);
                var first = runs[0].Result;
                report["sparse_start_fit"] = double.IsFinite(first.SparseStartFit) ? first.SparseStartFit : null;
                report["sparse_start_scale"] = double.IsFinite(first.SparseStartScale) ? first.SparseStartScale : null;
            }
        }
        report["seed"] = options.Seed;
        report["device"] = device.ToString();
        if (runs.Count > 1) report["runs"] = new JsonArray(runs.Select(r => (JsonNode)Entry(r.Result, r.Factors)).ToArray());

        var metrics = new MetricsTable("method", "stage", "step", "resolution", "epoch", "stage_seconds", "total_seconds",
            "train_loss", "val_loss", "val_metric", "criterion", "event");
        foreach (var (r, _) in runs)
            foreach (var e in r.Epochs)
                metrics.Add(MethodName(r.Method), e.Stage, e.Step, e.Resolution, e.Epoch, e.StageSeconds, e.TotalSeconds,
                    e.TrainLoss, e.ValidationLoss, e.ValidationMetric, e.Criterion, e.Event ?? "");

        // Loss against time; finegraining is its own series of markers (the validation loss right after the move).
        var series = new List<FigureSeries>();
        foreach (var (r, _) in runs)
        {
            var name = MethodName(r.Method);
            series.Add(new FigureSeries(name, r.Epochs.Select(e => e.TotalSeconds).ToArray(), r.Epochs.Select(e => e.ValidationLoss).ToArray()));
            if (r.Finegrains.Count > 0)
                series.Add(new FigureSeries($"{name} finegrain", r.Finegrains.Select(e => e.TotalSeconds).ToArray(), r.Finegrains.Select(e => e.ValidationLossAfter).ToArray()));
        }
        var figures = new List<RunFigure>
        {
            new LineFigure("loss", "validation loss against wall-clock time (finegraining marked)", "seconds", "validation loss", series),
        };

        // The main run's factors: one signed panel per column k of each spatial mode, titled with the planted factor
        // it was matched to (and that factor's kind) when there is ground truth on the same grid.
        var model = runs[0].Result.Model;
        for (int m = 0; m < model.Grids.Count; m++)
        {
            var grid = model.Grids[m];
            double[] values;
            using (TorchSharp.torch.NewDisposeScope())
                // data<T>() reads host memory: copy the factor to the CPU.
                values = model.SpatialColumns(m).to(TorchSharp.torch.ScalarType.Float64, TorchSharp.torch.CPU).contiguous().data<double>().ToArray();
            int k = model.TotalRank;
            var recovery = runs[0].Factors[m].Recovery;
            var panels = new List<HeatmapPanel>();
            for (int col = 0; col < k; col++)
            {
                var image = new double[grid.Rows, grid.Cols];
                for (int r = 0; r < grid.Rows; r++)
                    for (int c = 0; c < grid.Cols; c++)
                        image[r, c] = values[grid.Index(r, c) * k + col];
                panels.Add(new HeatmapPanel(PanelTitle(model, col, recovery, data.Planted?.Sparse), image));
            }
            figures.Add(new HeatmapGridFigure($"factors_{data.Modes[m].Name}",
                // Short: it heads the first panel (red +, blue −, each panel scaled to its own max |value|).
                model is LowRankSparseModel ls
                    ? $"{data.Modes[m].Name}: {ls.Rank} smooth, {ls.SparseRank} sparse"
                    : $"{data.Modes[m].Name} factors, {grid}, K = {k}", panels));
        }
        return new RunRecord(report, metrics, figures, runs.SelectMany(r => Arrays(r.Result, MethodName(r.Result.Method))).ToList());
    }

    /// <summary>W of at most this many values is kept beside its factors (beyond it the factors alone, which define it).</summary>
    internal const long MaxTensorValues = 1L << 24;

    /// <summary>
    /// A trained model's arrays for <c>weights.npz</c>: <c>&lt;method&gt;.factor{m}</c> [D_m, K] in mode order (output,
    /// feature modes, spatial modes), <c>&lt;method&gt;.bias</c> [I], and <c>&lt;method&gt;.tensor</c> W = Σ_k ∘_m factor{m}[:, k]
    /// [I, F…, D…] when it has at most <see cref="MaxTensorValues"/> values. The low-rank + sparse model adds its sparse
    /// term's factors as <c>&lt;method&gt;.sparse_factor{m}</c> [D_m, K_S] (same mode order), and its tensor is W^L + W^S.
    /// A method with a full-rank stage adds the trained full-rank model CP-ALS decomposed: <c>&lt;method&gt;.full_rank.tensor</c>
    /// [I, F…, D…] at the last full-rank resolution and <c>&lt;method&gt;.full_rank.bias</c> [I].
    /// </summary>
    private static IEnumerable<RunArray> Arrays(MrtlResult result, string method)
    {
        var model = result.Model;
        var arrays = model.Factors.Select((f, m) => RunArray.Of($"{method}.factor{m}", f)).ToList();
        if (model is LowRankSparseModel ls) arrays.AddRange(ls.SparseFactors.Select((f, m) => RunArray.Of($"{method}.sparse_factor{m}", f)));
        arrays.Add(RunArray.Of($"{method}.bias", model.Bias));
        if (model.Factors.Aggregate(1L, (n, f) => n * f.shape[0]) <= MaxTensorValues)
            using (TorchSharp.torch.NewDisposeScope())
            using (TorchSharp.torch.no_grad())
                arrays.Add(RunArray.Of($"{method}.tensor", model.FullTensor()));
        if (result.FullRank is { } full)
        {
            arrays.Add(full.Weights with { Name = $"{method}.full_rank.tensor" });
            arrays.Add(full.Bias with { Name = $"{method}.full_rank.bias" });
        }
        return arrays;
    }
}
