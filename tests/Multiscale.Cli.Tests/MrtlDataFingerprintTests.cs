using System.Text.Json.Nodes;
using Multiscale.Runs;
using Multiscale.Tests.Shared;

namespace Multiscale.Cli.Tests;

/// <summary>
/// A folder's unfinished MRTL run on a user's file is refused when the file at the same path now holds other data of
/// the same shape: the settings a resume compares carry the data's fingerprint.
/// </summary>
public class MrtlDataFingerprintTests
{
    [Fact]
    public void AnUnfinishedRunOnAFileThatNowHoldsOtherDataOfTheSameShapeIsRefused()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var path = Path.Combine(dir.FullName, "p.csv");
            File.WriteAllText(path, CountPositionsCsv.Write(false));
            string Folder(string name) => Path.Combine(dir.FullName, name);
            string[] Args(string folder, params string[] more) => new[]
            {
                "mrtl", "--positions", path, "--modes", "court:8x10", "--full", "2x2;4x5", "--low", "4x5;8x10",
                "--rank", "2", "--epochs-full", "1", "--epochs-low", "1", "--batch", "32", "--out", folder,
            }.Concat(more).ToArray();
            var (code, output, error) = CliRunner.Run(Args(Folder("done"), "--checkpoint-every", "off"));
            Assert.True(code == 0, error + output);

            // An unfinished run of exactly these settings in another folder: a checkpoint whose header is the run's.
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("done"), "config.json")))!.AsObject();
            Assert.Matches("^[0-9a-f]{64}$", config["settings"]!["data_sha256"]!.GetValue<string>());
            Directory.CreateDirectory(Folder("stopped"));
            var header = new JsonObject { ["method"] = "mrtl", ["settings"] = config["settings"]!.DeepClone() };
            using (var checkpoints = new RunCheckpoints(Path.Combine(Folder("stopped"), RunFolder.CheckpointFile), CheckpointInterval.Off, header))
            using (var empty = new Checkpoint())
                checkpoints.Save(empty);
            (code, _, error) = CliRunner.Run(Args(Folder("stopped")));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("holds an unfinished run with these settings", error);

            // The same path, sample count, outputs and modes, other labels: other settings, even with --resume.
            File.WriteAllText(path, CountPositionsCsv.Write(true));
            (code, _, error) = CliRunner.Run(Args(Folder("stopped"), "--resume"));
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("holds an unfinished mrtl run with other settings (data_sha256: ", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.True(File.Exists(Path.Combine(Folder("stopped"), RunFolder.CheckpointFile)));
            Assert.False(File.Exists(Path.Combine(Folder("stopped"), "report.json")));
        }
        finally { dir.Delete(true); }
    }
}
