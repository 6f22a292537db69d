using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Models;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Training;

/// <summary>How the low-rank stage was started.</summary>
/// <param name="Model">The low-rank model to train (the caller owns it).</param>
/// <param name="Fit">CP-ALS fit 1 − ‖W − Ŵ‖/‖W‖; NaN when CP-ALS could not run.</param>
/// <param name="Note">Null for the CP-ALS start; otherwise why and how it started differently (for the run report).</param>
internal sealed record LowRankStartResult(LowRankModel Model, double Fit, string? Note);

/// <summary>
/// The start of the low-rank stage from the full-rank checkpoint (Algorithm 1's CP-ALS step). On data with little
/// learnable signal no full-rank epoch may improve the validation loss, so the best checkpoint is the untrained zero
/// model: its CP decomposition is undefined (every direction fits a zero tensor equally well). Such a run is not an
/// error — the low-rank stage then starts from seeded small random factors (as the random-initialization baseline
/// does) with the checkpoint's biases, and the note says so.
/// </summary>
internal static class LowRankStart
{
    /// <summary>CP-ALS of <paramref name="full"/>'s weights at <paramref name="rank"/>, or the seeded random start when they are all zero.</summary>
    public static LowRankStartResult FromFullRank(FullRankModel full, int rank, CpAlsOptions cpAls, Generator generator, double randomScale)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(cpAls);
        ArgumentNullException.ThrowIfNull(generator);
        bool zero;
        using (NewDisposeScope())
            zero = !full.Weights.detach().ne(0).any().item<bool>();
        if (!zero)
        {
            var (model, fit) = full.ToLowRank(rank, cpAls);
            return new LowRankStartResult(model, fit, null);
        }
        var low = LowRankModel.Random(full.Task, full.Outputs, full.FeatureShape, full.Grids, rank, generator, randomScale, full.Device);
        using (no_grad())
            low.Bias.copy_(full.Bias.detach());
        return new LowRankStartResult(low, double.NaN,
            $"the best full-rank checkpoint is the zero model (no full-rank epoch improved the validation loss), so CP-ALS has nothing to decompose: the low-rank stage started from seeded random factors (N(0, {randomScale:G3}²)) instead");
    }

    /// <summary>
    /// The low-rank + sparse model with <paramref name="smooth"/>'s factors as W^L and an all-zero W^S of rank
    /// <paramref name="sparseRank"/> (its outputs are <paramref name="smooth"/>'s); the caller keeps <paramref name="smooth"/>.
    /// </summary>
    public static LowRankSparseModel WithZeroSparseTerm(LowRankModel smooth, int sparseRank)
    {
        ArgumentNullException.ThrowIfNull(smooth);
        using var scope = NewDisposeScope();
        var factors = smooth.Factors.Select(f => (Tensor)f.detach()).ToArray();
        return new LowRankSparseModel(smooth.Task, smooth.Outputs, smooth.FeatureShape, smooth.Grids, factors,
            factors.Select(f => zeros(new long[] { f.shape[0], sparseRank }, device: f.device)).ToArray(), smooth.Bias.detach(), smooth.Device);
    }

    /// <summary>Relative size ‖W − W^L‖/‖W‖ below which the residual counts as zero (W of rank K − K_S).</summary>
    public const double ResidualFloor = 1e-6;

    /// <summary>
    /// The low-rank + sparse start of <see cref="SparseStart.Residual"/>: W^L from CP-ALS of the full-rank W at rank
    /// K − K_S, W^S from CP-ALS of the residual W − W^L at rank K_S (what the smooth rank-K_L model leaves unexplained,
    /// where few-cell peaks end up), so the sparse term starts on the part of W the smooth term does not fit instead of
    /// on smooth CP components. The fit is that of W^L + W^S to W. A zero W takes the seeded random start of both terms
    /// (with the checkpoint's biases, as <see cref="FromFullRank"/>), and a zero residual (W of rank K_L: below <see cref="ResidualFloor"/>) a seeded
    /// random sparse term at <paramref name="randomScale"/>, both with a note.
    /// </summary>
    public static LowRankStartResult FromFullRankResidual(FullRankModel full, int rank, int sparseRank, CpAlsOptions cpAls, Generator generator, double randomScale)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(cpAls);
        ArgumentNullException.ThrowIfNull(generator);
        if (sparseRank < 0 || sparseRank >= rank)
            throw new MultiscaleException($"the sparse term's rank must be between 0 and K − 1 = {rank - 1} (got {sparseRank})");
        using var scope = NewDisposeScope();
        var w = full.Weights.detach().reshape(full.TensorShape).to(ScalarType.Float64, CPU);
        double norm = linalg.norm(w).item<double>();
        if (norm == 0)
        {
            var random = LowRankSparseModel.Random(full.Task, full.Outputs, full.FeatureShape, full.Grids, rank - sparseRank, sparseRank, generator, randomScale, full.Device);
            using (no_grad())
                random.Bias.copy_(full.Bias.detach());
            return new LowRankStartResult(random, double.NaN,
                $"the best full-rank checkpoint is the zero model (no full-rank epoch improved the validation loss), so CP-ALS has nothing to decompose: the low-rank stage started from seeded random factors (N(0, {randomScale:G3}²)) instead");
        }
        using var smooth = CpAls.Decompose(w, rank - sparseRank, cpAls);
        var smoothFactors = smooth.SpreadFactors();
        var residual = w - smooth.Reconstruct();
        IReadOnlyList<Tensor> sparseFactors;
        string? note = null;
        Tensor approximation = smooth.Reconstruct();
        if (sparseRank == 0)
            sparseFactors = smoothFactors.Select(f => zeros(f.shape[0], 0, dtype: f.dtype)).ToArray();
        // CP-ALS stops at a fit change of its tolerance, so on a W of rank K_L exactly the residual is round-off of about
        // this size; a CP of it would start the sparse term on noise.
        else if (linalg.norm(residual).item<double>() <= ResidualFloor * norm)
        {
            var sizes = full.TensorShape;
            sparseFactors = sizes.Select(n => randn(new long[] { n, sparseRank }, generator: generator).to(ScalarType.Float64) * randomScale).ToArray();
            note = $"the full-rank weights are of rank {rank - sparseRank} or less, so the residual the sparse term starts from is zero: it started from seeded random factors (N(0, {randomScale:G3}²)) instead";
        }
        else
        {
            using var sparse = CpAls.Decompose(residual, sparseRank, cpAls);
            sparseFactors = sparse.SpreadFactors();
            approximation = approximation + sparse.Reconstruct();
        }
        double fit = 1 - linalg.norm(w - approximation).item<double>() / norm;
        var model = new LowRankSparseModel(full.Task, full.Outputs, full.FeatureShape, full.Grids,
            smoothFactors.Select(f => f.to(ScalarType.Float32)).ToArray(), sparseFactors.Select(f => f.to(ScalarType.Float32)).ToArray(),
            full.Bias.detach(), full.Device);
        return new LowRankStartResult(model, fit, note);
    }
}
