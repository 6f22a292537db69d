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
        var coarseModel = new Option<string>("--coarse-model") { Description = "How coarse levels train: faithful (eq. 3.13 restricted gradients of the finest network; default) or tau (a τ-corrected coarse network on restricted data, MG/OPT; cost ∝ |M_l|).", DefaultValueFactory = _ => "faithful" };
        var tauAcceptance = new Option<string>("--tau-acceptance") { Description = "With --coarse-model tau: on (keep a coarse correction only if the loss of the level above does not rise on a fresh batch; default) or off.", DefaultValueFactory = _ => "on" };
        var tauBatches = new Option<int>("--tau-batches") { Description = "With --coarse-model tau: batches the τ term is computed from at each entry into a level (1 = one batch).", DefaultValueFactory = _ => 1 };
        var compare = new Option<bool>("--compare-default") { Description = "Also train the default model (L = 0) on the same data and overlay it." };
        var outDir = CommonOptions.Out("Output folder (config.json, report.json, metrics.csv, loss_vs_cost.png, loss_vs_time.png, TensorBoard events; the default model's events in default/).");
        outDir.Required = true;
        var command = new Command("msann", "Train a multiscale autoencoder hierarchy with V/W cycles on prolongation maps (paper 004, §3.4).")
        {
            levels, gamma, k, together, coarseModel, tauAcceptance, tauBatches, compare, outDir,
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
            var options = setup.Training with
            {
                AllTogether = parse.GetValue(together),
                TauCorrection = ReadTau(parse.GetValue(coarseModel)!, parse.GetValue(tauAcceptance)!, parse.GetValue(tauBatches)),
            };
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

    /// <summary>The τ-correction settings the options ask for (null: the faithful mode), checked before any work.</summary>
    private static TauCorrectionOptions? ReadTau(string mode, string acceptance, int batches)
    {
        if (mode is not ("faithful" or "tau")) throw new MultiscaleException($"--coarse-model must be faithful or tau (got '{mode}')");
        if (acceptance is not ("on" or "off")) throw new MultiscaleException($"--tau-acceptance must be on or off (got '{acceptance}')");
        if (mode == "faithful") return null;
        var tau = new TauCorrectionOptions { Acceptance = acceptance == "on", Batches = batches };
        tau.Validate();
        return tau;
    }
}
