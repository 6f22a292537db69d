using Multiscale.Graphs;
using Multiscale.Prolongation;

namespace Multiscale.Tests.Graphs;

public class SizeLimitsTests
{
    [Fact]
    public void LargestFittingIsTheExactBoundary()
    {
        Assert.Equal(1000, SizeLimits.LargestFitting(n => SizeLimits.DenseBytes(n), 8_000_000));
        Assert.Equal(999, SizeLimits.LargestFitting(n => SizeLimits.DenseBytes(n), 7_999_999));
        Assert.Equal(0, SizeLimits.LargestFitting(n => 10 * n + 5, 4));
        Assert.Equal(int.MaxValue, SizeLimits.LargestFitting(n => n, long.MaxValue));
    }

    [Theory]
    [InlineData("8G", 8L << 30)]
    [InlineData("512m", 512L << 20)]
    [InlineData("1000", 1000L)]
    [InlineData("1.5K", 1536L)]
    public void ParsesByteCounts(string text, long bytes) => Assert.Equal(bytes, SizeLimits.ParseBytes(text));

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("-1G")]
    public void RejectsWhatIsNotAByteCount(string text) => Assert.Null(SizeLimits.ParseBytes(text));

    [Fact]
    public void AGraphTooLargeForMemoryIsAnErrorNamingTheBytesAndTheLargestSize()
    {
        using var limit = SizeLimits.WithAvailableBytes(100L << 20);
        var e = Assert.Throws<MultiscaleException>(() => GraphFactory.Path(1_000_000));
        Assert.Contains("needs about 381.5 MiB of memory but 100 MiB is available", e.Message);
        long largest = long.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"about (\d+) vertices").Groups[1].Value);
        Assert.Equal(GraphFactory.Path((int)largest).VertexCount, largest);
        Assert.Throws<MultiscaleException>(() => GraphFactory.Path((int)(largest * 1.01)));
        Assert.Throws<MultiscaleException>(() => GraphSpec.Parse("grid:1000x1000"));
    }

    [Fact]
    public void EdgeListsAndRandomGraphsCheckTheirSizeBeforeBuilding()
    {
        var lines = Enumerable.Range(0, 99).Select(i => $"{i} {i + 1}").ToArray();
        using var limit = SizeLimits.WithAvailableBytes(SizeLimits.GraphBytes(100, 99) - 1);
        Assert.Contains("needs about", Assert.Throws<MultiscaleException>(() => EdgeListReader.Parse(lines, "mesh.txt", "file:mesh.txt")).Message);
        Assert.Contains("rgg:100000:3", Assert.Throws<MultiscaleException>(() => GraphSpec.Parse("rgg:100000:3")).Message);
        using (SizeLimits.WithAvailableBytes(SizeLimits.GraphBytes(100, 99)))
            Assert.Equal(100, EdgeListReader.Parse(lines, "mesh.txt", "file:mesh.txt").VertexCount);
    }

    [Fact]
    public void SizesThatOverflowAnIntAreErrorsNotCrashes()
    {
        using var limit = SizeLimits.WithAvailableBytes(long.MaxValue);
        Assert.Contains("10000000000 vertices, more than the 2147483647", Assert.Throws<MultiscaleException>(() => GraphSpec.Parse("grid:100000x100000")).Message);
        Assert.Contains("edges, more than", Assert.Throws<MultiscaleException>(() => GraphSpec.Parse("grid:40000x40000")).Message);
        Assert.Contains("more than the 2147483647", Assert.Throws<MultiscaleException>(() => GraphSpec.Parse("box(path:50000,cycle:50000)")).Message);
        Assert.Contains("too large (at most 2147483647", Assert.Throws<MultiscaleException>(() => GraphSpec.Parse("path:99999999999")).Message);
    }

    [Fact]
    public void DenseOperatorsCheckTheirMemoryFirst()
    {
        var g = GraphFactory.Path(1000);
        using var limit = SizeLimits.WithAvailableBytes(10_000_000);
        // The distance matrix needs its array and its tensor: 2 · 8 · 1000² = 16 MB; 8 · 2n² ≤ 10 MB up to n = 790.
        var e = Assert.Throws<MultiscaleException>(() => GraphOperators.HopDistances(g));
        Assert.Contains("the largest n that fits is 790", e.Message);
        Assert.Throws<MultiscaleException>(() => GraphOperators.Spectrum(g));
        Assert.Throws<MultiscaleException>(() => GraphOperators.Laplacian(g));
        using var t = GraphOperators.HopDistances(GraphFactory.Path(790));
        Assert.Equal(790, t.shape[0]);
    }

    [Fact]
    public void ASolveThatCannotFitFailsBeforeItStarts()
    {
        var (coarse, fine) = (GraphFactory.Path(500), GraphFactory.Path(1000));
        long need = ProlongationSizes.Bytes(500, 1000, spectralFrame: true);
        Assert.Equal((long)(8.0 * (ProlongationSizes.FrameMatrices * (500.0 * 500 + 1000.0 * 1000) + (ProlongationSizes.MapMatrices + ProlongationSizes.ProbeMatrices) * 500 * 1000)), need);
        using var limit = SizeLimits.WithAvailableBytes(need - 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<MultiscaleException>(() => ProlongationSolver.Solve(coarse, fine, new ProlongationOptions { S = 0.5 }));
        Assert.Contains("the map path:500 (500) → path:1000 (1000) needs about", e.Message);
        Assert.Contains("the largest fine graph (at n₁/n₂ = 0.5) that fits is 999", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Throws<MultiscaleException>(() => Lineage.Build(new[] { "path:1000", "path:500" }, MapSource.Optimized, new ProlongationOptions(), null));
    }
}
