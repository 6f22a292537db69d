namespace Multiscale.Cli.Tests;

public class MrtlBenchTests
{
    [Fact]
    public void QuickBenchWritesTheComparisonTables()
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "mrtl-bench.md");
        var (code, _, err) = CliRunner.Run("mrtl", "bench", "--quick", "--tasks", "climate", "--out", file);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(file);
        Assert.Contains("## climate: MRTL against fixed resolution and random initialization", md);
        foreach (var row in new[] { "| mrtl |", "| fixed |", "| random |", "| nearest |", "| bilinear |", "| optimized |", "| val-loss |", "| spatial-entropy |",
                     "| loss-convergence | 000 (2018) |", "| sigma-threshold | 000 (2018) |", "| mu-sigma-threshold | 000 (2018) |" })
            Assert.Contains(row, md);
        Assert.Contains("Time to the same full-rank validation loss, fixed ÷ MRTL:", md);
        Assert.Contains("| criterion | paper | epochs per resolution (full / low) | total s |", md);
        // MRTL against the baseline at its default and at its best swept regularization, both ratios reported.
        Assert.Contains("## climate: MRTL against the tuned fixed-resolution baseline", md);
        Assert.Matches(@"\| fixed, untuned \| [^\n]*×[^\n]*×", md);
        Assert.Matches(@"\| fixed, tuned \| [^\n]*×[^\n]*×", md);
        Assert.Matches(@"Chosen \(λ_L2, λ_s\) per seed: \([0-9.]+, [0-9.]+\)", md);
        // The sensitivity table: every 2018 criterion at each threshold, with how many resolution changes it caused.
        Assert.Contains("## climate: threshold sensitivity of paper 000's criteria", md);
        foreach (var row in new[] { "| loss-convergence | τ_L = 0.0001 |", "| spatial-entropy | τ_S = 0.1 |", "| sigma-threshold | τ_σ = 0.01 |", "| mu-sigma-threshold | τ_μ = 0.01, τ_σ = 1e-06 |" })
            Assert.Matches(System.Text.RegularExpressions.Regex.Escape(row) + @" \d+/\d+ \|", md);
    }

    [Fact]
    public void QuickBenchComparesTheLowRankSparseModelWithTheLowRankModel()
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "mrtl-bench.md");
        var (code, _, err) = CliRunner.Run("mrtl", "bench", "--quick", "--only", "low-rank-sparse", "--tasks", "basketball", "--out", file);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(file);
        Assert.Contains("## basketball: low-rank + sparse model (paper 000 (31)) against the low-rank model", md);
        Assert.Contains("| model | start | λ₁ | total s | low-rank s | val loss | test F1 | recovery smooth | recovery sparse |", md);
        Assert.Contains("| low-rank | — | — |", md);
        Assert.Contains("| low-rank+sparse | residual | 0 |", md);
        Assert.Contains("| low-rank+sparse | residual | 0.03 |", md);
        Assert.Contains("| low-rank+sparse | split | 0.03 |", md);
        Assert.DoesNotContain("## basketball: finegraining", md);
    }

    [Fact]
    public void QuickBenchComparesTheGradientSparseStartWithTheResidualStartAndTheLowRankModel()
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "mrtl-bench.md");
        var (code, _, err) = CliRunner.Run("mrtl", "bench", "--quick", "--only", "sparse-start", "--tasks", "basketball", "--out", file);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(file);
        Assert.Contains("## basketball: the sparse term started from the low-rank stage's residual (`--sparse-start gradient`)", md);
        Assert.Contains("| model | start | at | λ₁ | total s | low-rank s | val loss | test F1 | recovery smooth | recovery sparse | sparse court / box | zeros (sparse term) |", md);
        Assert.Contains("| low-rank | — | — | — |", md);
        Assert.Contains("| low-rank+sparse | residual | — | 0.03 |", md);
        Assert.Contains("| low-rank+sparse | gradient | 1 | 0.03 |", md);
        // The gradient row reports the residual's CP fit, a number in (0, 1].
        var row = md.Split('\n').Single(l => l.StartsWith("| low-rank+sparse | gradient | 1 | 0.03 |", StringComparison.Ordinal));
        double fit = double.Parse(row.Split('|', StringSplitOptions.TrimEntries)[^2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(fit, 1e-9, 1.0);
        Assert.DoesNotContain("## basketball: low-rank + sparse model", md);
    }

    [Theory]
    [InlineData("--only", "speeed", "unknown section 'speeed'")]
    [InlineData("--tasks", "soccer", "unknown task 'soccer'")]
    [InlineData("--seeds", "0", "--seeds must be positive")]
    [InlineData("--device", "bogus", "unknown device 'bogus'")]
    [InlineData("--tasks", ",", "error: --tasks names no task")]
    public void BadOptionsAreRejectedBeforeAnythingRuns(string option, string value, string message)
    {
        var dir = CliRunner.TempDirectory();
        var file = Path.Combine(dir.FullName, "x.md");
        var (code, _, err) = CliRunner.Run("mrtl", "bench", "--quick", option, value, "--out", file);
        Assert.Equal(1, code);
        Assert.Contains(message, err);
        Assert.False(File.Exists(file));
    }
}
