using Multiscale.Graphs;

namespace Multiscale.Tests.Graphs;

public class GraphFactoryTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    public void PathHasNMinusOneEdges(int n)
    {
        var g = GraphFactory.Path(n);
        Assert.Equal(n, g.VertexCount);
        Assert.Equal(n - 1, g.EdgeCount);
        Assert.True(g.IsConnected);
        Assert.False(g.IsWeighted);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(64)]
    public void CycleHasNEdgesAndDegreeTwo(int n)
    {
        var g = GraphFactory.Cycle(n);
        Assert.Equal(n, g.EdgeCount);
        Assert.All(g.Degrees(), d => Assert.Equal(2.0, d));
    }

    [Fact]
    public void CyclesOfOneAndTwoAreTheSimpleGraphs()
    {
        Assert.Equal(0, GraphFactory.Cycle(1).EdgeCount);
        Assert.Equal(1, GraphFactory.Cycle(2).EdgeCount);
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(3, 7)]
    public void GridAndTorusEdgeCounts(int a, int b)
    {
        var grid = GraphFactory.Grid(new[] { a, b });
        Assert.Equal(a * b, grid.VertexCount);
        Assert.Equal(a * (b - 1) + b * (a - 1), grid.EdgeCount);
        var torus = GraphFactory.Grid(new[] { a, b }, periodic: true);
        Assert.Equal(2 * a * b, torus.EdgeCount);
    }

    [Fact]
    public void ThreeDimensionalGridCounts()
    {
        var g = GraphFactory.Grid(new[] { 2, 3, 4 });
        Assert.Equal(24, g.VertexCount);
        // edges along each axis: (a_i − 1) · (product of the other sides)
        Assert.Equal(1 * 12 + 2 * 8 + 3 * 6, g.EdgeCount);
    }

    [Fact]
    public void BoxAndCrossProductCounts()
    {
        var g1 = GraphFactory.Path(5);   // 5 vertices, 4 edges
        var g2 = GraphFactory.Cycle(6);  // 6 vertices, 6 edges
        var box = GraphFactory.BoxProduct(g1, g2);
        Assert.Equal(30, box.VertexCount);
        Assert.Equal(5 * 6 + 6 * 4, box.EdgeCount);
        var cross = GraphFactory.CrossProduct(g1, g2);
        Assert.Equal(30, cross.VertexCount);
        Assert.Equal(2 * 4 * 6, cross.EdgeCount);
    }

    [Fact]
    public void CrossProductOfTwoEdgesIsTwoDisjointEdges()
    {
        var cross = GraphFactory.CrossProduct(GraphFactory.Path(2), GraphFactory.Path(2));
        Assert.Equal(2, cross.EdgeCount);
        Assert.Equal(2, cross.ComponentCount);
        Assert.Contains(new WeightedEdge(0, 3, 1), cross.Edges);
        Assert.Contains(new WeightedEdge(1, 2, 1), cross.Edges);
    }

    [Fact]
    public void ProductWeightsFollowTheKroneckerForms()
    {
        var g1 = Graph.FromEdges("w1", 2, new[] { new WeightedEdge(0, 1, 2.0) });
        var g2 = Graph.FromEdges("w2", 2, new[] { new WeightedEdge(0, 1, 3.0) });
        var box = GraphFactory.BoxProduct(g1, g2);
        Assert.Contains(new WeightedEdge(0, 2, 2.0), box.Edges);
        Assert.Contains(new WeightedEdge(0, 1, 3.0), box.Edges);
        var cross = GraphFactory.CrossProduct(g1, g2);
        Assert.All(cross.Edges, e => Assert.Equal(6.0, e.Weight));
    }

    [Fact]
    public void EmptyGraphsAreRejected()
    {
        var e = Assert.Throws<MultiscaleException>(() => GraphFactory.Path(0));
        Assert.Contains("empty", e.Message);
        Assert.Throws<MultiscaleException>(() => Graph.FromEdges("x", 0, Array.Empty<WeightedEdge>()));
    }

    [Fact]
    public void EdgePolicy_SelfLoopsRejected_SameDuplicateMerged_ConflictingDuplicateRejected()
    {
        var loop = Assert.Throws<MultiscaleException>(() => Graph.FromEdges("x", 3, new[] { new WeightedEdge(1, 1, 1) }));
        Assert.Contains("self-loop", loop.Message);

        var merged = Graph.FromEdges("x", 3, new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(1, 0, 1), new WeightedEdge(1, 2, 1) });
        Assert.Equal(2, merged.EdgeCount);

        var conflict = Assert.Throws<MultiscaleException>(() =>
            Graph.FromEdges("x", 3, new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(1, 0, 2) }));
        Assert.Contains("repeated", conflict.Message);

        Assert.Throws<MultiscaleException>(() => Graph.FromEdges("x", 2, new[] { new WeightedEdge(0, 1, double.NaN) }));
        Assert.Throws<MultiscaleException>(() => Graph.FromEdges("x", 2, new[] { new WeightedEdge(0, 5, 1) }));
    }

    [Fact]
    public void QuikGraphStructureMirrorsTheEdges()
    {
        var g = GraphFactory.Grid(new[] { 3, 3 });
        Assert.Equal(9, g.Structure.VertexCount);
        Assert.Equal(12, g.Structure.EdgeCount);
        Assert.Equal(4, g.Structure.AdjacentDegree(4));
    }

    [Fact]
    public void RandomGeometricGraphJoinsExactlyThePointsWithinTheRadius()
    {
        int n = 500;
        var g = GraphSpec.Parse("rgg:500:9");
        Assert.Equal("rgg:500:9", g.Name);
        using var generator = new TorchSharp.torch.Generator(9);
        using var points = TorchSharp.torch.rand(new long[] { n, 2 }, generator: generator, dtype: TorchSharp.torch.ScalarType.Float64);
        var xy = points.data<double>().ToArray();
        double r = Math.Sqrt(2 * Math.Log(n) / (Math.PI * n));
        var expected = new List<WeightedEdge>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double ex = xy[2 * i] - xy[2 * j], ey = xy[2 * i + 1] - xy[2 * j + 1];
                if (ex * ex + ey * ey <= r * r) expected.Add(new WeightedEdge(i, j, 1));
            }
        Assert.Equal(expected, g.Edges);
        Assert.Equal(g.Edges, GraphSpec.Parse("rgg:500:9").Edges);
        Assert.NotEqual(g.Edges, GraphSpec.Parse("rgg:500:10").Edges);
        Assert.Equal(GraphSpec.Parse("rgg:500:0").Edges, GraphSpec.Parse("rgg:500").Edges);
    }
}
