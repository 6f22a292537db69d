using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Interpretability;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Interpretability;

public class SparsityTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(2000)]
    public void ClosedFormsOfOneHotAndConstantVectors(int n)
    {
        var oneHot = zeros(n, dtype: ScalarType.Float64);
        oneHot[n / 2] = tensor(-3.0);
        Assert.Equal(1.0, Sparsity.Hoyer(oneHot), 12);
        Assert.Equal(1 - 1.0 / n, Sparsity.Gini(oneHot), 12);
        Assert.Equal(1 - 1.0 / n, Sparsity.ZeroFraction(oneHot), 12);

        var constant = full(n, 0.7f);
        Assert.Equal(0.0, Sparsity.Hoyer(constant), 6);
        Assert.Equal(0.0, Sparsity.Gini(constant), 6);
        Assert.Equal(0.0, Sparsity.ZeroFraction(constant));
    }

    [Fact]
    public void KnownValuesAndInvariances()
    {
        // (1, 1, 0, 0): ‖x‖₁/‖x‖₂ = √2, Hoyer = (2 − √2)/(2 − 1); Gini = 1 − 2·(½·(1.5 + 0.5)/4) = 0.5.
        var half = tensor(new double[] { 1, 0, 1, 0 });
        Assert.Equal(2 - Math.Sqrt(2), Sparsity.Hoyer(half), 12);
        Assert.Equal(0.5, Sparsity.Gini(half), 12);
        Assert.Equal(0.5, Sparsity.ZeroFraction(half));
        // (1, 2, 3): sorted weights (3 − k + ½)/3 = 5/6, 1/2, 1/6 → Gini = 1 − 2(1·5/6 + 2·1/2 + 3·1/6)/6 = 2/9.
        Assert.Equal(2.0 / 9, Sparsity.Gini(tensor(new double[] { 3, 1, 2 })), 12);
        var x = randn(50, generator: new TorchSharp.torch.Generator(1));
        Assert.Equal(Sparsity.Hoyer(x), Sparsity.Hoyer(-4.0 * x), 6);
        Assert.Equal(Sparsity.Gini(x), Sparsity.Gini(0.25 * x), 6);
        Assert.Contains("all-zero", Assert.Throws<MultiscaleException>(() => Sparsity.Hoyer(zeros(5))).Message);
        Assert.Contains("all-zero", Assert.Throws<MultiscaleException>(() => Sparsity.Gini(zeros(5))).Message);
        Assert.Throws<MultiscaleException>(() => Sparsity.Hoyer(ones(1)));
        Assert.Throws<MultiscaleException>(() => Sparsity.ZeroFraction(tensor(new[] { double.NaN })));
    }

    [Fact]
    public void RecoveryPerKindComesFromOneJointMatching()
    {
        var g = new TorchSharp.torch.Generator(3);
        var planted = randn(new long[] { 30, 3 }, generator: g);
        var kinds = new[] { false, true, false };
        // Learned = planted, permuted and rescaled: both kinds recovered exactly.
        var learned = stack(new[] { planted[.., 2] * 2, -planted[.., 0], planted[.., 1] * 0.5 }, 1);
        var (smooth, sparse) = FactorRecovery.MeanByKind(FactorRecovery.Compute(learned, planted), kinds);
        Assert.Equal(1.0, smooth, 6);
        Assert.Equal(1.0, sparse, 6);
        // Replace the learned copy of the sparse factor by one orthogonal to all planted ones: only the sparse kind drops.
        var q = linalg.qr(cat(new[] { planted, randn(new long[] { 30, 1 }, generator: g) }, 1)).Q;
        var broken = stack(new[] { planted[.., 0], q[.., 3], planted[.., 2] }, 1);
        var result = FactorRecovery.Compute(broken, planted);
        (smooth, sparse) = FactorRecovery.MeanByKind(result, kinds);
        Assert.Equal(1.0, smooth, 6);
        Assert.Equal(0.0, sparse, 6);
        Assert.Equal(result.Mean, (2 * smooth + sparse) / 3, 9);
        Assert.True(double.IsNaN(FactorRecovery.MeanByKind(result, new[] { false, false, false }).Sparse));
        Assert.Throws<MultiscaleException>(() => FactorRecovery.MeanByKind(result, new[] { true }));
    }

    [Fact]
    public void PlantedSparseFactorsAreFewCellsAndLeaveTheSmoothPartUnchanged()
    {
        var smoothOnly = BasketballSynthetic.Generate(BasketballOptions.Small);
        var both = BasketballSynthetic.Generate(BasketballOptions.Small with { SparseRank = 2 });
        Assert.Null(smoothOnly.Planted!.Sparse);
        Assert.Equal(new[] { false, false, true, true }, both.Planted!.Sparse);
        Assert.Equal(4, both.Planted.Rank);
        for (int m = 0; m < 2; m++)
        {
            var grid = both.Planted.Grids[m];
            var f = both.Planted.SpatialFactors[m];
            Assert.Equal(new long[] { grid.Cells, 4 }, f.shape);
            // The smooth columns are the same draws as without the option.
            Assert.True(f[.., ..2].eq(smoothOnly.Planted.SpatialFactors[m]).all().item<bool>());
            for (int k = 2; k < 4; k++)
            {
                var column = f[.., k];
                Assert.Equal(9, column.ne(0).sum().item<long>());            // a 3 × 3 block
                Assert.Equal(1 - 9.0 / grid.Cells, Sparsity.ZeroFraction(column), 9);
                // A square block: Moran's I is far below the smooth factors' (smooth high, sparse low by design).
                Assert.True(MoransI.Compute(column, grid) < MoransI.Compute(f[.., 0], grid));
                Assert.True(Sparsity.Hoyer(column) > Sparsity.Hoyer(f[.., 0]));
            }
        }
        // The sparse components enter the labels.
        Assert.False(both.Labels.eq(smoothOnly.Labels).all().item<bool>());
    }

    [Fact]
    public void TheFactorReportRecoversBothKindsOfAModelThatIsTheTruth()
    {
        var data = BasketballSynthetic.Generate(BasketballOptions.Small with { SparseRank = 2 });
        var truth = data.Planted!;
        using var model = new LowRankModel(data.Task, data.Outputs, data.FeatureShape, truth.Grids,
            new[] { truth.OutputFactor }.Concat(truth.SpatialFactors).ToArray(), zeros(data.Outputs));
        var reports = FactorReport.Compute(model, truth);
        foreach (var r in reports)
        {
            Assert.Equal(1.0, r.RecoverySmooth, 5);
            Assert.Equal(1.0, r.RecoverySparse, 5);
            Assert.Equal(1 - 9.0 / r.Grid.Cells, r.ZeroFraction[3], 9);
            Assert.Equal(0.0, r.ZeroFraction[0]);
            Assert.True(r.Gini[3] > r.Gini[0] && r.Hoyer[3] > r.Hoyer[0]);
        }
    }
}
