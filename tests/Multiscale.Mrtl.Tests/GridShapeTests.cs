using Multiscale.Mrtl.Data;
using Xunit;

namespace Multiscale.Mrtl.Tests;

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
    public void RejectsMalformedShapes(string text) => Assert.Throws<MultiscaleException>(() => GridShape.Parse(text));
}
