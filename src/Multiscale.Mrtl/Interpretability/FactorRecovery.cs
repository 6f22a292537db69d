using Multiscale.Matching;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Interpretability;

/// <summary>How well learned factors recover planted ones.</summary>
/// <param name="Mean">Mean over planted factors of the matched |cosine| (0 for a planted factor left unmatched).</param>
/// <param name="Cosines">Per planted factor, the |cosine| with its matched learned factor.</param>
/// <param name="Assignment">Per planted factor, the index of the learned factor matched to it (−1 when there are fewer learned than planted factors and it was left out).</param>
public sealed record FactorRecoveryResult(double Mean, IReadOnlyList<double> Cosines, IReadOnlyList<int> Assignment);

/// <summary>
/// Matches learned factor columns to planted ones: |cosine| similarity (a CP factor is defined only up to sign and
/// scale), and the one-to-one matching maximizing the total similarity, by the core's Munkres.
/// </summary>
public static class FactorRecovery
{
    /// <summary>Compares <paramref name="learned"/> [D, K] with <paramref name="planted"/> [D, Kp].</summary>
    public static FactorRecoveryResult Compute(Tensor learned, Tensor planted)
    {
        ArgumentNullException.ThrowIfNull(learned);
        ArgumentNullException.ThrowIfNull(planted);
        if (learned.dim() != 2 || planted.dim() != 2 || learned.shape[0] != planted.shape[0])
            throw new MultiscaleException($"factor recovery needs two matrices with the same number of rows, got ({string.Join(", ", learned.shape)}) and ({string.Join(", ", planted.shape)})");
        if (learned.shape[1] == 0 || planted.shape[1] == 0) throw new MultiscaleException("factor recovery needs at least one factor on each side");
        int k = (int)learned.shape[1], kp = (int)planted.shape[1];
        double[,] cos;
        using (var scope = NewDisposeScope())
        {
            var a = learned.detach().to(ScalarType.Float64, CPU);
            var b = planted.detach().to(ScalarType.Float64, CPU);
            if (!isfinite(a).all().item<bool>() || !isfinite(b).all().item<bool>()) throw new MultiscaleException("factor recovery: factors contain NaN or infinite entries");
            var na = linalg.vector_norm(a, dims: new long[] { 0 });
            var nb = linalg.vector_norm(b, dims: new long[] { 0 });
            if ((na == 0).any().item<bool>() || (nb == 0).any().item<bool>()) throw new MultiscaleException("factor recovery: a factor column is all zeros, so its direction is undefined");
            var c = (a / na).T.matmul(b / nb).abs().clamp_max(1.0); // [K, Kp]
            var data = c.data<double>().ToArray();
            cos = new double[k, kp];
            for (int i = 0; i < k; i++) for (int j = 0; j < kp; j++) cos[i, j] = data[i * kp + j];
        }

        var assignment = Enumerable.Repeat(-1, kp).ToArray();
        if (k >= kp)
        {
            var cost = new double[k, kp];
            for (int i = 0; i < k; i++) for (int j = 0; j < kp; j++) cost[i, j] = -cos[i, j];
            var rowOfColumn = Munkres.Solve(cost);
            for (int j = 0; j < kp; j++) assignment[j] = rowOfColumn[j];
        }
        else
        {
            // More planted than learned: every learned factor takes one planted factor, the rest stay unmatched.
            var cost = new double[kp, k];
            for (int i = 0; i < k; i++) for (int j = 0; j < kp; j++) cost[j, i] = -cos[i, j];
            var plantedOfLearned = Munkres.Solve(cost);
            for (int i = 0; i < k; i++) assignment[plantedOfLearned[i]] = i;
        }
        var cosines = assignment.Select((i, j) => i < 0 ? 0.0 : cos[i, j]).ToArray();
        return new FactorRecoveryResult(cosines.Average(), cosines, assignment);
    }

    /// <summary>
    /// The mean matched |cosine| over the planted factors of each kind (<paramref name="sparse"/>[j] true for a sparse
    /// planted factor j), from one joint matching — a learned factor serves at most one planted factor of either kind.
    /// NaN for a kind with no planted factor.
    /// </summary>
    public static (double Smooth, double Sparse) MeanByKind(FactorRecoveryResult result, IReadOnlyList<bool> sparse)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(sparse);
        if (sparse.Count != result.Cosines.Count)
            throw new MultiscaleException($"factor recovery: {sparse.Count} kinds given for {result.Cosines.Count} planted factors");
        double Mean(bool kind)
        {
            var c = result.Cosines.Where((_, j) => sparse[j] == kind).ToArray();
            return c.Length > 0 ? c.Average() : double.NaN;
        }
        return (Mean(false), Mean(true));
    }
}
