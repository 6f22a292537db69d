using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Interpretability;
using Multiscale.Mrtl.Models;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Training;

/// <summary>Interpretability figures of one spatial mode of a trained low-rank model.</summary>
/// <param name="Mode">Spatial mode index.</param>
/// <param name="Grid">The factor's grid.</param>
/// <param name="MoransI">Moran's I of each factor column (NaN for a constant column).</param>
/// <param name="MoransIMean">Mean over the columns that have one.</param>
/// <param name="Recovery">Matching against the planted factors (null without ground truth on the same grid).</param>
/// <param name="ZeroFraction">Per column, the fraction of exactly zero entries.</param>
/// <param name="Hoyer">Per column, Hoyer's sparsity (NaN for an all-zero column).</param>
/// <param name="Gini">Per column, the Gini index of |value| (NaN for an all-zero column).</param>
/// <param name="RecoverySmooth">Mean matched |cosine| over the planted smooth factors (NaN without any or without ground truth).</param>
/// <param name="RecoverySparse">The same over the planted sparse factors.</param>
/// <param name="SparseColumns">Per column, whether it belongs to the learned sparse term (low-rank + sparse model; all false otherwise).</param>
public sealed record SpatialFactorReport(int Mode, GridShape Grid, IReadOnlyList<double> MoransI, double MoransIMean, FactorRecoveryResult? Recovery,
    IReadOnlyList<double> ZeroFraction, IReadOnlyList<double> Hoyer, IReadOnlyList<double> Gini, double RecoverySmooth, double RecoverySparse,
    IReadOnlyList<bool> SparseColumns)
{
    /// <summary>Mean of <paramref name="values"/> over the columns of one learned kind that have a finite value (NaN if none).</summary>
    public double MeanOver(IReadOnlyList<double> values, bool sparse)
    {
        ArgumentNullException.ThrowIfNull(values);
        var picked = values.Where((v, k) => SparseColumns[k] == sparse && double.IsFinite(v)).ToArray();
        return picked.Length > 0 ? picked.Average() : double.NaN;
    }
}

/// <summary>
/// Moran's I, sparsity and factor recovery of every spatial factor of a trained model (the run report's figures). For the
/// low-rank + sparse model the columns are both terms' (<see cref="LowRankModel.SpatialColumns"/>: smooth, then sparse),
/// matched jointly to the planted factors.
/// </summary>
public static class FactorReport
{
    /// <summary>
    /// One report per spatial mode. Recovery compares the learned factor with <paramref name="planted"/>'s factor of
    /// that mode when both are on the same grid (the planted factors are given at the finest grids), over all planted
    /// factors and, from the same matching, per kind (smooth or sparse, <see cref="PlantedModel.Sparse"/>).
    /// </summary>
    public static IReadOnlyList<SpatialFactorReport> Compute(LowRankModel model, PlantedModel? planted = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var reports = new List<SpatialFactorReport>();
        for (int m = 0; m < model.Grids.Count; m++)
        {
            var grid = model.Grids[m];
            // Read on the CPU (one copy per mode, not a device sync per column); the measures work there anyway.
            var factor = model.SpatialColumns(m).to(CPU);
            var morans = new List<double>();
            var zeros = new List<double>();
            var hoyer = new List<double>();
            var gini = new List<double>();
            for (int k = 0; k < factor.shape[1]; k++)
            {
                var column = factor[.., k];
                // A constant column has no spatial variance, so Moran's I is undefined there.
                morans.Add(column.std().item<float>() > 0 ? MoransI.Compute(column, grid) : double.NaN);
                zeros.Add(Sparsity.ZeroFraction(column));
                bool allZero = zeros[^1] == 1;
                hoyer.Add(allZero || grid.Cells < 2 ? double.NaN : Sparsity.Hoyer(column));
                gini.Add(allZero ? double.NaN : Sparsity.Gini(column));
            }
            var defined = morans.Where(double.IsFinite).ToArray();
            FactorRecoveryResult? recovery = null;
            double smooth = double.NaN, sparse = double.NaN;
            if (planted is not null && m < planted.SpatialFactors.Count && planted.Grids[m] == grid)
            {
                recovery = Recover(factor, planted.SpatialFactors[m], zeros);
                (smooth, sparse) = FactorRecovery.MeanByKind(recovery, planted.Sparse ?? Enumerable.Repeat(false, recovery.Cosines.Count).ToArray());
            }
            reports.Add(new SpatialFactorReport(m, grid, morans, defined.Length > 0 ? defined.Average() : double.NaN, recovery,
                zeros, hoyer, gini, smooth, sparse, Enumerable.Range(0, (int)factor.shape[1]).Select(model.IsSparseColumn).ToArray()));
        }
        return reports;
    }

    /// <summary>
    /// Recovery over the learned columns that are not all zero (an L1-shrunk sparse column can be; it has no direction and
    /// matches nothing), with the assignment given in the indices of all columns.
    /// </summary>
    private static FactorRecoveryResult Recover(Tensor learned, Tensor planted, IReadOnlyList<double> zeroFraction)
    {
        var live = Enumerable.Range(0, zeroFraction.Count).Where(k => zeroFraction[k] < 1).ToArray();
        int count = (int)planted.shape[1];
        if (live.Length == 0) return new FactorRecoveryResult(0, new double[count], Enumerable.Repeat(-1, count).ToArray());
        if (live.Length == zeroFraction.Count) return FactorRecovery.Compute(learned, planted);
        using var scope = NewDisposeScope();
        var r = FactorRecovery.Compute(learned.index_select(1, tensor(live.Select(k => (long)k).ToArray())), planted);
        return r with { Assignment = r.Assignment.Select(a => a < 0 ? -1 : live[a]).ToArray() };
    }
}
