namespace Multiscale.Cli.Tests;

/// <summary>Graphs and pairs too large for memory are one error line before any work, never an out-of-memory crash.</summary>
public class SizeLimitCommandTests
{
    [Theory]
    [InlineData(new[] { "graph", "path:2000000000" }, "needs about 745.1 GiB of memory")]
    [InlineData(new[] { "graph", "grid:100000x100000" }, "needs about 5.8 TiB of memory")]
    [InlineData(new[] { "graph", "path:99999999999" }, "too large (at most 2147483647 vertices)")]
    [InlineData(new[] { "graph", "path:200000", "--matrices", "distances" }, "dense distances needs about")]
    [InlineData(new[] { "prolong", "--coarse", "path:100000", "--fine", "path:200000" }, "the map path:100000 (100000) → path:200000 (200000) needs about")]
    [InlineData(new[] { "lineage", "--graph", "path:300000", "--levels", "2", "--coarsen", "heavy-edge", "--no-cache" }, "the lineage of 'path:300000' (300000 vertices, 2 levels) needs about")]
    public void TooLargeIsOneErrorLineNamingTheLargestSizeThatFits(string[] args, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var outDir = Path.Combine(dir.FullName, "out");
            var (code, _, error) = CliRunner.Run(args.Concat(new[] { "--out", outDir }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.StartsWith("error: ", error);
            Assert.Contains(fragment, error);
            if (!fragment.StartsWith("too large", StringComparison.Ordinal)) Assert.Matches("largest .* (is|has about) [0-9]+", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }
}
