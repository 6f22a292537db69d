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
    public void QuickBenchMeasuresTheOverheadAndTheFlavorsAtEqualWallClock()
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "msann-bench.md");
        var (code, _, err) = CliRunner.Run("msann", "bench", "--quick", "--only", "overhead,flavors", "--out", file);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(file);
        Assert.Contains("## Per-step overhead against a plain TorchSharp loop", md);
        foreach (var row in new[] { "| rmsprop-torch | default training (L = 0, k = 1) |", "| rmsprop-torch | V-cycle γ = 1, L = 2, k = 4 |", "| adam | default training (L = 0, k = 1) |" })
            Assert.Contains(row, md);
        Assert.Contains("TorchSharp's optim.RMSProp step", md);
        Assert.Contains("## Optimizer flavors at equal wall-clock", md);
        foreach (var flavor in new[] { "rmsprop-tf1", "rmsprop-torch", "adam" })
        {
            Assert.Contains($"| {flavor} | ", md);
            Assert.Contains(md.Split('\n'), l => l.StartsWith($"| {flavor} |") && l.Contains("faithful γ = 3, L = 3, k = 2"));
        }
        Assert.Contains("Adam's learning rate for default training", md);
    }

    [Fact]
    public void QuickBenchRunsTheEarlyPhaseAndMapProductSections()
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "msann-bench.md");
        var (code, _, err) = CliRunner.Run("msann", "bench", "--quick", "--only", "tau-early,map-products,tau-mnist", "--out", file);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(file);
        Assert.Contains("## The early-phase schedule at n = 64", md);
        foreach (var row in new[] { "| τ, zero coarse init | γ = 1, L = 1, k = 4 |", "| τ, zero coarse init, coarse until 0.25 of the budget | γ = 1, L = 1, k = 4 |" })
            Assert.Contains(row, md);
        // Zero coarse levels start from default training's weights: the same initial MSE, printed side by side.
        var initial = md.Split('\n').Single(l => l.StartsWith("Initial validation MSE per seed", StringComparison.Ordinal));
        var values = initial[(initial.IndexOf(':') + 1)..].Split('/').Select(v => v.Trim()).ToArray();
        Assert.Equal(values[0], values[2]);
        Assert.Contains("## Level-map products: banded blocks against dense products", md);
        Assert.Contains("| 256 | 1 |", md);
        // MNIST needs 1024 inputs: the quick bench says it skipped the section.
        Assert.Contains("## τ-corrected coarse models on MNIST", md);
        Assert.Contains("Skipped", md);
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
