using System.Text.Json;
using Multiscale.Prolongation;

namespace Multiscale.Cli.Tests;

public class ProlongCommandTests
{
    private static readonly string[] RequiredFields =
    {
        "n_coarse", "n_fine", "s", "alpha", "beta", "objective", "diffusion", "locality", "initial_objective",
        "iterations", "seconds", "gradient_norm", "orthogonality_error", "converged",
    };

    [Fact]
    public void WritesTheReportTheMapAndTheFigures()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("prolong", "--coarse", "path:6", "--fine", "path:12", "--s", "0",
                "--out", dir.FullName);
            Assert.True(code == 0, error);
            Assert.Contains("→ E =", output);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")));
            foreach (var field in RequiredFields) Assert.True(report.RootElement.TryGetProperty(field, out _), $"report.json lacks {field}");
            Assert.True(report.RootElement.GetProperty("diffusion").GetDouble() <= 1e-9);
            Assert.True(report.RootElement.GetProperty("orthogonality_error").GetDouble() <= 1e-12);
            using var map = ProlongationMap.Load(Path.Combine(dir.FullName, "P.npy"));
            Assert.Equal(12, map.FineSize);
            Assert.Equal("optimized", map.Provenance.Method);
            foreach (var png in new[] { "P.png", "convergence.png" })
                Assert.True(new FileInfo(Path.Combine(dir.FullName, png)).Length > 1000, png);
            Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp*"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ASweepOverSWritesTheTradeoff()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run("prolong", "--coarse", "cycle:4", "--fine", "cycle:8", "--s", "0,0.5,1",
                "--starts", "1", "--max-iter", "300", "--out", dir.FullName);
            Assert.True(code == 0, error);
            var csv = File.ReadAllLines(Path.Combine(dir.FullName, "tradeoff.csv"));
            Assert.Equal(4, csv.Length);
            Assert.StartsWith("s,diffusion,locality", csv[0]);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "tradeoff.png")));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "s_0.5", "report.json")));
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")));
            Assert.Equal(3, report.RootElement.GetProperty("sweep").GetArrayLength());
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("path:1", "path:1")]
    [InlineData("path:1", "path:3")]
    public void AOneVertexCoarseGraphHasItsMapAndFigures(string coarse, string fine)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("prolong", "--coarse", coarse, "--fine", fine, "--device", "cpu", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            foreach (var f in new[] { "P.npy", "P.png", "convergence.png", "report.json" }) Assert.True(File.Exists(Path.Combine(dir.FullName, f)), f);
            Assert.True(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")))!["orthogonality_error"]!.GetValue<double>() < 1e-12);
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(new[] { "--coarse", "path:8", "--fine", "path:4" }, "more than --fine")]
    [InlineData(new[] { "--coarse", "path:4", "--fine", "path:8", "--s", "1.5" }, "--s values must be numbers in [0, 1]")]
    [InlineData(new[] { "--coarse", "path:4", "--fine", "path:8", "--alpha", "-2" }, "--alpha must be 'auto' or a positive number")]
    [InlineData(new[] { "--coarse", "path:4", "--fine", "path:8", "--max-seconds", "0" }, "--max-seconds must be positive")]
    [InlineData(new[] { "--coarse", "path:4", "--fine", "path:8", "--starts", "2", "--starts-seconds", "-1" }, "--starts-seconds must be positive")]
    [InlineData(new[] { "--coarse", "path:4", "--fine", "path:8", "--starts-seconds", "5" }, "it needs --starts N")]
    [InlineData(new[] { "--coarse", "path:4", "--fine", "file:/nope.txt" }, "does not exist")]
    public void BadInputIsOneClearErrorAndWritesNothing(string[] args, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var outDir = Path.Combine(dir.FullName, "out");
            var (code, _, error) = CliRunner.Run(new[] { "prolong" }.Concat(args).Concat(new[] { "--out", outDir }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains(fragment, error);
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }
}

public class LineageCommandTests
{
    [Fact]
    public void WritesLevelMapsComposedMapsAndReusesTheCache()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var cache = Path.Combine(dir.FullName, "cache");
            string[] args = { "lineage", "--graph", "path:32", "--levels", "3", "--s", "1", "--starts", "0", "--max-iter", "200", "--cache", cache, "--out", Path.Combine(dir.FullName, "a") };
            var (code, _, error) = CliRunner.Run(args);
            Assert.True(code == 0, error);
            foreach (var f in new[] { "P_0.npy", "P_1.npy", "P_2.npy", "Pro_2_to_0.npy", "Pro_3_to_0.npy", "lineage.json" })
                Assert.True(File.Exists(Path.Combine(dir.FullName, "a", f)), f);
            using var pro = ProlongationMap.Load(Path.Combine(dir.FullName, "a", "Pro_3_to_0.npy"));
            Assert.Equal(32, pro.FineSize);
            Assert.Equal(4, pro.CoarseSize);
            args[^1] = Path.Combine(dir.FullName, "b");
            string secondOutput;
            (code, secondOutput, error) = CliRunner.Run(args);
            Assert.True(code == 0, error);
            Assert.Equal(3, secondOutput.Split('\n').Count(l => l.Contains("(cached)")));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(new[] { "lineage", "--graph", "path:12", "--levels", "3" }, "odd")]
    [InlineData(new[] { "lineage", "--graphs", "path:8;path:16", "--no-cache" }, "not fine → coarse")]
    [InlineData(new[] { "lineage", "--graph", "path:8", "--graphs", "path:8;path:4" }, "exactly one of --graph")]
    public void BadLineagesAreClearErrors(string[] args, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run(args.Concat(new[] { "--out", Path.Combine(dir.FullName, "x") }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains(fragment, error);
        }
        finally { dir.Delete(true); }
    }
}

public class LineageCoarsenCommandTests
{
    /// <summary>A weighted 6 × 6 grid as an edge list with string labels (every vertex "rRcC").</summary>
    private static string WeightedGridFile(string dir, bool disconnected = false)
    {
        var lines = new List<string> { "# weighted 6x6 grid" };
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 6; c++)
            {
                if (c + 1 < 6 && !(disconnected && c == 2)) lines.Add($"r{r}c{c} r{r}c{c + 1} {1 + (r + c) % 3}");
                if (r + 1 < 6) lines.Add($"r{r}c{c} r{r + 1}c{c} {(disconnected && c >= 3 ? 1 : 2)}");
            }
        var file = Path.Combine(dir, disconnected ? "split.txt" : "mesh.txt");
        File.WriteAllLines(file, lines);
        return file;
    }

    [Theory]
    [InlineData("heavy-edge")]
    [InlineData("aggregation")]
    public void CoarsensAFileGraphAndReportsBothObjectivesPerLevel(string method)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var file = WeightedGridFile(dir.FullName);
            var outDir = Path.Combine(dir.FullName, "out");
            var (code, output, error) = CliRunner.Run("lineage", "--graph", $"file:{file}", "--levels", "2", "--coarsen", method,
                "--alpha", "1", "--starts", "0", "--no-cache", "--out", outDir);
            Assert.True(code == 0, error);
            Assert.Contains("E aggregates", output);
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "lineage.json")));
            var levels = doc.RootElement.GetProperty("levels");
            Assert.Equal(3, levels.GetArrayLength());
            for (int k = 1; k <= 2; k++)
            {
                var level = levels[k];
                double optimized = level.GetProperty("objective").GetDouble();
                double aggregates = level.GetProperty("aggregation_map").GetProperty("objective").GetDouble();
                Assert.True(optimized <= aggregates * (1 + 1e-9), $"{optimized} > {aggregates}");
                Assert.True(level.GetProperty("edges").GetInt32() > 0);
                Assert.True(level.GetProperty("coarsening_seconds").GetDouble() >= 0);
                using var p = ProlongationMap.Load(Path.Combine(outDir, $"P_{k - 1}.npy"));
                Assert.True(p.OrthogonalityError <= 1e-12);
            }
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("disconnected", "disconnected (2 connected components)")]
    [InlineData("too-deep", "can be coarsened by heavy-edge only")]
    [InlineData("graphs", "--coarsen needs --graph")]
    [InlineData("kronecker", "optimized or aggregation")]
    public void BadCoarseningsAreOneErrorLineAndWriteNothing(string problem, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var outDir = Path.Combine(dir.FullName, "out");
            var args = problem switch
            {
                "disconnected" => new[] { "--graph", $"file:{WeightedGridFile(dir.FullName, disconnected: true)}", "--levels", "2" },
                "too-deep" => new[] { "--graph", $"file:{WeightedGridFile(dir.FullName)}", "--levels", "40" },
                "graphs" => new[] { "--graphs", "path:8;path:4" },
                _ => new[] { "--graph", "path:16", "--source", "kronecker" },
            };
            var (code, _, error) = CliRunner.Run(new[] { "lineage", "--coarsen", "heavy-edge", "--no-cache", "--out", outDir }.Concat(args).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.StartsWith("error: ", error);
            Assert.Contains(fragment, error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }
}
