using System.CommandLine;
using System.CommandLine.Parsing;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary><c>multiscale msann</c>: train an MsANN hierarchy (paper 004, §3.4, Algorithm 3.1) on the §4.2 tasks.</summary>
internal static class MsAnnCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var shared = new MsAnnOptions();
        var levels = new Option<int>("--levels") { Description = "Hierarchy depth L (0 = default training).", DefaultValueFactory = _ => 4 };
        var gamma = new Option<int>("--gamma") { Description = "Recursive calls per visit (1 = V-cycle, 2 = W-cycle).", DefaultValueFactory = _ => 2 };
        var k = new Option<int>("--k") { Description = "Batches per visit.", DefaultValueFactory = _ => 4 };
        var together = new Option<bool>("--all-together") { Description = "The §4.4 baseline: the same hierarchy with all levels' variables trained together by one optimizer." };
        var compare = new Option<bool>("--compare-default") { Description = "Also train the default model (L = 0) on the same data and overlay it." };
        var outDir = CommonOptions.Out("Output folder (config.json, report.json, metrics.csv, loss_vs_cost.png, loss_vs_time.png, TensorBoard events; the default model's events in default/).");
        outDir.Required = true;
        var config = SettingsInput.ConfigOption("msann");
        var command = new Command("msann", "Train a multiscale autoencoder hierarchy with V/W cycles on prolongation maps (paper 004, §3.4).")
        {
            levels, gamma, k, together, compare, config, outDir,
        };
        shared.AddTo(command);
        var checkpoint = new CheckpointOptions("evaluations (rows of metrics.csv, one per budget/200 of cost)");
        checkpoint.AddTo(command);
        command.Subcommands.Add(MsAnnSweepCommand.CreateSweep(output, error));
        command.Subcommands.Add(MsAnnSweepCommand.CreateSummarize(output, error));
        command.Subcommands.Add(MsAnnBenchOptions.Create(output, error));
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            var checkpoints = checkpoint.Read(parse);
            var input = shared.Gather(parse, config, checkpoint.Options.Append(outDir).ToArray());
            var method = new MsAnnMethod();
            var settings = input.Read(method.ReadSettings) with { MapCache = shared.MapCache(parse) };
            using var cancel = CancelOnCtrlC.Create();
            return Run(settings, parse, parse.GetValue(outDir)!.FullName, shared.Device(parse), output, error, cancel.Token, checkpoints);
        }));
        return command;
    }

    /// <summary>Runs checked settings into <paramref name="directory"/> (also what <c>multiscale rerun</c> does with a folder's settings).</summary>
    public static int Run(MsAnnSettings settings, ParseResult parse, string directory, string device, TextWriter output, TextWriter error,
        CancellationToken cancel, (CheckpointInterval Interval, bool Resume) checkpoints)
    {
        var dev = DeviceChoice.Resolve(device);
        var t = settings.Training;
        output.WriteLine($"msann {settings.Data.Task}: layers {string.Join(',', settings.Sizes)}, L = {settings.Schedule.Depth}, γ = {settings.Schedule.Gamma}, k = {settings.Schedule.BatchesPerVisit}, maps {settings.Maps.Name()}, budget {t.Budget}, {dev}");
        try { return MethodHost.Run(new MsAnnMethod(), settings, parse, directory, dev, output, error, cancel, checkpoints); }
        catch (MnistNotFoundException e) { throw new MultiscaleException($"{e.Message}; to fetch it, {DataCommand.MnistFetch}", e); }
    }
}
