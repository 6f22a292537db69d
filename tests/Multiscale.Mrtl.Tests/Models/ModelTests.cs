using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Models;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Models;

public class ModelTests
{
    private static readonly GridShape[] Tiny = { new(2, 3), new(3, 3) };

    private static MrtlDataset TinyCounts(bool features = false)
    {
        var b = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 64, Players = 3 });
        if (!features) return b;
        var g = new Generator(5);
        return new MrtlDataset(b.Task, b.Outputs, b.OutputIndex, b.Labels, b.Modes, randn(64, 2, generator: g));
    }

    /// <summary>X_n as a dense [F, D₁, D₂] tensor built point by point.</summary>
    private static Tensor DenseInput(MrtlBatch batch, int n, int f)
    {
        var x = zeros(f, Tiny[0].Cells, Tiny[1].Cells, dtype: ScalarType.Float64);
        var c0 = batch.Inputs[0].Cells!; var w0 = batch.Inputs[0].Weights!;
        var c1 = batch.Inputs[1].Cells!; var w1 = batch.Inputs[1].Weights!;
        for (int ff = 0; ff < f; ff++)
            for (int p = 0; p < c0.shape[1]; p++)
                for (int q = 0; q < c1.shape[1]; q++)
                {
                    double xf = batch.Features is null ? 1 : batch.Features[n, ff].item<float>();
                    long a = c0[n, p].item<long>(), b = c1[n, q].item<long>();
                    x[ff, a, b] += xf * w0[n, p].item<float>() * w1[n, q].item<float>();
                }
        return x;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FullRankGatherEqualsDenseContraction(bool features)
    {
        var data = TinyCounts(features);
        var d = data.Discretize(Tiny);
        var model = new FullRankModel(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, new Generator(1), 1.0);
        var batch = d.Batch(arange(20, ScalarType.Int64));
        var logits = model.Logits(batch);
        for (int n = 0; n < 20; n++)
        {
            var x = DenseInput(batch, n, model.FeatureCount);
            var w = model.Weights[batch.OutputIndex[n].item<long>()].to_type(ScalarType.Float64);
            double expected = (w * x).sum().item<double>() + model.Bias[batch.OutputIndex[n].item<long>()].item<float>();
            Assert.Equal(expected, logits[n].item<float>(), 4);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LowRankLogitsEqualFullRankOfItsTensor(bool features)
    {
        var data = TinyCounts(features);
        var d = data.Discretize(Tiny);
        var low = LowRankModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 3, new Generator(2), 0.8);
        using (no_grad()) low.Bias.copy_(tensor(new[] { 0.1f, -0.2f, 0.3f }));
        var full = new FullRankModel(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, low.FullTensor(), low.Bias);
        var batch = d.All();
        Assert.True(allclose(low.Logits(batch), full.Logits(batch), 1e-4, 1e-4));
    }

    [Fact]
    public void FieldModelsAgreeAndCpRecoversAnExactLowRankTensor()
    {
        var data = ClimateSynthetic.Generate(ClimateOptions.Small with { Months = 50 });
        var grids = new[] { new GridShape(4, 9) };
        var d = data.Discretize(grids);
        var low = LowRankModel.Random(MrtlTask.Regression, 1, data.FeatureShape, grids, 2, new Generator(3), 0.7);
        var full = new FullRankModel(MrtlTask.Regression, 1, data.FeatureShape, grids, low.FullTensor(), low.Bias);
        var batch = d.All();
        // Brute force: (1/D) Σ_{f,d} W[0, f, d] X[n, f, d] (fields enter as the mean over cells).
        var x = batch.Inputs[0].Values!;
        var expected = (x * full.Weights[0].unsqueeze(0)).sum(new long[] { 1, 2 }) / 36;
        Assert.True(allclose(full.Logits(batch), expected, 1e-4, 1e-4));
        Assert.True(allclose(low.Logits(batch), expected, 1e-4, 1e-4));
        var (fromCp, fit) = full.ToLowRank(2);
        Assert.True(fit > 0.999, $"fit {fit}");
        Assert.True(allclose(fromCp.Logits(batch), expected, 1e-3, 1e-3));
    }

    [Fact]
    public void SpatialPenaltyEqualsThePairwiseSum()
    {
        var grid = new GridShape(3, 4);
        using var kernel = new SpatialKernel(grid, 0.05);
        var w = randn(new long[] { 2, grid.Cells, 3 }, generator: new Generator(4), dtype: ScalarType.Float64);
        double dmax = Math.Sqrt(2 * 2 + 3 * 3), brute = 0;
        for (int d = 0; d < grid.Cells; d++)
            for (int e = 0; e < grid.Cells; e++)
            {
                double dr = d / 4 - e / 4, dc = d % 4 - e % 4;
                double k = Math.Exp(-(dr * dr + dc * dc) / (dmax * dmax) / 0.05);
                brute += k * (w[.., d, ..] - w[.., e, ..]).square().sum().item<double>();
            }
        Assert.Equal(brute, kernel.Penalty(w, 1).item<double>(), 8);
        // The Laplacian of the dense kernel gives the same number.
        var k2 = kernel.Dense().to_type(ScalarType.Float64);
        var lap = diag(k2.sum(dim: 1)) - k2;
        var unfolded = w.movedim(new long[] { 1 }, new long[] { 0 }).reshape(grid.Cells, -1);
        Assert.Equal(brute, 2 * trace(matmul(unfolded.t(), matmul(lap, unfolded))).item<double>(), 8);
        // Constant weights along space cost nothing.
        Assert.Equal(0, kernel.Penalty(ones(grid.Cells, 2, dtype: ScalarType.Float64), 0).item<double>(), 10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientOfLossPlusRegularizerMatchesFiniteDifferences(bool lowRank)
    {
        var data = TinyCounts();
        var d = data.Discretize(Tiny);
        var batch = d.All();
        TensorModel model = lowRank
            ? LowRankModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, new Generator(6), 0.8)
            : new FullRankModel(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, new Generator(6), 0.5);
        var reg = new Regularization(0.01, 0.05, 0.1, PerCell: false);
        var kernels = Tiny.Select(g => new SpatialKernel(g, reg.Sigma)).ToArray();
        GradientCheck.AssertMatchesFiniteDifferences(model, () => model.Loss(batch, 3.0) + model.Regularizer(reg, kernels));
    }

    [Fact]
    public void WeightedBceMatchesItsDefinition()
    {
        var z = tensor(new[] { -30f, -1f, 0f, 2f, 40f });
        var y = tensor(new[] { 1f, 0f, 1f, 1f, 0f });
        double beta = 7.0, expected = 0;
        for (int n = 0; n < 5; n++)
        {
            double zz = z[n].item<float>();
            double softplus = Math.Max(zz, 0) + Math.Log(1 + Math.Exp(-Math.Abs(zz)));   // −log(1 − σ(z))
            expected += y[n].item<float>() == 1 ? beta * (softplus - zz) : softplus;
        }
        Assert.Equal(expected / 5, TensorModel.LossOf(z, y, MrtlTask.Classification, beta).item<float>(), 3);
    }
}
