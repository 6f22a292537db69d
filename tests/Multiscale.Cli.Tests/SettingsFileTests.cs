using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Cli.Tests;

/// <summary>
/// <c>--config FILE</c> runs a settings file (a run's config.json or a plain object of settings), options given on the
/// command line replace its fields, and <c>rerun</c> repeats a folder from its settings alone, whoever wrote it.
/// </summary>
public class SettingsFileTests
{
    private static JsonNode Read(string dir, string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, file)))!;

    private static double FinalMse(string dir) => Read(dir, "report.json")["final_mse"]!.GetValue<double>();

    [Fact]
    public void ASettingsFileRunsAsItsCommandLineAndOptionsGivenReplaceItsFields()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string byOptions = Path.Combine(dir.FullName, "options"), byFile = Path.Combine(dir.FullName, "file"), changed = Path.Combine(dir.FullName, "changed");
            var (code, output, error) = CliRunner.Run("msann", "--layers", "64,16,64", "--levels", "1", "--gamma", "1", "--k", "2", "--budget", "1500",
                "--batch", "32", "--seed", "4", "--optimizer", "adam", "--out", byOptions);
            Assert.True(code == 0, error + output);
            // A hand-written file: numbers as numbers or strings, the layers as an array, the rest defaults.
            string file = Path.Combine(dir.FullName, "settings.json");
            File.WriteAllText(file, """{ "layers": [64, 16, 64], "levels": 1, "gamma": 1, "k": "2", "budget": 1500, "batch": 32, "seed": 4, "optimizer": "adam" }""");
            (code, output, error) = CliRunner.Run("msann", "--config", file, "--out", byFile);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(byOptions, "config.json")["settings"]!.ToJsonString(), Read(byFile, "config.json")["settings"]!.ToJsonString());
            Assert.Equal(FinalMse(byOptions), FinalMse(byFile));

            // A run's own config.json, with one field replaced on the command line; the others stand.
            (code, output, error) = CliRunner.Run("msann", "--config", Path.Combine(byOptions, "config.json"), "--seed", "9", "--out", changed);
            Assert.True(code == 0, error + output);
            var settings = Read(changed, "config.json")["settings"]!;
            Assert.Equal(9, settings["seed"]!.GetValue<long>());
            Assert.Equal("adam", settings["optimizer"]!.GetValue<string>());
            Assert.Equal(1500, settings["budget"]!.GetValue<double>());
            Assert.NotEqual(FinalMse(byOptions), FinalMse(changed));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AnMrtlSettingsFileRunsAndAFieldFromTheCommandLineWins()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string file = Path.Combine(dir.FullName, "mrtl.json"), run = Path.Combine(dir.FullName, "run");
            File.WriteAllText(file, """{ "size": "small", "samples": 600, "rank": 2, "epochs_full": 1, "epochs_low": 1, "cp_iterations": 20, "seed": 1 }""");
            var (code, output, error) = CliRunner.Run("mrtl", "--config", file, "--rank", "3", "--out", run);
            Assert.True(code == 0, error + output);
            var settings = Read(run, "config.json")["settings"]!;
            Assert.Equal(3, settings["rank"]!.GetValue<int>());
            Assert.Equal(600, settings["samples"]!.GetValue<int>());
            Assert.Equal(1, settings["seed"]!.GetValue<long>());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ARelativeDataPathInASettingsFileIsTakenFromTheFilesFolder()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string folder = Directory.CreateDirectory(Path.Combine(dir.FullName, "study")).FullName;
            Directory.CreateDirectory(Path.Combine(folder, "mydata"));
            string file = Path.Combine(folder, "mrtl.json");
            File.WriteAllText(file, """{ "task": "basketball", "data": "mydata" }""");
            // The folder exists next to the file (not in the working directory) and lacks positions.csv: the error names it.
            var (code, _, error) = CliRunner.Run("mrtl", "--config", file, "--out", Path.Combine(dir.FullName, "run"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains($"'{Path.Combine(folder, "mydata")}' has no positions.csv", error);
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("""{ "budjet": 1000 }""", "'budjet' in ")]
    [InlineData("""{ "levels": "many" }""", "'levels' in ")]
    [InlineData("""{ "method": "mrtl", "settings": { "rank": 2 } }""", "holds the settings of a mrtl run, not of msann")]
    [InlineData("""[1, 2]""", "must hold a JSON object")]
    [InlineData("""{ not json""", "is not valid JSON")]
    public void ABadSettingsFileIsOneErrorNamingTheFileAndNothingIsWritten(string content, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string file = Path.Combine(dir.FullName, "s.json"), run = Path.Combine(dir.FullName, "run");
            File.WriteAllText(file, content);
            var (code, _, error) = CliRunner.Run("msann", "--config", file, "--out", run);
            Assert.Equal(MultiscaleCli.UserError, code);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains(fragment, lines[0]);
            Assert.False(Directory.Exists(run));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AMissingSettingsFileAndABadOptionAreNamedAsTheUserGaveThem()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var (code, _, error) = CliRunner.Run("msann", "--config", Path.Combine(dir.FullName, "none.json"), "--out", Path.Combine(dir.FullName, "run"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("does not exist", error);
            (code, _, error) = CliRunner.Run("msann", "--maps", "interpolation", "--layers", "64,x,64", "--out", Path.Combine(dir.FullName, "run"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.StartsWith("error: --layers must be positive integers", error);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AFolderAProgramWroteThroughThePluginContractIsRepeatedFromItsSettings()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string written = Path.Combine(dir.FullName, "program"), again = Path.Combine(dir.FullName, "again");
            // As examples/HostedMethods does: settings built in C#, no command line recorded.
            var method = new MsAnn.MsAnnMethod();
            var settings = new MsAnn.MsAnnSettings(MsAnn.Data.AutoencoderDataSource.SyntheticObjects(1), new[] { 64, 16, 64 }, new MsAnn.CycleSchedule(1, 2, 2),
                MsAnn.LayerMapStrategy.Aggregation, new MsAnn.MsAnnTrainingOptions { Budget = 1500, BatchSize = 32, EvaluateEvery = 300 }, Seed: 2);
            using (var folder = new RunFolder(written))
            {
                var record = method.Run(settings, RunContext.Cpu());
                folder.Complete(record, RunFolder.Config(method.Name, arguments: null, method.Describe(settings)), renderer: null);
            }
            var (code, output, error) = CliRunner.Run("rerun", written, "--out", again);
            Assert.True(code == 0, error + output);
            Assert.Equal(FinalMse(written), FinalMse(again));
            Assert.Equal(File.ReadAllLines(Path.Combine(written, "metrics.csv")).Length, File.ReadAllLines(Path.Combine(again, "metrics.csv")).Length);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ARunOnDataHeldInMemoryIsRefusedByRerunWithTheReason()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string written = Path.Combine(dir.FullName, "program");
            Directory.CreateDirectory(written);
            var data = Mrtl.Data.BasketballSynthetic.Generate(Mrtl.Data.BasketballOptions.Small with { Samples = 100 });
            var method = new Mrtl.MultiresolutionTensorLearning();
            var settings = new Mrtl.MrtlSettings(new Mrtl.Data.InMemorySource(data, "mine"), new Mrtl.Training.MrtlTrainerOptions(), new[] { Mrtl.Training.MrtlMethod.Mrtl });
            RunFolder.WriteJson(Path.Combine(written, "config.json"), RunFolder.Config(method.Name, null, method.Describe(settings)));
            var (code, _, error) = CliRunner.Run("rerun", written, "--out", Path.Combine(dir.FullName, "again"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("'data_in_memory'", error);
            Assert.Contains("held in memory", error);
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "again")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ProlongAndLineageRunTheirSettingsFilesAndOptionsReplaceNestedSolverFields()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string byOptions = Path.Combine(dir.FullName, "options"), byFile = Path.Combine(dir.FullName, "file"), changed = Path.Combine(dir.FullName, "changed");
            var (code, output, error) = CliRunner.Run("prolong", "--coarse", "path:5", "--fine", "path:10", "--s", "0.5", "--optimizer", "cg",
                "--max-iter", "300", "--no-saddle-escape", "--device", "cpu", "--out", byOptions);
            Assert.True(code == 0, error + output);
            string file = Path.Combine(dir.FullName, "prolong.json");
            File.WriteAllText(file, """{ "coarse": "path:5", "fine": "path:10", "s": 0.5, "solver": { "optimizer": "cg", "max_iterations": "300", "escape_saddles": false } }""");
            (code, output, error) = CliRunner.Run("prolong", "--config", file, "--device", "cpu", "--out", byFile);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(byOptions, "config.json")["settings"]!.ToJsonString(), Read(byFile, "config.json")["settings"]!.ToJsonString());
            Assert.Equal(File.ReadAllBytes(Path.Combine(byOptions, "P.npy")), File.ReadAllBytes(Path.Combine(byFile, "P.npy")));

            // A run's config.json with a solver option and the graph replaced; the file's other solver fields stand.
            (code, output, error) = CliRunner.Run("prolong", "--config", Path.Combine(byOptions, "config.json"), "--fine", "path:9", "--seed", "3",
                "--device", "cpu", "--out", changed);
            Assert.True(code == 0, error + output);
            var settings = Read(changed, "config.json")["settings"]!;
            Assert.Equal("path:9", settings["fine"]!.GetValue<string>());
            Assert.Equal(3, settings["solver"]!["seed"]!.GetValue<long>());
            Assert.Equal("cg", settings["solver"]!["optimizer"]!.GetValue<string>());
            Assert.False(settings["solver"]!["escape_saddles"]!.GetValue<bool>());
            Assert.Equal(9, Read(changed, "report.json")["n_fine"]!.GetValue<int>());

            string lineageOptions = Path.Combine(dir.FullName, "l-options"), lineageFile = Path.Combine(dir.FullName, "l-file");
            (code, output, error) = CliRunner.Run("lineage", "--graph", "path:16", "--levels", "2", "--s", "0.5", "--no-cache", "--device", "cpu", "--out", lineageOptions);
            Assert.True(code == 0, error + output);
            string lineage = Path.Combine(dir.FullName, "lineage.json");
            File.WriteAllText(lineage, """{ "graph": "path:16", "levels": 2, "solver": { "s": 0.5 } }""");
            (code, output, error) = CliRunner.Run("lineage", "--config", lineage, "--no-cache", "--device", "cpu", "--out", lineageFile);
            Assert.True(code == 0, error + output);
            Assert.Equal(Read(lineageOptions, "config.json")["settings"]!.ToJsonString(), Read(lineageFile, "config.json")["settings"]!.ToJsonString());
            Assert.Equal(File.ReadAllBytes(Path.Combine(lineageOptions, "Pro_2_to_0.npy")), File.ReadAllBytes(Path.Combine(lineageFile, "Pro_2_to_0.npy")));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("prolong", """{ "fine": "path:8" }""", new string[0], "error: --coarse is required")]
    [InlineData("prolong", """{ "coarse": "path:4", "fine": "path:8", "solver": { "max_seconds": -1 } }""", new string[0], "'solver.max_seconds' in ")]
    [InlineData("prolong", """{ "coarse": "path:4", "fine": "path:8" }""", new[] { "--max-seconds", "-1" }, "error: --max-seconds must be positive")]
    [InlineData("prolong", """{ "coarse": "path:4", "fine": "path:8", "solver": { "random_starts_seconds": 5 } }""", new string[0], "it needs 'solver.random_starts' N")]
    [InlineData("prolong", """{ "coarse": "path:4", "fine": "path:8", "solver": { "maxiter": 5 } }""", new string[0], "'solver.maxiter' in ")]
    [InlineData("lineage", """{ "graph": "path:16", "graphs": "path:16;path:8" }""", new string[0], "'graph' in ")]
    [InlineData("lineage", """{ "graph": "path:16" }""", new[] { "--s", "2" }, "error: --s must be in [0, 1]")]
    [InlineData("lineage", """{ "graph": "path:16" }""", new[] { "--graphs", "path:16;path:8" }, "'graph' in ")]
    [InlineData("lineage", """{ "method": "prolong", "settings": { } }""", new string[0], "holds the settings of a prolong run, not of lineage")]
    [InlineData("prolong", """{ "coarse": "path:4", "fine": "path:8" }""", new[] { "--tol", "nan" }, "error: --tol must be a finite number (got NaN)")]
    public void ABadMapSettingsFileOrOptionIsOneErrorAsTheUserGaveIt(string command, string content, string[] options, string fragment)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string file = Path.Combine(dir.FullName, "settings.json"), outDir = Path.Combine(dir.FullName, "out");
            File.WriteAllText(file, content);
            var (code, _, error) = CliRunner.Run(new[] { command, "--config", file }.Concat(options).Concat(new[] { "--no-cache", "--device", "cpu", "--out", outDir })
                .Where(a => command == "lineage" || a != "--no-cache").ToArray());
            Assert.Equal(1, code);
            Assert.Contains(fragment, error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(outDir));
        }
        finally { dir.Delete(true); }
    }
}
