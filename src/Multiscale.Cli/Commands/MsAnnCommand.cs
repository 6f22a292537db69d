using System.CommandLine;
using Multiscale.MsAnn;
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
        var command = new Command("msann", "Train a multiscale autoencoder hierarchy with V/W cycles on prolongation maps (paper 004, §3.4).")
        {
            levels, gamma, k, together, compare, outDir,
        };
        shared.AddTo(command);
        var checkpoint = new CheckpointOptions("evaluations (rows of metrics.csv, one per budget/200 of cost)");
        checkpoint.AddTo(command);
        command.Subcommands.Add(MsAnnSweepCommand.CreateSweep(output, error));
        command.Subcommands.Add(MsAnnSweepCommand.CreateSummarize(output, error));
        command.Subcommands.Add(MsAnnBenchCommand.Create(output, error));
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            var checkpoints = checkpoint.Read(parse);
            using var cancel = CancelOnCtrlC.Create();
            var setup = shared.Read(parse);
            var schedule = new CycleSchedule(parse.GetValue(levels), parse.GetValue(gamma), parse.GetValue(k));
            _ = new HierarchyShape(setup.Sizes, schedule.Depth);
            var options = setup.Training with { AllTogether = parse.GetValue(together) };
            options.Validate();
            options.ValidateDepth(schedule.Depth);
            var dev = DeviceChoice.Resolve(setup.Device);
            using var data = setup.OpenSource(dev);
            output.WriteLine($"msann {setup.Task}: layers {string.Join(',', setup.Sizes)}, L = {schedule.Depth}, γ = {schedule.Gamma}, k = {schedule.BatchesPerVisit}, maps {setup.Strategy.Name()}, budget {options.Budget}, {dev}");
            var settings = new MsAnnSettings(data, setup.Sizes, schedule, setup.Strategy, options, setup.Seed, parse.GetValue(compare), setup.MapCache);
            return MethodHost.Run(new MsAnnMethod(), settings, parse, parse.GetValue(outDir)!.FullName, dev, output, error, cancel.Token, checkpoints);
        }));
        return command;
    }
}
