using System.CommandLine;
using System.Globalization;
using System.Text;
using Multiscale.Cli.Plots;
using Multiscale.IO;
using Multiscale.MsAnn;
using Multiscale.Training;
using TorchSharp;
using static TorchSharp.torch;

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
        var outDir = CommonOptions.Out("Output folder (report.json, metrics.csv, loss_vs_cost.png, loss_vs_time.png, TensorBoard events).");
        outDir.Required = true;
        var command = new Command("msann", "Train a multiscale autoencoder hierarchy with V/W cycles on prolongation maps (paper 004, §3.4).")
        {
            levels, gamma, k, together, compare, outDir,
        };
        shared.AddTo(command);
        command.Subcommands.Add(MsAnnSweepCommand.CreateSweep(output, error));
        command.Subcommands.Add(MsAnnSweepCommand.CreateSummarize(output, error));
        command.Subcommands.Add(MsAnnBenchCommand.Create(output, error));
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            using var cancel = CancelOnCtrlC.Create();
            var setup = shared.Read(parse);
            var schedule = new CycleSchedule(parse.GetValue(levels), parse.GetValue(gamma), parse.GetValue(k));
            var shape = new HierarchyShape(setup.Sizes, schedule.Depth);
            var options = setup.Training with { AllTogether = parse.GetValue(together) };
            options.Validate();
            var dev = DeviceChoice.Resolve(setup.Device);
            using var source = setup.OpenSource(dev);
            string dir = parse.GetValue(outDir)!.FullName;

            var runs = new List<(string Name, MsAnnResult Result)>();
            output.WriteLine($"msann {setup.Task}: layers {string.Join(',', setup.Sizes)}, L = {schedule.Depth}, γ = {schedule.Gamma}, k = {schedule.BatchesPerVisit}, maps {setup.Strategy.CliName()}, budget {options.Budget}, {dev}");
            var events = new List<string>();
            runs.Add(("msann", TrainOne(shape, schedule, setup.Strategy, options, source, setup.Seed, dev, output, cancel.Token, dir, events)));
            if (parse.GetValue(compare) && schedule.Depth > 0 && !cancel.Token.IsCancellationRequested)
                runs.Add(("default", TrainOne(new HierarchyShape(setup.Sizes, 0), new CycleSchedule(0, 1, 1), setup.Strategy, options, source, setup.Seed, dev, output, cancel.Token, Path.Combine(dir, "default"), events)));
            if (cancel.Token.IsCancellationRequested)
            {
                DeleteEvents(events);
                error.WriteLine("cancelled: nothing was written");
                return 130;
            }
            Write(dir, setup.Task, schedule, setup.Strategy, options.CoarseSteps, options.AllTogether, runs, figures: true, config: setup.ToJson());
            output.WriteLine($"wrote {dir}");
            return 0;
        }));
        return command;
    }

    /// <summary>Removes the event files of a cancelled run, so a cancelled command leaves nothing behind.</summary>
    internal static void DeleteEvents(IEnumerable<string> files)
    {
        foreach (var f in files)
        {
            try { File.Delete(f); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Trains one model. With <paramref name="tensorBoardDir"/>, the validation MSE goes to a TensorBoard event file
    /// there (its path is added to <paramref name="eventFiles"/> so a cancelled caller can remove it); when the run
    /// finishes, older event files in that folder are removed.
    /// </summary>
    internal static MsAnnResult TrainOne(HierarchyShape shape, CycleSchedule schedule, LayerMapStrategy strategy,
        MsAnnTrainingOptions options, IDataSource source, long seed, Device device, TextWriter output, CancellationToken cancel,
        string? tensorBoardDir = null, List<string>? eventFiles = null, string indent = "  ")
    {
        using var maps = new LayerMaps(shape, strategy, seed);
        using var network = new MultilevelNetwork(maps, new Generator((ulong)seed), device);
        var batches = source.Batches(seed);
        var progress = new Progress(output);
        double lastPrint = double.NegativeInfinity;
        using var board = tensorBoardDir is null ? null : new TensorBoardScalars(tensorBoardDir);
        if (board is not null) eventFiles?.Add(board.FilePath);
        // Wall time = start + training seconds (evaluation excluded), so TensorBoard's relative-time axis is the
        // same training clock as loss_vs_time.png and report.json.
        double start = TensorBoardScalars.UnixNow();
        var result = MsAnnTrainer.Train(network, schedule, options, batches, source.Validation,
            m =>
            {
                if (board is not null)
                {
                    double wall = start + m.Seconds;
                    board.Add("validation_mse/by_cost", m.ValidationMse, (long)Math.Round(m.Cost), wall);
                    board.Add("validation_mse/by_step", m.ValidationMse, m.Step, wall);
                    if (m.Step > 0) board.Add($"validation_mse/by_cost_last_level_{m.Level}", m.ValidationMse, (long)Math.Round(m.Cost), wall);
                }
                if (m.Seconds - lastPrint < 1 && m.Cost < options.Budget && m.Step > 0) return;
                lastPrint = m.Seconds;
                progress.Line(string.Create(CultureInfo.InvariantCulture, $"{indent}L={shape.Depth} cost {m.Cost,10:F0}  level {m.Level}  validation MSE {m.ValidationMse:G5}  {m.Seconds:F1}s"));
            }, cancel);
        // A finished run replaces the events of earlier runs in its folder, as it replaces report.json; otherwise
        // TensorBoard would draw the old and the new curve as one run.
        if (board is not null && !cancel.IsCancellationRequested)
            foreach (var stale in Directory.GetFiles(tensorBoardDir!, "events.out.tfevents.*").Where(f => f != board.FilePath))
                File.Delete(stale);
        progress.Line(string.Create(CultureInfo.InvariantCulture,
            $"{indent}→ MSE {result.InitialMse:G5} → {result.FinalMse:G5}; cost to 1/10: {(result.CostToTenth is { } c ? c.ToString("F0", CultureInfo.InvariantCulture) : "not reached")}; {result.TotalSeconds:F1} s"));
        return result;
    }

    /// <summary>Training batches and a fixed validation set; every run draws the same batches for the same seed.</summary>
    internal interface IDataSource : IDisposable
    {
        (Tensor Input, Tensor Target) Validation { get; }
        Func<int, (Tensor Input, Tensor Target)> Batches(long seed);
    }

    internal sealed class SyntheticSource(int n, int objects, long seed, Device device) : IDataSource
    {
        public (Tensor Input, Tensor Target) Validation { get; } = SyntheticObjects.Batch(n, objects, 0.05, 1000, new Generator((ulong)seed + 2), device);

        public Func<int, (Tensor Input, Tensor Target)> Batches(long s)
        {
            var g = new Generator((ulong)s + 1);
            return size => SyntheticObjects.Batch(n, objects, 0.05, size, g, device);
        }

        public void Dispose() { Validation.Input.Dispose(); Validation.Target.Dispose(); }
    }

    /// <summary>MNIST padded to 32×32 (§4.3): no noise, the target is the input; 1,000 seeded images held out.</summary>
    internal sealed class MnistSource : IDataSource
    {
        private readonly Tensor _train;
        private readonly Device _device;

        private MnistSource(Tensor train, Tensor validation, Device device)
        {
            _train = train;
            _device = device;
            Validation = (validation, validation.alias().DetachFromDisposeScope());
        }

        public static MnistSource Load(string directory, int inputs, long seed, Device device)
        {
            var images = Multiscale.MsAnn.Data.Mnist.Load(directory);
            int side = (int)Math.Round(Math.Sqrt(inputs));
            if (side * side != inputs || side < images.Rows)
                throw new MultiscaleException($"--task mnist needs a square input layer of at least {images.Rows}×{images.Columns} pixels (got {inputs}; 1024 = 32×32 as in §4.3)");
            if (images.Count < 2000) throw new MultiscaleException($"'{directory}' holds {images.Count} images; MNIST training needs at least 2,000");
            using var scope = NewDisposeScope();
            var all = tensor(images.Padded(side), new long[] { images.Count, inputs });
            var order = randperm(images.Count, generator: new Generator((ulong)seed + 3));
            var validation = all.index_select(0, order.narrow(0, 0, 1000)).to(device).DetachFromDisposeScope();
            var train = all.index_select(0, order.narrow(0, 1000, images.Count - 1000)).to(device).DetachFromDisposeScope();
            return new MnistSource(train, validation, device);
        }

        public (Tensor Input, Tensor Target) Validation { get; }

        public Func<int, (Tensor Input, Tensor Target)> Batches(long s)
        {
            var g = new Generator((ulong)s + 1);
            return size =>
            {
                var rows = randint(0, _train.shape[0], new long[] { size }, generator: g).to(_device);
                var batch = _train.index_select(0, rows);
                return (batch, batch.alias());
            };
        }

        public void Dispose() { _train.Dispose(); Validation.Input.Dispose(); Validation.Target.Dispose(); }
    }

    /// <summary>
    /// Writes report.json (last, so its presence marks a complete run), metrics.csv and, with
    /// <paramref name="figures"/>, the two PNG figures. <paramref name="config"/> (a sweep run's settings) is stored in
    /// the report so a resumed sweep can tell a finished run of the same configuration.
    /// </summary>
    internal static void Write(string dir, string task, CycleSchedule schedule, LayerMapStrategy strategy, bool coarse, bool together,
        List<(string Name, MsAnnResult Result)> runs, bool figures, System.Text.Json.Nodes.JsonObject? config)
    {
        Directory.CreateDirectory(dir);
        var main = runs[0].Result;
        var report = new Dictionary<string, object?>
        {
            ["task"] = task,
            ["initial_mse"] = main.InitialMse,
            ["final_mse"] = main.FinalMse,
            ["cost_to_tenth"] = main.CostToTenth,
            ["seconds_to_tenth"] = main.SecondsToTenth,
            ["total_cost"] = main.TotalCost,
            ["total_seconds"] = main.TotalSeconds,
            ["levels"] = schedule.Depth,
            ["gamma"] = schedule.Gamma,
            ["k"] = schedule.BatchesPerVisit,
            ["maps"] = strategy.CliName(),
            ["coarse_steps"] = coarse,
            ["all_together"] = together,
        };
        if (runs.Count > 1)
        {
            var d = runs[1].Result;
            report["default"] = new Dictionary<string, object?>
            {
                ["initial_mse"] = d.InitialMse, ["final_mse"] = d.FinalMse, ["cost_to_tenth"] = d.CostToTenth,
                ["seconds_to_tenth"] = d.SecondsToTenth, ["total_cost"] = d.TotalCost, ["total_seconds"] = d.TotalSeconds,
            };
        }
        var csv = new StringBuilder("run,step,level,cost,seconds,validation_mse\n");
        foreach (var (name, r) in runs)
            foreach (var m in r.Metrics)
                csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{name},{m.Step},{m.Level},{m.Cost:R},{m.Seconds:R},{m.ValidationMse:R}"));
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.csv"), csv.ToString());
        if (config is not null) report["config"] = config;
        if (figures) WriteFigures(dir, runs);
        ProlongCommand.WriteJson(Path.Combine(dir, "report.json"), report);
    }

    private static void WriteFigures(string dir, List<(string Name, MsAnnResult Result)> runs)
    {
        Figures.Lines(Path.Combine(dir, "loss_vs_cost.png"), "validation MSE against cost C(t)", "cost (examples at the finest level)", "validation MSE",
            runs.Select(r => new Series(r.Name, r.Result.Metrics.Select(m => m.Cost).ToArray(), r.Result.Metrics.Select(m => m.ValidationMse).ToArray())).ToList(), logX: true, logY: true);
        Figures.Lines(Path.Combine(dir, "loss_vs_time.png"), "validation MSE against wall-clock time", "seconds", "validation MSE",
            runs.Select(r => new Series(r.Name, r.Result.Metrics.Select(m => m.Seconds).ToArray(), r.Result.Metrics.Select(m => m.ValidationMse).ToArray())).ToList(), logX: true, logY: true);
    }
}
