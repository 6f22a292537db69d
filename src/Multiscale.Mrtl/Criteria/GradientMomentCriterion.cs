using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Criteria;

/// <summary>
/// The moment thresholds of paper 000 (29)–(30), on the per-weight gradient distribution: every weight w_j keeps its
/// last T = <see cref="CriterionOptions.Window"/> gradients (a ring buffer [T, #weights], as the spatial-entropy
/// control; before it is full, the steps seen so far), whose mean μ_j and population standard deviation σ_j are its
/// statistics. A weight qualifies under
/// <list type="bullet">
/// <item><b>sigma-threshold</b> (29) when σ_j &gt; τ_σ — its minibatch gradients disagree;</item>
/// <item><b>mu-sigma-threshold</b> (30) when σ_j &gt; τ_σ and |μ_j| &lt; τ_μ — they disagree while their mean has
/// settled at zero, i.e. the weight has converged at this resolution.</item>
/// </list>
/// Finegrain when at least p = <see cref="ThresholdOptions.Fraction"/> of the weights qualify. The statistic in
/// <see cref="FinegrainCriterion.History"/> is the qualifying fraction; <see cref="CurrentFraction"/> can be checked
/// after any step (the paper checks every ω steps). Patience does not apply.
/// </summary>
internal sealed class GradientMomentCriterion : WindowedGradientCriterion
{
    private readonly CriterionKind _kind;
    internal GradientMomentCriterion(CriterionKind kind, CriterionOptions options) : base(options)
    {
        if (kind is not (CriterionKind.SigmaThreshold or CriterionKind.MuSigmaThreshold))
            throw new MultiscaleException($"{kind} is not a gradient-moment criterion");
        _kind = kind;
        Thresholds = options.Thresholds;
    }

    /// <inheritdoc />
    public override CriterionKind Kind => _kind;

    /// <summary>τ_σ, τ_μ and p.</summary>
    public ThresholdOptions Thresholds { get; }

    /// <summary>μ_j and σ_j (population) of each weight's windowed gradients, [#weights] each; the caller owns them.</summary>
    public (Tensor Mean, Tensor Std) WeightMoments()
    {
        using var scope = NewDisposeScope();
        var w = Window.Steps(Name(Kind));
        var mean = w.mean(new long[] { 0 });
        var std = (w - mean).square().mean(new long[] { 0 }).sqrt();
        return (mean.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope());
    }

    /// <summary>Fraction of the weights that qualify now.</summary>
    public double CurrentFraction()
    {
        using var scope = NewDisposeScope();
        var (mean, std) = WeightMoments();
        var qualifies = std > Thresholds.Sigma;
        if (_kind == CriterionKind.MuSigmaThreshold) qualifies &= mean.abs() < Thresholds.Mu;
        return qualifies.to(ScalarType.Float64).mean().item<double>();
    }

    /// <inheritdoc />
    protected override double EpochStatistic(double validationLoss) => CurrentFraction();

    /// <inheritdoc />
    protected override string? Triggered(double statistic)
    {
        if (statistic < Thresholds.Fraction) return null;
        return _kind == CriterionKind.SigmaThreshold
            ? string.Create(CultureInfo.InvariantCulture, $"σ-threshold: {statistic:P0} of weights with σ > τ_σ = {Thresholds.Sigma:G3}")
            : string.Create(CultureInfo.InvariantCulture, $"μ, σ-threshold: {statistic:P0} of weights with σ > τ_σ = {Thresholds.Sigma:G3} and |μ| < τ_μ = {Thresholds.Mu:G3}");
    }
}
