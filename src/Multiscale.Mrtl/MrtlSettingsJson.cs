using System.Text.Json.Nodes;
using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;

namespace Multiscale.Mrtl;

/// <summary>
/// MRTL settings as flat JSON and back (<see cref="MultiresolutionTensorLearning.Describe"/>,
/// <see cref="MultiresolutionTensorLearning.ReadSettings"/>): one field per <c>mrtl</c> option (named without dashes,
/// '-' as '_') plus fields for the settings no option reaches. A field written null means "the default": the data's
/// (chains, finegraining, batch) or, for the low-rank stage's own batch and regularization, the full-rank stage's.
/// </summary>
internal static class MrtlSettingsJson
{
    public static JsonObject Write(MrtlSettings settings)
    {
        var o = settings.Options;
        var c = o.CriterionOptions;
        var full = o.FullRank;
        var low = o.LowRank;
        T? LowOnly<T>(T lowValue, T fullValue) where T : struct => EqualityComparer<T>.Default.Equals(lowValue, fullValue) ? null : lowValue;
        var json = new JsonObject();
        WriteData(json, settings.Data);
        json["method"] = MethodField(settings.Methods);
        json["criterion"] = FinegrainCriterion.Name(o.Criterion);
        json["patience"] = c.Patience;
        json["tau_loss"] = c.Thresholds.Loss;
        json["tau_sigma"] = c.Thresholds.Sigma;
        json["tau_mu"] = c.Thresholds.Mu;
        json["criterion_fraction"] = c.Thresholds.Fraction;
        json["window"] = c.Window;
        json["criterion_min_epochs"] = c.MinEpochs;
        json["criterion_max_epochs"] = c.MaxEpochs;
        json["entropy_fraction"] = c.Fraction;
        json["entropy_threshold"] = double.IsNaN(c.Threshold) ? null : c.Threshold;
        json["entropy_bins"] = c.Bins;
        // Fields whose default depends on the data are null at that default, so a settings file whose data changes
        // (another task, a user's files) keeps meaning "the data's default".
        json["finegrain"] = o.Finegrain == DefaultFinegrain(settings.Data) ? null : FinegrainMethodNames.Choices.Name(o.Finegrain);
        json["optimized_s"] = o.OptimizedS;
        bool defaultChains = settings.Data.DefaultSchedule is { } chains
            && ResolutionSchedule.Format(chains.FullRank) == ResolutionSchedule.Format(o.Schedule.FullRank)
            && ResolutionSchedule.Format(chains.LowRank) == ResolutionSchedule.Format(o.Schedule.LowRank);
        json["full"] = defaultChains ? null : ResolutionSchedule.Format(o.Schedule.FullRank);
        json["low"] = defaultChains ? null : ResolutionSchedule.Format(o.Schedule.LowRank);
        json["rank"] = o.Rank;
        json["model"] = MrtlTrainerOptions.ModelName(o.Model);
        json["sparse_components"] = o.Model == MrtlModelKind.LowRankSparse ? o.SparseComponents : null;
        json["lambda_sparse"] = o.Model == MrtlModelKind.LowRankSparse ? o.LambdaSparse : null;
        json["sparse_start"] = o.Model == MrtlModelKind.LowRankSparse ? MrtlTrainerOptions.SparseStartNames.Name(o.SparseStart) : null;
        json["sparse_start_step"] = o.Model == MrtlModelKind.LowRankSparse && o.SparseStart == SparseStart.Gradient ? o.SparseStartStep : null;
        json["cp_iterations"] = o.CpAls.MaxIterations;
        json["cp_tolerance"] = o.CpAls.Tolerance;
        json["cp_init"] = CpInitNames.Name(o.CpAls.Init);
        json["cp_seed"] = o.CpAls.Seed;
        json["epochs_full"] = full.MaxEpochs;
        json["epochs_low"] = low.MaxEpochs;
        json["lr_full"] = full.LearningRate;
        json["lr_low"] = low.LearningRate;
        json["decay_full"] = full.Decay;
        json["decay_low"] = low.Decay;
        json["batch"] = full.BatchSize == DefaultBatch(settings.Data) ? null : full.BatchSize;
        json["batch_low"] = LowOnly(low.BatchSize, full.BatchSize);
        json["l2"] = full.Regularization.L2;
        json["spatial"] = full.Regularization.Spatial;
        json["sigma"] = full.Regularization.Sigma;
        json["per_cell"] = full.Regularization.PerCell;
        json["l2_low"] = LowOnly(low.Regularization.L2, full.Regularization.L2);
        json["spatial_low"] = LowOnly(low.Regularization.Spatial, full.Regularization.Spatial);
        json["sigma_low"] = LowOnly(low.Regularization.Sigma, full.Regularization.Sigma);
        json["per_cell_low"] = LowOnly(low.Regularization.PerCell, full.Regularization.PerCell);
        json["scale_fit_samples"] = o.ScaleFitSamples;
        json["full_init_scale"] = o.FullInitScale;
        json["random_init_scale"] = o.RandomInitScale;
        json["seed"] = o.Seed;
        return json;
    }

    public static MrtlSettings Read(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var r = new SettingsReader(settings);
        var data = ReadData(r);
        var methods = ReadMethods(r.String("method", "mrtl"));
        var defaults = new MrtlTrainerOptions();
        var criterionDefaults = new CriterionOptions();
        var thresholdDefaults = new ThresholdOptions();
        CriterionKind criterion;
        try { criterion = FinegrainCriterion.Parse(r.String("criterion", "val-loss")); }
        catch (MultiscaleException e) when (e is not SettingsException) { throw new SettingsException("criterion", $"names no criterion: {e.Message}"); }
        var criterionOptions = new CriterionOptions
        {
            Patience = r.Int("patience", criterionDefaults.Patience),
            Window = r.Int("window", criterionDefaults.Window),
            MinEpochs = r.Int("criterion_min_epochs", criterionDefaults.MinEpochs),
            MaxEpochs = r.Int("criterion_max_epochs", criterionDefaults.MaxEpochs),
            Fraction = r.Double("entropy_fraction", criterionDefaults.Fraction),
            Threshold = r.OptionalDouble("entropy_threshold") ?? double.NaN,
            Bins = r.Int("entropy_bins", criterionDefaults.Bins),
            Thresholds = new ThresholdOptions
            {
                Loss = r.Double("tau_loss", thresholdDefaults.Loss),
                Sigma = r.Double("tau_sigma", thresholdDefaults.Sigma),
                Mu = r.Double("tau_mu", thresholdDefaults.Mu),
                Fraction = r.Double("criterion_fraction", thresholdDefaults.Fraction),
            },
        };
        string? fullText = r.OptionalString("full"), lowText = r.OptionalString("low");
        ResolutionSchedule schedule;
        if (fullText is null && lowText is null)
            schedule = data.DefaultSchedule ?? throw new SettingsException("full", "and `low` are required with user data (the full-rank and the low-rank resolution chains)");
        else
        {
            if (lowText is null) throw new SettingsException("low", "is required with `full` (the low-rank chain, starting where the full-rank chain ends)");
            try { schedule = ResolutionSchedule.Parse(fullText ?? "", lowText); }
            catch (MultiscaleException e) when (e is not SettingsException) { throw new SettingsException(fullText is null ? "low" : "full", $"does not give valid resolution chains: {e.Message}"); }
        }
        string finegrainName = r.String("finegrain", FinegrainMethodNames.Choices.Name(DefaultFinegrain(data)));
        if (!FinegrainMethodNames.Choices.TryParse(finegrainName, out var finegrain))
            throw new SettingsException("finegrain", $"names an unknown finegrain method '{finegrainName}' (expected {FinegrainMethodNames.Choices.Expected})");
        MrtlModelKind model;
        try { model = MrtlTrainerOptions.ParseModel(r.String("model", "low-rank")); }
        catch (MultiscaleException e) when (e is not SettingsException) { throw new SettingsException("model", $"names an {e.Message}"); }
        int? sparseComponents = r.OptionalInt("sparse_components");
        double? lambdaSparse = r.OptionalDouble("lambda_sparse");
        var sparseStart = r.Choice("sparse_start", defaults.SparseStart, MrtlTrainerOptions.SparseStartNames);
        if (model != MrtlModelKind.LowRankSparse && (sparseComponents is not null || lambdaSparse is not null))
            throw new SettingsException(sparseComponents is not null ? "sparse_components" : "lambda_sparse",
                sparseComponents is not null ? "and `lambda_sparse` apply to `model` low-rank+sparse only" : "and `sparse_components` apply to `model` low-rank+sparse only");
        int? sparseStartStep = r.OptionalInt("sparse_start_step");
        if (sparseStartStep is not null && (model != MrtlModelKind.LowRankSparse || sparseStart != SparseStart.Gradient))
            throw new SettingsException("sparse_start_step", "applies to `model` low-rank+sparse with `sparse_start` gradient only");
        int batch = r.Int("batch", DefaultBatch(data));
        int? batchLow = r.OptionalInt("batch_low");
        var regularization = new Regularization(r.Double("l2", 1e-3), r.Double("spatial", 1.0), r.Double("sigma", 0.05), r.Bool("per_cell", true));
        var lowRegularization = new Regularization(
            r.OptionalDouble("l2_low") ?? regularization.L2, r.OptionalDouble("spatial_low") ?? regularization.Spatial,
            r.OptionalDouble("sigma_low") ?? regularization.Sigma, r.Has("per_cell_low") ? r.Bool("per_cell_low", true) : regularization.PerCell);
        var cpInit = r.Choice("cp_init", CpInit.Svd, CpInitNames);
        var options = new MrtlTrainerOptions
        {
            Schedule = schedule,
            Criterion = criterion,
            CriterionOptions = criterionOptions,
            Finegrain = finegrain,
            OptimizedS = r.Double("optimized_s", defaults.OptimizedS),
            Rank = r.Int("rank", defaults.Rank),
            Model = model,
            SparseRank = sparseComponents,
            LambdaSparse = lambdaSparse ?? defaults.LambdaSparse,
            SparseStart = sparseStart,
            SparseStartStep = sparseStartStep,
            CpAls = new CpAlsOptions
            {
                MaxIterations = r.Int("cp_iterations", defaults.CpAls.MaxIterations),
                Tolerance = r.Double("cp_tolerance", defaults.CpAls.Tolerance),
                Init = cpInit,
                Seed = r.Long("cp_seed", defaults.CpAls.Seed),
            },
            FullRank = new StageOptions
            {
                LearningRate = r.Double("lr_full", defaults.FullRank.LearningRate), Decay = r.Double("decay_full", defaults.FullRank.Decay),
                MaxEpochs = r.Int("epochs_full", defaults.FullRank.MaxEpochs), BatchSize = batch, Regularization = regularization,
            },
            LowRank = new StageOptions
            {
                LearningRate = r.Double("lr_low", defaults.LowRank.LearningRate), Decay = r.Double("decay_low", defaults.LowRank.Decay),
                MaxEpochs = r.Int("epochs_low", defaults.LowRank.MaxEpochs), BatchSize = batchLow ?? batch, Regularization = lowRegularization,
            },
            ScaleFitSamples = r.Int("scale_fit_samples", defaults.ScaleFitSamples),
            FullInitScale = r.Double("full_init_scale", defaults.FullInitScale),
            RandomInitScale = r.Double("random_init_scale", defaults.RandomInitScale),
            Seed = r.Long("seed", 0),
        };
        r.Finish();
        var result = new MrtlSettings(data, options, methods);
        result.Validate();
        return result;
    }

    private static readonly ChoiceNames<CpInit> CpInitNames = new("CP-ALS start", ("svd", CpInit.Svd), ("random", CpInit.Random));

    /// <summary>The reference code's finegraining: nearest for counts, bilinear for fields.</summary>
    private static FinegrainMethod DefaultFinegrain(MrtlDataSource data) => data.Fields ? FinegrainMethod.Bilinear : FinegrainMethod.Nearest;

    /// <summary>The reference code's batch: 256 for counts, 32 for fields.</summary>
    private static int DefaultBatch(MrtlDataSource data) => data.Fields ? 32 : 256;

    /// <summary>"all" for the three methods in their order, else the names, comma-separated.</summary>
    private static string MethodField(IReadOnlyList<MrtlMethod> methods) =>
        methods.SequenceEqual(new[] { MrtlMethod.Mrtl, MrtlMethod.Fixed, MrtlMethod.Random })
            ? "all"
            : string.Join(',', methods.Select(MultiresolutionTensorLearning.MethodName));

    private static MrtlMethod[] ReadMethods(string text)
    {
        if (text == "all") return new[] { MrtlMethod.Mrtl, MrtlMethod.Fixed, MrtlMethod.Random };
        try
        {
            return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(MrtlTrainerOptions.ParseMethod).ToArray();
        }
        catch (MultiscaleException e) when (e is not SettingsException)
        {
            throw new SettingsException("method", $"must be mrtl, fixed, random, all or a comma-separated list of the first three (got '{text}')");
        }
    }

    private static void WriteData(JsonObject json, MrtlDataSource data)
    {
        switch (data)
        {
            case BasketballSource b:
                json["task"] = "basketball";
                json["size"] = b.Small ? "small" : "default";
                json["samples"] = b.Samples;
                json["sparse_rank"] = b.SparseRank;
                break;
            case ClimateSource c:
                json["task"] = "climate";
                json["size"] = c.Small ? "small" : "default";
                json["samples"] = c.Months;
                break;
            case PositionsCsvSource p when p.Folder is not null:
                json["task"] = "basketball";
                json["data"] = p.Folder;
                json["modes"] = MrtlDataSource.FormatModes(p.Modes);
                json[FingerprintField] = DataFingerprint.OfFiles(p.Path);
                break;
            case PositionsCsvSource p:
                json["positions"] = p.Path;
                json["modes"] = MrtlDataSource.FormatModes(p.Modes);
                json[FingerprintField] = DataFingerprint.OfFiles(p.Path);
                break;
            case FieldsNpySource f when f.Folder is not null:
                json["task"] = "climate";
                json["data"] = f.Folder;
                json["lags"] = f.Lags;
                json[FingerprintField] = DataFingerprint.OfFiles(f.FieldsPath, f.LabelsPath, f.OutputsPath);
                break;
            case FieldsNpySource f:
                json["fields"] = f.FieldsPath;
                json["labels"] = f.LabelsPath;
                json["outputs"] = f.OutputsPath;
                json["lags"] = f.Lags;
                json[FingerprintField] = DataFingerprint.OfFiles(f.FieldsPath, f.LabelsPath, f.OutputsPath);
                break;
            case InMemorySource m:
                // Named for the reader of config.json; ReadSettings refuses it (the data is not on disk to read again).
                json["data_in_memory"] = data.Name;
                json[FingerprintField] = DataFingerprint.OfDataset(m.Dataset);
                break;
            default:
                json["data_in_memory"] = data.Name;
                break;
        }
    }

    /// <summary>
    /// The SHA-256 of user data (the files' bytes; a dataset in memory: its tensors), so that a resume, which compares
    /// the settings, refuses a checkpoint of other data under the same path and shape. Derived, not a setting: Describe
    /// computes it from the data, ReadSettings accepts and ignores it (null when a file is missing).
    /// </summary>
    internal const string FingerprintField = "data_sha256";

    private static MrtlDataSource ReadData(SettingsReader r)
    {
        // Recomputed from the data by Write; what a config.json repeats of it is not an input.
        _ = r.OptionalString(FingerprintField);
        if (r.OptionalString("data_in_memory") is { } memory)
            throw new SettingsException("data_in_memory", $"names a dataset '{memory}' a program held in memory: a run on it cannot be repeated from its settings (save the data as files and describe them)");
        string task = r.Choice("task", "basketball", "basketball", "climate");
        bool small = r.Choice("size", "default", "default", "small") == "small";
        int? samples = r.OptionalInt("samples", min: 1);
        int sparseRank = r.Int("sparse_rank", 0, min: 0);
        int lags = r.Int("lags", 6, min: 1);
        string? modes = r.OptionalString("modes");
        string? folder = r.OptionalString("data"), positions = r.OptionalString("positions"), fields = r.OptionalString("fields");
        string? labels = r.OptionalString("labels"), outputs = r.OptionalString("outputs");
        IReadOnlyList<CountModeSpec> Modes(string field, string? text)
        {
            try { return MrtlDataSource.ParseModes(text!); }
            catch (MultiscaleException e) when (e is not SettingsException) { throw new SettingsException(field, e.Message.Replace("count mode", "has a count mode", StringComparison.Ordinal)); }
        }
        if (folder is not null)
        {
            folder = Path.GetFullPath(folder);
            if (!Directory.Exists(folder)) throw new SettingsException("data", $"folder '{folder}' does not exist");
            string Need(string name)
            {
                var path = Path.Combine(folder, name);
                return File.Exists(path) ? path : throw new SettingsException("data", $"folder '{folder}' has no {name} (the {task} layout is described in docs/mrtl.md)");
            }
            if (task == "climate")
            {
                string fieldsPath = Need("fields.npy"), labelsPath = Need("labels.npy");
                var outputsPath = Path.Combine(folder, "outputs.npy");
                return new FieldsNpySource(fieldsPath, labelsPath, lags, File.Exists(outputsPath) ? outputsPath : null, folder);
            }
            return new PositionsCsvSource(Need("positions.csv"), Modes("modes", modes ?? "ball:40x50,defenders:12x12"), folder);
        }
        if (positions is not null)
            return new PositionsCsvSource(Path.GetFullPath(positions),
                Modes("modes", modes ?? throw new SettingsException("positions", "needs `modes`, the count modes and their domains (e.g. ball:40x50,defenders:12x12)")));
        if (fields is not null)
            return new FieldsNpySource(Path.GetFullPath(fields),
                Path.GetFullPath(labels ?? throw new SettingsException("fields", "needs `labels` (labels.npy)")), lags, outputs is null ? null : Path.GetFullPath(outputs));
        return task == "climate" ? new ClimateSource(small, samples) : new BasketballSource(small, samples, sparseRank);
    }
}
