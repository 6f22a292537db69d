using System.Text.Json.Nodes;
using Multiscale.Runs;
using TorchSharp;

namespace Multiscale.Tests.Runs;

/// <summary>A sweep run from C#, without the CLI: shards, merge, kept runs and a cancelled shard.</summary>
public class SweepRunnerTests
{
    /// <summary>A method in closed form: loss = l2 + seed/10, and a count of the runs it trained.</summary>
    private sealed class ToyMethod : IMultiscaleMethod<JsonObject>
    {
        public int Trained;
        public string Name => "toy";
        public JsonObject Describe(JsonObject settings) => (JsonObject)settings.DeepClone();
        public JsonObject ReadSettings(JsonObject settings)
        {
            var r = new SettingsReader(settings);
            var result = new JsonObject { ["seed"] = r.Int("seed", 0), ["l2"] = r.Double("l2", 0.5) };
            r.Finish();
            return result;
        }
        public RunRecord Run(JsonObject settings, RunContext context)
        {
            if (context.Cancellation.IsCancellationRequested) return new RunRecord(new JsonObject(), new MetricsTable("step"), Array.Empty<RunFigure>());
            Trained++;
            var report = new JsonObject { ["loss"] = settings["l2"]!.GetValue<double>() + settings["seed"]!.GetValue<int>() / 10.0 };
            return new RunRecord(report, new MetricsTable("step"), Array.Empty<RunFigure>());
        }
    }

    private sealed class Lines : ISweepProgress
    {
        public readonly List<string> All = new();
        public void Line(string text) => All.Add(text);
        public void Run(int done, int total, string id) { }
    }

    private static SweepPlan Plan() => new(new JsonObject { ["l2"] = 0.5 },
        new SettingsGrid(new[] { SettingsGrid.ParseAxis("seed=0,1,2"), SettingsGrid.ParseAxis("l2=0.1,0.2") }),
        new ISweepSummary[] { new SeedSummary(new[] { "loss" }) });

    [Fact]
    public void ShardsRunFromCSharpMergeToTheUnshardedSummaryAndKeepTheirFinishedRuns()
    {
        var dir = Directory.CreateTempSubdirectory("sweep-runner-");
        try
        {
            var method = new ToyMethod();
            var plan = Plan();
            var settings = SweepRunner.ReadPoints(method, plan);
            var host = new FolderSweepHost<JsonObject>(torch.CPU, CheckpointInterval.Parse("off"));
            string whole = Path.Combine(dir.FullName, "whole"), split = Path.Combine(dir.FullName, "split");
            var result = SweepRunner.RunShard(method, plan, settings, 1, 1, whole, host);
            Assert.True(result.Complete);
            Assert.Equal(6, method.Trained);
            Assert.Equal(3, result.Summaries.Count);
            for (int i = 1; i <= 4; i++) Assert.True(SweepRunner.RunShard(method, plan, settings, i, 4, split, host).Complete);
            Assert.Equal(12, method.Trained);
            Assert.False(File.Exists(Path.Combine(split, "summary.json")));

            var parts = Enumerable.Range(1, 4).Select(i => Path.Combine(split, SettingsSweep.PartFileName(i, 4))).Reverse().ToList();
            var merged = SettingsSweep.Merge(parts);
            var written = SettingsSweep.WriteSummaries(Path.Combine(dir.FullName, "merged"), merged, plan.Summaries);
            Assert.Equal(File.ReadAllText(Path.Combine(whole, "summary.json")), File.ReadAllText(written[0]));
            Assert.Equal(File.ReadAllText(Path.Combine(whole, "summary-runs.csv")), File.ReadAllText(written[2]));
            // Each run is an ordinary run folder with its report and its settings.
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "runs", "seed=2_l2=0.2", "report.json")))!;
            Assert.Equal(0.4, report["loss"]!.GetValue<double>(), 12);

            // The same shard again trains nothing; a run without its report trains again.
            File.Delete(Path.Combine(split, "runs", "seed=1_l2=0.1", "report.json"));
            var lines = new Lines();
            foreach (int i in new[] { 1, 2, 3, 4 }) Assert.True(SweepRunner.RunShard(method, plan, settings, i, 4, split, host, lines).Complete);
            Assert.Equal(13, method.Trained);
            Assert.Equal(5, lines.All.Count(l => l.EndsWith(": finished earlier, skipped", StringComparison.Ordinal)));
            Assert.Contains(lines.All, l => l.EndsWith("] seed=1_l2=0.1", StringComparison.Ordinal));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ACancelledShardWritesNoPartAndSaysWhereItStopped()
    {
        var dir = Directory.CreateTempSubdirectory("sweep-runner-");
        try
        {
            var method = new ToyMethod();
            var plan = Plan();
            using var cancel = new CancellationTokenSource();
            cancel.Cancel();
            var host = new FolderSweepHost<JsonObject>(torch.CPU, CheckpointInterval.Parse("off"), cancel.Token);
            var result = SweepRunner.RunShard(method, plan, SweepRunner.ReadPoints(method, plan), 2, 2, dir.FullName, host);
            Assert.False(result.Complete);
            Assert.Equal(0, result.Done);
            Assert.Equal(plan.Grid.Shard(2, 2)[0].Id, result.StoppedAt);
            Assert.False(File.Exists(Path.Combine(dir.FullName, SettingsSweep.PartFileName(2, 2))));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void APointThatCannotBeReadIsAnErrorNamingItBeforeAnythingRuns()
    {
        var method = new ToyMethod();
        var plan = new SweepPlan(new JsonObject(), new SettingsGrid(new[] { SettingsGrid.ParseAxis("seed=0,many") }), Array.Empty<ISweepSummary>());
        var e = Assert.Throws<MultiscaleException>(() => SweepRunner.ReadPoints(method, plan));
        Assert.StartsWith("grid point seed=many:", e.Message);
        Assert.Equal(0, method.Trained);
    }
}
