using System.Text.Json.Nodes;

namespace Multiscale.Cli.Tests;

public class RerunCommandTests
{
    private static JsonNode Read(string dir, string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, file)))!;

    [Fact]
    public void ARunFolderRecordsItsCommandAndRerunRepeatsItsNumbers()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string first = Path.Combine(dir.FullName, "first"), second = Path.Combine(dir.FullName, "second");
            // Given relative to the working directory; stored absolute, so a rerun from elsewhere finds the same folder.
            var (code, output, error) = CliRunner.Run("msann", "--layers", "64,16,64", "--levels", "2", "--budget", "3000", "--batch", "32",
                "--seed", "5", "--compare-default", "--out", Path.GetRelativePath(Environment.CurrentDirectory, first));
            Assert.True(code == 0, error + output);
            var config = Read(first, "config.json");
            Assert.Equal(first, config["arguments"]!.AsArray().Last()!.GetValue<string>());
            Assert.Equal("msann", config["method"]!.GetValue<string>());
            Assert.Equal("msann", config["arguments"]![0]!.GetValue<string>());
            Assert.Equal(5, config["settings"]!["seed"]!.GetValue<int>());
            Assert.Single(Directory.GetFiles(first, "events.out.tfevents.*"));
            Assert.Single(Directory.GetFiles(Path.Combine(first, "default"), "events.out.tfevents.*"));

            (code, output, error) = CliRunner.Run("rerun", first, "--out", second);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(first, "report.json")["final_mse"]!.GetValue<double>(), Read(second, "report.json")["final_mse"]!.GetValue<double>());
            Assert.Equal(Read(first, "report.json")["default"]!["final_mse"]!.GetValue<double>(), Read(second, "report.json")["default"]!["final_mse"]!.GetValue<double>());
            Assert.Equal(config["settings"]!.ToJsonString(), Read(second, "config.json")["settings"]!.ToJsonString());
            Assert.Equal(second, Read(second, "config.json")["arguments"]!.AsArray().Last()!.GetValue<string>());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AnMrtlRunRepeatsToTheSameLosses()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string first = Path.Combine(dir.FullName, "first"), second = Path.Combine(dir.FullName, "second");
            var (code, output, error) = CliRunner.Run("mrtl", "--size", "small", "--samples", "800", "--method", "all", "--rank", "2",
                "--epochs-full", "2", "--epochs-low", "2", "--cp-iterations", "30", "--out", first);
            Assert.True(code == 0, error + output);
            Assert.Equal("mrtl", Read(first, "config.json")["method"]!.GetValue<string>());
            foreach (var sub in new[] { "fixed", "random" })
                Assert.Single(Directory.GetFiles(Path.Combine(first, sub), "events.out.tfevents.*"));
            (code, output, error) = CliRunner.Run("rerun", first, "--out", second, "--device", "cpu");
            Assert.True(code == 0, error + output);
            var a = Read(first, "report.json")["runs"]!.AsArray();
            var b = Read(second, "report.json")["runs"]!.AsArray();
            Assert.Equal(a.Select(r => r!["val_loss"]!.GetValue<double>()), b.Select(r => r!["val_loss"]!.GetValue<double>()));
            Assert.Equal(a.Select(r => r!["test_f1"]!.GetValue<double>()), b.Select(r => r!["test_f1"]!.GetValue<double>()));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ASweepRunRecordsItselfAsOneMsAnnRunAndRepeatsAlone()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string sweep = Path.Combine(dir.FullName, "sweep"), again = Path.Combine(dir.FullName, "again");
            var (code, output, error) = CliRunner.Run("msann", "sweep", "--layers", "64,16,64", "--gammas", "2", "--levels", "0,1", "--ks", "2",
                "--budget", "2000", "--batch", "32", "--out", sweep);
            Assert.True(code == 0, error + output);
            string run = Path.Combine(sweep, "runs", "g2-L1-k002");
            var args = Read(run, "config.json")["arguments"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            Assert.Equal(new[] { "msann", "--layers", "64,16,64", "--budget", "2000", "--batch", "32", "--levels", "1", "--gamma", "2", "--k", "2", "--out", run }, args);
            (code, output, error) = CliRunner.Run("rerun", run, "--out", again);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(run, "report.json")["final_mse"]!.GetValue<double>(), Read(again, "report.json")["final_mse"]!.GetValue<double>());
            Assert.False(Directory.Exists(Path.Combine(again, "runs")));  // one run, not the sweep again
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ATauSweepTrainsItsHierarchiesWithTheCoarseModelAndItsDefaultRunWithout()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string sweep = Path.Combine(dir.FullName, "sweep"), again = Path.Combine(dir.FullName, "again"), plain = Path.Combine(dir.FullName, "plain");
            var (code, output, error) = CliRunner.Run("msann", "sweep", "--layers", "64,16,64", "--gammas", "1", "--levels", "0,1", "--ks", "2",
                "--budget", "2000", "--batch", "32", "--optimizer", "rmsprop-torch", "--coarse-model", "tau", "--tau-acceptance", "off", "--out", sweep);
            Assert.True(code == 0, error + output);
            string tauRun = Path.Combine(sweep, "runs", "g1-L1-k002"), defaultRun = Path.Combine(sweep, "runs", "default");
            Assert.Equal("tau", Read(tauRun, "report.json")["coarse_model"]!.GetValue<string>());
            Assert.False(Read(tauRun, "report.json")["tau"]!["acceptance"]!.GetValue<bool>());
            Assert.Equal("none", Read(defaultRun, "report.json")["coarse_model"]!.GetValue<string>());
            // The default run's command line leaves the coarse-model options out (they would make L = 0 an error) and repeats.
            var args = Read(defaultRun, "config.json")["arguments"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            Assert.DoesNotContain("--coarse-model", args);
            Assert.DoesNotContain("--tau-acceptance", args);
            Assert.Contains("--coarse-model", Read(tauRun, "config.json")["arguments"]!.AsArray().Select(a => a!.GetValue<string>()));
            (code, output, error) = CliRunner.Run("rerun", defaultRun, "--out", plain);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(defaultRun, "report.json")["final_mse"]!.GetValue<double>(), Read(plain, "report.json")["final_mse"]!.GetValue<double>());
            (code, output, error) = CliRunner.Run("rerun", tauRun, "--out", again);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(tauRun, "report.json")["final_mse"]!.GetValue<double>(), Read(again, "report.json")["final_mse"]!.GetValue<double>());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ProlongAndLineageFoldersRecordTheirCommandAndRepeatToTheSameMaps()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string first = Path.Combine(dir.FullName, "p1"), second = Path.Combine(dir.FullName, "p2");
            var (code, output, error) = CliRunner.Run("prolong", "--coarse", "path:6", "--fine", "path:12", "--s", "0.25,0.75", "--device", "cpu", "--out", first);
            Assert.True(code == 0, error + output);
            var config = Read(first, "config.json");
            Assert.Equal("prolong", config["method"]!.GetValue<string>());
            Assert.Equal("[0.25,0.75]", config["settings"]!["s"]!.ToJsonString());
            Assert.Equal("tr", config["settings"]!["solver"]!["optimizer"]!.GetValue<string>());
            (code, output, error) = CliRunner.Run("rerun", first, "--out", second);
            Assert.True(code == 0, error + output);
            foreach (var sub in new[] { "s_0.25", "s_0.75" })
            {
                Assert.Equal(File.ReadAllBytes(Path.Combine(first, sub, "P.npy")), File.ReadAllBytes(Path.Combine(second, sub, "P.npy")));
                Assert.Equal(Read(Path.Combine(first, sub), "report.json")["objective"]!.GetValue<double>(), Read(Path.Combine(second, sub), "report.json")["objective"]!.GetValue<double>());
            }
            Assert.Equal(config["settings"]!.ToJsonString(), Read(second, "config.json")["settings"]!.ToJsonString());

            string l1 = Path.Combine(dir.FullName, "l1"), l2 = Path.Combine(dir.FullName, "l2");
            (code, output, error) = CliRunner.Run("lineage", "--graph", "path:16", "--levels", "2", "--no-cache", "--device", "cpu", "--out", l1);
            Assert.True(code == 0, error + output);
            Assert.Equal("lineage", Read(l1, "config.json")["method"]!.GetValue<string>());
            var levels = Read(l1, "report.json")["levels"]!.AsArray();
            Assert.Equal(new[] { 16, 8, 4 }, levels.Select(l => l!["vertices"]!.GetValue<int>()));
            Assert.Null(levels[0]!["objective"]);
            (code, output, error) = CliRunner.Run("rerun", l1, "--out", l2);
            Assert.True(code == 0, error + output);
            foreach (var file in new[] { "P_0.npy", "P_1.npy", "Pro_2_to_0.npy" })
                Assert.Equal(File.ReadAllBytes(Path.Combine(l1, file)), File.ReadAllBytes(Path.Combine(l2, file)));
            Assert.Equal(levels.Select(l => l!["objective"]?.GetValue<double>()), Read(l2, "report.json")["levels"]!.AsArray().Select(l => l!["objective"]?.GetValue<double>()));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AGraphFolderRecordsItsSettingsAndRepeatsToTheSameMatrices()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string first = Path.Combine(dir.FullName, "g1"), second = Path.Combine(dir.FullName, "g2");
            var (code, output, error) = CliRunner.Run("graph", "grid:3x4", "--matrices", "laplacian,eigenvalues", "--format", "both", "--device", "cpu", "--out", first);
            Assert.True(code == 0, error + output);
            var config = Read(first, "config.json");
            Assert.Equal("graph", config["method"]!.GetValue<string>());
            Assert.Equal("""["laplacian","eigenvalues"]""", config["settings"]!["matrices"]!.ToJsonString());
            (code, output, error) = CliRunner.Run("rerun", first, "--out", second);
            Assert.True(code == 0, error + output);
            foreach (var file in new[] { "laplacian.npy", "laplacian.mtx", "eigenvalues.npy" })
                Assert.Equal(File.ReadAllBytes(Path.Combine(first, file)), File.ReadAllBytes(Path.Combine(second, file)));
            Assert.Equal(Read(first, "graph.json")["lambda_max"]!.GetValue<double>(), Read(second, "graph.json")["lambda_max"]!.GetValue<double>());
            Assert.Equal(config["settings"]!.ToJsonString(), Read(second, "config.json")["settings"]!.ToJsonString());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void BadRerunsAreOneClearError()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run("rerun", dir.FullName, "--out", Path.Combine(dir.FullName, "x"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("has no config.json", error);

            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), "{\"arguments\": [\"graph\", \"--out\", \"y\"]}");
            (code, _, error) = CliRunner.Run("rerun", dir.FullName, "--out", Path.Combine(dir.FullName, "x"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("not a run that can be repeated", error);

            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), "{\"arguments\": [\"msann\", \"sweep\", \"--out\", \"y\"]}");
            (code, _, error) = CliRunner.Run("rerun", dir.FullName, "--out", Path.Combine(dir.FullName, "x"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("not a single run", error);

            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), "[1, 2]");
            (code, _, error) = CliRunner.Run("rerun", dir.FullName, "--out", Path.Combine(dir.FullName, "x"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("not a run configuration", error);

            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), "{\"arguments\": [\"msann\"]}");
            (code, _, error) = CliRunner.Run("rerun", dir.FullName, "--out", dir.FullName);
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("--out must differ", error);

            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), "{ not json");
            (code, _, error) = CliRunner.Run("rerun", dir.FullName, "--out", Path.Combine(dir.FullName, "x"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("not valid JSON", error);
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "x")));
        }
        finally { dir.Delete(true); }
    }
}
