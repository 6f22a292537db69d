using Multiscale.Graphs;

namespace Multiscale.Tests.Graphs;

public class EdgeListReaderTests
{
    private static Graph Parse(string text) => EdgeListReader.Parse(text.Split('\n'), "edges.txt", "test");

    [Fact]
    public void IntegerIdsAreUsedAsGivenWithCommentsAndWeights()
    {
        var g = Parse("# a weighted square\n0 1 2.5\n1 2   # trailing comment\n\n2\t3 1\n3 0 1e0\n");
        Assert.Equal(4, g.VertexCount);
        Assert.Equal(4, g.EdgeCount);
        Assert.True(g.IsWeighted);
        Assert.Contains(new WeightedEdge(0, 1, 2.5), g.Edges);
        Assert.Null(g.Labels);
    }

    [Fact]
    public void LabelsAreNumberedInOrderOfAppearance()
    {
        var g = Parse("paris lyon\nlyon nice 3\nnice paris\n");
        Assert.Equal(new[] { "paris", "lyon", "nice" }, g.Labels);
        Assert.Contains(new WeightedEdge(1, 2, 3), g.Edges);
    }

    [Fact]
    public void BothDirectionsOfAnEdgeAreMerged()
    {
        var g = Parse("0 1\n1 0\n");
        Assert.Equal(1, g.EdgeCount);
    }

    [Theory]
    [InlineData("0 1\n1 2 3 4\n", "edges.txt:2:", "found 4 field(s)")]
    [InlineData("0 1\n\n# c\n5\n", "edges.txt:4:", "found 1 field(s)")]
    [InlineData("0 1 heavy\n", "edges.txt:1:", "weight 'heavy' is not a number")]
    [InlineData("0 1\n1 1\n", "edges.txt:2:", "self-loop")]
    [InlineData("0 1 1\n1 0 2\n", "edges.txt:2:", "first given with weight 1 at edges.txt:1")]
    [InlineData("0 1 0\n", "edges.txt:1:", "non-zero")]
    [InlineData("# nothing\n\n", "edges.txt:", "contains no edges")]
    public void MalformedInputNamesFileAndLine(string text, string where, string what)
    {
        var e = Assert.Throws<MultiscaleException>(() => Parse(text));
        Assert.StartsWith(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        var e = Assert.Throws<MultiscaleException>(() => EdgeListReader.Read("/definitely/not/here.txt"));
        Assert.Contains("does not exist", e.Message);
    }
}
