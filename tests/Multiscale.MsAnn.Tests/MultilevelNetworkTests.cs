using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

public class MultilevelNetworkTests
{
    [Fact]
    public void ShapesHalvePerLevelAndBadSizesAreRejected()
    {
        var shape = new HierarchyShape(new[] { 1024, 256, 128, 256, 1024 }, 3);
        Assert.Equal(new[] { 128, 32, 16, 32, 128 }, shape.Layers(3));
        Assert.Equal(2 * (1024 * 256 + 256 * 128) + 256 + 128 + 256 + 1024, shape.ParameterCount(0));
        var e = Assert.Throws<MultiscaleException>(() => new HierarchyShape(new[] { 1024, 256, 128, 256, 1024 }, 8));
        Assert.Contains("cannot be coarsened 8 times", e.Message);
        Assert.Throws<MultiscaleException>(() => new HierarchyShape(new[] { 96, 24 }, 4));
    }

    [Fact]
    public void CostMeterChargesTheLevelsShareOfTheFinestModel()
    {
        var shape = new HierarchyShape(new[] { 64, 16, 64 }, 2);
        var meter = new CostMeter(shape);
        meter.Record(0, 128);
        meter.Record(2, 128);
        double ratio = (double)shape.ParameterCount(2) / shape.ParameterCount(0);
        Assert.Equal(128 * (1 + ratio), meter.Cost, 9);
        Assert.Equal(2, meter.Batches);
    }

    /// <summary>The row and weight transforms between levels are the composed maps' products.</summary>
    [Theory]
    [InlineData(LayerMapStrategy.Aggregation)]
    [InlineData(LayerMapStrategy.Interpolation)]
    public void LevelTransformsEqualTheComposedMaps(LayerMapStrategy strategy)
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 64, 16, 64 }, 3);
        using var maps = new LayerMaps(shape, strategy);
        var g = new Generator(5);
        for (int l = 1; l <= 3; l++)
        {
            var w = randn(64 >> l, 16 >> l, generator: g);
            var expected = ProlongationMap.ProlongWeights(maps.ToFinest(64, l), w, maps.ToFinest(16, l));
            Assert.True(maps.ProlongWeights(w, 64, 16, l).allclose(expected, rtol: 1e-5, atol: 1e-6));
            var fine = randn(64, 16, generator: g);
            Assert.True(maps.RestrictWeights(fine, 64, 16, l).allclose(ProlongationMap.RestrictWeights(maps.ToFinest(64, l), fine, maps.ToFinest(16, l)), rtol: 1e-5, atol: 1e-5));
            var batch = randn(5, 64, generator: g);
            Assert.True(maps.RestrictRows(batch.T, 64, l).allclose(maps.ToFinest(64, l).Restrict(batch.T), rtol: 1e-5, atol: 1e-5));
        }
    }

    /// <summary>Eq. (3.13): the gradient of a level's variables is the restriction of the fine gradient.</summary>
    [Theory]
    [InlineData(LayerMapStrategy.Interpolation)]
    [InlineData(LayerMapStrategy.Aggregation)]
    [InlineData(LayerMapStrategy.Random)]
    public void LevelGradientsAreRestrictedFineGradients(LayerMapStrategy source)
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 32, 8, 32 }, 2);
        using var maps = new LayerMaps(shape, source);
        using var network = new MultilevelNetwork(maps, new Generator(3));
        var (x, y) = SyntheticObjects.Batch(32, 1, 0.05, 16, new Generator(4));

        var loss = (network.Forward(x) - y).square().mean();
        loss.backward();

        // dE/dΘ from a copy of the effective parameters as leaves.
        var thetaW = Enumerable.Range(0, 2).Select(j => network.EffectiveWeight(j).detach().clone().requires_grad_(true)).ToArray();
        var thetaB = Enumerable.Range(0, 2).Select(j => network.EffectiveBias(j).detach().clone().requires_grad_(true)).ToArray();
        var h = x;
        for (int j = 0; j < 2; j++) h = (h.matmul(thetaW[j]) + thetaB[j]).sigmoid();
        (h - y).square().mean().backward();

        var sizes = shape.Layers(0);
        for (int l = 1; l <= 2; l++)
            for (int j = 0; j < 2; j++)
            {
                var pin = maps.ToFinest(sizes[j], l);
                var pout = maps.ToFinest(sizes[j + 1], l);
                var expectedW = ProlongationMap.RestrictWeights(pin, thetaW[j].grad!, pout);
                var actualW = network.Variables(l)[j].grad!;
                Assert.True(actualW.allclose(expectedW, rtol: 1e-4, atol: 1e-7), $"weight gradient at level {l}, layer {j}");
                var expectedB = pout.Restrict(thetaB[j].grad!);
                var actualB = network.Variables(l)[2 + j].grad!;
                Assert.True(actualB.allclose(expectedB, rtol: 1e-4, atol: 1e-7), $"bias gradient at level {l}, layer {j}");
            }
    }

    [Theory]
    [InlineData(LayerMapStrategy.Interpolation)]
    [InlineData(LayerMapStrategy.Shuffled)]
    [InlineData(LayerMapStrategy.Random)]
    public void ComposedLayerMapsAreOrthonormal(LayerMapStrategy strategy)
    {
        var shape = new HierarchyShape(new[] { 64, 16, 64 }, 3);
        using var maps = new LayerMaps(shape, strategy, seed: 4);
        Assert.True(maps.ToFinest(64, 3).OrthogonalityError < 1e-12);
        Assert.Equal(8, maps.ToFinest(64, 3).CoarseSize);
        Assert.Equal(2, maps.ToFinest(16, 3).CoarseSize);
    }

    [Fact]
    public void EffectiveWeightIsTheSumOfProlongedLevels()
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 16, 8 }, 1);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Aggregation);
        using var network = new MultilevelNetwork(maps, new Generator(1));
        var p16 = maps.ToFinest(16, 1).Matrix.to_type(ScalarType.Float32);
        var p8 = maps.ToFinest(8, 1).Matrix.to_type(ScalarType.Float32);
        var expected = network.Variables(0)[0] + p16.matmul(network.Variables(1)[0]).matmul(p8.T);
        Assert.True(network.EffectiveWeight(0).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }
}

public class MultilevelVisitTests
{
    [Fact]
    public void AVisitComputesTheSameForwardAndGradients()
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 32, 8, 32 }, 2);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator(5));
        var (x, y) = SyntheticObjects.Batch(32, 1, 0.05, 8, new Generator(6));
        for (int level = 0; level <= 2; level++)
        {
            var plain = network.Forward(x).detach();
            network.TrainOnly(level);
            (network.Forward(x) - y).square().mean().backward();
            var expected = network.Variables(level).Select(v => v.grad!.clone()).ToArray();
            foreach (var v in network.Variables(level)) v.grad!.zero_();
            using (network.Visit(level))
            {
                Assert.True(network.Forward(x).allclose(plain, rtol: 1e-5, atol: 1e-6));
                (network.Forward(x) - y).square().mean().backward();
                var actual = network.Variables(level).Select(v => v.grad!).ToArray();
                for (int i = 0; i < expected.Length; i++) Assert.True(actual[i].allclose(expected[i], rtol: 1e-4, atol: 1e-7));
            }
            foreach (var v in network.Variables(level)) v.grad!.zero_();
            network.TrainOnly(null);
        }
    }

    /// <summary>The sums kept across visits follow every visit's change and equal a fresh Σ_l Pro θ⁽ˡ⁾.</summary>
    [Theory]
    [InlineData(LayerMapStrategy.Interpolation)]
    [InlineData(LayerMapStrategy.Aggregation)]
    public void KeptSumsFollowTheVisitsExactly(LayerMapStrategy strategy)
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 32, 8, 32 }, 3);
        using var maps = new LayerMaps(shape, strategy);
        using var network = new MultilevelNetwork(maps, new Generator(5));
        var g = new Generator(9);
        var (x, _) = SyntheticObjects.Batch(32, 1, 0.05, 4, new Generator(6));
        foreach (var level in new[] { 0, 1, 2, 3, 3, 2, 3, 1, 0, 2 })
        {
            using (network.Visit(level))
                using (no_grad())
                    foreach (var v in network.Variables(level)) v.add_(randn(v.shape, generator: g) * 0.1);
        }
        for (int j = 0; j < 2; j++)
        {
            var kept = network.KeptSum(j)!;
            using var noGrad = no_grad();
            var fresh = network.EffectiveWeight(j).to_type(ScalarType.Float64);
            Assert.True(kept.allclose(fresh, rtol: 0, atol: 1e-6), $"layer {j}: {(kept - fresh).abs().max().item<double>()}");
        }
        using (network.Visit(0))   // a fresh visit's forward uses the kept sums
        {
            var viaSums = network.Forward(x).detach().clone();
            network.InvalidateSums();
            using (network.Visit(0))
                Assert.True(network.Forward(x).allclose(viaSums, rtol: 1e-5, atol: 1e-6));
        }
    }
}

public class GridMapTests
{
    [Theory]
    [InlineData(1024, 32, 32)]
    [InlineData(512, 16, 32)]
    [InlineData(128, 8, 16)]
    [InlineData(96, 8, 12)]
    public void LayersFactorClosestToSquare(int n, int rows, int cols) =>
        Assert.Equal((rows, cols), LayerMaps.GridSides(n));

    [Fact]
    public void GridMapsHalveTheLongerSideWithInterpolation()
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 1024, 256, 1024 }, 2);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Grid);
        var first = maps.ToFinest(1024, 1).Matrix;
        using var interpolation = ClosedFormMaps.Interpolation(16, 32, periodic: false);
        var expected = kron(eye(32, dtype: ScalarType.Float64), interpolation.Matrix);
        Assert.True(first.allclose(expected, rtol: 0, atol: 1e-12));
        // Level 2 then halves the rows of the 32×16 grid: Pro(2→0) = [I₃₂ ⊗ P(16→32)] · [P(16→32) ⊗ I₁₆].
        var pro = maps.ToFinest(1024, 2);
        Assert.Equal(256, pro.CoarseSize);
        Assert.True(pro.OrthogonalityError < 1e-12);
        var second = kron(interpolation.Matrix, eye(16, dtype: ScalarType.Float64));
        Assert.True(pro.Matrix.allclose(expected.matmul(second), rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void OptimizedGridMapsUseTheCoresPathOptimumAlongTheHalvedSide()
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 64, 16, 64 }, 2);
        using var maps = new LayerMaps(shape, LayerMapStrategy.OptimizedGrid);
        using var path = LocalPathMaps.Optimized(4, 8);
        // 64 = 8×8: level 1 halves the columns, I₈ ⊗ P(4→8); level 2 the rows of 8×4, P(4→8) ⊗ I₄.
        var first = kron(eye(8, dtype: ScalarType.Float64), path.Matrix);
        Assert.True(maps.ToFinest(64, 1).Matrix.allclose(first, rtol: 0, atol: 1e-12));
        var second = kron(path.Matrix, eye(4, dtype: ScalarType.Float64));
        Assert.True(maps.ToFinest(64, 2).Matrix.allclose(first.matmul(second), rtol: 0, atol: 1e-12));
        Assert.True(maps.ToFinest(64, 2).OrthogonalityError < 1e-10);
        Assert.Equal("grid-optimized", maps.ToFinest(64, 1).Provenance.Method);
    }
}
