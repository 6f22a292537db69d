using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Multiscale.Mrtl;
using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary><c>multiscale mrtl</c>: multiresolution tensor learning (paper 001, Algorithm 1) and its baselines.</summary>
internal static class MrtlCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = new Option<string>("--task") { Description = "basketball (synthetic classification) or climate (synthetic regression); ignored with --positions/--fields.", DefaultValueFactory = _ => "basketball" };
        task.AcceptOnlyFromAmong("basketball", "climate");
        var size = new Option<string>("--size") { Description = "Synthetic data size: default (paper-like) or small (tests, CI).", DefaultValueFactory = _ => "default" };
        size.AcceptOnlyFromAmong("default", "small");
        var samples = new Option<int?>("--samples") { Description = "Override the synthetic sample (basketball) or month (climate) count." };
        var sparseRank = new Option<int>("--sparse-rank") { Description = "Synthetic basketball: planted sparse (few-cell, peaked) components next to the smooth ones (default 0: none).", DefaultValueFactory = _ => 0 };
        var dataDir = new Option<DirectoryInfo?>("--data") { Description = "User data folder in the task's layout: basketball → positions.csv (modes from --modes, default ball:40x50,defenders:12x12); climate → fields.npy and labels.npy (docs/mrtl.md). The task's appendix-B chains are the default." };
        var positions = new Option<FileInfo?>("--positions") { Description = "User classification data: CSV sample,output,label,mode,row,col[,weight] (docs/mrtl.md); needs --modes." };
        var modes = new Option<string?>("--modes") { Description = "Count modes of --positions and their domains, e.g. ball:40x50,defenders:12x12." };
        var fields = new Option<FileInfo?>("--fields") { Description = "User regression data: fields.npy [T,V,R,C]; needs --labels." };
        var labels = new Option<FileInfo?>("--labels") { Description = "labels.npy [T − lags + 1] for --fields." };
        var lags = new Option<int>("--lags") { Description = "Lags per sample for --fields.", DefaultValueFactory = _ => 6 };
        var method = new Option<string>("--method") { Description = "mrtl, fixed, random, or all (the three on the same split).", DefaultValueFactory = _ => "mrtl" };
        method.AcceptOnlyFromAmong("mrtl", "fixed", "random", "all");
        var criterion = new Option<string>("--criterion") { Description = "val-loss, grad-norm, grad-var, grad-entropy, spatial-entropy (paper 001 / 000 (28)), or paper 000's loss-convergence, sigma-threshold, mu-sigma-threshold (22), (29), (30).", DefaultValueFactory = _ => "val-loss" };
        var thresholdDefaults = new ThresholdOptions();
        var tauLoss = new Option<double>("--tau-loss") { Description = "τ_L of loss-convergence: finegrain when |L − historical mean| < τ_L.", DefaultValueFactory = _ => thresholdDefaults.Loss };
        var tauSigma = new Option<double>("--tau-sigma") { Description = "τ_σ of sigma-threshold and mu-sigma-threshold (per-weight gradient σ over the window).", DefaultValueFactory = _ => thresholdDefaults.Sigma };
        var tauMu = new Option<double>("--tau-mu") { Description = "τ_μ of mu-sigma-threshold (per-weight |gradient mean| over the window).", DefaultValueFactory = _ => thresholdDefaults.Mu };
        var criterionFraction = new Option<double>("--criterion-fraction") { Description = "p of sigma-threshold and mu-sigma-threshold: the fraction of weights that must qualify.", DefaultValueFactory = _ => thresholdDefaults.Fraction };
        var finegrain = new Option<string?>("--finegrain") { Description = "nearest, bilinear or optimized (default: nearest for counts, bilinear for fields)." };
        var full = new Option<string?>("--full") { Description = "Full-rank chain, steps ';'-separated, modes ','-separated (default: appendix B for the task)." };
        var low = new Option<string?>("--low") { Description = "Low-rank chain; starts where --full ends (default: appendix B for the task)." };
        var rank = new Option<int>("--rank") { Description = "CP rank K.", DefaultValueFactory = _ => 20 };
        var model = new Option<string>("--model") { Description = "low-rank (paper 001 eq. 2) or low-rank+sparse (paper 000 (31): W = W^L + W^S, L1 by a proximal step on the sparse term's spatial factors).", DefaultValueFactory = _ => "low-rank" };
        var sparseComponents = new Option<int?>("--sparse-components") { Description = "low-rank+sparse: how many of the K CP components form the sparse term W^S (0 … K − 1; default ⌊K/2⌋); the rest form W^L." };
        var lambdaSparse = new Option<double?>("--lambda-sparse") { Description = $"low-rank+sparse: λ₁ of the sparse term's L1 penalty λ₁·mean|V| per spatial factor, a proximal step in Adam's metric after every step (default {new MrtlTrainerOptions().LambdaSparse})." };
        var sparseStart = new Option<string?>("--sparse-start") { Description = "low-rank+sparse: how W^L and W^S start from the full-rank weights — residual (CP of W at rank K − K_S for W^L, CP of the residual W − W^L for W^S; default), split (one CP of W at rank K, its most peaked K_S components to W^S) or gradient (W^L = CP of W at rank K − K_S, W^S = 0 until the low-rank step --sparse-start-step, then the CP at rank K_S of the low-rank model's residual −∇_W L there, scaled by line search; the start that recovers peaked factors: with --lambda-sparse 0.1 mostly exact zeros, at some validation loss, docs/mrtl.md)." };
        var sparseStartStep = new Option<int?>("--sparse-start-step") { Description = $"low-rank+sparse with --sparse-start gradient: the low-rank chain step (0-based) at which W^S starts from the residual (default {MrtlTrainerOptions.DefaultSparseStartStep}, or the chain's last step if shorter: 20x25 in the basketball chain)." };
        var epochsFull = new Option<int>("--epochs-full") { Description = "Epoch cap per full-rank resolution.", DefaultValueFactory = _ => 20 };
        var epochsLow = new Option<int>("--epochs-low") { Description = "Epoch cap per low-rank resolution.", DefaultValueFactory = _ => 20 };
        var lrFull = new Option<double>("--lr-full") { Description = "Full-rank Adam learning rate.", DefaultValueFactory = _ => 1e-2 };
        var lrLow = new Option<double>("--lr-low") { Description = "Low-rank Adam learning rate.", DefaultValueFactory = _ => 2e-3 };
        var batch = new Option<int?>("--batch") { Description = "Batch size (default 256 for counts, 32 for fields)." };
        var l2 = new Option<double>("--l2") { Description = "λ_L2 (per cell).", DefaultValueFactory = _ => 1e-3 };
        var spatial = new Option<double>("--spatial") { Description = "λ_s (per pair of cells).", DefaultValueFactory = _ => 1.0 };
        var sigma = new Option<double>("--sigma") { Description = "σ of the spatial kernel.", DefaultValueFactory = _ => 0.05 };
        var patience = new Option<int>("--patience") { Description = "Criterion patience.", DefaultValueFactory = _ => 1 };
        var cpIterations = new Option<int>("--cp-iterations") { Description = "CP-ALS sweep cap (tolerance 1e-8).", DefaultValueFactory = _ => 500 };
        var seed = new Option<long>("--seed") { Description = "Seed of data, split, initialization and shuffling.", DefaultValueFactory = _ => 0 };
        var device = CommonOptions.Device();
        var cache = CommonOptions.Cache("--finegrain optimized");
        var noCache = CommonOptions.NoCache();
        var outDir = CommonOptions.Out("Output folder (config.json, report.json, metrics.csv, loss.png, factors_<mode>.png, TensorBoard events; baselines' events in <method>/).");
        outDir.Required = true;
        var config = SettingsInput.ConfigOption("mrtl");
        var command = new Command("mrtl", "Multiresolution tensor learning: full rank coarse → fine, CP-ALS, low rank → finest (paper 001).")
        {
            task, size, samples, sparseRank, dataDir, positions, modes, fields, labels, lags, method, criterion, tauLoss, tauSigma, tauMu, criterionFraction, finegrain, full, low, rank,
            model, sparseComponents, lambdaSparse, sparseStart, sparseStartStep, epochsFull, epochsLow, lrFull, lrLow, batch, l2, spatial, sigma, patience, cpIterations, seed, device, cache, noCache, config, outDir,
        };
        var checkpoint = new CheckpointOptions("epochs");
        checkpoint.AddTo(command);
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            var checkpoints = checkpoint.Read(parse);
            // First, so that an unusable device is one error before any data is generated or read.
            string dev = parse.GetValue(device)!;
            DeviceChoice.Resolve(dev);
            var input = SettingsInput.Gather(parse, "mrtl", config, checkpoint.Options.Concat(new Option[] { device, cache, noCache, outDir }));
            var settings = input.Read(new MultiresolutionTensorLearning().ReadSettings);
            settings = settings with { Options = settings.Options with { CacheDirectory = CommonOptions.CacheDirectory(parse, cache, noCache) } };
            using var cancel = CancelOnCtrlC.Create();
            return Run(settings, parse, parse.GetValue(outDir)!.FullName, dev, output, error, cancel.Token, checkpoints);
        }));
        command.Subcommands.Add(MrtlBenchOptions.Create(output, error));
        return command;
    }

    /// <summary>Runs checked settings into <paramref name="directory"/> (also what <c>multiscale rerun</c> does with a folder's settings).</summary>
    public static int Run(MrtlSettings settings, ParseResult parse, string directory, string device, TextWriter output, TextWriter error,
        CancellationToken cancel, (CheckpointInterval Interval, bool Resume) checkpoints)
    {
        var dev = DeviceChoice.Resolve(device);
        var o = settings.Options;
        var s = o.Schedule;
        output.WriteLine($"mrtl {settings.Data.Name}: full {ResolutionSchedule.Format(s.FullRank)}, low {ResolutionSchedule.Format(s.LowRank)}, K = {o.Rank}{(o.Model == MrtlModelKind.LowRankSparse ? $" ({o.Rank - o.SparseComponents} low-rank + {o.SparseComponents} sparse, λ₁ = {o.LambdaSparse.ToString(CultureInfo.InvariantCulture)})" : "")}, {o.Finegrain.ToString().ToLowerInvariant()}, {FinegrainCriterion.Name(o.Criterion)}, {dev}");
        return MethodHost.Run(new MultiresolutionTensorLearning(), settings, parse, directory, dev, output, error, cancel, checkpoints);
    }
}
