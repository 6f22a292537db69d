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
}
