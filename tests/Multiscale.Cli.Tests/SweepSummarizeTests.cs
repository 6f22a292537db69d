using System.Text.Json.Nodes;

namespace Multiscale.Cli.Tests;

/// <summary>
/// <c>msann sweep</c> is a preset of the generic sweep: either summarize command merges its parts into both summaries
/// (the Table 1–3 and the mean ± sd over seeds), parts of the earlier msann format are one error line, and the generic
/// sweep of msann collapses its L = 0 points too.
/// </summary>
public class SweepSummarizeTests
{
    private static readonly string[] Tiny = { "--layers", "16,8,16", "--gammas", "1", "--levels", "0,1", "--ks", "1,2", "--budget", "256", "--batch", "16" };

    private static string Text(string path) => File.ReadAllText(path);

    [Fact]
    public void EitherSummarizeMergesMsAnnSweepPartsIntoTheTableAndTheSeedSummary()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string split = Path.Combine(dir.FullName, "split"), viaMsAnn = Path.Combine(dir.FullName, "m"), viaSweep = Path.Combine(dir.FullName, "s");
            foreach (var shard in new[] { "1/2", "2/2" })
            {
                var (c, o, e) = CliRunner.Run(new[] { "msann", "sweep" }.Concat(Tiny).Concat(new[] { "--shard", shard, "--out", split }).ToArray());
                Assert.True(c == 0, e + o);
            }
            var (code, output, error) = CliRunner.Run("msann", "summarize", split, "--out", viaMsAnn);
            Assert.True(code == 0, error + output);
            (code, output, error) = CliRunner.Run("sweep", "summarize", split, "--out", viaSweep);
            Assert.True(code == 0, error + output);
            foreach (var f in new[] { "summary.json", "summary.md", "summary-runs.csv", "summary-seeds.json", "summary-seeds.md", "summary-seeds-runs.csv" })
                Assert.Equal(Text(Path.Combine(viaMsAnn, f)), Text(Path.Combine(viaSweep, f)));
            var table = JsonNode.Parse(Text(Path.Combine(viaSweep, "summary.json")))!;
            Assert.Equal(3, table["runs"]!.GetValue<int>());
            Assert.Equal("default", table["table"]![3]!["run"]!["id"]!.GetValue<string>());
            var seeds = JsonNode.Parse(Text(Path.Combine(viaSweep, "summary-seeds.json")))!;
            Assert.Equal(new[] { "default", "g1-L1-k001", "g1-L1-k002" }, seeds["runs"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
            Assert.Equal(3, seeds["groups"]!.AsArray().Count);
            Assert.Equal("final_mse", seeds["metrics"]![0]!.GetValue<string>());
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("msann")]
    [InlineData("sweep")]
    public void APartOfTheEarlierMsAnnFormatIsOneErrorLine(string command)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            // The earlier format's part as that version wrote it (shortened to what identifies it).
            string part = Path.Combine(dir.FullName, "sweep-part-1-of-1.json");
            File.WriteAllText(part, """
                {"format": "multiscale-msann-sweep-part/1", "config": {"task": "one-object", "gammas": [1], "levels": [0], "ks": [1]},
                 "shard": {"index": 1, "count": 1}, "runs_in_grid": 1,
                 "rows": [{"id": "default", "gamma": null, "levels": 0, "k": null, "initial_mse": 1, "final_mse": 0.5, "cost_to_tenth": null,
                           "seconds_to_tenth": null, "total_cost": 10, "total_seconds": 1}]}
                """);
            string outDir = Path.Combine(dir.FullName, "summary");
            var (code, _, error) = CliRunner.Run(command, "summarize", dir.FullName, "--out", outDir);
            Assert.Equal(MultiscaleCli.UserError, code);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains("multiscale-msann-sweep-part/1", lines[0]);
            Assert.Contains("run the same msann sweep", lines[0]);
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void TheGenericSweepOfMsAnnRunsDefaultTrainingOnceAndWritesTheTableBesideItsSummary()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string sweep = Path.Combine(dir.FullName, "sweep");
            var (code, output, error) = CliRunner.Run("sweep", "--method", "msann", "--set", "layers=16,8,16", "--set", "budget=256", "--set", "batch=16",
                "--grid", "levels=0,1", "--grid", "k=1,2", "--out", sweep);
            Assert.True(code == 0, error + output);
            // levels=0 with k=1 and k=2 is one run: 3 of the product's 4 points.
            Assert.Equal(new[] { "levels=0_k=1", "levels=1_k=1", "levels=1_k=2" },
                Directory.GetDirectories(Path.Combine(sweep, "runs")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Contains("3 runs in the grid", output);
            var summary = JsonNode.Parse(Text(Path.Combine(sweep, "summary.json")))!;
            Assert.Equal(3, summary["runs"]!.AsArray().Count);
            var table = JsonNode.Parse(Text(Path.Combine(sweep, "summary-table.json")))!;
            Assert.Equal("levels=0_k=1", table["table"]![3]!["run"]!["id"]!.GetValue<string>());
            Assert.Contains("best MsANN (final MSE)", Text(Path.Combine(sweep, "summary-table.md")));
        }
        finally { dir.Delete(true); }
    }
}
