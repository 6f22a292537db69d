using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Criteria;

/// <summary>The statistic that decides when to finegrain (paper 001 §4.2; paper 000 (28)).</summary>
public enum CriterionKind
{
    /// <summary>The validation loss rose.</summary>
    ValidationLoss,
    /// <summary>E‖g‖², the mean squared gradient norm over the epoch's steps, rose.</summary>
    GradientNorm,
    /// <summary>The variance of the epoch-mean gradient's entries rose.</summary>
    GradientVariance,
    /// <summary>The entropy of the epoch-mean gradient's normalized magnitudes rose.</summary>
    GradientEntropy,
    /// <summary>At least a fraction p of the weights have windowed gradient-histogram entropy ≥ τ (paper 000 (28)).</summary>
    SpatialEntropy,
    /// <summary>|L_t − L̄_t| &lt; τ_L: the loss has converged to its historical mean (paper 000 (22)).</summary>
    LossConvergence,
    /// <summary>At least a fraction p of the weights have windowed gradient σ &gt; τ_σ (paper 000 (29)).</summary>
    SigmaThreshold,
    /// <summary>At least a fraction p of the weights have σ &gt; τ_σ and |μ| &lt; τ_μ (paper 000 (30)).</summary>
    MuSigmaThreshold,
}

/// <summary>Settings shared by every criterion.</summary>
public sealed record CriterionOptions
{
    /// <summary>Finegrain once the statistic has risen this many times in total (not necessarily in a row).</summary>
    public int Patience { get; init; } = 1;

    /// <summary>Finegrain at the latest after this many epochs.</summary>
    public int MaxEpochs { get; init; } = 20;

    /// <summary>Never finegrain before this many epochs.</summary>
    public int MinEpochs { get; init; } = 1;

    /// <summary>Spatial entropy: gradients kept per weight (paper 000's window T).</summary>
    public int Window { get; init; } = 10;

    /// <summary>Spatial entropy: fraction p of the weights that must be above τ.</summary>
    public double Fraction { get; init; } = 0.9;

    /// <summary>Spatial entropy: τ in nats; NaN means half the largest possible entropy, ½·ln(min(Bins, Window)).</summary>
    public double Threshold { get; init; } = double.NaN;

    /// <summary>Spatial entropy: histogram bins per weight.</summary>
    public int Bins { get; init; } = 32;

    /// <summary>τ_L, τ_σ, τ_μ and p of the loss-convergence and moment criteria (paper 000 (22), (29), (30)).</summary>
    public ThresholdOptions Thresholds { get; init; } = new();

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate()
    {
        if (Patience < 1) throw new MultiscaleException($"criterion patience must be at least 1 (got {Patience})");
        if (MaxEpochs < 1) throw new MultiscaleException($"criterion epoch cap must be at least 1 (got {MaxEpochs})");
        if (MinEpochs < 0 || MinEpochs > MaxEpochs) throw new MultiscaleException($"criterion minimum epochs must be in 0..{MaxEpochs} (got {MinEpochs})");
        if (Window < 2) throw new MultiscaleException($"spatial-entropy window must be at least 2 steps (got {Window})");
        if (!(Fraction > 0 && Fraction <= 1)) throw new MultiscaleException($"spatial-entropy fraction must be in (0, 1] (got {Fraction})");
        if (Bins < 2) throw new MultiscaleException($"spatial-entropy bins must be at least 2 (got {Bins})");
        if (!double.IsNaN(Threshold) && !(Threshold >= 0 && double.IsFinite(Threshold))) throw new MultiscaleException($"spatial-entropy threshold must be a non-negative number (got {Threshold})");
        (Thresholds ?? throw new MultiscaleException("criterion thresholds are missing")).Validate();
    }
}

/// <summary>
/// Decides at the end of each epoch whether to finegrain. Feed it every optimizer step's detached gradient
/// (<see cref="ObserveGradient(Tensor)"/>) and the epoch's validation loss (<see cref="EndEpoch"/>). It keeps only
/// summaries it owns (running sums or a bounded window), never the caller's tensors. Use one per resolution, or
/// <see cref="Reset"/> it.
/// </summary>
public abstract class FinegrainCriterion : IDisposable
{
    private readonly List<double> _history = new();
    private double _previous = double.NaN;

    /// <summary>Creates the criterion with validated options.</summary>
    protected FinegrainCriterion(CriterionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>Which statistic this is.</summary>
    public abstract CriterionKind Kind { get; }

    /// <summary>The settings.</summary>
    public CriterionOptions Options { get; }

    /// <summary>Epochs ended so far.</summary>
    public int Epochs { get; private set; }

    /// <summary>How many times the statistic rose from one epoch to the next.</summary>
    public int Rises { get; private set; }

    /// <summary>Why the last <see cref="EndEpoch"/> returned true (null until then).</summary>
    public string? Reason { get; private set; }

    /// <summary>The per-epoch statistic, in epoch order.</summary>
    public IReadOnlyList<double> History => _history;

    /// <summary>
    /// Records one optimizer step's gradient (any shape, float32 or float64). The tensor is read, never kept; its
    /// shape must stay the same until <see cref="Reset"/>.
    /// </summary>
    public abstract void ObserveGradient(Tensor gradient);

    /// <summary>Records one step whose trained parameters have several gradients (flattened and concatenated in order).</summary>
    public void ObserveGradient(IEnumerable<Tensor> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        using var scope = NewDisposeScope();
        var parts = gradients.Select(g => (g ?? throw new ArgumentNullException(nameof(gradients))).detach().reshape(-1).to(ScalarType.Float64)).ToArray();
        if (parts.Length == 0) throw new MultiscaleException("ObserveGradient: no gradients given");
        ObserveGradient(cat(parts, 0));
    }

    /// <summary>
    /// Ends an epoch: computes its statistic, appends it to <see cref="History"/>, and returns true when it is time to
    /// finegrain — the statistic has risen <see cref="CriterionOptions.Patience"/> times in total (spatial entropy:
    /// its condition holds), or <see cref="CriterionOptions.MaxEpochs"/> epochs have passed; never before
    /// <see cref="CriterionOptions.MinEpochs"/>.
    /// </summary>
    public bool EndEpoch(double validationLoss)
    {
        double stat = EpochStatistic(validationLoss);
        Epochs++;
        _history.Add(stat);
        if (!double.IsNaN(_previous) && stat > _previous) Rises++;
        _previous = stat;
        if (Epochs < Options.MinEpochs) return false;
        if (Triggered(stat) is { } why) { Reason = why; return true; }
        if (Epochs >= Options.MaxEpochs) { Reason = $"epoch cap {Options.MaxEpochs}"; return true; }
        return false;
    }

    /// <summary>Forgets everything (history, counts, summaries) for a new resolution.</summary>
    public virtual void Reset()
    {
        _history.Clear();
        _previous = double.NaN;
        Epochs = 0;
        Rises = 0;
        Reason = null;
    }

    /// <summary>
    /// The criterion's whole state — history, rise count, reason and its summaries — as JSON, with any tensors it keeps
    /// put into <paramref name="checkpoint"/> under <paramref name="prefix"/>.
    /// </summary>
    internal JsonObject Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = new JsonObject
        {
            ["history"] = new JsonArray(_history.Select(Checkpoint.Number).ToArray()),
            ["previous"] = Checkpoint.Number(_previous),
            ["epochs"] = Epochs,
            ["rises"] = Rises,
            ["reason"] = Reason,
        };
        SaveSummaries(state, checkpoint, prefix);
        return state;
    }

    /// <summary>Continues from what <see cref="Save"/> returned (a fresh or <see cref="Reset"/> criterion of the same kind).</summary>
    internal void Restore(JsonObject state, Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(checkpoint);
        Reset();
        _history.AddRange((state["history"] as JsonArray ?? new JsonArray()).Select(Checkpoint.ToDouble));
        _previous = Checkpoint.ToDouble(state["previous"]);
        Epochs = state["epochs"]!.GetValue<int>();
        Rises = state["rises"]!.GetValue<int>();
        Reason = state["reason"]?.GetValue<string>();
        RestoreSummaries(state, checkpoint, prefix);
    }

    /// <summary>Adds the kind's own summaries (running sums, windows) to a saved state.</summary>
    protected virtual void SaveSummaries(JsonObject state, Checkpoint checkpoint, string prefix) { }

    /// <summary>Reads what <see cref="SaveSummaries"/> added.</summary>
    protected virtual void RestoreSummaries(JsonObject state, Checkpoint checkpoint, string prefix) { }

    /// <summary>Releases the summaries.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The epoch's statistic; clears the per-epoch accumulators.</summary>
    protected abstract double EpochStatistic(double validationLoss);

    /// <summary>The reason to finegrain now, or null; the default is "the statistic rose Patience times".</summary>
    protected virtual string? Triggered(double statistic) =>
        Rises >= Options.Patience ? $"{Describe(Kind)} rose {Rises} time{(Rises == 1 ? "" : "s")}" : null;

    /// <summary>A criterion of <paramref name="kind"/>.</summary>
    public static FinegrainCriterion Create(CriterionKind kind, CriterionOptions options) => kind switch
    {
        CriterionKind.ValidationLoss => new ValidationLossCriterion(options),
        CriterionKind.GradientNorm or CriterionKind.GradientVariance or CriterionKind.GradientEntropy => new GradientStatisticCriterion(kind, options),
        CriterionKind.SpatialEntropy => new SpatialEntropyCriterion(options),
        CriterionKind.LossConvergence => new LossConvergenceCriterion(options),
        CriterionKind.SigmaThreshold or CriterionKind.MuSigmaThreshold => new GradientMomentCriterion(kind, options),
        _ => throw new MultiscaleException($"unknown finegraining criterion {kind}"),
    };

    /// <summary>Parses "val-loss", "grad-norm", "grad-var", "grad-entropy", "spatial-entropy", "loss-convergence", "sigma-threshold", "mu-sigma-threshold" (or the enum names).</summary>
    public static CriterionKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Choices.Parse(name);
    }

    /// <summary>The command-line name of <paramref name="kind"/>.</summary>
    public static string Name(CriterionKind kind) => Choices.Name(kind);


    private static readonly (string Text, CriterionKind Kind)[] Names =
    {
        ("val-loss", CriterionKind.ValidationLoss),
        ("grad-norm", CriterionKind.GradientNorm),
        ("grad-var", CriterionKind.GradientVariance),
        ("grad-entropy", CriterionKind.GradientEntropy),
        ("spatial-entropy", CriterionKind.SpatialEntropy),
        ("loss-convergence", CriterionKind.LossConvergence),
        ("sigma-threshold", CriterionKind.SigmaThreshold),
        ("mu-sigma-threshold", CriterionKind.MuSigmaThreshold),
    };

    // After Names: static fields initialize in the order they are written.
    /// <summary>The criteria's spellings (the enum's names are read too).</summary>
    public static ChoiceNames<CriterionKind> Choices { get; } = new("finegraining criterion", Names,
        Enum.GetValues<CriterionKind>().Select(k => (k.ToString(), k)).Where(a => !Names.Any(n => string.Equals(n.Text, a.Item1, StringComparison.OrdinalIgnoreCase))).ToArray());

    private static string Describe(CriterionKind kind) => kind switch
    {
        CriterionKind.ValidationLoss => "validation loss",
        CriterionKind.GradientNorm => "gradient norm",
        CriterionKind.GradientVariance => "gradient variance",
        CriterionKind.GradientEntropy => "gradient entropy",
        _ => "spatial entropy",
    };

    /// <summary>−Σ p ln p over the entries of a distribution (0 ln 0 = 0), in nats.</summary>
    internal static double Entropy(Tensor p)
    {
        using var scope = NewDisposeScope();
        var terms = where(p > 0, -p * p.clamp_min(double.Epsilon).log(), zeros_like(p));
        return terms.sum().item<double>();
    }

    /// <summary>
    /// Entropy of p = |ḡ| / Σ|ḡ| over the entries of <paramref name="meanGradient"/>; 0 for an all-zero gradient
    /// (no direction left to disagree about). Ranges from 0 (one entry carries everything) to ln(#entries) (all equal).
    /// </summary>
    internal static double MagnitudeEntropy(Tensor meanGradient)
    {
        using var scope = NewDisposeScope();
        var a = meanGradient.abs().to(ScalarType.Float64).reshape(-1);
        double total = a.sum().item<double>();
        return total > 0 ? Entropy(a / total) : 0;
    }
}

/// <summary>The statistic is the validation loss itself (early-stopping style, paper 001 §4.2).</summary>
internal sealed class ValidationLossCriterion : FinegrainCriterion
{
    internal ValidationLossCriterion(CriterionOptions options) : base(options) { }

    /// <inheritdoc />
    public override CriterionKind Kind => CriterionKind.ValidationLoss;

    /// <summary>Gradients are not needed here; the call only checks its argument.</summary>
    public override void ObserveGradient(Tensor gradient) => ArgumentNullException.ThrowIfNull(gradient);

    /// <inheritdoc />
    protected override double EpochStatistic(double validationLoss)
    {
        if (!double.IsFinite(validationLoss)) throw new MultiscaleException($"the validation-loss criterion needs a finite validation loss (got {validationLoss})");
        return validationLoss;
    }
}

/// <summary>
/// Statistics of the epoch's gradients g_t (paper 001 §4.2), from a running sum of g_t and of ‖g_t‖² over the
/// epoch's steps:
/// <list type="bullet">
/// <item><b>grad-norm</b>: E‖g‖² = (1/T) Σ_t ‖g_t‖², the mean squared norm (the quantity bounded in the variance
/// assumption σ_g² + c_g‖∇f‖² the paper cites from Bottou et al.). The reference code instead logs ‖ḡ‖², the squared
/// norm of the epoch-mean gradient, which omits the minibatch noise E‖g − ḡ‖²; we follow the paper's formula.</item>
/// <item><b>grad-var</b>: V(E[g]) = (1/n) Σ_i (ḡ_i − mean(ḡ))², the population variance over the n entries of the
/// epoch-mean gradient ḡ = (1/T) Σ_t g_t. The paper writes V(E[g_t]) and takes V over the weights, not over steps;
/// it grows when the weights' average gradients spread apart — parts of the map pulling in different directions,
/// the disagreement finegraining is meant to resolve. The reference code's torch.var is the same up to the factor
/// n/(n − 1), which does not change when the statistic rises.</item>
/// <item><b>grad-entropy</b>: S = −Σ_i p_i ln p_i with p = |ḡ| / Σ|ḡ| (0 ln 0 = 0), in nats — a true entropy of a
/// normalized distribution, high when the gradient mass is spread over many weights. The reference code computes
/// −Σ g ln g over the positive entries of the raw gradient, which is not an entropy (g is not normalized and negative
/// entries are dropped), so its values are not comparable with these.</item>
/// </list>
/// </summary>
internal sealed class GradientStatisticCriterion : FinegrainCriterion
{
    private readonly CriterionKind _kind;
    private Tensor? _sum;
    private double _squaredNorms;
    private int _steps;

    internal GradientStatisticCriterion(CriterionKind kind, CriterionOptions options) : base(options) => _kind = kind;

    /// <inheritdoc />
    public override CriterionKind Kind => _kind;

    /// <inheritdoc />
    public override void ObserveGradient(Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        using var scope = NewDisposeScope();
        // The running statistics live on the CPU in float64 whatever the training device: gradients are read there.
        var g = gradient.detach().to(ScalarType.Float64, CPU).reshape(-1);
        if (!isfinite(g).all().item<bool>()) throw new MultiscaleException("ObserveGradient: the gradient contains NaN or infinite entries");
        if (_sum is null)
            _sum = zeros(g.shape[0], dtype: ScalarType.Float64).DetachFromDisposeScope();
        else if (_sum.shape[0] != g.shape[0])
            throw new MultiscaleException($"ObserveGradient: the gradient has {g.shape[0]} entries, earlier steps had {_sum.shape[0]}; Reset the criterion after finegraining");
        _sum.add_(g);
        _squaredNorms += g.dot(g).item<double>();
        _steps++;
    }

    /// <inheritdoc />
    protected override double EpochStatistic(double validationLoss)
    {
        if (_steps == 0 || _sum is null) throw new MultiscaleException($"the {Name(Kind)} criterion saw no gradient this epoch; call ObserveGradient after each step");
        double stat;
        using (var scope = NewDisposeScope())
        {
            var mean = _sum / _steps;
            stat = _kind switch
            {
                CriterionKind.GradientNorm => _squaredNorms / _steps,
                CriterionKind.GradientVariance => (mean - mean.mean()).pow(2).mean().item<double>(),
                _ => MagnitudeEntropy(mean),
            };
        }
        _sum.zero_();
        _squaredNorms = 0;
        _steps = 0;
        return stat;
    }

    /// <inheritdoc />
    protected override void SaveSummaries(JsonObject state, Checkpoint checkpoint, string prefix)
    {
        state["squared_norms"] = Checkpoint.Number(_squaredNorms);
        state["steps"] = _steps;
        if (_sum is not null) checkpoint.Put(prefix + "sum", _sum);
    }

    /// <inheritdoc />
    protected override void RestoreSummaries(JsonObject state, Checkpoint checkpoint, string prefix)
    {
        _squaredNorms = Checkpoint.ToDouble(state["squared_norms"]);
        _steps = state["steps"]!.GetValue<int>();
        if (checkpoint.Has(prefix + "sum")) _sum = checkpoint.Get(prefix + "sum").clone().DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        _sum?.Dispose();
        _sum = null;
        _squaredNorms = 0;
        _steps = 0;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _sum?.Dispose();
        _sum = null;
        base.Dispose();
    }
}

/// <summary>
/// Spatial entropy control (paper 000, Algorithm 2 and condition (28)): every weight w_j keeps its last T = Window
/// gradients; S_j is the entropy (nats) of their histogram with <see cref="CriterionOptions.Bins"/> equal-width bins
/// spanning that weight's own window range (a constant window has S_j = 0). Finegrain when at least p = Fraction of
/// the weights have S_j ≥ τ = Threshold. T samples fill at most min(Bins, T) bins, so S_j ≤ ln min(Bins, T); the
/// default τ is half of that. The statistic in <see cref="FinegrainCriterion.History"/> is the fraction of weights
/// at or above τ. The window is a ring buffer [T, #weights] (bounded memory); before it is full the steps seen so far
/// are used. <see cref="CriterionOptions.Patience"/> does not apply: the condition is checked at each epoch end, and
/// <see cref="CurrentFraction"/> lets a trainer check it after any step.
/// </summary>
internal sealed class SpatialEntropyCriterion : WindowedGradientCriterion
{
    internal SpatialEntropyCriterion(CriterionOptions options) : base(options)
    {
        Threshold = double.IsNaN(options.Threshold) ? 0.5 * Math.Log(Math.Min(options.Bins, options.Window)) : options.Threshold;
    }

    /// <inheritdoc />
    public override CriterionKind Kind => CriterionKind.SpatialEntropy;

    /// <summary>τ in nats (the option, or its default).</summary>
    public double Threshold { get; }

    /// <summary>Per-weight histogram entropies S_j (nats) of the current window; the caller owns the tensor.</summary>
    public Tensor WeightEntropies()
    {
        using var scope = NewDisposeScope();
        return HistogramEntropies(Window.Steps("spatial-entropy"), Options.Bins).MoveToOuterDisposeScope();
    }

    /// <summary>Fraction of weights whose window entropy is at least τ.</summary>
    public double CurrentFraction()
    {
        using var scope = NewDisposeScope();
        var s = WeightEntropies();
        return (s >= Threshold - 1e-12).to(ScalarType.Float64).mean().item<double>();
    }

    /// <inheritdoc />
    protected override double EpochStatistic(double validationLoss) => CurrentFraction();

    /// <inheritdoc />
    protected override string? Triggered(double statistic) =>
        statistic >= Options.Fraction
            ? string.Create(CultureInfo.InvariantCulture, $"spatial entropy: {statistic:P0} of weights at or above τ = {Threshold:G3}")
            : null;

    /// <summary>Histogram entropy of each column of <paramref name="samples"/> [T, n] over <paramref name="bins"/> equal-width bins of the column's range.</summary>
    internal static Tensor HistogramEntropies(Tensor samples, int bins)
    {
        using var scope = NewDisposeScope();
        long t = samples.shape[0];
        var lo = samples.min(0).values;
        var hi = samples.max(0).values;
        var width = hi - lo;
        // Constant columns put every sample in bin 0 (entropy 0) instead of dividing by a zero range.
        var scaled = where(width > 0, (samples - lo) / where(width > 0, width, ones_like(width)) * bins, zeros_like(samples));
        var index = scaled.floor().clamp(0, bins - 1).to(ScalarType.Int64);
        var counts = zeros(samples.shape[1], bins, dtype: ScalarType.Float64, device: samples.device)
            .scatter_add_(1, index.T.contiguous(), ones(samples.shape[1], t, dtype: ScalarType.Float64, device: samples.device));
        var p = counts / t;
        var entropy = where(p > 0, -p * p.clamp_min(double.Epsilon).log(), zeros_like(p)).sum(dim: 1);
        return entropy.MoveToOuterDisposeScope();
    }

}
