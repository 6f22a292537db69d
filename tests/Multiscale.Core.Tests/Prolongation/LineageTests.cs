using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class LineageTests
{
    [Fact]
    public void HalvingSpecsHalveEverySide()
    {
        Assert.Equal(new[] { "path:1024", "path:512", "path:256" }, Lineage.HalvingSpecs("path:1024", 2));
        Assert.Equal(new[] { "grid:32x16", "grid:16x8", "grid:8x4" }, Lineage.HalvingSpecs("grid:32x16", 2));
        Assert.Contains("odd", Assert.Throws<MultiscaleException>(() => Lineage.HalvingSpecs("path:12", 3)).Message);
        Assert.Contains("cannot halve", Assert.Throws<MultiscaleException>(() => Lineage.HalvingSpecs("file:x.txt", 1)).Message);
    }

    [Theory]
    [InlineData(MapSource.Aggregation)]
    [InlineData(MapSource.Interpolation)]
    [InlineData(MapSource.Kronecker)]
    public void ComposedMapsAreProductsAndOrthonormal(MapSource source)
    {
        using var lineage = Lineage.Build(Lineage.HalvingSpecs("grid:8x8", 2), source, new ProlongationOptions { S = 1, RandomStarts = 0, MaxIterations = 200 }, cacheDirectory: null);
        Assert.Equal(2, lineage.Depth);
        Assert.Equal(new[] { 64, 16, 4 }, lineage.Graphs.Select(g => g.VertexCount));
        var pro = lineage.ToFinest(2);
        Assert.Equal(64, pro.FineSize);
        Assert.Equal(4, pro.CoarseSize);
        Assert.True(pro.Matrix.allclose(lineage.Maps[0].Matrix.matmul(lineage.Maps[1].Matrix), rtol: 0, atol: 1e-12));
        Assert.True(pro.OrthogonalityError < 1e-12);
        Assert.Same(pro, lineage.ToFinest(2));
        Assert.All(lineage.Levels.Skip(1), l => Assert.NotNull(l.Objective));
    }

    [Fact]
    public void TheSecondRequestComesFromTheCacheBitIdentically()
    {
        var cache = Directory.CreateTempSubdirectory("lineage-cache-");
        try
        {
            var specs = Lineage.HalvingSpecs("path:32", 2);
            var options = new ProlongationOptions { S = 0.5, RandomStarts = 1, MaxIterations = 300 };
            using var first = Lineage.Build(specs, MapSource.Optimized, options, cache.FullName);
            Assert.All(first.Levels.Skip(1), l => Assert.False(l.FromCache));
            using var second = Lineage.Build(specs, MapSource.Optimized, options, cache.FullName);
            Assert.All(second.Levels.Skip(1), l => Assert.True(l.FromCache));
            for (int k = 0; k < 2; k++) Assert.True(second.Maps[k].Matrix.eq(first.Maps[k].Matrix).all().item<bool>());
            // A different option is a different key.
            using var third = Lineage.Build(specs, MapSource.Optimized, options with { S = 0.25 }, cache.FullName);
            Assert.All(third.Levels.Skip(1), l => Assert.False(l.FromCache));
        }
        finally { cache.Delete(true); }
    }

    [Fact]
    public void RejectsALineageThatIsNotFineToCoarse()
    {
        var e = Assert.Throws<MultiscaleException>(() => Lineage.Build(new[] { "path:8", "path:16" }, MapSource.Aggregation, new ProlongationOptions(), null));
        Assert.Contains("not fine → coarse", e.Message);
    }
}
