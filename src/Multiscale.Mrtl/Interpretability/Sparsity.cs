using static TorchSharp.torch;

namespace Multiscale.Mrtl.Interpretability;

/// <summary>
/// Sparsity of a factor column (paper 000 §6 contrasts smooth, dense profiles with sparse, peaky ones). Three measures
/// of one vector x with n entries:
/// <list type="bullet">
/// <item><b>zero fraction</b>: the share of entries exactly 0 (what an L1 proximal step produces);</item>
/// <item><b>Hoyer</b> (2004): (√n − ‖x‖₁/‖x‖₂)/(√n − 1), 1 for a one-hot vector, 0 for a constant one;</item>
/// <item><b>Gini</b> (Hurley &amp; Rickard 2009): with |x| sorted ascending c₁ ≤ … ≤ cₙ,
/// 1 − 2 Σ_k (c_k/‖c‖₁)(n − k + ½)/n; 1 − 1/n for a one-hot vector, 0 for a constant one; it, like Hoyer, does not
/// change with the scale or the sign of x.</item>
/// </list>
/// Hoyer and Gini are undefined for an all-zero vector (an error), Hoyer also for n = 1.
/// </summary>
public static class Sparsity
{
    /// <summary>The fraction of entries of <paramref name="values"/> that are exactly zero.</summary>
    public static double ZeroFraction(Tensor values)
    {
        using var scope = NewDisposeScope();
        var x = Flat(values);
        return x.eq(0).to(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>Hoyer's sparsity (√n − ‖x‖₁/‖x‖₂)/(√n − 1), in [0, 1].</summary>
    public static double Hoyer(Tensor values)
    {
        using var scope = NewDisposeScope();
        var x = Flat(values);
        long n = x.shape[0];
        if (n < 2) throw new MultiscaleException("Hoyer sparsity needs at least two entries");
        double l1 = x.abs().sum().item<double>(), l2 = x.square().sum().sqrt().item<double>();
        if (l2 == 0) throw new MultiscaleException("Hoyer sparsity of an all-zero vector is undefined");
        double root = Math.Sqrt(n);
        return Math.Clamp((root - l1 / l2) / (root - 1), 0, 1);
    }

    /// <summary>The Gini index of |x| (Hurley and Rickard's form), in [0, 1 − 1/n].</summary>
    public static double Gini(Tensor values)
    {
        using var scope = NewDisposeScope();
        var c = Flat(values).abs().sort().Values;
        long n = c.shape[0];
        double l1 = c.sum().item<double>();
        if (l1 == 0) throw new MultiscaleException("the Gini index of an all-zero vector is undefined");
        // k = 1..n ascending: weight (n − k + ½)/n.
        // Built as plain numbers: the tensor–scalar arithmetic this was written with once failed in libtorch's Scalar
        // conversion in the middle of a bench run (not reproducible), and the weights need no tensor ops.
        var weight = tensor(Enumerable.Range(1, (int)n).Select(k => (n - k + 0.5) / n).ToArray());
        return 1 - 2 * (c / l1 * weight).sum().item<double>();
    }

    private static Tensor Flat(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var x = values.detach().to(ScalarType.Float64, CPU).reshape(-1);
        if (x.shape[0] == 0) throw new MultiscaleException("sparsity of an empty vector is undefined");
        if (!isfinite(x).all().item<bool>()) throw new MultiscaleException("sparsity: the values contain NaN or infinite entries");
        return x;
    }
}
