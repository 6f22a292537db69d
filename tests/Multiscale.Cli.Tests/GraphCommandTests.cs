using Multiscale.IO;

namespace Multiscale.Cli.Tests;

public class GraphCommandTests
{
    [Fact]
    public void Grid4x4PrintsCountsAndSmallestEigenvalue()
    {
        var (code, output, error) = CliRunner.Run("graph", "grid:4x4");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Matches(@"vertices\s+16\b", output);
        Assert.Matches(@"edges\s+24\b", output);
        Assert.Matches(@"connected\s+yes", output);
        Assert.Matches(@"lambda_min\s+-6\.82842712", output);
        Assert.Matches(@"lambda_max\s+0\s", output);
    }

    [Fact]
    public void BadEdgeFileFailsWithTheLineNumberAndWritesNothing()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var file = Path.Combine(dir.FullName, "bad.txt");
            File.WriteAllText(file, "0 1\n1 2\n# comment\n2 three 4 5\n");
            var outDir = Path.Combine(dir.FullName, "out");
            var (code, output, error) = CliRunner.Run("graph", $"file:{file}", "--out", outDir, "--matrices", "laplacian");
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Equal("", output);
            Assert.Contains($"{file}:4:", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void WritesGraphJsonAndRequestedMatrices()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run("graph", "cycle:6", "--out", dir.FullName, "--matrices", "distances,laplacian", "--matrices", "eigenvalues");
            Assert.True(code == 0, error);
            var json = File.ReadAllText(Path.Combine(dir.FullName, "graph.json"));
            Assert.Contains("\"vertices\": 6", json);
            Assert.Contains("\"lambda_min\": -", json);
            var (t, shape) = Npy.ReadArray(Path.Combine(dir.FullName, "distances.npy"));
            Assert.Equal(new long[] { 6, 6 }, shape);
            Assert.Equal(3.0, t[3]);
            var (lambda, _) = Npy.ReadArray(Path.Combine(dir.FullName, "eigenvalues.npy"));
            Assert.Equal(-4.0, lambda[0], 12);
            Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void DistancesOfADisconnectedGraphNameTheComponents()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var file = Path.Combine(dir.FullName, "parts.txt");
            File.WriteAllText(file, "a b\nc d\ne f\n");
            var (code, output, error) = CliRunner.Run("graph", $"file:{file}", "--out", dir.FullName, "--matrices", "distances");
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("3 connected components", error);
            // Without distances the same graph is fine to describe.
            (code, output, _) = CliRunner.Run("graph", $"file:{file}");
            Assert.Equal(0, code);
            Assert.Contains("no (3 components)", output);
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(new[] { "graph", "star:4" }, "unknown graph family")]
    [InlineData(new[] { "graph", "path:4", "--matrices", "laplacian" }, "--matrices needs --out")]
    [InlineData(new[] { "graph", "path:4", "--device", "tpu" }, "unknown device 'tpu'")]
    [InlineData(new[] { "graph", "path:0" }, "positive integer")]
    public void BadOptionsGiveOneClearError(string[] args, string fragment)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(MultiscaleCli.UserError, code);
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void LargeGraphsSkipTheDenseSpectrumByDefault()
    {
        var (code, output, _) = CliRunner.Run("graph", "grid:65x65");
        Assert.Equal(0, code);
        Assert.Contains("spectrum    skipped", output);
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("graph <spec>", output);
    }
}
