using System.Text.Json;
using Multiscale.IO;
using Multiscale.Prolongation;
using static TorchSharp.torch;

namespace Multiscale.Cli.Tests;

/// <summary><c>--format npy|mtx|both</c> on graph, prolong and lineage: the same matrices, dense or sparse.</summary>
public class MatrixFormatTests
{
    [Fact]
    public void GraphWritesBothFormatsWithEqualMatrices()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run("graph", "grid:4x4", "--out", dir.FullName, "--matrices", "laplacian,distances", "--format", "both");
            Assert.True(code == 0, error);
            foreach (var name in new[] { "laplacian", "distances" })
            {
                using var scope = NewDisposeScope();
                var dense = Npy.Read(Path.Combine(dir.FullName, name + ".npy"));
                var sparse = MatrixMarket.ReadDense(Path.Combine(dir.FullName, name + ".mtx"));
                Assert.True(dense.eq(sparse).all().item<bool>(), name);
            }
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "graph.json")));
            Assert.Equal(new[] { "laplacian.npy", "laplacian.mtx", "distances.npy", "distances.mtx" },
                json.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ProlongAndLineageWriteMatrixMarketWhenAsked()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var prolong = Path.Combine(dir.FullName, "prolong");
            var (code, _, error) = CliRunner.Run("prolong", "--coarse", "path:6", "--fine", "path:12", "--s", "0", "--out", prolong, "--format", "mtx");
            Assert.True(code == 0, error);
            Assert.False(File.Exists(Path.Combine(prolong, "P.npy")));
            using (var map = ProlongationMap.Load(Path.Combine(prolong, "P.mtx")))
            {
                Assert.Equal(12, map.FineSize);
                Assert.Equal("optimized", map.Provenance.Method);
            }

            var lineage = Path.Combine(dir.FullName, "lineage");
            (code, _, error) = CliRunner.Run("lineage", "--graph", "path:16", "--levels", "2", "--source", "interpolation", "--no-cache", "--out", lineage, "--format", "both");
            Assert.True(code == 0, error);
            foreach (var f in new[] { "P_0.npy", "P_0.mtx", "P_1.npy", "P_1.mtx", "Pro_2_to_0.npy", "Pro_2_to_0.mtx" })
                Assert.True(File.Exists(Path.Combine(lineage, f)), f);
            using var a = ProlongationMap.Load(Path.Combine(lineage, "Pro_2_to_0.npy"));
            using var b = ProlongationMap.Load(Path.Combine(lineage, "Pro_2_to_0.mtx"));
            Assert.True(a.Matrix.eq(b.Matrix).all().item<bool>());

            (code, _, error) = CliRunner.Run("graph", "path:4", "--format", "csv");
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("csv", error);
        }
        finally { dir.Delete(true); }
    }
}
