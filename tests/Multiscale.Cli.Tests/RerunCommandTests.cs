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
    public void BadRerunsAreOneClearError()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run("rerun", dir.FullName, "--out", Path.Combine(dir.FullName, "x"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("has no config.json", error);

            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), "{\"arguments\": [\"prolong\", \"--out\", \"y\"]}");
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
