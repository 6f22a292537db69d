namespace Multiscale.Cli.Tests;

public class BenchCommandTests
{
    [Fact]
    public void QuickBenchWritesEverySection()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var file = Path.Combine(dir.FullName, "bench.md");
            var (code, _, error) = CliRunner.Run("bench", "--quick", "--out", file);
            Assert.True(code == 0, error);
            var md = File.ReadAllText(file);
            foreach (var section in new[] { "## Matching", "## Against Pymanopt", "## Cost of one iteration", "Kronecker factors", "## Trade-off", "α and β", "Munkres start against random" })
                Assert.Contains(section, md);
            // The certified column must say yes for the separable cycle pair.
            Assert.Contains("| yes |", md);
        }
        finally { dir.Delete(true); }
    }
}

public class QuickstartCommandTests
{
    [Fact]
    public void QuickstartRunsEveryStep()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("quickstart", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            foreach (var f in new[] { "graph/graph.json", "prolong/tradeoff.png", "prolong/s_0.5/P.png", "prolong-grid/report.json", "lineage/lineage.json", "msann/report.json", "msann/loss_vs_cost.png", "mrtl/report.json", "mrtl/loss.png" })
                Assert.True(File.Exists(Path.Combine(dir.FullName, f)), f);
        }
        finally { dir.Delete(true); }
    }
}
