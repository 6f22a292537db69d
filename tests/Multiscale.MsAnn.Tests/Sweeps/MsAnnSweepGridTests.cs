using System.Text.Json.Nodes;
using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;

namespace Multiscale.MsAnn.Tests.Sweeps;

/// <summary>The paper's grid as a collapsed settings grid: default training once, the canonical order, the run names.</summary>
public class MsAnnSweepGridTests
{
    private static readonly MsAnnMethod Method = new();

    private static JsonObject Shared() => Method.Describe(Method.ReadSettings(new JsonObject
    {
        ["layers"] = "64,16,64", ["levels"] = 2, ["coarse_model"] = "tau", ["tau_batches"] = 2, ["budget"] = 1000, ["batch"] = 16,
    }));

    [Fact]
    public void DefaultTrainingIsOneRunFirstAndTheRestAscendingWithKFastest()
    {
        // Values given out of order: the grid is the same as for sorted ones.
        var grid = MsAnnSweep.Grid(Shared(), new[] { 2, 1 }, new[] { 2, 0, 1 }, new[] { 4, 1 });
        Assert.Equal(new[]
        {
            "default", "g1-L1-k001", "g1-L1-k004", "g1-L2-k001", "g1-L2-k004", "g2-L1-k001", "g2-L1-k004", "g2-L2-k001", "g2-L2-k004",
        }, grid.Points.Select(p => p.Id));
        Assert.Equal(grid.Points.Select(p => p.Id), MsAnnSweep.Grid(Shared(), new[] { 1, 2 }, new[] { 0, 1, 2 }, new[] { 1, 4 }).Points.Select(p => p.Id));
        Assert.Equal(Enumerable.Range(0, 9), grid.Points.Select(p => p.Index));
        Assert.Equal(8, MsAnnSweep.Grid(Shared(), new[] { 1, 2 }, new[] { 1, 2 }, new[] { 1, 4 }).Points.Count);   // no L = 0: no default run
    }

    [Fact]
    public void EachPointReadsAsTheRunItNamesAndTheDefaultRunHasNoCoarseLevels()
    {
        var shared = Shared();
        var grid = MsAnnSweep.Grid(shared, new[] { 1, 3 }, new[] { 0, 2 }, new[] { 1, 8 });
        foreach (var p in grid.Points)
        {
            var s = Method.ReadSettings(p.Apply(shared));
            Assert.Equal(p.Id, MsAnnSweep.RunId(Method.Describe(s)));
            if (p.Id == "default")
            {
                Assert.Equal(new CycleSchedule(0, 1, 1), s.Schedule);
                Assert.Null(s.Training.TauCorrection);
            }
            else
            {
                Assert.NotNull(s.Training.TauCorrection);
                Assert.Equal(2, s.Training.TauCorrection!.Batches);
            }
        }
        // Canonical settings are a fixed point: the rule applied twice changes nothing.
        foreach (var p in grid.Points)
            Assert.True(JsonNode.DeepEquals(MsAnnSweep.Canonical(p.Apply(shared)), p.Apply(shared)), p.Id);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(145)]
    [InlineData(200)]
    public void ShardsCoverTheCollapsedPaperGridExactlyOnce(int n)
    {
        var grid = MsAnnSweep.Grid(new JsonObject(), new[] { 3, 1, 2 }, Enumerable.Range(0, 7).ToArray(), new[] { 1, 2, 4, 8, 16, 32, 64, 128 });
        Assert.Equal(1 + 3 * 6 * 8, grid.Points.Count);
        var all = Enumerable.Range(1, n).SelectMany(i => grid.Shard(i, n)).Select(p => p.Id).ToList();
        Assert.Equal(grid.Points.Count, all.Count);
        Assert.Equal(grid.Points.Select(p => p.Id).Order(), all.Order());
        Assert.Single(all, id => id == "default");
    }

    [Fact]
    public void AValueGivenTwiceIsAnErrorNamingTheField()
    {
        var e = Assert.Throws<SettingsException>(() => MsAnnSweep.Grid(new JsonObject(), new[] { 1 }, new[] { 0, 1 }, new[] { 2, 2 }));
        Assert.Equal("k", e.Field);
    }
}
