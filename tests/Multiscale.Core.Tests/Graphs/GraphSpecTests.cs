using Multiscale.Graphs;

namespace Multiscale.Tests.Graphs;

public class GraphSpecTests
{
    [Theory]
    [InlineData("path:32", 32, 31)]
    [InlineData("cycle:64", 64, 64)]
    [InlineData("grid:16x16", 256, 480)]
    [InlineData("torus:16x16", 256, 512)]
    [InlineData("grid:2x3x4", 24, 46)]
    [InlineData("box(path:3,cycle:4)", 12, 3 * 4 + 4 * 2)]
    [InlineData("cross(path:3, cycle:4)", 12, 2 * 2 * 4)]
    [InlineData(" box( path:2 , path:2 , path:2 ) ", 8, 12)]
    [InlineData("box(cross(path:2,path:2),path:3)", 12, 2 * 3 + 4 * 2)]
    public void ParsesFamiliesAndProducts(string spec, int vertices, int edges)
    {
        var g = GraphSpec.Parse(spec);
        Assert.Equal(vertices, g.VertexCount);
        Assert.Equal(edges, g.EdgeCount);
    }

    [Fact]
    public void GridSpecEqualsBoxProductOfPaths()
    {
        var grid = GraphSpec.Parse("grid:3x5");
        var box = GraphSpec.Parse("box(path:3,path:5)");
        Assert.Equal(box.Edges, grid.Edges);
        Assert.Equal("grid:3x5", grid.Name);
    }

    [Theory]
    [InlineData("", "empty graph spec")]
    [InlineData("path:0", "positive integer")]
    [InlineData("path:x", "positive integer")]
    [InlineData("grid:4x", "positive integer")]
    [InlineData("star:5", "unknown graph family 'star'")]
    [InlineData("box(path:3", "missing ')'")]
    [InlineData("box(path:3)", "at least two graphs")]
    [InlineData("path:3 junk", "unexpected")]
    [InlineData("nonsense", "is not a graph")]
    public void BadSpecsGiveOneClearError(string spec, string fragment)
    {
        var e = Assert.Throws<MultiscaleException>(() => GraphSpec.Parse(spec));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void FileSpecsResolveAgainstTheBaseDirectoryAndWorkInsideProducts()
    {
        var dir = Directory.CreateTempSubdirectory("multiscale-spec-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "tri.txt"), "0 1\n1 2\n2 0\n");
            var g = GraphSpec.Parse("box(file:tri.txt,path:2)", dir.FullName);
            Assert.Equal(6, g.VertexCount);
            Assert.Equal(3 * 1 + 2 * 3, g.EdgeCount);
            var missing = Assert.Throws<MultiscaleException>(() => GraphSpec.Parse("file:nope.txt", dir.FullName));
            Assert.Contains("does not exist", missing.Message);
        }
        finally { dir.Delete(true); }
    }
}
