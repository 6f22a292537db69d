using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Decomposition;

/// <summary>How CP-ALS picks its starting factors.</summary>
public enum CpInit
{
    /// <summary>Leading left singular vectors of each unfolding (seeded random columns where the rank exceeds the mode size).</summary>
    Svd,
    /// <summary>Seeded standard normal factors.</summary>
    Random,
}

/// <summary>Settings of <see cref="CpAls.Decompose"/>.</summary>
public sealed record CpAlsOptions
{
    /// <summary>Most ALS sweeps (one sweep updates every factor once).</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>Stop when the fit changes by less than this between sweeps (the reference code's 1e-8).</summary>
    public double Tolerance { get; init; } = 1e-8;

    /// <summary>Starting factors.</summary>
    public CpInit Init { get; init; } = CpInit.Svd;

    /// <summary>Seed of every random choice (random init, padding columns).</summary>
    public long Seed { get; init; }
}

/// <summary>
/// A CP decomposition X ≈ Σ_k w_k a_k⁽¹⁾ ∘ … ∘ a_k⁽ᴺ⁾ (float64): weights sorted descending, unit-norm factor columns.
/// Owns its tensors.
/// </summary>
public sealed class CpDecomposition : IDisposable
{
    private readonly long[] _shape;

    internal CpDecomposition(Tensor weights, IReadOnlyList<Tensor> factors, double fit, int iterations, bool converged)
    {
        Weights = weights;
        Factors = factors;
        Fit = fit;
        Iterations = iterations;
        Converged = converged;
        _shape = factors.Select(f => f.shape[0]).ToArray();
    }

    /// <summary>w, [K] float64, non-negative, descending.</summary>
    public Tensor Weights { get; }

    /// <summary>Factor of mode n: [I_n, K] float64 with unit-norm columns (a column is zero only when its weight is 0).</summary>
    public IReadOnlyList<Tensor> Factors { get; }

    /// <summary>1 − ‖X − X̂‖_F / ‖X‖_F at the returned factors.</summary>
    public double Fit { get; }

    /// <summary>ALS sweeps done.</summary>
    public int Iterations { get; }

    /// <summary>True when the fit change fell below the tolerance before the iteration cap.</summary>
    public bool Converged { get; }

    /// <summary>Rank K.</summary>
    public int Rank => (int)Weights.shape[0];

    /// <summary>The full tensor X̂ (float64, the decomposed tensor's shape).</summary>
    public Tensor Reconstruct()
    {
        using var scope = NewDisposeScope();
        return CpAls.Reconstruct(Weights, Factors, _shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Factor n with column k scaled by w_k^(1/N), so that the outer products of the spread factors give X̂ with no
    /// separate weights: how the reference code initializes the low-rank model from the full-rank weights.
    /// The caller owns the returned tensors.
    /// </summary>
    public IReadOnlyList<Tensor> SpreadFactors()
    {
        using var scope = NewDisposeScope();
        var root = Weights.pow(1.0 / Factors.Count);
        return Factors.Select(f => (f * root).MoveToOuterDisposeScope()).ToList();
    }

    /// <summary>Releases the weights and factors.</summary>
    public void Dispose()
    {
        Weights.Dispose();
        foreach (var f in Factors) f.Dispose();
    }
}

/// <summary>
/// CP decomposition by alternating least squares (Kolda &amp; Bader 2009, Fig. 3.3), for tensors of any order N ≥ 2.
/// Each factor solves its normal equations A⁽ⁿ⁾ V = X₍ₙ₎ (⊙_{m≠n} A⁽ᵐ⁾) with V the Hadamard product of the other
/// factors' Grams, through a pseudo-inverse so that rank-deficient V (rank above the tensor's) stays finite.
/// </summary>
public static class CpAls
{
    /// <summary>
    /// Decomposes <paramref name="tensor"/> (float32 or float64, any device; computed on the CPU in float64) at rank
    /// <paramref name="rank"/>. The decomposition's tensors are on the CPU.
    /// </summary>
    public static CpDecomposition Decompose(Tensor tensor, int rank, CpAlsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        options ??= new CpAlsOptions();
        if (rank < 1) throw new MultiscaleException($"CP rank must be at least 1 (got {rank})");
        if (tensor.dim() < 2) throw new MultiscaleException($"CP-ALS needs a tensor of order at least 2 (got order {tensor.dim()})");
        if (tensor.numel() == 0) throw new MultiscaleException("CP-ALS needs a non-empty tensor");
        if (!tensor.is_floating_point()) throw new MultiscaleException($"CP-ALS needs a floating-point tensor (got {tensor.dtype})");
        if (options.MaxIterations < 1) throw new MultiscaleException($"CP-ALS needs at least one iteration (got MaxIterations {options.MaxIterations})");
        if (!(options.Tolerance >= 0)) throw new MultiscaleException($"CP-ALS tolerance must be non-negative (got {options.Tolerance})");

        using var outer = NewDisposeScope();
        // Always on the CPU in float64, whatever the input's device: it runs once per run, its pinv/eigh want float64,
        // and its seeded CPU draws then give the same factors on every device. Every tensor below is made on the CPU.
        var x = tensor.detach().to(ScalarType.Float64, CPU).contiguous();
        if (!isfinite(x).all().item<bool>()) throw new MultiscaleException("CP-ALS input contains NaN or infinite entries");
        double normX = linalg.norm(x).item<double>();
        if (normX == 0) throw new MultiscaleException("CP-ALS input is all zeros: its fit is undefined");

        int order = (int)x.dim();
        var shape = x.shape;
        var generator = new Generator((ulong)options.Seed);
        var factors = new Tensor[order];
        for (int n = 0; n < order; n++)
            factors[n] = Initial(x, n, rank, options.Init, generator);

        var unfoldings = Enumerable.Range(0, order).Select(n => Unfold(x, n)).ToArray();
        var weights = ones(rank, dtype: ScalarType.Float64);
        double fit = double.NaN;
        int iterations = 0;
        bool converged = false;
        while (iterations < options.MaxIterations)
        {
            using var sweep = NewDisposeScope();
            for (int n = 0; n < order; n++)
            {
                var others = Enumerable.Range(0, order).Where(m => m != n).ToArray();
                var v = ones(rank, rank, dtype: ScalarType.Float64);
                foreach (int m in others) v = v * factors[m].T.matmul(factors[m]);
                var mttkrp = unfoldings[n].matmul(KhatriRao(others.Select(m => factors[m])));
                var a = mttkrp.matmul(linalg.pinv(v, hermitian: true));
                var norms = linalg.vector_norm(a, dims: new long[] { 0 });
                // A column that collapsed to zero stays zero with weight 0 rather than dividing by 0.
                var safe = where(norms > 0, norms, ones_like(norms));
                factors[n].Dispose();
                factors[n] = (a / safe).MoveToOuterDisposeScope();
                weights.Dispose();
                weights = norms.MoveToOuterDisposeScope();
            }
            iterations++;
            // The exact residual, not the ‖X‖² + ‖X̂‖² − 2⟨X, X̂⟩ shortcut: near fit 1 the shortcut cancels to noise.
            var residual = linalg.norm(x - Reconstruct(weights, factors, shape)).item<double>();
            double next = 1 - residual / normX;
            bool done = !double.IsNaN(fit) && Math.Abs(next - fit) < options.Tolerance;
            fit = next;
            if (done) { converged = true; break; }
        }

        // The decomposition owns its tensors: detached from every dispose scope, so a caller's scope cannot free them.
        var orderIdx = argsort(weights, descending: true);
        var sortedWeights = weights.index_select(0, orderIdx).DetachFromDisposeScope();
        var sortedFactors = factors.Select(f => f.index_select(1, orderIdx).DetachFromDisposeScope()).ToList();
        return new CpDecomposition(sortedWeights, sortedFactors, fit, iterations, converged);
    }

    /// <summary>Σ_k w_k a_k⁽¹⁾ ∘ … ∘ a_k⁽ᴺ⁾ as a tensor of <paramref name="shape"/>.</summary>
    internal static Tensor Reconstruct(Tensor weights, IReadOnlyList<Tensor> factors, long[] shape)
    {
        var rest = KhatriRao(factors.Skip(1));
        return (factors[0] * weights).matmul(rest.T).reshape(shape);
    }

    /// <summary>Mode-n unfolding: mode n first, the other modes in increasing order with the last fastest.</summary>
    private static Tensor Unfold(Tensor x, int n) =>
        x.movedim(new long[] { n }, new long[] { 0 }).reshape(x.shape[n], -1);

    /// <summary>Column-wise Kronecker product, first factor's index slowest (matches <see cref="Unfold"/>).</summary>
    private static Tensor KhatriRao(IEnumerable<Tensor> factors)
    {
        Tensor? product = null;
        foreach (var f in factors)
            product = product is null ? f : (product.unsqueeze(1) * f.unsqueeze(0)).reshape(-1, f.shape[1]);
        return product ?? throw new InvalidOperationException("Khatri–Rao of no factors");
    }

    private static Tensor Initial(Tensor x, int n, int rank, CpInit init, Generator generator)
    {
        long size = x.shape[n];
        if (init == CpInit.Random)
            return randn(size, rank, dtype: ScalarType.Float64, generator: generator);
        using var scope = NewDisposeScope();
        // Left singular vectors of X₍ₙ₎ from the smaller Gram: X₍ₙ₎X₍ₙ₎ᵀ (I_n × I_n) when the mode is the short side,
        // else X₍ₙ₎ᵀX₍ₙ₎ (J × J) and U = X₍ₙ₎V/σ — a 14,400-cell climate mode against 12 other entries must not
        // build a 14,400² Gram (it took minutes).
        var unfolded = Unfold(x, n);
        long other = unfolded.shape[1];
        int take = (int)Math.Min(rank, Math.Min(size, other));
        Tensor leading;
        if (size <= other)
        {
            var (_, vectors) = linalg.eigh(unfolded.matmul(unfolded.T));
            leading = vectors.flip(1).narrow(1, 0, take);
        }
        else
        {
            var (values, vectors) = linalg.eigh(unfolded.T.matmul(unfolded));
            var top = vectors.flip(1).narrow(1, 0, take);
            var sigma = values.flip(0).narrow(0, 0, take).clamp_min(0).sqrt();
            var u = unfolded.matmul(top);
            // A zero singular value gives no direction; its column is left to the random padding below.
            var kept = sigma > 1e-12 * sigma.max();
            leading = u / where(kept, sigma, ones_like(sigma)).unsqueeze(0);
            var zeroCols = kept.logical_not().nonzero().flatten();
            if (zeroCols.numel() > 0)
                leading.index_copy_(1, zeroCols, randn(size, zeroCols.numel(), dtype: ScalarType.Float64, generator: generator));
        }
        if (take < rank)
            leading = cat(new[] { leading, randn(size, rank - take, dtype: ScalarType.Float64, generator: generator) }, 1);
        return leading.contiguous().MoveToOuterDisposeScope();
    }
}
