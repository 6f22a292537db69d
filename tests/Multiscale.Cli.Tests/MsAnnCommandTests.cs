using System.Text.Json;

namespace Multiscale.Cli.Tests;

public class MsAnnCommandTests
{
    [Fact]
    public void ShortRunWritesReportMetricsAndFigures()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("msann", "--layers", "64,16,8,16,64", "--levels", "2", "--gamma", "2", "--k", "2",
                "--budget", "4000", "--batch", "32", "--compare-default", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")));
            foreach (var field in new[] { "initial_mse", "final_mse", "cost_to_tenth", "seconds_to_tenth", "total_cost", "total_seconds", "levels", "gamma", "k", "maps", "default", "optimizer", "lr", "seconds_split", "mse_at_equal_seconds" })
                Assert.True(report.RootElement.TryGetProperty(field, out _), field);
            Assert.True(report.RootElement.GetProperty("final_mse").GetDouble() < report.RootElement.GetProperty("initial_mse").GetDouble());
            foreach (var part in new[] { "fine_steps", "coarse_steps", "visit_setup" })
                Assert.True(report.RootElement.GetProperty("seconds_split").GetProperty(part).GetDouble() >= 0, part);
            Assert.Contains("seconds to 1/10:", output);
            Assert.Contains("visit setup", output);
            var csv = File.ReadAllLines(Path.Combine(dir.FullName, "metrics.csv"));
            Assert.Equal("run,step,level,cost,seconds,validation_mse", csv[0]);
            Assert.Contains(csv, l => l.StartsWith("default,"));
            foreach (var png in new[] { "loss_vs_cost.png", "loss_vs_time.png" }) Assert.True(File.Exists(Path.Combine(dir.FullName, png)));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void OptimizedMapsAreCachedAndTheCachedRunRepeatsTheNumbers()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string cache = Path.Combine(dir.FullName, "cache");
            double Final(string name, params string[] extra)
            {
                var (code, output, error) = CliRunner.Run(new[] { "msann", "--maps", "optimized", "--layers", "64,16,64", "--levels", "2", "--budget", "2000",
                    "--batch", "32", "--out", Path.Combine(dir.FullName, name) }.Concat(extra).ToArray());
                Assert.True(code == 0, error + output);
                using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, name, "report.json")));
                return report.RootElement.GetProperty("final_mse").GetDouble();
            }
            double solved = Final("solved", "--no-cache");
            Assert.False(Directory.Exists(cache));
            double first = Final("first", "--cache", cache);
            var files = Directory.GetFiles(cache, "local-optimized-path*.npy");
            Assert.NotEmpty(files);  // 64 → 32 → 16 and the 16 → 8 → 4 of the hidden layer
            var stamps = files.Select(File.GetLastWriteTimeUtc).ToList();
            double cached = Final("cached", "--cache", cache);
            Assert.Equal(stamps, files.Select(File.GetLastWriteTimeUtc));  // read, not solved again
            Assert.Equal(solved, first);
            Assert.Equal(solved, cached);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void TauCorrectedRunReportsItsCorrections()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, output, error) = CliRunner.Run("msann", "--layers", "64,16,8,16,64", "--levels", "2", "--gamma", "2", "--k", "2",
                "--budget", "4000", "--batch", "32", "--rmsprop", "torch", "--coarse-model", "tau", "--tau-batches", "2", "--compare-default", "--out", dir.FullName);
            Assert.True(code == 0, error + output);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")));
            Assert.Equal("tau", report.RootElement.GetProperty("coarse_model").GetString());
            var tau = report.RootElement.GetProperty("tau");
            Assert.True(tau.GetProperty("corrections").GetInt64() > 0);
            Assert.Equal(2, tau.GetProperty("batches").GetInt32());
            Assert.True(tau.GetProperty("acceptance").GetBoolean());
            Assert.True(report.RootElement.GetProperty("final_mse").GetDouble() < report.RootElement.GetProperty("initial_mse").GetDouble());
        }
        finally { dir.Delete(true); }
    }

    /// <summary>--optimizer picks every level's optimizer; --rmsprop torch stays the same run as --optimizer rmsprop-torch.</summary>
    [Fact]
    public void TheOptimizerFlavorReachesTheRunAndTheOlderSpellingStillWorks()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            JsonElement Report(string name, params string[] extra)
            {
                var (code, output, error) = CliRunner.Run(new[] { "msann", "--layers", "64,16,64", "--levels", "1", "--budget", "1500", "--batch", "32",
                    "--out", Path.Combine(dir.FullName, name) }.Concat(extra).ToArray());
                Assert.True(code == 0, error + output);
                using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, name, "report.json")));
                return report.RootElement.Clone();
            }
            var adam = Report("adam", "--optimizer", "adam");
            Assert.Equal("adam", adam.GetProperty("optimizer").GetString());
            Assert.Equal(3e-3, adam.GetProperty("lr").GetDouble());
            var old = Report("old", "--rmsprop", "torch");
            var @new = Report("new", "--optimizer", "rmsprop-torch");
            Assert.Equal("rmsprop-torch", old.GetProperty("optimizer").GetString());
            Assert.Equal(5e-4, old.GetProperty("lr").GetDouble());
            Assert.Equal(old.GetProperty("final_mse").GetDouble(), @new.GetProperty("final_mse").GetDouble());
            Assert.NotEqual(old.GetProperty("final_mse").GetDouble(), adam.GetProperty("final_mse").GetDouble());
            Assert.Equal("rmsprop-tf1", Report("plain").GetProperty("optimizer").GetString());
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(new[] { "--layers", "96,24,96", "--levels", "4" }, "cannot be coarsened 4 times")]
    [InlineData(new[] { "--budget", "0" }, "budget must be positive")]
    [InlineData(new[] { "--layers", "64,16,32" }, "first and last layers must match")]
    [InlineData(new[] { "--gamma", "0" }, "γ must be ≥ 1")]
    [InlineData(new[] { "--coarse-model", "tau", "--levels", "0" }, "needs a hierarchy of depth L ≥ 1")]
    [InlineData(new[] { "--coarse-model", "tau", "--all-together" }, "cannot be combined with training all levels together")]
    [InlineData(new[] { "--coarse-model", "tau", "--coarse-steps" }, "choose one")]
    [InlineData(new[] { "--coarse-model", "galerkin" }, "--coarse-model must be faithful or tau (got 'galerkin')")]
    [InlineData(new[] { "--coarse-model", "tau", "--tau-acceptance", "maybe" }, "--tau-acceptance must be on or off")]
    [InlineData(new[] { "--coarse-model", "tau", "--tau-batches", "0" }, "at least one batch")]
    [InlineData(new[] { "--coarse-model", "tau", "--tau-average", "1" }, "--tau-average must be in [0, 1) (got 1)")]
    [InlineData(new[] { "--coarse-model", "tau", "--maps", "random" }, "averaging needs columns of one sign")]
    [InlineData(new[] { "--coarse-until", "-5" }, "--coarse-until must be a positive cost (got -5)")]
    [InlineData(new[] { "--coarse-init", "ones" }, "--coarse-init must be glorot or zero (got 'ones')")]
    [InlineData(new[] { "--optimizer", "sgd" }, "sgd")]
    [InlineData(new[] { "--rmsprop", "torch", "--optimizer", "adam" }, "--rmsprop torch and --optimizer adam disagree")]
    [InlineData(new[] { "--optimizer", "adam", "--lr", "0" }, "learning rate must be positive")]
    public void BadInputIsOneClearError(string[] args, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run(new[] { "msann" }.Concat(args).Concat(new[] { "--out", Path.Combine(dir.FullName, "x") }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains(fragment, error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "x")));
        }
        finally { dir.Delete(true); }
    }
}
