namespace Multiscale.Mrtl.Criteria;

/// <summary>
/// Thresholds of paper 000's criteria §4.2: loss convergence (22) and the moment thresholds (29)–(30). The paper gives
/// only its search ranges (Table 1: τ_L 1e-6–1e-2, τ_σ 1e-8–1e-1, τ_μ 1e-8–1e-2) and p = 10 % (§5); the defaults
/// here lie in those ranges and were chosen on the basketball preset (docs/mrtl.md). The window T is
/// <see cref="CriterionOptions.Window"/>, shared with the spatial-entropy control.
/// </summary>
public sealed record ThresholdOptions
{
    /// <summary>τ_L of (22): finegrain when |L_t − L̄_t| &lt; τ_L (absolute, in loss units).</summary>
    public double Loss { get; init; } = 1e-2;

    /// <summary>τ_σ of (29)–(30): a weight qualifies when the standard deviation of its windowed gradients exceeds it.</summary>
    public double Sigma { get; init; } = 1e-3;

    /// <summary>τ_μ of (30): … and the magnitude of their mean is below it.</summary>
    public double Mu { get; init; } = 3e-4;

    /// <summary>p of (29)–(30): the fraction of the weights that must qualify (10 % in paper 000's experiments).</summary>
    public double Fraction { get; init; } = 0.1;

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate()
    {
        if (!(Loss > 0 && double.IsFinite(Loss))) throw new MultiscaleException($"the loss-convergence threshold τ_L must be a positive number (got {Loss})");
        if (!(Sigma > 0 && double.IsFinite(Sigma))) throw new MultiscaleException($"the gradient σ threshold τ_σ must be a positive number (got {Sigma})");
        if (!(Mu > 0 && double.IsFinite(Mu))) throw new MultiscaleException($"the gradient μ threshold τ_μ must be a positive number (got {Mu})");
        if (!(Fraction > 0 && Fraction <= 1)) throw new MultiscaleException($"the fraction p of weights for the σ and μ, σ thresholds must be in (0, 1] (got {Fraction})");
    }
}
