using Xunit;

namespace Multiscale.Tests;

public class GridShapeTests
{
    [Fact]
    public void ParsesAndIndexesRowMajor()
    {
        var g = GridShape.Parse("40x50");
        Assert.Equal(2000, g.Cells);
        Assert.Equal(1 * 50 + 3, g.Index(1, 3));
        Assert.Equal("40x50", g.ToString());
    }

    [Theory]
    [InlineData("40")]
    [InlineData("0x5")]
    [InlineData("ax5")]
    public void RejectsMalformedShapes(string text) => Assert.Throws<MultiscaleException>(() => GridShape.Parse(text, dimensions: 2));

    [Theory]
    [InlineData("40", new[] { 40 })]
    [InlineData("8x9", new[] { 8, 9 })]
    [InlineData("2x3x4", new[] { 2, 3, 4 })]
    public void ParsesAnyDimensionWhenNoneIsRequired(string text, int[] sides)
    {
        var g = GridShape.Parse(text);
        Assert.Equal(sides, g.Sides);
        Assert.Equal(sides.Aggregate(1, (a, b) => a * b), g.Cells);
        Assert.Equal(g, GridShape.Parse(g.ToString()));
        Assert.Equal(new GridShape(sides), g);
        Assert.Equal(new GridShape(sides).GetHashCode(), g.GetHashCode());
    }

    [Theory]
    [InlineData("")]
    [InlineData("8x")]
    [InlineData("-8x9")]
    [InlineData("8x9x0")]
    [InlineData("70000x70000")]
    public void RejectsBadSidesInAnyDimension(string text) => Assert.Throws<MultiscaleException>(() => GridShape.Parse(text));

    [Theory]
    [InlineData("path:16", "path", new[] { 16 })]
    [InlineData("cycle:6", "cycle", new[] { 6 })]
    [InlineData("grid:8x9", "grid", new[] { 8, 9 })]
    [InlineData(" torus:4x2x2 ", "torus", new[] { 4, 2, 2 })]
    public void ReadsTheGridFamiliesOfGraphSpecs(string spec, string family, int[] sides)
    {
        Assert.True(GridShape.TryParseGraphSpec(spec, out var f, out var g));
        Assert.Equal(family, f);
        Assert.Equal(sides, g.Sides);
    }

    [Theory]
    [InlineData("rgg:16")]
    [InlineData("grid:8X9")]
    [InlineData("grid: 8x9")]
    [InlineData("box(path:4,path:4)")]
    [InlineData("grid")]
    [InlineData("grid:0x4")]
    public void RefusesOtherSpecs(string spec) => Assert.False(GridShape.TryParseGraphSpec(spec, out _, out _));

    [Theory]
    [InlineData(1024, 32, 32)]
    [InlineData(784, 28, 28)]
    [InlineData(512, 16, 32)]
    [InlineData(13, 1, 13)]
    [InlineData(12, 3, 4)]
    public void NearSquareIsTheFactorizationClosestToSquare(int n, int rows, int cols)
    {
        var g = GridShape.NearSquare(n);
        Assert.Equal((rows, cols), (g.Rows, g.Cols));
        // Brute force: no factorization r × c with r ≤ c has c − r smaller.
        for (int r = 1; r * r <= n; r++)
            if (n % r == 0) Assert.True(n / r - r >= cols - rows);
    }

    [Fact]
    public void RowsAndColsBelongToTwoDimensionalGrids()
    {
        Assert.Throws<InvalidOperationException>(() => new GridShape(2, 3, 4).Rows);
        Assert.Equal(new GridShape(2, 5, 4), new GridShape(2, 3, 4).WithSide(1, 5));
    }
}
