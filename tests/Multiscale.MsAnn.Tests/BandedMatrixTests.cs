using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

/// <summary>The banded application of the level maps equals the dense products up to float32 rounding.</summary>
public class BandedMatrixTests
{
    private static double RelativeError(Tensor actual, Tensor expected) =>
        ((actual - expected).abs().max() / expected.abs().max()).to_type(ScalarType.Float64).item<double>();

    /// <summary>Composed maps of every local strategy are applied banded and give the dense products, forward and backward.</summary>
    [Theory]
    [InlineData(LayerMapStrategy.Interpolation)]
    [InlineData(LayerMapStrategy.Aggregation)]
    [InlineData(LayerMapStrategy.Grid)]
    public void BandedProductsEqualDenseProducts(LayerMapStrategy strategy)
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 1024, 256, 1024 }, 3);
        using var maps = new LayerMaps(shape, strategy);
        var g = new Generator(3);
        for (int l = 1; l <= 3; l++)
        {
            var pIn = maps.ToFinest(1024, l);
            var pOut = maps.ToFinest(256, l);
            var banded = maps.BandedToFinest(1024, l);
            // 1-D maps to levels 1 and 2 are banded (level 3's 1024 × 128 window keeps ~40 % of the work: dense); a grid
            // map's window spans whole grid rows once a level halves the rows.
            if (strategy == LayerMapStrategy.Grid ? l == 1 : l <= 2)
            {
                Assert.True(banded.IsBanded, $"{strategy} level {l}: a 1024-unit map should be applied banded");
                Assert.True(10 * banded.Work <= 3 * banded.Rows * banded.Columns, $"{strategy} level {l}: work {banded.Work} of {banded.Rows * banded.Columns}");
            }
            else Assert.Equal(banded.IsBanded, 10 * banded.Work <= 3 * banded.Rows * banded.Columns);
            var w = randn(1024 >> l, 256 >> l, generator: g).requires_grad_(true);
            var dense = ProlongationMap.ProlongWeights(pIn, w.detach(), pOut);
            var product = maps.ProlongWeights(w, 1024, 256, l);
            Assert.True(RelativeError(product.detach(), dense) < 2e-6, $"{strategy} level {l}: prolong {RelativeError(product.detach(), dense)}");
            // Backward through the blocks is the restriction Pro_inᵀ G Pro_out (eq. 3.13's adjoint).
            var upstream = randn(1024, 256, generator: g);
            (product * upstream).sum().backward();
            var adjoint = ProlongationMap.RestrictWeights(pIn, upstream, pOut);
            Assert.True(RelativeError(w.grad!, adjoint) < 2e-6, $"{strategy} level {l}: gradient {RelativeError(w.grad!, adjoint)}");
            var fine = randn(1024, 256, generator: g);
            Assert.True(RelativeError(maps.RestrictWeights(fine, 1024, 256, l), ProlongationMap.RestrictWeights(pIn, fine, pOut)) < 2e-6);
            var batch = rand(7, 1024, generator: g);
            Assert.True(RelativeError(maps.RestrictColumns(batch, 1024, l), pIn.Restrict(batch.T).T) < 2e-6);
            var coarse = randn(1024 >> l, generator: g);
            Assert.True(RelativeError(maps.ProlongRows(coarse, 1024, l), pIn.Prolong(coarse)) < 2e-6);
            Assert.True(RelativeError(maps.RestrictRows(fine, 1024, l), pIn.Restrict(fine)) < 2e-6);
        }
    }

    /// <summary>A row count that is not a multiple of the block, a band that touches both ends, float64 operands.</summary>
    [Fact]
    public void UnevenBandsAndFloat64AreExact()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        long n = 1000, m = 700;
        var rows = arange(n, dtype: ScalarType.Float64).unsqueeze(1);
        var columns = arange(m, dtype: ScalarType.Float64).unsqueeze(0);
        // A band of half-width 5 around the line c = 0.7 r, random values inside it, exact zeros outside.
        var inside = ((columns - 0.7 * rows).abs() <= 5);
        var matrix = randn(n, m, dtype: ScalarType.Float64, generator: g).where(inside, zeros(n, m, dtype: ScalarType.Float64));
        using var banded = new BandedMatrix(matrix);
        Assert.True(banded.IsBanded);
        Assert.NotEqual(0, n % banded.BlockRows);
        var x = randn(m, 9, dtype: ScalarType.Float64, generator: g);
        Assert.True(RelativeError(banded.Multiply(x), matrix.matmul(x)) < 1e-13);
        var y = randn(4, m, dtype: ScalarType.Float64, generator: g);
        Assert.True(RelativeError(banded.MultiplyTransposedRight(y), y.matmul(matrix.T)) < 1e-13);
        var v = randn(m, dtype: ScalarType.Float64, generator: g);
        Assert.True(RelativeError(banded.Multiply(v), matrix.matmul(v)) < 1e-13);
        // The same blocks serve a float32 operand (cast once) to float32 rounding.
        var x32 = x.to_type(ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, banded.Multiply(x32).dtype);
        Assert.True(RelativeError(banded.Multiply(x32).to_type(ScalarType.Float64), matrix.matmul(x)) < 1e-5);
    }

    /// <summary>A dense map (random orthogonal) gains nothing from windows and is applied as the dense product.</summary>
    [Fact]
    public void DenseMapsFallBackToTheDenseProduct()
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 1024, 1024 }, 1);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Random, seed: 4);
        var banded = maps.BandedToFinest(1024, 1);
        Assert.False(banded.IsBanded);
        var w = randn(512, 512, generator: new Generator(2));
        var dense = ProlongationMap.ProlongWeights(maps.ToFinest(1024, 1), w, maps.ToFinest(1024, 1));
        Assert.True(RelativeError(maps.ProlongWeights(w, 1024, 1024, 1), dense) < 1e-6);
    }

    /// <summary>
    /// A visit's first step forms no product of the (zero) change, only its backward: the same forward and gradients as
    /// autograd through the plain sum, and once θ⁽ˡ⁾ has moved the step prolongs the change again.
    /// </summary>
    [Fact]
    public void AVisitsFirstStepSkipsTheZeroProductButNotItsGradient()
    {
        using var scope = NewDisposeScope();
        using var maps = new LayerMaps(new HierarchyShape(new[] { 1024, 256, 1024 }, 1), LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator(5));
        var x = rand(16, 1024, generator: new Generator(6));
        var y = (x > 0.5).to_type(ScalarType.Float32);
        var plain = network.Forward(x).detach();
        network.TrainOnly(1);
        (network.Forward(x) - y).square().mean().backward();
        var expected = network.Variables(1).Select(v => v.grad!.clone()).ToArray();
        foreach (var v in network.Variables(1)) v.grad!.zero_();
        network.TrainOnly(null);
        Tensor moved;
        using (network.Visit(1))
        {
            Assert.True(RelativeError(network.Forward(x), plain) < 1e-6);
            (network.Forward(x) - y).square().mean().backward();
            var actual = network.Variables(1);
            for (int i = 0; i < expected.Length; i++) Assert.True(RelativeError(actual[i].grad!, expected[i]) < 1e-5, $"variable {i}: {RelativeError(actual[i].grad!, expected[i])}");
            using (no_grad())
                foreach (var v in network.Variables(1)) v.add_(randn(v.shape, generator: new Generator(7)) * 0.1);
            moved = network.Forward(x).detach();
            Assert.True(RelativeError(moved, plain) > 1e-3);
        }
        // After the visit, the plain sum Σ_l Pro θ⁽ˡ⁾ gives the same output as the moved visit's step did.
        network.InvalidateSums();
        Assert.True(RelativeError(network.Forward(x).detach(), moved) < 1e-5);
    }
}
