using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.Cli.Commands;
using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;

namespace Multiscale.Cli.Tests;

public class MsAnnSweepTests
{
    // 1 default run + 2 γ × 2 L × 2 k = 9 runs of a 16-8-16 autoencoder; each takes a few tens of milliseconds.
    private static readonly string[] Tiny =
    {
        "--layers", "16,8,16", "--gammas", "1,2", "--levels", "0,1,2", "--ks", "1,2", "--budget", "512", "--batch", "16",
    };

    private static (int Code, string Out, string Err) Sweep(string dir, params string[] extra) =>
        CliRunner.Run(new[] { "msann", "sweep" }.Concat(Tiny).Concat(extra).Concat(new[] { "--out", dir }).ToArray());

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(145)]
    [InlineData(200)]
    public void ShardsCoverThePaperGridExactlyOnce(int n)
    {
        var settingsGrid = MsAnnSweep.Grid(new JsonObject(), new[] { 3, 1, 2 }, Enumerable.Range(0, 7).ToArray(), new[] { 1, 2, 4, 8, 16, 32, 64, 128 });
        var grid = settingsGrid.Points;
        Assert.Equal(1 + 3 * 6 * 8, grid.Count);
        Assert.Single(grid, r => Levels(r) == 0);
        Assert.Equal(grid.Count, grid.Select(r => r.Id).Distinct().Count());
        var shards = Enumerable.Range(1, n).Select(i => settingsGrid.Shard(i, n)).ToList();
        var all = shards.SelectMany(s => s).ToList();
        Assert.Equal(grid.Count, all.Count);                                  // no run twice
        Assert.Equal(grid.Select(r => r.Id).Order(), all.Select(r => r.Id).Order()); // every run once
        Assert.True(shards.Max(s => s.Count) - shards.Min(s => s.Count) <= 1);
        // Deterministic: the same call gives the same shard.
        Assert.Equal(shards[n - 1].Select(r => r.Id), settingsGrid.Shard(n, n).Select(r => r.Id));
    }

    private static int Levels(SettingsGridPoint point) => point.Assignment["levels"]!.GetValue<int>();

    [Fact]
    public void ShardedSweepSummarizesToTheUnshardedSummaryAndResumes()
    {
        var whole = CliRunner.TempDirectory();
        var split = CliRunner.TempDirectory();
        var merged = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = Sweep(whole.FullName);
            Assert.True(code == 0, error + output);
            foreach (var f in new[] { "sweep-part-1-of-1.json", "summary.json", "summary.md", "summary-runs.csv" })
                Assert.True(File.Exists(Path.Combine(whole.FullName, f)), f);
            // Every row carries its wall-clock split (fine steps, coarse steps, visit setup).
            var csv = File.ReadAllLines(Path.Combine(whole.FullName, "summary-runs.csv"));
            Assert.EndsWith("total_seconds,fine_seconds,coarse_seconds,visit_seconds", csv[0]);
            Assert.Contains("seconds_to_tenth,cpu_seconds_to_tenth,cpu_total_seconds,", csv[0]);
            Assert.Contains("CPU seconds to 1/10 / default", File.ReadAllText(Path.Combine(whole.FullName, "summary.md")));
            Assert.All(csv.Skip(1), line => Assert.DoesNotContain("", line.Split(',')[^3..]));
            Assert.Contains("fine / coarse / visit setup s", File.ReadAllText(Path.Combine(whole.FullName, "summary.md")));
            for (int i = 1; i <= 3; i++)
            {
                (code, output, error) = Sweep(split.FullName, "--shard", $"{i}/3");
                Assert.True(code == 0, error + output);
                Assert.False(File.Exists(Path.Combine(split.FullName, "summary.json")));
            }
            Assert.Equal(9, Directory.GetDirectories(Path.Combine(split.FullName, "runs")).Length);
            (code, output, error) = CliRunner.Run("msann", "summarize", split.FullName, "--out", merged.FullName);
            Assert.True(code == 0, error + output);

            using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(whole.FullName, "summary.json")));
            using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged.FullName, "summary.json")));
            Assert.Equal(a.RootElement.GetProperty("config").GetRawText(), b.RootElement.GetProperty("config").GetRawText());
            var rowsA = Deterministic(a.RootElement.GetProperty("rows"));
            var rowsB = Deterministic(b.RootElement.GetProperty("rows"));
            Assert.Equal(9, rowsA.Count);
            Assert.Equal(rowsA, rowsB);  // same runs, same order, same seeded numbers
            Assert.Equal(TableIds(a.RootElement), TableIds(b.RootElement));

            // The table picks what it says: best and worst MsANN by final MSE, and default training.
            var table = a.RootElement.GetProperty("table").EnumerateArray().ToList();
            var msann = rowsA.Where(r => r.Levels > 0).ToList();
            Assert.Equal(msann.Min(r => r.FinalMse), table[0].GetProperty("run").GetProperty("final_mse").GetDouble());
            Assert.Equal(msann.Max(r => r.FinalMse), table[1].GetProperty("run").GetProperty("final_mse").GetDouble());
            Assert.Equal("default", table[3].GetProperty("run").GetProperty("id").GetString());
            Assert.Equal(1.0, table[3].GetProperty("final_mse_ratio").GetDouble());
            Assert.Equal(table[0].GetProperty("run").GetProperty("final_mse").GetDouble() / rowsA[0].FinalMse,
                table[0].GetProperty("final_mse_ratio").GetDouble(), 12);
            Assert.Equal(10, File.ReadAllLines(Path.Combine(merged.FullName, "summary-runs.csv")).Length);
            Assert.Contains("best MsANN (final MSE)", File.ReadAllText(Path.Combine(merged.FullName, "summary.md")));

            // Resume: a run without report.json (interrupted) trains again; finished runs are skipped untouched.
            var reports = Directory.GetFiles(Path.Combine(split.FullName, "runs"), "report.json", SearchOption.AllDirectories);
            var before = reports.ToDictionary(r => r, File.GetLastWriteTimeUtc);
            string victim = Path.Combine(split.FullName, "runs", "g1-L2-k002", "report.json");
            File.Delete(victim);
            (code, output, error) = Sweep(split.FullName, "--shard", "2/3");
            Assert.True(code == 0, error + output);
            Assert.Equal(2, output.Split('\n').Count(l => l.Contains("finished earlier, skipped")));
            Assert.Contains("g1-L2-k002\n", output.Replace("\r", ""));
            Assert.True(File.Exists(victim));
            foreach (var (path, time) in before.Where(p => p.Key != victim)) Assert.Equal(time, File.GetLastWriteTimeUtc(path));
            // One events file per run, even for the retrained one.
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(victim)!, "events.out.tfevents.*"));
            using var resumed = JsonDocument.Parse(File.ReadAllText(Path.Combine(split.FullName, "sweep-part-2-of-3.json")));
            var again = Deterministic(resumed.RootElement.GetProperty("rows"));
            Assert.Equal(rowsA.Where(r => again.Any(x => x.Id == r.Id)), again);

            // A different setting is a different run: nothing is skipped.
            (code, output, error) = Sweep(split.FullName, "--shard", "2/3", "--lr", "0.001");
            Assert.True(code == 0, error + output);
            Assert.DoesNotContain("skipped", output);
        }
        finally
        {
            whole.Delete(true);
            split.Delete(true);
            merged.Delete(true);
        }
    }

    private sealed record Row(string Id, int Levels, double InitialMse, double FinalMse, double? CostToTenth, double TotalCost);

    private static List<Row> Deterministic(JsonElement rows) => rows.EnumerateArray().Select(r => new Row(
        r.GetProperty("id").GetString()!, r.GetProperty("levels").GetInt32(), r.GetProperty("initial_mse").GetDouble(),
        r.GetProperty("final_mse").GetDouble(),
        r.GetProperty("cost_to_tenth").ValueKind == JsonValueKind.Null ? null : r.GetProperty("cost_to_tenth").GetDouble(),
        r.GetProperty("total_cost").GetDouble())).ToList();

    private static List<string?> TableIds(JsonElement summary) => summary.GetProperty("table").EnumerateArray()
        .Select(t => t.GetProperty("run").ValueKind == JsonValueKind.Null ? null : t.GetProperty("run").GetProperty("id").GetString()).ToList();

    [Theory]
    [InlineData("0/3", "1-based")]
    [InlineData("4/3", "1-based")]
    [InlineData("x/y", "--shard must be i/n")]
    [InlineData("3", "--shard must be i/n")]
    [InlineData("1/0", "at least 1")]
    [InlineData("-1/3", "--shard must be i/n")]
    public void BadShardIsOneClearError(string shard, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = Sweep(Path.Combine(dir.FullName, "x"), "--shard", shard);
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains(fragment, error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "x")));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(new[] { "--levels", "0,1,5" }, "cannot be coarsened 5 times")]
    [InlineData(new[] { "--ks", "1,1" }, "--ks lists 1 more than once")]
    [InlineData(new[] { "--gammas", "0" }, "--gammas must be positive")]
    public void BadGridIsOneClearErrorBeforeTraining(string[] args, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var grid = new Dictionary<string, string> { ["--gammas"] = "1", ["--ks"] = "1", ["--levels"] = "0,1" };
            grid[args[0]] = args[1];
            var (code, _, error) = CliRunner.Run(new[] { "msann", "sweep", "--layers", "16,8,16", "--budget", "512", "--batch", "16" }
                .Concat(grid.SelectMany(p => new[] { p.Key, p.Value })).Concat(new[] { "--out", Path.Combine(dir.FullName, "x") }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains(fragment, error);
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "x")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void SummarizeRejectsMismatchedOverlappingMissingAndEmptyParts()
    {
        var root = CliRunner.TempDirectory();
        try
        {
            string One(string name, params string[] extra)
            {
                string d = Path.Combine(root.FullName, name);
                var (c, o, e) = CliRunner.Run(new[] { "msann", "sweep", "--layers", "16,8,16", "--gammas", "1", "--levels", "0,1", "--ks", "1,2",
                    "--batch", "16", "--out", d }.Concat(extra).ToArray());
                Assert.True(c == 0, e + o);
                return d;
            }
            string p1 = One("a", "--budget", "256", "--shard", "1/2");
            string p2 = One("b", "--budget", "256", "--shard", "2/2");
            string other = One("c", "--budget", "384", "--shard", "2/2");
            string thirds = One("d", "--budget", "256", "--shard", "1/3");
            string empty = Directory.CreateDirectory(Path.Combine(root.FullName, "empty")).FullName;
            string outDir = Path.Combine(root.FullName, "summary");

            void Fails(string fragment, params string[] parts)
            {
                var (code, _, error) = CliRunner.Run(new[] { "msann", "summarize" }.Concat(parts).Concat(new[] { "--out", outDir }).ToArray());
                Assert.Equal(MultiscaleCli.UserError, code);
                Assert.Contains(fragment, error);
                Assert.Single(error.Trim().Split('\n'));
                Assert.False(Directory.Exists(outDir));
            }
            Fails("different sweep configs (budget: 256 vs 384)", p1, other);
            Fails("runs are missing", p1);
            Fails("no part for shard(s) 2/2", p1);
            Fails("other parts split the sweep into 2", p1, thirds);
            Fails("holds no sweep-part", p1, empty);
            Fails("neither a folder nor a file", Path.Combine(root.FullName, "nowhere"));
            Fails("is not a sweep part file", p1, Path.Combine(p1, "runs", "default", "report.json"));

            // Overlap with the same shard index in a different file: a copy renamed under another folder.
            string copy = Directory.CreateDirectory(Path.Combine(root.FullName, "copy")).FullName;
            File.Copy(Path.Combine(p1, "sweep-part-1-of-2.json"), Path.Combine(copy, "sweep-part-1-of-2.json"));
            Fails("shard 1/2 appears twice", p1, p2, copy);

            // The good pair merges; a .json target puts the .md and the CSV beside it.
            var (ok, output, err) = CliRunner.Run("msann", "summarize", p1, p2, "--out", Path.Combine(root.FullName, "s", "table.json"));
            Assert.True(ok == 0, err + output);
            foreach (var f in new[] { "table.json", "table.md", "table-runs.csv" })
                Assert.True(File.Exists(Path.Combine(root.FullName, "s", f)), f);
        }
        finally { root.Delete(true); }
    }

    [Fact]
    public void RunsWrittenBeforeConfigJsonStillResume()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = Sweep(dir.FullName);
            Assert.True(code == 0, error + output);
            // The earlier layout: the run's settings inside report.json, no config.json.
            string run = Path.Combine(dir.FullName, "runs", "g1-L1-k001");
            var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!["settings"]!.DeepClone();
            var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "report.json")))!.AsObject();
            report["config"] = settings;
            File.WriteAllText(Path.Combine(run, "report.json"), report.ToJsonString());
            File.Delete(Path.Combine(run, "config.json"));
            // A malformed report trains again instead of stopping the sweep.
            File.WriteAllText(Path.Combine(dir.FullName, "runs", "g2-L1-k001", "report.json"), "{\"final_mse\": \"x\"}");

            (code, output, error) = Sweep(dir.FullName);
            Assert.True(code == 0, error + output);
            Assert.Contains("g1-L1-k001: finished earlier, skipped", output);
            Assert.DoesNotContain("g2-L1-k001: finished earlier", output);
        }
        finally { dir.Delete(true); }
    }
}
