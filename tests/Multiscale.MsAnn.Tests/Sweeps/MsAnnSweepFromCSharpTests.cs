using System.Text.Json.Nodes;
using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;
using Multiscale.Tests.Shared;
using TorchSharp;

namespace Multiscale.MsAnn.Tests.Sweeps;

/// <summary>The paper's sweep run from C# as docs/sweeps.md shows it: no CLI, shards merged to the unsplit sweep's table.</summary>
public class MsAnnSweepFromCSharpTests
{
    /// <summary>The summary without wall-clock fields (keys with "seconds"), which no two runs share.</summary>
    private static string Untimed(string path) => RunComparison.WithoutSeconds(JsonNode.Parse(File.ReadAllText(path))!);

    [Fact]
    public void ShardsOfThePaperSweepMergeToTheUnsplitTable()
    {
        var dir = Directory.CreateTempSubdirectory("msann-sweep-");
        try
        {
            var method = new MsAnnMethod();
            var shared = method.Describe(method.ReadSettings(new JsonObject { ["layers"] = "16,8,16", ["levels"] = 1, ["budget"] = 256, ["batch"] = 16 }));
            var plan = MsAnnSweep.Plan(shared, new[] { 1, 2 }, new[] { 0, 1 }, new[] { 1 }, MsAnnSweep.DefaultMetrics);
            var settings = SweepRunner.ReadPoints(method, plan);
            var host = new FolderSweepHost<MsAnnSettings>(torch.CPU, CheckpointInterval.Parse("off"));
            string whole = Path.Combine(dir.FullName, "whole"), split = Path.Combine(dir.FullName, "split"), merged = Path.Combine(dir.FullName, "merged");
            Assert.True(SweepRunner.RunShard(method, plan, settings, 1, 1, whole, host).Complete);
            Assert.True(SweepRunner.RunShard(method, plan, settings, 2, 2, split, host).Complete);
            Assert.True(SweepRunner.RunShard(method, plan, settings, 1, 2, split, host).Complete);
            var parts = Enumerable.Range(1, 2).Select(i => Path.Combine(split, SettingsSweep.PartFileName(i, 2))).ToList();
            SettingsSweep.WriteSummaries(merged, SettingsSweep.Merge(parts), plan.Summaries);

            Assert.Equal(new[] { "default", "g1-L1-k001", "g2-L1-k001" },
                Directory.GetDirectories(Path.Combine(whole, "runs")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal(Untimed(Path.Combine(whole, "summary.json")), Untimed(Path.Combine(merged, "summary.json")));
            Assert.Equal(Untimed(Path.Combine(whole, "summary-seeds.json")), Untimed(Path.Combine(merged, "summary-seeds.json")));
            var table = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "summary.json")))!;
            Assert.Equal("default", table["table"]![3]!["run"]!["id"]!.GetValue<string>());
            // The default run has no coarse levels: its settings say L = 0, γ = k = 1.
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "runs", "default", "config.json")))!["settings"]!;
            Assert.Equal((0, 1, 1), (config["levels"]!.GetValue<int>(), config["gamma"]!.GetValue<int>(), config["k"]!.GetValue<int>()));
        }
        finally { dir.Delete(true); }
    }
}
