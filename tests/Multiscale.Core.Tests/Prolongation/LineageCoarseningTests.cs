using Multiscale.Graphs;
using Multiscale.Graphs.Coarsening;
using Multiscale.Prolongation;
using Multiscale.Tests.Graphs.Coarsening;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class LineageCoarseningTests
{
    [Theory]
    [InlineData(CoarseningMethod.HeavyEdge)]
    [InlineData(CoarseningMethod.Aggregation)]
    public void CoarsenedLineageHasConnectedLevelsOrthonormalMapsAndBeatsItsAggregates(CoarseningMethod method)
    {
        // s = 1 with α, β fixed is certified globally optimal in the spectral frame, so the optimized map can be no
        // worse than the aggregation map of the same coarsening.
        var options = new ProlongationOptions { S = 1, Alpha = ScaleParameter.Fixed(1), RandomStarts = 0, Seed = 4 };
        using var lineage = Lineage.Coarsen(GraphCoarseningTests.Mesh(), method, 3, MapSource.Optimized, options, cacheDirectory: null);
        Assert.Equal(3, lineage.Depth);
        Assert.All(lineage.Graphs, g => Assert.True(g.IsConnected, g.Name));
        for (int k = 0; k < 3; k++)
        {
            var p = lineage.Maps[k];
            Assert.Equal(lineage.Graphs[k].VertexCount, p.FineSize);
            Assert.Equal(lineage.Graphs[k + 1].VertexCount, p.CoarseSize);
            Assert.True(p.OrthogonalityError <= 1e-12, $"level {k + 1}: ‖PᵀP − I‖ = {p.OrthogonalityError}");
            Assert.True(lineage.ToFinest(k + 1).OrthogonalityError <= 1e-12);
            var level = lineage.Levels[k + 1];
            Assert.Equal(lineage.Graphs[k + 1].EdgeCount, level.Edges);
            Assert.NotNull(level.CoarseningSeconds);
            var aggregates = Assert.NotNull(level.AggregationTerms);
            Assert.True(level.Objective <= aggregates.Objective * (1 + 1e-9), $"level {k + 1}: {level.Objective} > {aggregates.Objective}");
            Assert.True(aggregates.Diffusion >= 0 && aggregates.Locality > 0);
        }
    }

    [Fact]
    public void AggregationSourceUsesTheCoarseningsOwnMap()
    {
        var options = new ProlongationOptions { S = 0.5, Alpha = ScaleParameter.Fixed(1), Seed = 2 };
        var mesh = GraphCoarseningTests.Mesh();
        using var lineage = Lineage.Coarsen(mesh, CoarseningMethod.HeavyEdge, 2, MapSource.Aggregation, options, cacheDirectory: null);
        var first = HeavyEdgeMatching.Coarsen(mesh, seed: 2);
        using var expected = ClosedFormMaps.FromCoarsening(first);
        Assert.True(lineage.Maps[0].Matrix.eq(expected.Matrix).all().item<bool>());
        Assert.True(lineage.Maps[0].OrthogonalityError <= 1e-12);
        var level = lineage.Levels[1];
        Assert.Equal(level.Objective, level.AggregationTerms!.Value.Objective);
        Assert.Contains("aggregates(heavy-edge)", level.Method);
    }

    [Fact]
    public void CoarsenRefusesMapSourcesThatNeedSpecs()
    {
        var e = Assert.Throws<MultiscaleException>(() => Lineage.Coarsen(GraphFactory.Path(16), CoarseningMethod.HeavyEdge, 2, MapSource.Kronecker, new ProlongationOptions(), null));
        Assert.Contains("optimized or aggregation", e.Message);
    }
}
