using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Tests.Runs;

public class SettingsSweepTests
{
    private static readonly SettingsGrid Grid = new(new[] { SettingsGrid.ParseAxis("seed=0,1,2"), SettingsGrid.ParseAxis("l2=0.1,0.2") });

    /// <summary>A made-up report: loss = l2 + seed/10, so the means and deviations over seeds are known.</summary>
    private static JsonObject Report(SettingsGridPoint p) => new()
    {
        ["loss"] = p.Assignment["l2"]!.GetValue<double>() + p.Assignment["seed"]!.GetValue<int>() / 10.0,
        ["name"] = "x",
        ["split"] = new JsonObject { ["fine"] = 1.5 },
        ["runs"] = new JsonArray(1, 2),
    };

    private static string WritePart(string dir, int index, int count, IEnumerable<SettingsGridPoint>? points = null)
    {
        string path = Path.Combine(dir, SettingsSweep.PartFileName(index, count));
        RunFolder.WriteJson(path, SettingsSweep.Part("m", new JsonObject { ["rank"] = 2 }, Grid, index, count,
            (points ?? Grid.Shard(index, count)).Select(p => SettingsSweep.Row(p, Report(p)))));
        return path;
    }

    [Fact]
    public void ARowKeepsTheReportsScalarsAndOneLevelOfNesting()
    {
        var row = SettingsSweep.Row(Grid.Points[0], Report(Grid.Points[0]));
        Assert.Equal(0.1, row["report"]!["loss"]!.GetValue<double>());
        Assert.Equal(1.5, row["report"]!["split.fine"]!.GetValue<double>());
        Assert.Null(row["report"]!["runs"]);
    }

    [Fact]
    public void MergedShardsGiveTheRowsInGridOrderAndTheSummaryAveragesOverSeeds()
    {
        var dir = Directory.CreateTempSubdirectory("settings-sweep-");
        try
        {
            var parts = new[] { WritePart(dir.FullName, 2, 2), WritePart(dir.FullName, 1, 2) };
            var (method, shared, grid, rows) = SettingsSweep.Merge(parts);
            Assert.Equal("m", method);
            Assert.Equal(2, shared["rank"]!.GetValue<int>());
            Assert.Equal(Grid.Points.Select(p => p.Id), rows.Select(r => r["id"]!.GetValue<string>()));
            var written = SettingsSweep.WriteSummary(Path.Combine(dir.FullName, "summary"), method, shared, grid, rows, new[] { "loss" });
            var summary = JsonNode.Parse(File.ReadAllText(written[0]))!;
            var groups = summary["groups"]!.AsArray();
            Assert.Equal(2, groups.Count);
            // Ranked by the first metric: l2 = 0.1 (mean 0.2) before l2 = 0.2 (mean 0.3); sd over seeds 0, 0.1, 0.2 is 0.1.
            Assert.Equal(0.1, groups[0]!["settings"]!["l2"]!.GetValue<double>());
            Assert.Equal(0.2, groups[0]!["metrics"]!["loss"]!["mean"]!.GetValue<double>(), 12);
            Assert.Equal(0.1, groups[0]!["metrics"]!["loss"]!["sd"]!.GetValue<double>(), 12);
            Assert.Equal(3, groups[0]!["metrics"]!["loss"]!["n"]!.GetValue<int>());
            Assert.Equal(0.3, groups[1]!["metrics"]!["loss"]!["mean"]!.GetValue<double>(), 12);
            Assert.Contains("| 0.1 | 3 | 0.2 ± 0.1 |", File.ReadAllText(written[1]));
            Assert.Equal(7, File.ReadAllLines(written[2]).Length);   // header and six runs
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MissingOverlappingOrForeignPartsAreRefused()
    {
        var dir = Directory.CreateTempSubdirectory("settings-sweep-");
        try
        {
            var first = WritePart(dir.FullName, 1, 2);
            Assert.Contains("missing", Assert.Throws<MultiscaleException>(() => SettingsSweep.Merge(new[] { first })).Message);
            var other = Path.Combine(dir.FullName, "other.json");
            File.Copy(first, other);
            Assert.Contains("appears twice", Assert.Throws<MultiscaleException>(() => SettingsSweep.Merge(new[] { first, other })).Message);
            var third = Path.Combine(dir.FullName, SettingsSweep.PartFileName(1, 3));
            RunFolder.WriteJson(third, SettingsSweep.Part("m", new JsonObject { ["rank"] = 3 }, Grid, 1, 3, Array.Empty<JsonObject>()));
            Assert.Contains("different sweeps", Assert.Throws<MultiscaleException>(() => SettingsSweep.Merge(new[] { first, third })).Message);
            File.WriteAllText(other, "{\"format\": \"something\"}");
            Assert.Contains("not a settings sweep part", Assert.Throws<MultiscaleException>(() => SettingsSweep.Merge(new[] { other })).Message);
        }
        finally { dir.Delete(true); }
    }
}
