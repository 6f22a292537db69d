using System.CommandLine;
using System.Globalization;
using System.Text;
using Multiscale.Cli.Plots;
using Multiscale.IO;
using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using Multiscale.Training;

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
        var dataDir = new Option<DirectoryInfo?>("--data") { Description = "User data folder in the task's layout: basketball → positions.csv (modes from --modes, default ball:40x50,defenders:12x12); climate → fields.npy and labels.npy (docs/mrtl.md). The task's appendix-B chains are the default." };
        var positions = new Option<FileInfo?>("--positions") { Description = "User classification data: CSV sample,output,label,mode,row,col[,weight] (docs/mrtl.md); needs --modes." };
        var modes = new Option<string?>("--modes") { Description = "Count modes of --positions and their domains, e.g. ball:40x50,defenders:12x12." };
        var fields = new Option<FileInfo?>("--fields") { Description = "User regression data: fields.npy [T,V,R,C]; needs --labels." };
        var labels = new Option<FileInfo?>("--labels") { Description = "labels.npy [T − lags + 1] for --fields." };
        var lags = new Option<int>("--lags") { Description = "Lags per sample for --fields.", DefaultValueFactory = _ => 6 };
        var method = new Option<string>("--method") { Description = "mrtl, fixed, random, or all (the three on the same split).", DefaultValueFactory = _ => "mrtl" };
        method.AcceptOnlyFromAmong("mrtl", "fixed", "random", "all");
        var criterion = new Option<string>("--criterion") { Description = "val-loss, grad-norm, grad-var, grad-entropy or spatial-entropy.", DefaultValueFactory = _ => "val-loss" };
        var finegrain = new Option<string?>("--finegrain") { Description = "nearest, bilinear or optimized (default: nearest for counts, bilinear for fields)." };
        var full = new Option<string?>("--full") { Description = "Full-rank chain, steps ';'-separated, modes ','-separated (default: appendix B for the task)." };
        var low = new Option<string?>("--low") { Description = "Low-rank chain; starts where --full ends (default: appendix B for the task)." };
        var rank = new Option<int>("--rank") { Description = "CP rank K.", DefaultValueFactory = _ => 20 };
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
        var outDir = CommonOptions.Out("Output folder (report.json, metrics.csv, loss.png, factors_<mode>.png).");
        outDir.Required = true;
        var command = new Command("mrtl", "Multiresolution tensor learning: full rank coarse → fine, CP-ALS, low rank → finest (paper 001).")
        {
            task, size, samples, dataDir, positions, modes, fields, labels, lags, method, criterion, finegrain, full, low, rank,
            epochsFull, epochsLow, lrFull, lrLow, batch, l2, spatial, sigma, patience, cpIterations, seed, device, outDir,
        };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            using var cancel = CancelOnCtrlC.Create();
            // First, so that an unusable device is one error before any data is generated or read.
            var dev = DeviceChoice.Resolve(parse.GetValue(device));
            long s = parse.GetValue(seed);
            var (data, taskName, defaultSchedule) = LoadData(parse, task, size, samples, dataDir, positions, modes, fields, labels, lags, s);
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
                Criterion = FinegrainCriterion.Parse(parse.GetValue(criterion)!),
                CriterionOptions = new CriterionOptions { Patience = parse.GetValue(patience) },
                Finegrain = fg,
                Rank = parse.GetValue(rank),
                CpAls = new Multiscale.Mrtl.Decomposition.CpAlsOptions { MaxIterations = parse.GetValue(cpIterations) },
                FullRank = new StageOptions { LearningRate = parse.GetValue(lrFull), MaxEpochs = parse.GetValue(epochsFull), BatchSize = batchSize, Regularization = reg },
                LowRank = new StageOptions { LearningRate = parse.GetValue(lrLow), MaxEpochs = parse.GetValue(epochsLow), BatchSize = batchSize, Regularization = reg },
                Seed = s,
                Device = dev,
            };
            options.Validate();
            var split = data.Split(s);
            var methods = parse.GetValue(method) == "all"
                ? new[] { MrtlMethod.Mrtl, MrtlMethod.Fixed, MrtlMethod.Random }
                : new[] { MrtlTrainerOptions.ParseMethod(parse.GetValue(method)!) };
            output.WriteLine($"mrtl {taskName}: {data.Count} samples, I = {data.Outputs}, full {ResolutionSchedule.Format(schedule.FullRank)}, low {ResolutionSchedule.Format(schedule.LowRank)}, K = {options.Rank}, {fg.ToString().ToLowerInvariant()}, {parse.GetValue(criterion)}, {dev}");
            var runs = new List<(MrtlResult Result, IReadOnlyList<SpatialFactorReport> Factors)>();
            try
            {
                foreach (var mm in methods)
                {
                    var progress = new Progress(output);
                    var result = MrtlTrainer.Train(split, options with { Method = mm }, e =>
                    {
                        if (e.Epoch > 0)
                            progress.Line(string.Create(CultureInfo.InvariantCulture,
                                $"  {mm.ToString().ToLowerInvariant()} {e.Stage} {e.Resolution} epoch {e.Epoch}: train {e.TrainLoss:G5} val {e.ValidationLoss:G5} {(data.Task == MrtlTask.Classification ? "F1" : "MSE")} {e.ValidationMetric:G4} {e.TotalSeconds:F1}s{(e.Event is null ? "" : "  " + e.Event)}"));
                    }, cancel.Token);
                    runs.Add((result, FactorReport.Compute(result.Model, data.Planted)));
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  → {mm.ToString().ToLowerInvariant()}: val {result.ValidationLoss:G5}, test {(result.TestF1 is { } t ? $"F1 {t:F4}" : $"MSE {result.TestMse:G5}")}, {result.SecondsTotal:F1} s (full {result.SecondsFull:F1}, cp {result.SecondsCp:F1}, low {result.SecondsLow:F1})"));
                    if (cancel.Token.IsCancellationRequested) break;
                }
                if (cancel.Token.IsCancellationRequested)
                {
                    error.WriteLine("cancelled: nothing was written");
                    return 130;
                }
                Write(parse.GetValue(outDir)!.FullName, taskName, data, options, parse.GetValue(criterion)!, runs);
            }
            finally
            {
                foreach (var r in runs) r.Result.Model.Dispose();
            }
            output.WriteLine($"wrote {parse.GetValue(outDir)!.FullName}");
            return 0;
        }));
        command.Subcommands.Add(MrtlBenchCommand.Create(output, error));
        return command;
    }

    private static (MrtlDataset Data, string Name, ResolutionSchedule? Schedule) LoadData(ParseResult parse, Option<string> task, Option<string> size,
        Option<int?> samples, Option<DirectoryInfo?> dataDir, Option<FileInfo?> positions, Option<string?> modes, Option<FileInfo?> fields, Option<FileInfo?> labels, Option<int> lags, long seed)
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
                return (MrtlDataLoader.LoadFieldsNpy(Need("fields.npy"), Need("labels.npy"), parse.GetValue(lags)), folder.Name, ResolutionSchedule.Climate);
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
        return Synthetic(parse, task, size, samples, seed);
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

    private static (MrtlDataset Data, string Name, ResolutionSchedule? Schedule) Synthetic(ParseResult parse, Option<string> task, Option<string> size, Option<int?> samples, long seed)
    {
        bool small = parse.GetValue(size) == "small";
        if (parse.GetValue(task) == "climate")
        {
            var o = (small ? ClimateOptions.Small : new ClimateOptions()) with { Seed = seed };
            if (parse.GetValue(samples) is { } n) o = o with { Months = n };
            var schedule = small ? ResolutionSchedule.ClimateSmall : ResolutionSchedule.Climate;
            return (ClimateSynthetic.Generate(o), "climate", schedule);
        }
        var b = (small ? BasketballOptions.Small : new BasketballOptions()) with { Seed = seed };
        if (parse.GetValue(samples) is { } k) b = b with { Samples = k };
        return (BasketballSynthetic.Generate(b), "basketball", ResolutionSchedule.Basketball);
    }

    private static void Write(string dir, string task, MrtlDataset data, MrtlTrainerOptions options, string criterion,
        List<(MrtlResult Result, IReadOnlyList<SpatialFactorReport> Factors)> runs)
    {
        Directory.CreateDirectory(dir);
        Dictionary<string, object?> Entry(MrtlResult r, IReadOnlyList<SpatialFactorReport> factors)
        {
            var recoveries = factors.Where(f => f.Recovery is not null).Select(f => f.Recovery!.Mean).ToArray();
            var morans = factors.Select(f => f.MoransIMean).Where(double.IsFinite).ToArray();
            return new Dictionary<string, object?>
            {
                ["method"] = r.Method.ToString().ToLowerInvariant(),
                ["criterion"] = criterion,
                ["finegrain"] = options.Finegrain.ToString().ToLowerInvariant(),
                ["seconds_full"] = r.SecondsFull,
                ["seconds_cp"] = r.SecondsCp,
                ["seconds_low"] = r.SecondsLow,
                ["seconds_total"] = r.SecondsTotal,
                ["val_loss"] = r.ValidationLoss,
                ["full_val_loss"] = double.IsFinite(r.FullValidationLoss) ? r.FullValidationLoss : null,
                ["test_loss"] = r.TestLoss,
                ["test_f1"] = r.TestF1,
                ["test_mse"] = r.TestMse,
                ["cp_fit"] = double.IsFinite(r.CpFit) ? r.CpFit : null,
                ["morans_i_mean"] = morans.Length > 0 ? morans.Average() : null,
                ["morans_i"] = factors.ToDictionary(f => data.Modes[f.Mode].Name, f => double.IsFinite(f.MoransIMean) ? (double?)f.MoransIMean : null),
                ["factor_recovery"] = recoveries.Length > 0 ? recoveries.Average() : null,
                ["resolutions"] = new Dictionary<string, string> { ["full"] = r.FullResolutions, ["low"] = r.LowResolutions },
                ["finegrains"] = r.Finegrains.Select(e => new Dictionary<string, object?>
                {
                    ["stage"] = e.Stage, ["from"] = e.From, ["to"] = e.To, ["scale"] = e.Scale, ["reason"] = e.Reason,
                    ["val_loss_before"] = e.ValidationLossBefore, ["val_loss_after"] = e.ValidationLossAfter, ["seconds"] = e.TotalSeconds,
                }).ToList(),
            };
        }
        var report = Entry(runs[0].Result, runs[0].Factors);
        report["task"] = task;
        report["samples"] = data.Count;
        report["outputs"] = data.Outputs;
        report["rank"] = options.Rank;
        report["seed"] = options.Seed;
        report["device"] = (options.Device ?? TorchSharp.torch.CPU).ToString();
        if (runs.Count > 1) report["runs"] = runs.Select(r => Entry(r.Result, r.Factors)).ToList();

        var csv = new StringBuilder("method,stage,step,resolution,epoch,stage_seconds,total_seconds,train_loss,val_loss,val_metric,criterion,event\n");
        foreach (var (r, _) in runs)
            foreach (var e in r.Epochs)
                csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Method.ToString().ToLowerInvariant()},{e.Stage},{e.Step},\"{e.Resolution}\",{e.Epoch},{e.StageSeconds:R},{e.TotalSeconds:R},{e.TrainLoss:R},{e.ValidationLoss:R},{e.ValidationMetric:R},{e.Criterion:R},\"{e.Event}\""));
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.csv"), csv.ToString());

        // Loss against time; finegraining shows as its own series of markers (validation loss right after the move).
        var series = new List<Series>();
        foreach (var (r, _) in runs)
        {
            var name = r.Method.ToString().ToLowerInvariant();
            series.Add(new Series(name, r.Epochs.Select(e => e.TotalSeconds).ToArray(), r.Epochs.Select(e => e.ValidationLoss).ToArray()));
            if (r.Finegrains.Count > 0)
                series.Add(new Series($"{name} finegrain", r.Finegrains.Select(e => e.TotalSeconds).ToArray(), r.Finegrains.Select(e => e.ValidationLossAfter).ToArray()));
        }
        Figures.Lines(Path.Combine(dir, "loss.png"), "validation loss against wall-clock time (finegraining marked)", "seconds", "validation loss", series);

        // Factor heatmaps of the first run: the K factor columns of each spatial mode side by side (|value|).
        var model = runs[0].Result.Model;
        for (int m = 0; m < model.Grids.Count; m++)
        {
            var grid = model.Grids[m];
            // data<T>() reads host memory: copy the factor to the CPU (a no-op copy of a CPU run's factor).
            using var factor = model.SpatialFactor(m).detach().to(TorchSharp.torch.ScalarType.Float64, TorchSharp.torch.CPU);
            var values = factor.data<double>().ToArray();
            int k = model.Rank, gap = 1;
            var image = new double[grid.Rows, k * (grid.Cols + gap)];
            for (int r = 0; r < grid.Rows; r++)
                for (int c = 0; c < k * (grid.Cols + gap); c++)
                    image[r, c] = double.NaN;
            for (int col = 0; col < k; col++)
                for (int r = 0; r < grid.Rows; r++)
                    for (int c = 0; c < grid.Cols; c++)
                        image[r, col * (grid.Cols + gap) + c] = values[grid.Index(r, c) * k + col];
            Figures.Heatmap(Path.Combine(dir, $"factors_{data.Modes[m].Name}.png"), image, $"{data.Modes[m].Name} factors (|value|, {grid}, K = {k})", "factor · column", "row");
        }
        ProlongCommand.WriteJson(Path.Combine(dir, "report.json"), report);
    }
}
