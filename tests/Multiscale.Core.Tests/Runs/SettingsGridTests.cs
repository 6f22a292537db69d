using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Tests.Runs;

public class SettingsGridTests
{
    private static SettingsGrid Grid(params string[] axes) => new(axes.Select(SettingsGrid.ParseAxis).ToList());

    [Fact]
    public void ThePointsAreTheCartesianProductLastAxisFastestEachNamedByItsValues()
    {
        var grid = Grid("seed=0,1,2", "l2=1e-3,1e-2", "criterion=val-loss");
        Assert.Equal(6, grid.Points.Count);
        Assert.Equal(Enumerable.Range(0, 6), grid.Points.Select(p => p.Index));
        Assert.Equal("seed=0_l2=0.001_criterion=val-loss", grid.Points[0].Id);
        Assert.Equal("seed=0_l2=0.01_criterion=val-loss", grid.Points[1].Id);
        Assert.Equal("seed=2_l2=0.01_criterion=val-loss", grid.Points[5].Id);
        Assert.Equal(6, grid.Points.Select(p => p.Id).Distinct().Count());
        // Values are JSON where they parse (numbers), strings otherwise.
        Assert.Equal(2, grid.Points[4].Assignment["seed"]!.GetValue<int>());
        Assert.Equal("val-loss", grid.Points[4].Assignment["criterion"]!.GetValue<string>());
    }

    [Fact]
    public void AValueHoldingCommasIsGivenAsAJsonArray()
    {
        var axis = SettingsGrid.ParseAxis("layers=[\"64,16,64\",\"128,32,128\"]");
        Assert.Equal("layers", axis.Field);
        Assert.Equal(new[] { "64,16,64", "128,32,128" }, axis.Values.Select(v => v!.GetValue<string>()));
        Assert.Equal("layers=64-16-64", new SettingsGrid(new[] { axis }).Points[0].Id);
    }

    [Fact]
    public void APointSetsItsFieldsOnTopOfTheSharedSettingsAndLeavesThemUnchanged()
    {
        var shared = new JsonObject { ["seed"] = 9, ["rank"] = 4 };
        var point = Grid("seed=1,2").Points[1];
        var applied = point.Apply(shared);
        Assert.Equal(2, applied["seed"]!.GetValue<int>());
        Assert.Equal(4, applied["rank"]!.GetValue<int>());
        Assert.Equal(9, shared["seed"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void ShardsPartitionTheGrid(int count)
    {
        var grid = Grid("a=1,2,3", "b=x,y");
        var all = Enumerable.Range(1, count).SelectMany(i => grid.Shard(i, count)).Select(p => p.Index).Order().ToList();
        Assert.Equal(Enumerable.Range(0, grid.Points.Count), all);
    }

    [Fact]
    public void TheGridRoundTripsThroughJson()
    {
        var grid = Grid("seed=0,1", "model=low-rank,low-rank+sparse", "lr=[0.001, 0.01]");
        var back = SettingsGrid.FromJson(JsonNode.Parse(grid.ToJson().ToJsonString()));
        Assert.Equal(grid.Points.Select(p => p.Id), back.Points.Select(p => p.Id));
        Assert.Equal(grid.ToJson().ToJsonString(), back.ToJson().ToJsonString());
    }

    [Theory]
    [InlineData("seed")]
    [InlineData("=1,2")]
    [InlineData("seed=")]
    [InlineData("seed=1,,2")]
    [InlineData("seed=[1,")]
    [InlineData("seed=1,1")]
    public void ABadAxisIsAnError(string text) =>
        Assert.ThrowsAny<MultiscaleException>(() => new SettingsGrid(new[] { SettingsGrid.ParseAxis(text) }));

    [Fact]
    public void AFieldTwiceIsAnError() => Assert.Throws<MultiscaleException>(() => Grid("seed=1", "seed=2"));

    /// <summary>A made-up rule: with <c>mode=off</c> the level does nothing, so every level is level 0; the rest stays.</summary>
    private static JsonObject OffIgnoresLevel(JsonObject settings)
    {
        var s = (JsonObject)settings.DeepClone();
        if (s["mode"]?.GetValue<string>() == "off")
        {
            s["level"] = 0;
            s["extra"] = "none";
        }
        return s;
    }

    [Fact]
    public void PointsThatAreTheSameRunCollapseToTheFirstInGridOrderRenumbered()
    {
        var shared = new JsonObject { ["seed"] = 3, ["extra"] = "some" };
        var axes = new[] { SettingsGrid.ParseAxis("seed=0,1"), SettingsGrid.ParseAxis("mode=off,on"), SettingsGrid.ParseAxis("level=1,2,3") };
        var full = new SettingsGrid(axes);
        var grid = new SettingsGrid(axes, shared, OffIgnoresLevel);
        // 2 seeds × (off once + on × 3 levels): the three "off" points of each seed are one run.
        Assert.Equal(12, full.Points.Count);
        Assert.Equal(8, grid.Points.Count);
        Assert.True(grid.Collapsed);
        Assert.False(full.Collapsed);
        Assert.Equal(Enumerable.Range(0, 8), grid.Points.Select(p => p.Index));
        Assert.Equal(new[]
        {
            "seed=0_mode=off_level=0", "seed=0_mode=on_level=1", "seed=0_mode=on_level=2", "seed=0_mode=on_level=3",
            "seed=1_mode=off_level=0", "seed=1_mode=on_level=1", "seed=1_mode=on_level=2", "seed=1_mode=on_level=3",
        }, grid.Points.Select(p => p.Id));
        // Applying a point to the shared settings gives its canonical settings, the field the rule changed included.
        foreach (var p in grid.Points)
        {
            var settings = p.Apply(shared);
            Assert.True(JsonNode.DeepEquals(OffIgnoresLevel(settings), settings), p.Id);
        }
        Assert.Equal("none", grid.Points[0].Apply(shared)["extra"]!.GetValue<string>());
        Assert.Equal("some", grid.Points[1].Apply(shared)["extra"]!.GetValue<string>());
        // Every distinct canonical run of the full product is one point, none twice.
        var canonical = full.Points.Select(p => SettingsGrid.SortedJson(OffIgnoresLevel(p.Apply(shared)))).Distinct().ToList();
        Assert.Equal(canonical, grid.Points.Select(p => SettingsGrid.SortedJson(p.Apply(shared))).ToList());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(20)]
    public void ShardsOfACollapsedGridCoverItOnceBalancedAndTheSameEveryTime(int count)
    {
        var axes = new[] { SettingsGrid.ParseAxis("mode=off,on"), SettingsGrid.ParseAxis("level=1,2,3,4,5,6") };
        var grid = new SettingsGrid(axes, new JsonObject(), OffIgnoresLevel);
        var again = new SettingsGrid(axes, new JsonObject(), OffIgnoresLevel);
        var shards = Enumerable.Range(1, count).Select(i => grid.Shard(i, count)).ToList();
        Assert.Equal(grid.Points.Select(p => p.Id).Order(), shards.SelectMany(s => s).Select(p => p.Id).Order());
        Assert.Equal(grid.Points.Count, shards.Sum(s => s.Count));
        Assert.True(shards.Max(s => s.Count) - shards.Min(s => s.Count) <= 1);
        for (int i = 1; i <= count; i++) Assert.Equal(grid.Shard(i, count).Select(p => p.Id), again.Shard(i, count).Select(p => p.Id));
    }

    [Fact]
    public void ACollapsedGridRoundTripsThroughJsonWithItsNamesAndPoints()
    {
        var axes = new[] { SettingsGrid.ParseAxis("mode=off,on"), SettingsGrid.ParseAxis("level=1,2") };
        var grid = new SettingsGrid(axes, new JsonObject(), OffIgnoresLevel, s => $"{s["mode"]}-{s["level"]}");
        Assert.Equal(new[] { "off-0", "on-1", "on-2" }, grid.Points.Select(p => p.Id));
        var back = SettingsGrid.FromJson(JsonNode.Parse(grid.ToJson().ToJsonString()));
        Assert.True(back.Collapsed);
        Assert.Equal(grid.Points.Select(p => p.Id), back.Points.Select(p => p.Id));
        Assert.Equal(grid.Points.Select(p => p.Assignment.ToJsonString()), back.Points.Select(p => p.Assignment.ToJsonString()));
        Assert.Equal(grid.ToJson().ToJsonString(), back.ToJson().ToJsonString());
        Assert.Equal(grid.Shard(2, 2).Select(p => p.Id), back.Shard(2, 2).Select(p => p.Id));
    }

    [Fact]
    public void TwoCanonicalRunsWithOneNameAreAnError() =>
        Assert.Throws<MultiscaleException>(() => new SettingsGrid(new[] { SettingsGrid.ParseAxis("level=1,2") }, new JsonObject(), s => s, _ => "same"));
}
