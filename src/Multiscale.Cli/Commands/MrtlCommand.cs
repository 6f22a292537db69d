using System.CommandLine;
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
        var command = new Command("mrtl", "Multiresolution tensor learning: full rank coarse → fine, CP-ALS, low rank → finest (paper 001).")
        {
            task, size, samples, sparseRank, dataDir, positions, modes, fields, labels, lags, method, criterion, tauLoss, tauSigma, tauMu, criterionFraction, finegrain, full, low, rank,
            model, sparseComponents, lambdaSparse, epochsFull, epochsLow, lrFull, lrLow, batch, l2, spatial, sigma, patience, cpIterations, seed, device, cache, noCache, outDir,
        };
        var checkpoint = new CheckpointOptions("epochs");
        checkpoint.AddTo(command);
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            var checkpoints = checkpoint.Read(parse);
            using var cancel = CancelOnCtrlC.Create();
            // First, so that an unusable device is one error before any data is generated or read.
            var dev = DeviceChoice.Resolve(parse.GetValue(device));
            long s = parse.GetValue(seed);
            var criterionKind = FinegrainCriterion.Parse(parse.GetValue(criterion)!);
            var criterionOptions = new CriterionOptions
            {
                Patience = parse.GetValue(patience),
                Thresholds = new ThresholdOptions { Loss = parse.GetValue(tauLoss), Sigma = parse.GetValue(tauSigma), Mu = parse.GetValue(tauMu), Fraction = parse.GetValue(criterionFraction) },
            };
            // Before the data: a bad criterion setting is one error before anything is generated or read.
            criterionOptions.Validate();
            var modelKind = MrtlTrainerOptions.ParseModel(parse.GetValue(model)!);
            if (modelKind != MrtlModelKind.LowRankSparse && (parse.GetValue(sparseComponents) is not null || parse.GetValue(lambdaSparse) is not null))
                throw new MultiscaleException("--sparse-components and --lambda-sparse apply to --model low-rank+sparse only");
            var modelDefaults = new MrtlTrainerOptions();
            var modelOptions = modelDefaults with
            {
                Model = modelKind,
                Rank = parse.GetValue(rank),
                SparseRank = parse.GetValue(sparseComponents),
                LambdaSparse = parse.GetValue(lambdaSparse) ?? modelDefaults.LambdaSparse,
            };
            // Also before the data: λ₁ and the split of K are checked with the rest of the options below, but only after
            // the data is generated; these cannot depend on it.
            modelOptions.Validate();
            var (data, taskName, defaultSchedule) = LoadData(parse, task, size, samples, sparseRank, dataDir, positions, modes, fields, labels, lags, s);
            bool averaged = data.Modes[0] is FieldMode;
            string? fullText = parse.GetValue(full), lowText = parse.GetValue(low);
            ResolutionSchedule schedule = fullText is null && lowText is null
                ? defaultSchedule ?? throw new MultiscaleException("user data needs --full and --low resolution chains")
                : ResolutionSchedule.Parse(fullText ?? "", lowText ?? throw new MultiscaleException("--low is required with --full"));
            var fg = parse.GetValue(finegrain) is { } f
                ? Enum.TryParse<FinegrainMethod>(f, true, out var m) ? m : throw new MultiscaleException($"unknown finegrain method '{f}' (expected nearest, bilinear or optimized)")
                : averaged ? FinegrainMethod.Bilinear : FinegrainMethod.Nearest;
            int batchSize = parse.GetValue(batch) ?? (averaged ? 32 : 256);
            var reg = new Regularization(parse.GetValue(l2), parse.GetValue(spatial), parse.GetValue(sigma));
            var options = new MrtlTrainerOptions
            {
                Schedule = schedule,
                Criterion = criterionKind,
                CriterionOptions = criterionOptions,
                Finegrain = fg,
                Rank = parse.GetValue(rank),
                Model = modelOptions.Model,
                SparseRank = modelOptions.SparseRank,
                LambdaSparse = modelOptions.LambdaSparse,
                CpAls = new Multiscale.Mrtl.Decomposition.CpAlsOptions { MaxIterations = parse.GetValue(cpIterations) },
                FullRank = new StageOptions { LearningRate = parse.GetValue(lrFull), MaxEpochs = parse.GetValue(epochsFull), BatchSize = batchSize, Regularization = reg },
                LowRank = new StageOptions { LearningRate = parse.GetValue(lrLow), MaxEpochs = parse.GetValue(epochsLow), BatchSize = batchSize, Regularization = reg },
                Seed = s,
                CacheDirectory = CommonOptions.CacheDirectory(parse, cache, noCache),
            };
            options.Validate();
            var methods = parse.GetValue(method) == "all"
                ? new[] { MrtlMethod.Mrtl, MrtlMethod.Fixed, MrtlMethod.Random }
                : new[] { MrtlTrainerOptions.ParseMethod(parse.GetValue(method)!) };
            output.WriteLine($"mrtl {taskName}: {data.Count} samples, I = {data.Outputs}, full {ResolutionSchedule.Format(schedule.FullRank)}, low {ResolutionSchedule.Format(schedule.LowRank)}, K = {options.Rank}{(options.Model == MrtlModelKind.LowRankSparse ? $" ({options.Rank - options.SparseComponents} low-rank + {options.SparseComponents} sparse, λ₁ = {options.LambdaSparse.ToString(CultureInfo.InvariantCulture)})" : "")}, {fg.ToString().ToLowerInvariant()}, {parse.GetValue(criterion)}, {dev}");
            return MethodHost.Run(new MultiresolutionTensorLearning(), new MrtlSettings(data, taskName, options, methods), parse,
                parse.GetValue(outDir)!.FullName, dev, output, error, cancel.Token, checkpoints);
        }));
        command.Subcommands.Add(MrtlBenchCommand.Create(output, error));
        return command;
    }

    private static (MrtlDataset Data, string Name, ResolutionSchedule? Schedule) LoadData(ParseResult parse, Option<string> task, Option<string> size,
        Option<int?> samples, Option<int> sparseRank, Option<DirectoryInfo?> dataDir, Option<FileInfo?> positions, Option<string?> modes, Option<FileInfo?> fields, Option<FileInfo?> labels, Option<int> lags, long seed)
    {
        if (parse.GetValue(dataDir) is { } folder)
        {
            if (!folder.Exists) throw new MultiscaleException($"--data folder '{folder.FullName}' does not exist");
            string Need(string name)
            {
                var path = Path.Combine(folder.FullName, name);
                return File.Exists(path) ? path : throw new MultiscaleException($"--data folder '{folder.FullName}' has no {name} (the {parse.GetValue(task)} layout is described in docs/mrtl.md)");
            }
            if (parse.GetValue(task) == "climate")
            {
                var outputs = Path.Combine(folder.FullName, "outputs.npy");
                return (MrtlDataLoader.LoadFieldsNpy(Need("fields.npy"), Need("labels.npy"), parse.GetValue(lags),
                    outputsPath: File.Exists(outputs) ? outputs : null), folder.Name, ResolutionSchedule.Climate);
            }
            return (MrtlDataLoader.LoadPositionsCsv(Need("positions.csv"), ParseModes(parse.GetValue(modes) ?? "ball:40x50,defenders:12x12"), MrtlTask.Classification),
                folder.Name, ResolutionSchedule.Basketball);
        }
        if (parse.GetValue(positions) is { } csv)
        {
            var specs = ParseModes(parse.GetValue(modes) ?? throw new MultiscaleException("--positions needs --modes, e.g. ball:40x50,defenders:12x12"));
            return (MrtlDataLoader.LoadPositionsCsv(csv.FullName, specs, MrtlTask.Classification), csv.Name, null);
        }
        if (parse.GetValue(fields) is { } npy)
        {
            var y = parse.GetValue(labels) ?? throw new MultiscaleException("--fields needs --labels");
            return (MrtlDataLoader.LoadFieldsNpy(npy.FullName, y.FullName, parse.GetValue(lags)), npy.Name, null);
        }
        return Synthetic(parse, task, size, samples, sparseRank, seed);
    }

    private static CountModeSpec[] ParseModes(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t =>
            {
                var parts = t.Split(':');
                if (parts.Length != 2) throw new MultiscaleException($"--modes entry '{t}' is not NAME:HEIGHTxWIDTH");
                var extent = parts[1].Split('x', 'X');
                if (extent.Length != 2 || !double.TryParse(extent[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var h)
                    || !double.TryParse(extent[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w))
                    throw new MultiscaleException($"--modes entry '{t}' is not NAME:HEIGHTxWIDTH");
                return new CountModeSpec(parts[0], h, w);
            }).ToArray();

    private static (MrtlDataset Data, string Name, ResolutionSchedule? Schedule) Synthetic(ParseResult parse, Option<string> task, Option<string> size, Option<int?> samples, Option<int> sparseRank, long seed)
    {
        bool small = parse.GetValue(size) == "small";
        if (parse.GetValue(task) == "climate")
        {
            var o = (small ? ClimateOptions.Small : new ClimateOptions()) with { Seed = seed };
            if (parse.GetValue(samples) is { } n) o = o with { Months = n };
            var schedule = small ? ResolutionSchedule.ClimateSmall : ResolutionSchedule.Climate;
            return (ClimateSynthetic.Generate(o), "climate", schedule);
        }
        var b = (small ? BasketballOptions.Small : new BasketballOptions()) with { Seed = seed, SparseRank = parse.GetValue(sparseRank) };
        if (parse.GetValue(samples) is { } k) b = b with { Samples = k };
        return (BasketballSynthetic.Generate(b), "basketball", ResolutionSchedule.Basketball);
    }
}
