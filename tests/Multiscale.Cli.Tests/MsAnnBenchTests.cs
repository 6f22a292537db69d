namespace Multiscale.Cli.Tests;

public class MsAnnBenchTests
{
    [Fact]
    public void QuickBenchWritesTheTablesAndTheMemoryTrace()
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "msann-bench.md");
        var (code, _, err) = CliRunner.Run("msann", "bench", "--quick", "--only", "table1,maps,memory", "--out", file);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(file);
        Assert.Contains("## Table 1: one-object denoising", md);
        Assert.Contains("| default | L = 0 |", md);
        Assert.Contains("| faithful | γ = 3, L = 3, k = 2 |", md);
        Assert.Contains("| shuffled |", md);
        Assert.Contains("| random |", md);
        Assert.Contains("RSS changed by", md);
        Assert.Contains("paper Table 1", md);
        Assert.DoesNotContain("## Table 2", md);
    }

    [Fact]
    public void UnknownSectionsAreRejectedBeforeAnythingRuns()
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "x.md");
        var (code, _, err) = CliRunner.Run("msann", "bench", "--quick", "--only", "tabel1", "--out", file);
        Assert.Equal(1, code);
        Assert.Contains("unknown section 'tabel1'", err);
        Assert.False(File.Exists(file));
    }
}
