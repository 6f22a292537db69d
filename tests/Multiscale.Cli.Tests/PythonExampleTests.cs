using System.Text.Json;
using Multiscale.IO;
using Multiscale.MsAnn.Data;
using Multiscale.Tests.IO;

namespace Multiscale.Cli.Tests;

/// <summary>
/// examples/python/open_run.py opens real run folders with Debian's numpy and matplotlib: it rebuilds MsANN's fine
/// network from the levels and MRTL's W from its CP factors, and its arrays are the ones the run wrote.
/// </summary>
public class PythonExampleTests
{
    private static JsonElement OpenRun(string run, params string[] options)
    {
        string script = Path.Combine(CliRunner.RepoRoot(), "examples", "python", "open_run.py");
        string argv = string.Join(", ", new[] { script, run }.Concat(options).Select(a => JsonSerializer.Serialize(a)));
        string output = Python.Run($"import runpy, sys\nsys.argv = [{argv}]\n"
            + $"runpy.run_path(sys.argv[0], run_name='__main__')\n", run);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static long[] Shape(JsonElement summary, string name) =>
        summary.GetProperty("arrays").GetProperty(name).GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>numpy's sum of every array equals the sum of the same array read back here (same values, same layout).</summary>
    private static void AssertSameArrays(JsonElement summary, string weightsPath)
    {
        Assert.True(summary.GetProperty("safetensors_equal_npz").GetBoolean(), "weights.safetensors differs from weights.npz");
        var arrays = Npz.Read(weightsPath);
        try
        {
            Assert.Equal(arrays.Keys.Order(), summary.GetProperty("arrays").EnumerateObject().Select(p => p.Name).Order());
            foreach (var (name, tensor) in arrays)
            {
                Assert.Equal(tensor.shape, Shape(summary, name));
                double sum = tensor.to_type(TorchSharp.torch.ScalarType.Float64).sum().item<double>();
                Assert.Equal(sum, summary.GetProperty("arrays").GetProperty(name).GetProperty("sum").GetDouble(), 1e-9);
            }
        }
        finally
        {
            foreach (var t in arrays.Values) t.Dispose();
        }
    }

    private static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), path);
        var head = File.ReadAllBytes(path).Take(8).ToArray();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
    }

    [Fact]
    public void MsAnnFineNetworkIsTheSumOfProlongedLevels()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            int[] sizes = { 64, 16, 8, 16, 64 };
            var (code, output, error) = CliRunner.Run("msann", "--layers", string.Join(',', sizes), "--levels", "2", "--gamma", "2", "--k", "2",
                "--budget", "2000", "--batch", "32", "--compare-default", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            // The run's own validation set (the CLI's synthetic one-object data, seed 0), for numpy to evaluate the network on.
            string data = Directory.CreateDirectory(Path.Combine(dir.FullName, "data")).FullName;
            string inputs = Path.Combine(data, "validation_x.npy"), targets = Path.Combine(data, "validation_y.npy");
            using (var validation = new SyntheticObjectsData(sizes[0], 1, 0, TorchSharp.torch.CPU))
            {
                Npy.Write(inputs, validation.Validation.Input);
                Npy.Write(targets, validation.Validation.Target);
            }
            var summary = OpenRun(dir.FullName, "--inputs", inputs, "--targets", targets);
            Assert.Equal("msann", summary.GetProperty("method").GetString());
            // numpy's forward pass through the exported Θ gives the validation MSE the run reported (float32 vs float64).
            double reported = summary.GetProperty("report").GetProperty("final_mse").GetDouble();
            Assert.Equal(reported, summary.GetProperty("fine_mse").GetDouble(), reported * 1e-5);
            for (int j = 0; j + 1 < sizes.Length; j++)
            {
                Assert.Equal(new long[] { sizes[j], sizes[j + 1] }, Shape(summary, $"fine.layer{j}.weight"));
                Assert.Equal(new long[] { sizes[j + 1] }, Shape(summary, $"fine.layer{j}.bias"));
                for (int l = 0; l <= 2; l++)
                    Assert.Equal(new long[] { sizes[j] >> l, sizes[j + 1] >> l }, Shape(summary, $"level{l}.layer{j}.weight"));
            }
            Assert.Equal(new long[] { 64, 16 }, Shape(summary, "map.n64.level2"));
            // Θ = Σ_l Pro θ⁽ˡ⁾ Proᵀ, rebuilt in float64 from float32 parts: the levels are Glorot-initialized, so every
            // term is of order 0.1 and a wrong map, order or transpose would show far above float32 rounding.
            Assert.InRange(summary.GetProperty("max_rebuild_difference").GetDouble(), 0, 1e-5);
            string weights = Path.Combine(dir.FullName, "weights.npz");
            AssertSameArrays(summary, weights);
            var arrays = Npz.Read(weights);
            try
            {
                // The compared default run has one level: its fine network is its level 0, exactly.
                Assert.True(arrays["default.fine.layer1.weight"].eq(arrays["default.level0.layer1.weight"]).all().item<bool>());
                Assert.True(arrays["level2.layer0.weight"].abs().max().item<float>() > 0.01f);
            }
            finally
            {
                foreach (var t in arrays.Values) t.Dispose();
            }
            Assert.Equal(File.ReadAllLines(Path.Combine(dir.FullName, "metrics.csv")).Length - 1, summary.GetProperty("metrics_rows").GetInt32());
            AssertPng(Path.Combine(dir.FullName, "loss_numpy.png"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MrtlTensorIsTheCpProductOfItsFactors()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("mrtl", "--size", "small", "--samples", "1000", "--full", "4x5,6x6", "--low", "4x5,6x6;8x10,12x12",
                "--rank", "3", "--epochs-full", "1", "--epochs-low", "1", "--batch", "256", "--cp-iterations", "20", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            var summary = OpenRun(dir.FullName);
            var report = summary.GetProperty("report");
            long outputs = report.GetProperty("outputs").GetInt64(), rank = report.GetProperty("rank").GetInt64();
            Assert.Equal(3, rank);
            // Mode order: output, then the spatial modes at the finest low-rank resolution (8x10 and 12x12 cells).
            Assert.Equal(new[] { outputs, rank }, Shape(summary, "mrtl.factor0"));
            Assert.Equal(new[] { 80L, rank }, Shape(summary, "mrtl.factor1"));
            Assert.Equal(new[] { 144L, rank }, Shape(summary, "mrtl.factor2"));
            Assert.Equal(new[] { outputs }, Shape(summary, "mrtl.bias"));
            Assert.Equal(new[] { outputs, 80L, 144L }, Shape(summary, "mrtl.tensor"));
            // The full-rank stage's trained model that CP-ALS decomposed, at the last full-rank resolution (4x5, 6x6).
            Assert.Equal(new[] { outputs, 20L, 36L }, Shape(summary, "mrtl.full_rank.tensor"));
            Assert.Equal(new[] { outputs }, Shape(summary, "mrtl.full_rank.bias"));
            Assert.InRange(summary.GetProperty("max_rebuild_difference").GetDouble(), 0, 1e-6);
            AssertSameArrays(summary, Path.Combine(dir.FullName, "weights.npz"));
            AssertPng(Path.Combine(dir.FullName, "loss_numpy.png"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void LowRankSparseTensorIsTheSumOfBothTermsCpProducts()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("mrtl", "--size", "small", "--samples", "1000", "--full", "4x5,6x6", "--low", "4x5,6x6;8x10,12x12",
                "--rank", "3", "--model", "low-rank+sparse", "--sparse-components", "1", "--epochs-full", "1", "--epochs-low", "1", "--batch", "256",
                "--cp-iterations", "20", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            var summary = OpenRun(dir.FullName);
            Assert.Equal(new[] { 80L, 2 }, Shape(summary, "mrtl.factor1"));
            Assert.Equal(new[] { 80L, 1 }, Shape(summary, "mrtl.sparse_factor1"));
            Assert.Equal(new[] { 144L, 1 }, Shape(summary, "mrtl.sparse_factor2"));
            // Without the sparse term the rebuild would miss W^S: the difference is only float32 rounding.
            Assert.InRange(summary.GetProperty("max_rebuild_difference").GetDouble(), 0, 1e-6);
            AssertSameArrays(summary, Path.Combine(dir.FullName, "weights.npz"));
        }
        finally { dir.Delete(true); }
    }
}
