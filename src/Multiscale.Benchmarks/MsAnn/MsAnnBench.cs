using System.Diagnostics;
using System.Globalization;
using System.Text;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.MsAnn;

/// <summary>
/// <c>multiscale msann bench</c>: the measured evidence of docs/msann.md (paper 004, §4, Tables 1–3 and §4.4),
/// rerunnable. Every run of a table uses the same seed, data and evaluation grid, so proxy costs repeat exactly and
/// wall-clock ratios are measured in the same process.
/// </summary>
public static partial class MsAnnBench
{
    private static readonly string[] AllSections = { "table1", "two-object", "maps", "mnist", "memory", "overhead", "flavors", "tau", "tau-rate", "tau-4096", "tau-rate-4096", "tau-4096-seeds", "tau-mnist", "tau-early", "tau-early-4096", "map-products" };

    /// <summary>The sections, in the order they run.</summary>
    public static IReadOnlyList<string> Sections => AllSections;

    /// <summary>Checks the settings, runs the wanted sections and returns the Markdown report (incomplete when cancelled).</summary>
    public static string Run(MsAnnBenchSettings settings, BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        settings.Validate();
        return new Bench(context.Log, settings.Quick, settings.Only.ToHashSet(), settings.MnistFolder, settings.Budget, context.Cancellation,
            settings.MapCache, settings.MnistHowToGet, context.RunReporter, context.Progress).Run();
    }

    private readonly record struct Setting(int Gamma, int Levels, int K)
    {
        public override string ToString() => Levels == 0 ? "default" : $"γ = {Gamma}, L = {Levels}, k = {K}";
    }

    private sealed partial class Bench(TextWriter log, bool quick, HashSet<string> only, string? mnistDir, double budget, CancellationToken cancel,
        string? mapCache, string mnistHowToGet, IRunReporter reporter, IBenchProgress? progress)
    {
        private readonly StringBuilder _md = new();
        private readonly Stopwatch _total = Stopwatch.StartNew();
        private readonly int[] _sizes = quick ? new[] { 64, 16, 8, 16, 64 } : new[] { 1024, 256, 128, 256, 1024 };
        private double Budget => quick ? Math.Min(budget, 3000) : budget;

        private readonly BenchSections _sections = new BenchSections("msann bench", only, AllSections.Length, progress: progress);

        private bool Wanted(string name) => _sections.Wanted(name);

        private static string F(double? x, string format = "G4") => x is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "N/A";

        private void Section(string title, string text)
        {
            log.WriteLine($"== {title} (at {_total.Elapsed.TotalSeconds:F0} s)");
            _md.AppendLine().AppendLine($"## {title}").AppendLine().AppendLine(text).AppendLine();
        }

        public string Run()
        {
            _md.AppendLine("# MsANN benchmarks").AppendLine();
            _md.AppendLine($"Measured by `multiscale msann bench{(quick ? " --quick" : "")}{(budget != 32_000 ? $" --budget {budget}" : "")}` on " +
                $"{Environment.ProcessorCount} cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, " +
                $"torch threads {get_num_threads()}), {DateTime.UtcNow:yyyy-MM-dd}. Layers {string.Join('-', _sizes)}, batch 128, RMSProp lr 5e-4, " +
                "seed 0; validation MSE on 1,000 fixed examples every 128 of cost. Regenerate with " +
                "`dotnet run -c Release --project src/Multiscale.Cli -- msann bench --mnist data/mnist`. Proxy costs repeat exactly; seconds are " +
                "wall-clock training time (visits included, evaluation excluded) on this machine, so compare them as ratios within a table.");
            if (Wanted("table1") && !cancel.IsCancellationRequested)
                Table("one-object", "Table 1: one-object denoising (§4.2.1)", LayerMapStrategy.Interpolation, OneObjectSettings(), coarseBest: true,
                    "paper Table 1: 6.6e-4 / 4.4e-3 / 3.7e-3; cost to 1/10 7.3e3 against 1.27e5, 17×");
            if (Wanted("two-object") && !cancel.IsCancellationRequested)
                Table("two-object", "Table 2: two-object denoising (§4.2.2)", LayerMapStrategy.Interpolation, TwoObjectSettings(), coarseBest: false,
                    "paper Table 2: 2.6e-3 / 9.0e-3 / 8.8e-3; cost to 1/10 2.4e4 against 2.2e5, 9.1×");
            if (Wanted("maps") && !cancel.IsCancellationRequested) Maps();
            if (Wanted("mnist") && !cancel.IsCancellationRequested) Mnist();
            if (Wanted("memory") && !cancel.IsCancellationRequested) Memory();
            if (Wanted("overhead") && !cancel.IsCancellationRequested) Overhead();
            if (Wanted("flavors") && !cancel.IsCancellationRequested) Flavors();
            if (Wanted("tau") && !cancel.IsCancellationRequested) TauSection();
            if (Wanted("tau-rate") && !cancel.IsCancellationRequested) TauRateSection();
            if (Wanted("tau-4096") && !cancel.IsCancellationRequested) Tau4096Section();
            if (Wanted("tau-rate-4096") && !cancel.IsCancellationRequested) TauRate4096Section();
            if (Wanted("tau-4096-seeds") && !cancel.IsCancellationRequested) Tau4096SeedsSection();
            if (Wanted("tau-mnist") && !cancel.IsCancellationRequested) TauMnistSection();
            if (Wanted("tau-early") && !cancel.IsCancellationRequested) TauEarlySection();
            if (Wanted("tau-early-4096") && !cancel.IsCancellationRequested) TauEarly4096Section();
            if (Wanted("map-products") && !cancel.IsCancellationRequested) MapProductsSection();
            return _md.ToString();
        }

        private Setting[] OneObjectSettings() => quick
            ? new[] { new Setting(1, 2, 4), new Setting(3, 3, 2) }
            : new[] { new Setting(1, 2, 16), new Setting(2, 4, 8), new Setting(3, 6, 4) };

        private Setting[] TwoObjectSettings() => quick
            ? new[] { new Setting(3, 3, 2) }
            : new[] { new Setting(2, 4, 8), new Setting(3, 6, 4) };

        private MsAnnTrainingOptions Options(double runBudget, bool coarse, OptimizerFlavor flavor, double lr = 5e-4) =>
            new() { Budget = runBudget, BatchSize = 128, LearningRate = lr, EvaluateEvery = 128, CoarseSteps = coarse, Optimizer = flavor };

        private RunContext Context() => new(CPU, reporter, cancel);

        private MsAnnResult Train(IAutoencoderData source, Setting s, LayerMapStrategy strategy, double runBudget, bool coarse = false,
            OptimizerFlavor flavor = OptimizerFlavor.RmsPropTensorFlow1, double lr = 5e-4)
        {
            var schedule = s.Levels == 0 ? new CycleSchedule(0, 1, 1) : new CycleSchedule(s.Levels, s.Gamma, s.K);
            log.WriteLine($"  {s}, maps {strategy.Name()}{(coarse ? ", coarse steps" : "")}, {flavor.Name()} lr {lr}, budget {runBudget}");
            return TrainRun(source, _sizes, schedule, strategy, Options(runBudget, coarse, flavor, lr), 0, quick ? null : mapCache);
        }

        /// <summary>One MsANN run through the plugin's public entry point, on data the bench holds open (the run does not dispose it).</summary>
        private MsAnnResult TrainRun(IAutoencoderData source, int[] sizes, CycleSchedule schedule, LayerMapStrategy maps, MsAnnTrainingOptions options,
            long seed, string? runMapCache = null) =>
            MsAnnMethod.Train(new MsAnnSettings(AutoencoderDataSource.Opened(source), sizes, schedule, maps, options, seed, MapCache: runMapCache),
                Context(), indent: "    ");

        /// <summary>Default training's budget: the paper's 256,000, or 8× the MsANN budget, so its cost to 1/10 is measured.</summary>
        private double DefaultBudget => Math.Max(quick ? 4 * Budget : 256_000, 8 * Budget);

        /// <summary>Validation MSE at a given cost (the last evaluation at or before it).</summary>
        private static double MseAt(MsAnnResult r, double cost) => r.Metrics.Last(m => m.Cost <= cost + 1e-9).ValidationMse;

        private static double SecondsAt(MsAnnResult r, double cost) => r.Metrics.Last(m => m.Cost <= cost + 1e-9).Seconds;

        private void Table(string task, string title, LayerMapStrategy strategy, Setting[] settings, bool coarseBest, string paper)
        {
            Section(title,
                $"Layers {string.Join('-', _sizes)}, {strategy.Name()} maps, every MsANN run with budget {Budget:F0}; default training runs to " +
                $"{DefaultBudget:F0} so its cost to 1/10 is measured, and its final MSE and seconds are read at cost {Budget:F0}. Ratios are " +
                "default ÷ MsANN (above 1 favours MsANN). *faithful*: every step evaluates the finest network with the restricted gradient " +
                "(eq. 3.13); *coarse*: steps at level l ≥ 1 train the Galerkin coarse model (`--coarse-steps`). RMSProp as the reference code " +
                "(TensorFlow 1: the mean-square accumulator starts at 1, ε under the root); the last rows repeat default training and the " +
                "best setting with PyTorch's RMSProp (`--rmsprop torch`).");
            using var source = new SyntheticObjectsData(_sizes[0], task == "two-object" ? 2 : 1, 0, CPU);
            var rows = new List<(string Name, Setting S, MsAnnResult R, double Final, double Seconds, MsAnnResult Baseline)>();
            var baseline = Train(source, new Setting(1, 0, 1), strategy, DefaultBudget);
            rows.Add(("default", new Setting(1, 0, 1), baseline, MseAt(baseline, Budget), SecondsAt(baseline, Budget), baseline));
            foreach (var s in settings)
            {
                if (cancel.IsCancellationRequested) return;
                var r = Train(source, s, strategy, Budget);
                rows.Add(("faithful", s, r, r.FinalMse, r.TotalSeconds, baseline));
            }
            var best = rows.Where(r => r.Name == "faithful" && r.R.CostToTenth is not null).OrderBy(r => r.R.CostToTenth).FirstOrDefault();
            best = best.R is null ? rows.Where(r => r.Name == "faithful").OrderBy(r => r.Final).First() : best;
            if (coarseBest && !cancel.IsCancellationRequested)
            {
                var r = Train(source, best.S, strategy, Budget, coarse: true);
                rows.Add(("coarse", best.S, r, r.FinalMse, r.TotalSeconds, baseline));
            }
            if (coarseBest && !cancel.IsCancellationRequested)
            {
                var torchBaseline = Train(source, new Setting(1, 0, 1), strategy, DefaultBudget, flavor: OptimizerFlavor.RmsPropPyTorch);
                rows.Add(("default, torch RMSProp", new Setting(1, 0, 1), torchBaseline, MseAt(torchBaseline, Budget), SecondsAt(torchBaseline, Budget), torchBaseline));
                var r = Train(source, best.S, strategy, Budget, flavor: OptimizerFlavor.RmsPropPyTorch);
                rows.Add(("faithful, torch RMSProp", best.S, r, r.FinalMse, r.TotalSeconds, torchBaseline));
            }
            if (cancel.IsCancellationRequested) return;
            _md.AppendLine("| run | setting | final MSE | cost to 1/10 | seconds to 1/10 | training seconds | final MSE ratio | cost-to-1/10 ratio | seconds-to-1/10 ratio |");
            _md.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var (name, s, r, final, seconds, b) in rows)
            {
                double bFinal = MseAt(b, Budget);
                _md.AppendLine($"| {name} | {(s.Levels == 0 ? "L = 0" : s.ToString())} | {F(final)} | {F(r.CostToTenth, "F0")} | {F(r.SecondsToTenth, "F2")} | {F(seconds, "F1")} | " +
                    $"{F(bFinal / final, "F2")} | {F(Ratio(b.CostToTenth, r.CostToTenth), "F1")} | {F(Ratio(b.SecondsToTenth, r.SecondsToTenth), "F2")} |");
            }
            var finals = rows.Where(r => r.Name == "faithful").Select(r => r.Final).ToList();
            _md.AppendLine().AppendLine($"Best faithful MsANN final MSE {F(finals.Min())}, worst {F(finals.Max())}, default {F(rows[0].Final)} at the same cost ({paper}).");
        }

        private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;

        private void Maps()
        {
            var s = quick ? new Setting(2, 2, 2) : new Setting(2, 4, 8);
            Section("Map strategies on one-object denoising (§4.4)",
                $"{s}, budget {Budget:F0}: the paper's structured maps (interpolation, the core's optimized s = 1 path maps, the reference " +
                "code's pair aggregation) against row-shuffled interpolation (§4.4 strategy 3) and random orthogonal maps.");
            using var source = new SyntheticObjectsData(_sizes[0], 1, 0, CPU);
            _md.AppendLine("| maps | final MSE | cost to 1/10 | training seconds |").AppendLine("|---|---|---|---|");
            foreach (var strategy in new[] { LayerMapStrategy.Interpolation, LayerMapStrategy.Optimized, LayerMapStrategy.Aggregation, LayerMapStrategy.Shuffled, LayerMapStrategy.Random })
            {
                if (cancel.IsCancellationRequested) return;
                var r = Train(source, s, strategy, Budget);
                _md.AppendLine($"| {strategy.Name()} | {F(r.FinalMse)} | {F(r.CostToTenth, "F0")} | {F(r.TotalSeconds, "F1")} |");
            }
            if (cancel.IsCancellationRequested) return;
            // §4.4's other baseline: the same hierarchy, every level's variables trained together by one optimizer.
            log.WriteLine($"  {s}, all together, budget {Budget}");
            var together = TrainRun(source, _sizes, new CycleSchedule(s.Levels, s.Gamma, s.K), LayerMapStrategy.Interpolation,
                Options(Budget, false, OptimizerFlavor.RmsPropTensorFlow1) with { AllTogether = true }, 0);
            _md.AppendLine($"| interpolation, all levels together (§4.4) | {F(together.FinalMse)} | {F(together.CostToTenth, "F0")} | {F(together.TotalSeconds, "F1")} |");
            var baseline = Train(source, new Setting(1, 0, 1), LayerMapStrategy.Interpolation, Budget);
            _md.AppendLine($"| default training (L = 0) | {F(baseline.FinalMse)} | {F(baseline.CostToTenth, "F0")} | {F(baseline.TotalSeconds, "F1")} |");
        }

        private void Mnist()
        {
            var s = quick ? new Setting(2, 2, 2) : new Setting(3, 4, 4);
            Section("Table 3 and §4.4 on MNIST (§4.3)",
                $"{s}, budget {Budget:F0} (default training: {DefaultBudget:F0}, final MSE read at {Budget:F0}); 32×32 padded digits, no noise; " +
                "1-D maps treat the image as a 1024-vector, grid maps halve the longer side of the image grid.");
            string? dir = mnistDir ?? (Directory.Exists("data/mnist") ? Path.GetFullPath("data/mnist") : null);
            if (dir is null || quick)
            {
                _md.AppendLine(quick ? "Skipped in --quick." : $"Skipped: no MNIST data. {mnistHowToGet}");
                return;
            }
            if (_sizes[0] != 1024) return;
            using var source = MnistData.Load(dir, _sizes[0], 0, CPU);
            var baseline = Train(source, new Setting(1, 0, 1), LayerMapStrategy.Interpolation, DefaultBudget);
            double baseFinal = MseAt(baseline, Budget);
            _md.AppendLine("| maps | final MSE | ÷ default | cost to 1/10 | training seconds |").AppendLine("|---|---|---|---|---|");
            _md.AppendLine($"| default (L = 0) | {F(baseFinal)} | 1 | {F(baseline.CostToTenth, "F0")} | {F(SecondsAt(baseline, Budget), "F1")} |");
            foreach (var strategy in new[] { LayerMapStrategy.Interpolation, LayerMapStrategy.Grid, LayerMapStrategy.OptimizedGrid, LayerMapStrategy.Shuffled, LayerMapStrategy.Random })
            {
                if (cancel.IsCancellationRequested) return;
                var r = Train(source, s, strategy, Budget);
                _md.AppendLine($"| {strategy.Name()} | {F(r.FinalMse)} | {F(r.FinalMse / baseFinal, "F2")} | {F(r.CostToTenth, "F0")} | {F(r.TotalSeconds, "F1")} |");
            }
        }

        private void Memory()
        {
            var sizes = quick ? new[] { 64, 16, 64 } : new[] { 256, 64, 32, 64, 256 };
            double memoryBudget = quick ? 20_000 : 2_000_000;
            var s = new Setting(2, 3, 4);
            Section("Memory over a long run",
                $"Layers {string.Join('-', sizes)}, {s}, budget {memoryBudget:F0}: resident set size (after a full GC) at every tenth of the run. " +
                "Every step runs in a dispose scope and only parameters, optimizer state and the kept sums live across steps, so the native " +
                "heap should stay flat once the allocator has warmed up.");
            using IAutoencoderData source = new SyntheticObjectsData(sizes[0], 1, 0, CPU);
            var shape = new HierarchyShape(sizes, s.Levels);
            using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
            using var network = new MultilevelNetwork(maps, new TorchSharp.torch.Generator(0));
            var samples = new List<(double Cost, long Steps, double Mib)>();
            double next = 0;
            var options = new MsAnnTrainingOptions { Budget = memoryBudget, BatchSize = 128, EvaluateEvery = memoryBudget / 100 };
            MsAnnTrainer.Train(network, new CycleSchedule(s.Levels, s.Gamma, s.K), options, source.Batches(0), source.Validation, m =>
            {
                if (m.Cost < next) return;
                next += memoryBudget / 10;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                using var p = Process.GetCurrentProcess();
                samples.Add((m.Cost, m.Step, p.WorkingSet64 / 1048576.0));
                log.WriteLine($"    cost {m.Cost:F0}, {m.Step} steps: RSS {samples[^1].Mib:F1} MiB");
            }, cancel);
            _md.AppendLine("| cost | steps | RSS (MiB) |").AppendLine("|---|---|---|");
            foreach (var (cost, steps, mib) in samples) _md.AppendLine($"| {cost:F0} | {steps} | {mib:F1} |");
            if (samples.Count >= 3)
            {
                // The first samples include the allocator's warm-up (it gives memory back early on); the second half is the test.
                var warm = samples[samples.Count / 2];
                var last = samples[^1];
                _md.AppendLine().AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"Over the second half of the run ({last.Steps - warm.Steps} steps) RSS changed by {last.Mib - warm.Mib:+0.0;-0.0} MiB."));
            }
        }
    }
}
