using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Multiscale.Cli.Tests;

public class MrtlCommandTests
{
    private static readonly string[] Short =
    {
        "--size", "small", "--samples", "2000", "--full", "4x5,6x6", "--low", "4x5,6x6;8x10,12x12", "--rank", "2",
        "--epochs-full", "1", "--epochs-low", "1", "--batch", "256", "--cp-iterations", "20",
    };

    [Fact]
    public void AllThreeMethodsWriteReportMetricsAndFigures()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run(new[] { "mrtl", "--task", "basketball", "--method", "all" }.Concat(Short).Concat(new[] { "--out", dir.FullName }).ToArray());
            Assert.True(code == 0, error + output);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")));
            var root = report.RootElement;
            foreach (var field in new[] { "method", "criterion", "finegrain", "seconds_full", "seconds_low", "seconds_total", "val_loss", "test_f1", "morans_i_mean", "factor_recovery", "resolutions", "finegrains" })
                Assert.True(root.TryGetProperty(field, out _), field);
            Assert.Equal("mrtl", root.GetProperty("method").GetString());
            Assert.Equal(3, root.GetProperty("runs").GetArrayLength());
            // Ground truth lives on 40×50 (court) and 12×12 (defenders): this chain ends at 8×10, so only the
            // defenders' factors are compared.
            Assert.InRange(root.GetProperty("factor_recovery").GetDouble(), 0, 1);
            Assert.Equal(JsonValueKind.Number, root.GetProperty("morans_i").GetProperty("ball").ValueKind);
            var csv = File.ReadAllLines(Path.Combine(dir.FullName, "metrics.csv"));
            Assert.StartsWith("method,stage,step,resolution,epoch", csv[0]);
            Assert.Contains(csv, l => l.StartsWith("random,low,"));
            foreach (var png in new[] { "loss.png", "factors_ball.png", "factors_defenders.png" })
                Assert.True(File.Exists(Path.Combine(dir.FullName, png)), png);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void UserPositionsCsvTrains()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var rng = new Random(1);
            var sb = new StringBuilder("sample,output,label,mode,row,col\n");
            for (int n = 0; n < 200; n++)
            {
                double r = rng.NextDouble() * 8, c = rng.NextDouble() * 10;
                int label = r < 4 ? 1 : 0;
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{n},{n % 2},{label},court,{r:F3},{c:F3}"));
            }
            var path = Path.Combine(dir.FullName, "p.csv");
            File.WriteAllText(path, sb.ToString());
            var (code, output, error) = CliRunner.Run("mrtl", "--positions", path, "--modes", "court:8x10", "--full", "2x2;4x5", "--low", "4x5;8x10",
                "--rank", "2", "--epochs-full", "2", "--epochs-low", "1", "--batch", "32", "--out", Path.Combine(dir.FullName, "run"));
            Assert.True(code == 0, error + output);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "run", "report.json")));
            Assert.Equal("4x5;8x10", report.RootElement.GetProperty("resolutions").GetProperty("low").GetString());

            // The same data as a --data folder (positions.csv), and a folder without it.
            var folder = Directory.CreateDirectory(Path.Combine(dir.FullName, "data"));
            File.WriteAllText(Path.Combine(folder.FullName, "positions.csv"), sb.ToString());
            var (code2, output2, error2) = CliRunner.Run("mrtl", "--data", folder.FullName, "--modes", "court:8x10", "--full", "2x2;4x5", "--low", "4x5;8x10",
                "--rank", "2", "--epochs-full", "2", "--epochs-low", "1", "--batch", "32", "--out", Path.Combine(dir.FullName, "run2"));
            Assert.True(code2 == 0, error2 + output2);
            Assert.Equal(File.ReadAllText(Path.Combine(dir.FullName, "run", "metrics.csv")).Split('\n').Length,
                File.ReadAllText(Path.Combine(dir.FullName, "run2", "metrics.csv")).Split('\n').Length);
            var empty = Directory.CreateDirectory(Path.Combine(dir.FullName, "empty"));
            var (code3, _, error3) = CliRunner.Run("mrtl", "--data", empty.FullName, "--out", Path.Combine(dir.FullName, "run3"));
            Assert.Equal(MultiscaleCli.UserError, code3);
            Assert.Contains("has no positions.csv", error3);
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "run3")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void DeviceCpuTrainsAndIsNamedInTheHeaderAndReport()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run(new[] { "mrtl", "--task", "basketball", "--device", "cpu" }.Concat(Short).Concat(new[] { "--out", dir.FullName }).ToArray());
            Assert.True(code == 0, error + output);
            Assert.EndsWith(", val-loss, cpu", output.Split('\n')[0].TrimEnd());
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")));
            Assert.Equal("cpu", report.RootElement.GetProperty("device").GetString());
            Assert.True(File.Exists(Path.Combine(dir.FullName, "factors_ball.png")));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("cuda", "device 'cuda' was requested but CUDA is not available")]
    [InlineData("cuda:1", "device 'cuda:1' was requested but CUDA is not available")]
    [InlineData("bogus", "unknown device 'bogus'")]
    public void AnUnusableDeviceIsOneClearErrorAndWritesNothing(string device, string message)
    {
        // The CUDA cases assume the CPU backend (what this repository builds by default); with a GPU they would train.
        if (device.StartsWith("cuda", StringComparison.Ordinal) && TorchSharp.torch.cuda.is_available()) return;
        var dir = CliRunner.TempDirectory();
        try
        {
            var outDir = Path.Combine(dir.FullName, "x");
            var (code, output, error) = CliRunner.Run(new[] { "mrtl", "--device", device }.Concat(Short).Concat(new[] { "--out", outDir }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains(message, lines[0]);
            Assert.Equal("", output);   // refused before any data is made or a header printed
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(new[] { "--full", "8x10,12x12;4x5,6x6", "--low", "4x5,6x6" }, "coarse→fine")]
    [InlineData(new[] { "--positions", "nowhere.csv" }, "--modes")]
    [InlineData(new[] { "--data", "/nonexistent-mrtl-folder" }, "does not exist")]
    [InlineData(new[] { "--finegrain", "cubic" }, "unknown finegrain method")]
    [InlineData(new[] { "--criterion", "loss" }, "criterion")]
    [InlineData(new[] { "--criterion", "loss-convergence", "--tau-loss", "-1" }, "τ_L")]
    [InlineData(new[] { "--criterion", "sigma-threshold", "--tau-sigma", "0" }, "τ_σ")]
    [InlineData(new[] { "--criterion", "mu-sigma-threshold", "--tau-mu", "-0.5" }, "τ_μ")]
    [InlineData(new[] { "--criterion", "sigma-threshold", "--criterion-fraction", "1.5" }, "fraction p")]
    [InlineData(new[] { "--full", "4x5,6x6", "--low", "8x10,12x12" }, "start where")]
    public void BadInputIsOneClearError(string[] args, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run(new[] { "mrtl", "--size", "small", "--samples", "200" }.Concat(args).Concat(new[] { "--out", Path.Combine(dir.FullName, "x") }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains(fragment, error);
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "x")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void TheLowRankSparseModelWritesBothTermsFactorsAndItsMeasures()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("mrtl", "--task", "basketball", "--size", "small", "--samples", "2000", "--sparse-rank", "1",
                "--full", "4x5,6x6", "--low", "4x5,6x6;8x10,12x12", "--rank", "4", "--model", "low-rank+sparse", "--lambda-sparse", "0.5",
                "--epochs-full", "1", "--epochs-low", "2", "--cp-iterations", "20", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            Assert.Contains("K = 4 (2 low-rank + 2 sparse, λ₁ = 0.5)", output.Split('\n')[0]);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")));
            var root = report.RootElement;
            Assert.Equal("low-rank+sparse", root.GetProperty("model").GetString());
            Assert.Equal(2, root.GetProperty("sparse_rank").GetInt32());
            Assert.Equal(0.5, root.GetProperty("lambda_sparse").GetDouble());
            var terms = root.GetProperty("factors").GetProperty("defenders").GetProperty("term").EnumerateArray().Select(t => t.GetString()).ToArray();
            Assert.Equal(new[] { "smooth", "smooth", "sparse", "sparse" }, terms);
            Assert.InRange(root.GetProperty("sparse_term").GetProperty("zero_fraction_sparse").GetDouble(), 1e-9, 1);
            Assert.Equal(0, root.GetProperty("sparse_term").GetProperty("zero_fraction_smooth").GetDouble());
            var weights = Multiscale.IO.Npz.Read(Path.Combine(dir.FullName, "weights.npz"));
            try
            {
                // Output, ball, defenders for each term; W = W^L + W^S.
                Assert.Equal(new long[] { 80, 2 }, weights["mrtl.factor1"].shape);
                Assert.Equal(new long[] { 80, 2 }, weights["mrtl.sparse_factor1"].shape);
                Assert.Equal(new long[] { 144, 2 }, weights["mrtl.sparse_factor2"].shape);
                Assert.True(weights["mrtl.sparse_factor2"].eq(0).any().item<bool>());
                var f = Enumerable.Range(0, 3).Select(m => weights[$"mrtl.factor{m}"].to_type(TorchSharp.torch.ScalarType.Float64)).ToArray();
                var g = Enumerable.Range(0, 3).Select(m => weights[$"mrtl.sparse_factor{m}"].to_type(TorchSharp.torch.ScalarType.Float64)).ToArray();
                var w = TorchSharp.torch.einsum("ak,bk,ck->abc", f) + TorchSharp.torch.einsum("ak,bk,ck->abc", g);
                Assert.True(TorchSharp.torch.allclose(w, weights["mrtl.tensor"].to_type(TorchSharp.torch.ScalarType.Float64), 1e-4, 1e-6));
            }
            finally { foreach (var t in weights.Values) t.Dispose(); }
            Assert.True(File.Exists(Path.Combine(dir.FullName, "factors_ball.png")));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(new[] { "--model", "sparse" }, "unknown model 'sparse' (expected low-rank or low-rank+sparse)")]
    [InlineData(new[] { "--model", "low-rank+sparse", "--lambda-sparse", "-0.1" }, "λ₁ must be a finite number ≥ 0")]
    [InlineData(new[] { "--model", "low-rank+sparse", "--rank", "4", "--sparse-components", "4" }, "between 0 and K − 1 = 3")]
    [InlineData(new[] { "--sparse-components", "2" }, "apply to --model low-rank+sparse only")]
    [InlineData(new[] { "--lambda-sparse", "0.2" }, "apply to --model low-rank+sparse only")]
    [InlineData(new[] { "--model", "low-rank+sparse", "--sparse-start", "gradient", "--sparse-start-step", "3" }, "the sparse start step must be a step of the low-rank chain, 0 … 2 (got 3)")]
    [InlineData(new[] { "--model", "low-rank+sparse", "--sparse-start-step", "1" }, "with --sparse-start gradient only")]
    [InlineData(new[] { "--model", "low-rank+sparse", "--sparse-start", "late" }, "--sparse-start must be residual, split or gradient (got 'late')")]
    public void BadModelSettingsAreOneErrorLineBeforeAnything(string[] args, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var outDir = Path.Combine(dir.FullName, "x");
            var (code, output, error) = CliRunner.Run(new[] { "mrtl", "--size", "small", "--samples", "200" }.Concat(args).Concat(new[] { "--out", outDir }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains(fragment, lines[0]);
            Assert.Equal("", output);
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void OptimizedFinegrainingKeepsItsMapsInTheCache()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string cache = Path.Combine(dir.FullName, "cache");
            var (code, output, error) = CliRunner.Run("mrtl", "--size", "small", "--samples", "600", "--finegrain", "optimized", "--rank", "2",
                "--full", "4x5,6x6", "--low", "4x5,6x6;8x10,12x12", "--epochs-full", "1", "--epochs-low", "1", "--cp-iterations", "20",
                "--cache", cache, "--out", Path.Combine(dir.FullName, "run"));
            Assert.True(code == 0, error + output);
            // 4 → 8 and 5 → 10 for the ball's grid, 6 → 12 for the defenders'.
            Assert.Equal(3, Directory.GetFiles(cache, "local-optimized-path*.npy").Length);
        }
        finally { dir.Delete(true); }
    }
}
