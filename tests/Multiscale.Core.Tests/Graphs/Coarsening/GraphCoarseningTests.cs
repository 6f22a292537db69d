using Multiscale.Graphs;
using Multiscale.Graphs.Coarsening;
using static TorchSharp.torch;

namespace Multiscale.Tests.Graphs.Coarsening;

public class GraphCoarseningTests
{
    /// <summary>A connected random geometric graph (seed checked: rgg:300:2 has one component).</summary>
    internal static Graph Mesh() => GraphSpec.Parse("rgg:300:2");

    [Theory]
    [InlineData(CoarseningMethod.HeavyEdge)]
    [InlineData(CoarseningMethod.Aggregation)]
    public void CoarseLaplacianIsTheGalerkinProductOfTheAggregateIndicator(CoarseningMethod method)
    {
        var fine = Mesh();
        Assert.True(fine.IsConnected);
        var step = GraphCoarsener.Coarsen(fine, method, seed: 5);
        int n = fine.VertexCount, m = step.Coarse.VertexCount;
        Assert.True(m < n);
        Assert.Equal(n, step.AggregateSizes.Sum());
        Assert.All(Enumerable.Range(0, m), j => Assert.Equal(step.AggregateOf.Count(a => a == j), step.AggregateSizes[j]));
        // Aggregates are numbered in the order of their smallest fine vertex.
        var firsts = Enumerable.Range(0, m).Select(j => step.AggregateOf.ToList().IndexOf(j)).ToArray();
        Assert.Equal(firsts.OrderBy(x => x), firsts);

        var r = zeros(n, m, dtype: ScalarType.Float64);
        for (int i = 0; i < n; i++) r[i, step.AggregateOf[i]] = tensor(1.0);
        using var l2 = GraphOperators.Laplacian(fine);
        using var l1 = GraphOperators.Laplacian(step.Coarse);
        Assert.True(r.T.matmul(l2).matmul(r).allclose(l1, rtol: 0, atol: 1e-12));
        Assert.True(step.Coarse.IsConnected);
    }

    [Fact]
    public void HeavyEdgeMatchingPairsNeighboursAndLeavesNoTwoAdjacentSingletons()
    {
        var fine = Mesh();
        var step = HeavyEdgeMatching.Coarsen(fine, seed: 3);
        var edges = fine.Edges.Select(e => (e.Source, e.Target)).ToHashSet();
        for (int j = 0; j < step.Coarse.VertexCount; j++)
        {
            var members = Enumerable.Range(0, fine.VertexCount).Where(i => step.AggregateOf[i] == j).ToArray();
            Assert.InRange(members.Length, 1, 2);
            if (members.Length == 2) Assert.Contains((members[0], members[1]), edges);
        }
        // Maximal matching: an edge between two unmatched vertices would have been taken.
        foreach (var e in fine.Edges)
            Assert.False(step.AggregateSizes[step.AggregateOf[e.Source]] == 1 && step.AggregateSizes[step.AggregateOf[e.Target]] == 1, $"{e} joins two singletons");
    }

    [Fact]
    public void HeavyEdgeMatchingTakesTheHeavyEdgesWhateverTheOrder()
    {
        // 0 =10= 1 -1- 2 =10= 3: every visiting order matches the two heavy edges.
        var g = Graph.FromEdges("heavy", 4, new[] { new WeightedEdge(0, 1, 10), new WeightedEdge(1, 2, 1), new WeightedEdge(2, 3, 10) });
        for (long seed = 0; seed < 12; seed++)
        {
            var step = HeavyEdgeMatching.Coarsen(g, seed);
            Assert.Equal(new[] { 0, 0, 1, 1 }, step.AggregateOf);
            Assert.Equal(new WeightedEdge(0, 1, 1), Assert.Single(step.Coarse.Edges));
        }
    }

    [Fact]
    public void HeavyEdgeMatchingRepeatsForASeedAndDiffersForAnother()
    {
        var fine = Mesh();
        Assert.Equal(HeavyEdgeMatching.Coarsen(fine, 7).AggregateOf, HeavyEdgeMatching.Coarsen(fine, 7).AggregateOf);
        Assert.NotEqual(HeavyEdgeMatching.Coarsen(fine, 7).AggregateOf, HeavyEdgeMatching.Coarsen(fine, 8).AggregateOf);
    }

    [Fact]
    public void StandardAggregationOfAPathFollowsTheThreePasses()
    {
        // Pass 1: roots 0 ({0,1}), 3 ({2,3,4}), 6 ({5,6,7}); pass 2: 8 joins its neighbour's aggregate.
        var step = StandardAggregation.Coarsen(GraphFactory.Path(9));
        Assert.Equal(new[] { 0, 0, 1, 1, 1, 2, 2, 2, 2 }, step.AggregateOf);
        Assert.Equal(new[] { 2, 3, 4 }, step.AggregateSizes);
        Assert.Equal(new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(1, 2, 1) }, step.Coarse.Edges);
    }

    [Fact]
    public void StrengthThresholdDropsWeakEdgesFromAggregates()
    {
        // 0 =10= 1 -0.1- 2 with θ = 0.25: the edge to 2 is weak (0.1 < 0.25·√(10.1·0.1)), so 2 stays alone (PyAMG would
        // leave it out of every aggregate); with θ = 0 it joins its neighbour's aggregate in the second pass.
        var g = Graph.FromEdges("weak", 3, new[] { new WeightedEdge(0, 1, 10), new WeightedEdge(1, 2, 0.1) });
        Assert.Equal(new[] { 0, 0, 1 }, StandardAggregation.Coarsen(g, theta: 0.25).AggregateOf);
        Assert.Equal(new[] { 0, 0, 0 }, StandardAggregation.Coarsen(g, theta: 0).AggregateOf);
        Assert.Throws<MultiscaleException>(() => StandardAggregation.Coarsen(g, theta: 1.5));
    }

    [Fact]
    public void HierarchyRefusesDisconnectedGraphsNonPositiveWeightsAndTooManyLevels()
    {
        var two = Graph.FromEdges("two", 4, new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(2, 3, 1) });
        Assert.Contains("disconnected (2 connected components)", Assert.Throws<MultiscaleException>(() => GraphCoarsener.Hierarchy(two, CoarseningMethod.HeavyEdge, 1)).Message);
        var negative = Graph.FromEdges("neg", 3, new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(1, 2, -1) });
        Assert.Contains("positive edge weights", Assert.Throws<MultiscaleException>(() => GraphCoarsener.Hierarchy(negative, CoarseningMethod.Aggregation, 1)).Message);
        // path:4 → 2 → 1: a third level is impossible.
        Assert.Equal(2, GraphCoarsener.Hierarchy(GraphFactory.Path(4), CoarseningMethod.HeavyEdge, 2).Count);
        var deep = Assert.Throws<MultiscaleException>(() => GraphCoarsener.Hierarchy(GraphFactory.Path(4), CoarseningMethod.HeavyEdge, 3));
        Assert.Contains("only 2 times", deep.Message);
        Assert.Throws<MultiscaleException>(() => GraphCoarsener.Hierarchy(GraphFactory.Path(4), CoarseningMethod.HeavyEdge, 0));
    }

    [Theory]
    [InlineData(CoarseningMethod.HeavyEdge)]
    [InlineData(CoarseningMethod.Aggregation)]
    public void EveryLevelOfAHierarchyIsConnectedAndSmaller(CoarseningMethod method)
    {
        var steps = GraphCoarsener.Hierarchy(Mesh(), method, 3, seed: 1);
        Assert.Equal(3, steps.Count);
        for (int k = 0; k < 3; k++)
        {
            Assert.True(steps[k].Coarse.IsConnected);
            Assert.True(steps[k].Coarse.VertexCount < steps[k].Fine.VertexCount);
            if (k > 0) Assert.Same(steps[k - 1].Coarse, steps[k].Fine);
        }
    }
}
