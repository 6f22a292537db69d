using System.Globalization;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.MsAnn;

/// <summary>
/// The bench's τ-corrected coarse-model sections (issue 11): the τ settings against the fastest default training
/// (Adam) on one time axis, over seeds, tasks and n = 1024 / 4096.
/// </summary>
static partial class MsAnnBench
{
    /// <summary>One multilevel mode of the τ section: a schedule and how its coarse levels train.</summary>
    private sealed record TauVariant(string Name, Setting Setting, TauCorrectionOptions? Tau, bool CoarseSteps = false, double BudgetFactor = 1);

    /// <summary>What one run of a variant measured, beside the same seed's default run of the same process.</summary>
    private sealed record TauMeasurement(MsAnnResult Run, MsAnnResult Default, EqualTime? Equal, EqualTime? EqualCpu)
    {
        public TauMeasurement(MsAnnResult run, MsAnnResult @default)
            : this(run, @default, EqualTime.Compare(run, @default), EqualTime.Compare(run, @default, cpuClock: true)) { }
    }

    private sealed partial class Bench
    {
        private static readonly double TauAdamLearningRate = MsAnnMethod.DefaultLearningRate(OptimizerFlavor.Adam);

        /// <summary>The τ grid at n = 1024 (one-object and two-object, three seeds).</summary>
        private void TauSection()
        {
            var variants = quick
                ? new[]
                {
                    new TauVariant("τ", new Setting(1, 1, 4), new TauCorrectionOptions { Acceptance = false }),
                    new TauVariant("τ, acceptance", new Setting(1, 1, 4), new TauCorrectionOptions()),
                    new TauVariant("τ, 4 τ batches", new Setting(1, 1, 4), new TauCorrectionOptions { Acceptance = false, Batches = 4 }),
                    new TauVariant("τ, running average ρ = 0.8", new Setting(1, 1, 4), new TauCorrectionOptions { Acceptance = false, Average = 0.8 }),
                    new TauVariant("uncorrected `--coarse-steps`", new Setting(1, 1, 4), null, CoarseSteps: true),
                    new TauVariant("faithful (Table 1 best)", new Setting(3, 3, 2), null, BudgetFactor: 0.25),
                }
                : new[]
                {
                    new TauVariant("τ", new Setting(1, 1, 16), new TauCorrectionOptions { Acceptance = false }),
                    new TauVariant("τ, acceptance", new Setting(1, 1, 16), new TauCorrectionOptions()),
                    new TauVariant("τ", new Setting(1, 1, 4), new TauCorrectionOptions { Acceptance = false }),
                    new TauVariant("τ", new Setting(2, 2, 4), new TauCorrectionOptions { Acceptance = false }),
                    new TauVariant("τ", new Setting(3, 3, 4), new TauCorrectionOptions { Acceptance = false }),
                    new TauVariant("τ, 4 τ batches", new Setting(1, 1, 16), new TauCorrectionOptions { Acceptance = false, Batches = 4 }),
                    new TauVariant("τ, running average ρ = 0.8", new Setting(1, 1, 16), new TauCorrectionOptions { Acceptance = false, Average = 0.8 }),
                    new TauVariant("τ, running average ρ = 0.8", new Setting(2, 2, 4), new TauCorrectionOptions { Acceptance = false, Average = 0.8 }),
                    new TauVariant("uncorrected `--coarse-steps`", new Setting(1, 1, 16), null, CoarseSteps: true),
                    // The faithful steps each cost a fine step; a short budget reaches 1/10 and shows the clock.
                    new TauVariant("faithful (Table 1 best)", new Setting(3, 6, 4), null, BudgetFactor: 2000 / TauBudget),
                };
            var seeds = quick ? new long[] { 0, 1 } : new long[] { 0, 1, 2 };
            Section("τ-corrected coarse models against the fastest default training (issue 11)", TauIntro(_sizes, seeds.Length,
                $"Each seed's default run is trained right before that seed's multilevel runs, in this process."));
            foreach (var task in new[] { "one-object", "two-object" })
            {
                if (cancel.IsCancellationRequested) return;
                var results = TauRuns(task, _sizes, variants, seeds);
                if (results is null) return;
                TauTable(task, _sizes, variants, results);
            }
        }

        /// <summary>One setting at n = 4096 (layers ×4), one seed: does coarse work pay more on a wider network?</summary>
        private void Tau4096Section()
        {
            var sizes = quick ? new[] { 128, 32, 16, 32, 128 } : new[] { 4096, 1024, 512, 1024, 4096 };
            var variants = new[]
            {
                new TauVariant("τ", quick ? new Setting(1, 1, 4) : new Setting(1, 1, 16), new TauCorrectionOptions { Acceptance = false }),
                new TauVariant("τ", quick ? new Setting(2, 2, 2) : new Setting(2, 2, 4), new TauCorrectionOptions { Acceptance = false }),
            };
            var seeds = new long[] { 0 };
            Section("τ-corrected coarse models at n = 4096 (layers ×4, one-object)", TauIntro(sizes, seeds.Length,
                "Reduced: one seed, two τ settings, budgets halved so the section fits the time (the 2× and 4× readings may be past a run's end, †).", quick ? 1 : 0.5));
            var results = TauRuns("one-object", sizes, variants, seeds, budgetScale: quick ? 1 : 0.5);
            if (results is null) return;
            TauTable("one-object", sizes, variants, results);
        }

        /// <summary>More seeds of the n = 4096 setting that reached 1/10 first in <see cref="Tau4096Section"/> (γ 2, L 2, k 4).</summary>
        private void Tau4096SeedsSection()
        {
            var sizes = quick ? new[] { 128, 32, 16, 32, 128 } : new[] { 4096, 1024, 512, 1024, 4096 };
            var variants = new[] { new TauVariant("τ", quick ? new Setting(2, 2, 2) : new Setting(2, 2, 4), new TauCorrectionOptions { Acceptance = false }) };
            var seeds = new long[] { 1, 2 };
            Section("τ-corrected coarse models at n = 4096, seeds 1 and 2 (one-object)", TauIntro(sizes, seeds.Length,
                "The γ 2, L 2, k 4 setting of the n = 4096 section repeated with two more seeds, same halved budgets.", quick ? 1 : 0.5));
            var results = TauRuns("one-object", sizes, variants, seeds, budgetScale: quick ? 1 : 0.5);
            if (results is null) return;
            TauTable("one-object", sizes, variants, results);
        }

        private double TauBudget => quick ? 3000 : 64_000;

        private double TauDefaultBudget => quick ? 4000 : 96_000;

        private string TauIntro(int[] sizes, int seeds, string extra, double budgetScale = 1) =>
            $"Layers {string.Join('-', sizes)}, interpolation maps, batch 128, Adam (lr {TauAdamLearningRate:G3}, the fastest default flavor of the " +
            $"flavors section) on every level and for default training; {seeds} seeds (data, initialization and batches). Default training " +
            $"(L = 0) has budget {TauDefaultBudget * budgetScale:F0}; τ and uncorrected runs {TauBudget * budgetScale:F0}; the faithful eq. 3.13 run (each step a fine " +
            $"step) a short budget of its own. Validation MSE on 1,000 fixed examples every {(quick ? 128 : 512)} of cost. " + extra + " Columns are means over " +
            "the seeds that reached 1/10 (reached: seeds that did); *÷* = default ÷ run in the same seed (above 1 favours the run; mean, " +
            "min–max). *MSE at t×*: validation MSE of run / default at t times that seed's default seconds to 1/10, both curves read on one " +
            "time axis (linear interpolation; † = some seed's run had ended before, its final MSE). *proxy cost to 1/10*: C(t), which " +
            "repeats exactly. *split*: training seconds in fine steps / coarse steps / visit setup (τ, transfers, acceptance), means. " +
            "*kept*: corrections kept / returned to the level above (all seeds). Seconds are wall-clock on a loaded, shared 2-core machine " +
            "with OMP_NUM_THREADS=1: read the ratios, not the absolute times. *CPU* columns: the same readings on the training thread's CPU " +
            "seconds (`ThreadCpuTime`; with one torch thread the ops run on it), the load-robust estimate of a quiet machine's wall-clock.";

        private TauMeasurement[,]? TauRuns(string task, int[] sizes, TauVariant[] variants, long[] seeds, double budgetScale = 1)
        {
            var results = new TauMeasurement[variants.Length, seeds.Length];
            for (int s = 0; s < seeds.Length; s++)
            {
                using var source = new SyntheticObjectsData(sizes[0], task == "two-object" ? 2 : 1, seeds[s], CPU);
                var baseline = TauTrain(source, sizes, new Setting(1, 0, 1), null, false, TauDefaultBudget * budgetScale, seeds[s]);
                for (int v = 0; v < variants.Length; v++)
                {
                    if (cancel.IsCancellationRequested) return null;
                    var variant = variants[v];
                    var r = TauTrain(source, sizes, variant.Setting, variant.Tau, variant.CoarseSteps, TauBudget * variant.BudgetFactor * budgetScale, seeds[s]);
                    results[v, s] = new TauMeasurement(r, baseline);
                }
            }
            return cancel.IsCancellationRequested ? null : results;
        }

        private MsAnnResult TauTrain(IAutoencoderData source, int[] sizes, Setting s, TauCorrectionOptions? tau, bool coarseSteps, double runBudget, long seed)
        {
            var schedule = s.Levels == 0 ? new CycleSchedule(0, 1, 1) : new CycleSchedule(s.Levels, s.Gamma, s.K);
            var options = new MsAnnTrainingOptions
            {
                Budget = runBudget, BatchSize = 128, LearningRate = TauAdamLearningRate, EvaluateEvery = quick ? 128 : 512,
                CoarseSteps = coarseSteps, Optimizer = OptimizerFlavor.Adam, TauCorrection = tau,
            };
            log.WriteLine($"  seed {seed}, {s}{(tau is null ? coarseSteps ? ", coarse steps" : s.Levels > 0 ? ", faithful" : "" : $", τ (acceptance {(tau.Acceptance ? "on" : "off")}, batches {tau.Batches}, average {tau.Average})")}, budget {runBudget}");
            return TrainRun(source, sizes, schedule, LayerMapStrategy.Interpolation, options, seed);
        }

        private void TauTable(string task, int[] sizes, TauVariant[] variants, TauMeasurement[,] results)
        {
            int seeds = results.GetLength(1);
            _md.AppendLine($"**{task}, n = {sizes[0]}**").AppendLine();
            _md.AppendLine("| run | setting | reached | s to 1/10: run / default | ÷ (min–max) | CPU s to 1/10: run / default | CPU ÷ (min–max) | proxy cost to 1/10: run / default | MSE at 1× | MSE at 2× | MSE at 4× | CPU: MSE at 1× | CPU: at 2× | CPU: at 4× | final MSE (run's budget) | split s | CPU split s | kept | setup ms per correction |");
            _md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            var defaults = Enumerable.Range(0, seeds).Select(s => results[0, s].Default).ToList();
            {
                var reached = defaults.Where(d => d.SecondsToTenth is not null).ToList();
                _md.AppendLine($"| default (L = 0), Adam | — | {reached.Count}/{seeds} | {F(Mean(reached.Select(d => d.SecondsToTenth!.Value)), "F2")} | 1 | " +
                    $"{F(Mean(reached.Where(d => d.CpuSecondsToTenth is not null).Select(d => d.CpuSecondsToTenth!.Value)), "F2")} | 1 | " +
                    $"{F(Mean(reached.Select(d => d.CostToTenth!.Value)), "F0")} | — | — | — | — | — | — | {F(Mean(defaults.Select(d => d.FinalMse)))} | " +
                    $"{F(Mean(defaults.Select(d => d.TimeSplit.FineSteps)), "F1")} / 0 / {F(Mean(defaults.Select(d => d.TimeSplit.VisitSetup)), "F1")} | " +
                    $"{F(Mean(defaults.Select(d => d.CpuTimeSplit.FineSteps)), "F1")} / 0 / {F(Mean(defaults.Select(d => d.CpuTimeSplit.VisitSetup)), "F1")} | — | — |");
            }
            for (int v = 0; v < variants.Length; v++)
            {
                var row = Enumerable.Range(0, seeds).Select(s => results[v, s]).ToList();
                var both = row.Where(m => m.Run.SecondsToTenth is not null && m.Default.SecondsToTenth is not null).ToList();
                var ratios = both.Select(m => m.Default.SecondsToTenth!.Value / m.Run.SecondsToTenth!.Value).ToList();
                var bothCpu = row.Where(m => m.Run.CpuSecondsToTenth is not null && m.Default.CpuSecondsToTenth is not null).ToList();
                var cpuRatios = bothCpu.Select(m => m.Default.CpuSecondsToTenth!.Value / m.Run.CpuSecondsToTenth!.Value).ToList();
                string At(int i, bool cpu = false)
                {
                    var points = row.Select(m => cpu ? m.EqualCpu : m.Equal).Where(e => e is not null).Select(e => e!.Points[i]).ToList();
                    if (points.Count == 0) return "N/A";
                    bool ended = points.Any(p => p.MsAnnEnded);
                    return $"{F(Mean(points.Select(p => p.MsAnnMse)))}{(ended ? " †" : "")} / {F(Mean(points.Select(p => p.DefaultMse)))}{(points.Any(p => p.DefaultEnded) ? " †" : "")}";
                }
                var taus = row.Select(m => m.Run.Tau).Where(t => t is not null).ToList();
                double setupMs = taus.Sum(t => t!.Corrections) is > 0 and var n ? 1000 * taus.Sum(t => t!.SetupSeconds) / n : double.NaN;
                string reachedText = $"{row.Count(m => m.Run.SecondsToTenth is not null)}/{seeds}";
                _md.AppendLine($"| {variants[v].Name} | {variants[v].Setting} | {reachedText} | " +
                    $"{F(Mean(both.Select(m => m.Run.SecondsToTenth!.Value)), "F2")} / {F(Mean(both.Select(m => m.Default.SecondsToTenth!.Value)), "F2")} | " +
                    $"{(ratios.Count == 0 ? "N/A" : $"{F(Mean(ratios), "F2")} ({F(ratios.Min(), "F2")}–{F(ratios.Max(), "F2")})")} | " +
                    $"{F(Mean(bothCpu.Select(m => m.Run.CpuSecondsToTenth!.Value)), "F2")} / {F(Mean(bothCpu.Select(m => m.Default.CpuSecondsToTenth!.Value)), "F2")} | " +
                    $"{(cpuRatios.Count == 0 ? "N/A" : $"{F(Mean(cpuRatios), "F2")} ({F(cpuRatios.Min(), "F2")}–{F(cpuRatios.Max(), "F2")})")} | " +
                    $"{F(Mean(row.Where(m => m.Run.CostToTenth is not null).Select(m => m.Run.CostToTenth!.Value)), "F0")} / {F(Mean(defaults.Where(d => d.CostToTenth is not null).Select(d => d.CostToTenth!.Value)), "F0")} | " +
                    $"{At(0)} | {At(1)} | {At(2)} | {At(0, true)} | {At(1, true)} | {At(2, true)} | {F(Mean(row.Select(m => m.Run.FinalMse)))} | " +
                    $"{F(Mean(row.Select(m => m.Run.TimeSplit.FineSteps)), "F1")} / {F(Mean(row.Select(m => m.Run.TimeSplit.CoarseSteps)), "F1")} / {F(Mean(row.Select(m => m.Run.TimeSplit.VisitSetup)), "F1")} | " +
                    $"{F(Mean(row.Select(m => m.Run.CpuTimeSplit.FineSteps)), "F1")} / {F(Mean(row.Select(m => m.Run.CpuTimeSplit.CoarseSteps)), "F1")} / {F(Mean(row.Select(m => m.Run.CpuTimeSplit.VisitSetup)), "F1")} | " +
                    $"{(taus.Count == 0 ? "—" : $"{taus.Sum(t => t!.Accepted)}/{taus.Sum(t => t!.Corrections)}")} | {(taus.Count == 0 ? "—" : F(setupMs, "F0"))} |");
            }
            _md.AppendLine();
            _md.AppendLine("Per seed, seconds to 1/10 run / default (÷), then CPU seconds to 1/10 run / default (÷) (same process, one after the other):").AppendLine();
            string PerSeed(double? run, double? @default) => $"{F(run, "F2")} / {F(@default, "F2")} ({(run is { } r && @default is { } d ? F(d / r, "F2") : "N/A")})";
            for (int v = 0; v < variants.Length; v++)
                _md.AppendLine($"- {variants[v].Name}, {variants[v].Setting}: " + string.Join("; ", Enumerable.Range(0, seeds).Select(s =>
                    $"seed {s}: {PerSeed(results[v, s].Run.SecondsToTenth, results[v, s].Default.SecondsToTenth)}, CPU {PerSeed(results[v, s].Run.CpuSecondsToTenth, results[v, s].Default.CpuSecondsToTenth)}")));
            _md.AppendLine().AppendLine("Load average (1, 5, 15 min) at the table's end: " + LoadAverage() + ".");
            _md.AppendLine();
        }

        /// <summary>The first three fields of /proc/loadavg, or "unknown" off Linux.</summary>
        private static string LoadAverage()
        {
            try { return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
            catch (IOException) { return "unknown"; }
            catch (UnauthorizedAccessException) { return "unknown"; }
        }

        private static double? Mean(IEnumerable<double> values)
        {
            var list = values.ToList();
            return list.Count == 0 ? null : list.Average();
        }
    }
}
