using System.Text.Json.Nodes;

namespace Multiscale.Cli.Tests;

/// <summary><c>multiscale sweep</c>: a grid over any settings fields of msann or mrtl, sharded, merged, resumed.</summary>
public class SweepCommandTests
{
    private static readonly string[] MsAnnShared =
    {
        "--set", "layers=[64,16,64]", "--set", "levels=1", "--set", "budget=800", "--set", "batch=32", "--set", "k=2",
    };

    private static JsonNode Read(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    /// <summary>The summary's numbers without timings (keys with "seconds"), which no two runs share.</summary>
    private static string Untimed(string summaryJson)
    {
        var runs = Read(summaryJson)["runs"]!.AsArray();
        return string.Join("\n", runs.Select(r =>
        {
            var report = r!["report"]!.AsObject();
            var kept = new JsonObject();
            foreach (var (k, v) in report)
                if (!k.Contains("seconds", StringComparison.Ordinal)) kept[k] = v?.DeepClone();
            return r["id"] + " " + kept.ToJsonString();
        }));
    }

    [Fact]
    public void ShardsMergeToTheUnshardedSweepAndFinishedRunsAreKept()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string whole = Path.Combine(dir.FullName, "whole"), split = Path.Combine(dir.FullName, "split"), merged = Path.Combine(dir.FullName, "merged");
            string[] Args(string outDir, params string[] more) =>
                new[] { "sweep", "--method", "msann", "--grid", "seed=1,2", "--grid", "optimizer=rmsprop-torch,adam" }.Concat(MsAnnShared).Concat(more).Concat(new[] { "--out", outDir }).ToArray();
            var (code, output, error) = CliRunner.Run(Args(whole));
            Assert.True(code == 0, error + output);
            Assert.Equal(4, Directory.GetDirectories(Path.Combine(whole, "runs")).Length);
            foreach (var shard in new[] { "1/2", "2/2" })
            {
                (code, output, error) = CliRunner.Run(Args(split, "--shard", shard));
                Assert.True(code == 0, error + output);
            }
            Assert.False(File.Exists(Path.Combine(split, "summary.json")));   // a shard writes its part only
            (code, output, error) = CliRunner.Run("sweep", "summarize", split, "--out", merged);
            Assert.True(code == 0, error + output);
            Assert.Equal(Untimed(Path.Combine(whole, "summary.json")), Untimed(Path.Combine(merged, "summary.json")));
            var groups = Read(Path.Combine(merged, "summary.json"))["groups"]!.AsArray();
            Assert.Equal(2, groups.Count);
            Assert.All(groups, g => Assert.Equal(2, g!["metrics"]!["final_mse"]!["n"]!.GetValue<int>()));

            // The same command again trains nothing: every run is complete with these settings.
            (code, output, error) = CliRunner.Run(Args(whole));
            Assert.True(code == 0, error + output);
            Assert.Equal(4, output.Split('\n').Count(l => l.Contains("finished earlier, skipped", StringComparison.Ordinal)));

            // A sweep's run is an ordinary run folder: rerun repeats it alone from its settings.
            string run = Path.Combine(whole, "runs", "seed=2_optimizer=adam"), again = Path.Combine(dir.FullName, "again");
            (code, output, error) = CliRunner.Run("rerun", run, "--out", again);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(Path.Combine(run, "report.json"))["final_mse"]!.GetValue<double>(), Read(Path.Combine(again, "report.json"))["final_mse"]!.GetValue<double>());
            Assert.Equal("adam", Read(Path.Combine(again, "config.json"))["settings"]!["optimizer"]!.GetValue<string>());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AnMrtlSweepOverRegularizationAndSeedsRanksTheSettingsByValidationLoss()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string sweep = Path.Combine(dir.FullName, "sweep");
            var (code, output, error) = CliRunner.Run("sweep", "--method", "mrtl", "--set", "size=small", "--set", "samples=500", "--set", "rank=2",
                "--set", "epochs_full=1", "--set", "epochs_low=1", "--set", "cp_iterations=10", "--set", "method=fixed",
                "--grid", "seed=0,1", "--grid", "spatial=0,10", "--out", sweep);
            Assert.True(code == 0, error + output);
            var groups = Read(Path.Combine(sweep, "summary.json"))["groups"]!.AsArray();
            Assert.Equal(2, groups.Count);
            double Mean(JsonNode? g) => g!["metrics"]!["val_loss"]!["mean"]!.GetValue<double>();
            Assert.True(Mean(groups[0]) <= Mean(groups[1]));
            Assert.Contains("| spatial | runs | val_loss |", File.ReadAllText(Path.Combine(sweep, "summary.md")));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("--grid", "budjet=1,2", "budjet")]
    [InlineData("--grid", "levels=1,many", "grid point")]
    [InlineData("--grid", "seed", "FIELD=VALUE")]
    [InlineData("--set", "nothing", "FIELD=VALUE")]
    public void ABadGridIsOneErrorBeforeAnyRunTrains(string option, string value, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string sweep = Path.Combine(dir.FullName, "sweep");
            var args = new List<string> { "sweep", "--method", "msann" };
            args.AddRange(MsAnnShared);
            if (option == "--set") args.AddRange(new[] { "--grid", "seed=1" });
            args.AddRange(new[] { option, value, "--out", sweep });
            var (code, _, error) = CliRunner.Run(args.ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains(fragment, lines[0]);
            Assert.False(Directory.Exists(sweep));
        }
        finally { dir.Delete(true); }
    }
}
