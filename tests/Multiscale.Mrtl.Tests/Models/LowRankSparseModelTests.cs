using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Interpretability;
using Multiscale.Mrtl.Models;
using Multiscale.Runs;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Models;

public class LowRankSparseModelTests
{
    private static readonly GridShape[] Tiny = { new(2, 3), new(3, 3) };

    private static MrtlDataset TinyCounts() => BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 64, Players = 3 });

    [Fact]
    public void SoftThresholdIsTheClosedFormAndTheProximalMinimizer()
    {
        var x = tensor(new[] { -2.5, -0.3, -0.2, -0.05, 0.0, 0.05, 0.2, 0.2000001, 1.7 });
        const double t = 0.2;
        var z = LowRankSparseModel.SoftThreshold(x, t);
        for (int i = 0; i < x.shape[0]; i++)
        {
            double xi = x[i].item<double>();
            double expected = Math.Sign(xi) * Math.Max(Math.Abs(xi) - t, 0);
            Assert.Equal(expected, z[i].item<double>(), 12);
            if (Math.Abs(xi) <= t)
            {
                // Exactly zero, and +0 (no −0 that a sign-times-magnitude form would give).
                Assert.Equal(0.0, z[i].item<double>());
                Assert.False(double.IsNegative(z[i].item<double>()));
            }
            // The proximal map of t|·|: argmin_v ½(v − x)² + t|v|, checked against a fine grid around it.
            double Objective(double v) => 0.5 * (v - xi) * (v - xi) + t * Math.Abs(v);
            double best = Objective(z[i].item<double>());
            for (double v = -3; v <= 3; v += 1e-3) Assert.True(best <= Objective(v) + 1e-12, $"x = {xi}: {best} > {Objective(v)} at {v}");
        }
    }

    [Fact]
    public void TheProximalStepShrinksOnlyTheSparseSpatialFactors()
    {
        var data = TinyCounts();
        using var model = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 2, new Generator(1), 0.3);
        var before = model.Parameters.Select(p => p.detach().clone()).ToArray();
        model.ProximalStep(0.25);
        int sparseStart = model.Factors.Count, first = 1 + model.FeatureShape.Count;
        for (int k = 0; k < model.Parameters.Count; k++)
        {
            bool spatialSparse = k >= sparseStart + first && k < sparseStart + model.SparseFactors.Count;
            var expected = spatialSparse ? LowRankSparseModel.SoftThreshold(before[k], 0.25) : before[k];
            Assert.True(expected.equal(model.Parameters[k].detach()).all().item<bool>(), $"parameter {k}");
        }
        Assert.True(Sparsity.ZeroFraction(model.SparseSpatialFactor(0).detach()) > 0);
        Assert.Throws<MultiscaleException>(() => model.ProximalStep(-1));
    }

    [Fact]
    public void GradientOfTheSmoothPartMatchesFiniteDifferences()
    {
        var data = TinyCounts();
        var batch = data.Discretize(Tiny).All();
        using var model = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 2, new Generator(6), 0.8);
        var reg = new Regularization(0.01, 0.05, 0.1, PerCell: false);
        var kernels = Tiny.Select(g => new SpatialKernel(g, reg.Sigma)).ToArray();
        GradientCheck.AssertMatchesFiniteDifferences(model, () => model.Loss(batch, 3.0) + model.Regularizer(reg, kernels));
        // The sparse term's spatial factors carry no smooth penalty: with the loss removed (λ only), their gradient is 0.
        foreach (var p in model.Parameters) p.grad!.zero_();
        model.Regularizer(reg, kernels).backward();
        for (int m = 0; m < Tiny.Length; m++) Assert.Equal(0, model.SparseSpatialFactor(m).grad!.abs().max().item<float>());
        Assert.True(model.SparseFactors[0].grad!.abs().max().item<float>() > 0);
    }

    [Fact]
    public void LogitsAreTheSumOfBothTermsAndEqualTheDenseTensorsOutputs()
    {
        var data = TinyCounts();
        var batch = data.Discretize(Tiny).All();
        using var model = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 3, new Generator(2), 0.5);
        using var smooth = new LowRankModel(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, model.Factors.Select(f => (Tensor)f).ToArray(), model.Bias);
        using var sparse = new LowRankModel(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, model.SparseFactors.Select(f => (Tensor)f).ToArray(), zeros(data.Outputs));
        using var noGrad = no_grad();
        var z = model.Logits(batch);
        Assert.True(allclose(z, smooth.Logits(batch) + sparse.Logits(batch), 1e-5, 1e-6));
        Assert.True(allclose(model.FullTensor(), smooth.FullTensor() + sparse.FullTensor(), 1e-5, 1e-6));
        // Through the full-rank model of W^L + W^S.
        using var full = new FullRankModel(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, model.FullTensor(), model.Bias);
        Assert.True(allclose(z, full.Logits(batch), 1e-4, 1e-5));
        Assert.Equal(5, model.TotalRank);
        Assert.Equal(new[] { false, false, true, true, true }, Enumerable.Range(0, 5).Select(model.IsSparseColumn));
        Assert.Equal(new long[] { Tiny[0].Cells, 5 }, model.SpatialColumns(0).shape);
    }

    [Fact]
    public void SplittingACpModelKeepsItsOutputsAndGivesTheMostPeakedComponentsToTheSparseTerm()
    {
        var data = TinyCounts();
        var batch = data.Discretize(Tiny).All();
        using var cp = LowRankModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 4, new Generator(3), 0.5);
        // Component 2 peaked on both grids (one cell each), the others dense.
        using (no_grad())
        {
            for (int m = 0; m < Tiny.Length; m++)
            {
                var c = cp.SpatialFactor(m);
                c[.., 2] = zeros(Tiny[m].Cells);
                c[1, 2] = tensor(2f);
                c.abs_().add_(0.1f);                 // dense columns: no zeros
                c[.., 2] = zeros(Tiny[m].Cells);
                c[1, 2] = tensor(2f);
            }
        }
        using var split = LowRankSparseModel.Split(cp, 1);
        Assert.Equal(3, split.Rank);
        Assert.Equal(1, split.SparseRank);
        using var noGrad = no_grad();
        Assert.True(split.SparseSpatialFactor(0).equal(cp.SpatialFactor(0)[.., 2..3]).all().item<bool>());
        Assert.True(split.SpatialFactor(0).equal(cp.SpatialFactor(0).index_select(1, tensor(new long[] { 0, 1, 3 }))).all().item<bool>());
        Assert.True(allclose(split.Logits(batch), cp.Logits(batch), 1e-5, 1e-6));
        Assert.True(allclose(split.FullTensor(), cp.FullTensor(), 1e-5, 1e-6));
        // K_S = 0 keeps every component, in order, in the smooth term.
        using var none = LowRankSparseModel.Split(cp, 0);
        Assert.True(none.SpatialFactor(1).equal(cp.SpatialFactor(1)).all().item<bool>());
        Assert.Equal(0, none.SparseRank);
        Assert.Throws<MultiscaleException>(() => LowRankSparseModel.Split(cp, 4));
        Assert.Throws<MultiscaleException>(() => LowRankSparseModel.Split(cp, -1));
    }

    [Fact]
    public void SaveAndLoadKeepBothTerms()
    {
        var data = TinyCounts();
        using var model = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 1, new Generator(4), 0.5);
        using var checkpoint = new Checkpoint();
        model.Save(checkpoint, "m/");
        using var loaded = (LowRankSparseModel)TensorModel.Load(checkpoint, "m/", true, MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, CPU, sparseTerm: true);
        Assert.Equal(model.Parameters.Count, loaded.Parameters.Count);
        for (int k = 0; k < model.Parameters.Count; k++) Assert.True(model.Parameters[k].equal(loaded.Parameters[k]).all().item<bool>());
    }
}
