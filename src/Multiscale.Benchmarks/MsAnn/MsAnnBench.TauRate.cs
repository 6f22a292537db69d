using System.Diagnostics;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using Multiscale.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.MsAnn;

/// <summary>
/// The measurement that bounds issue 11's goal: what one coarse excursion of a cycle buys in fine loss against fine
/// steps of the same wall-clock time, from the same state.
/// </summary>
static partial class MsAnnBench
{
    private sealed partial class Bench
    {
        /// <summary>
        /// From points along a default-training trajectory (Adam), one coarse excursion of a cycle (every visit between
        /// two level-0 visits: τ, the coarse steps, the corrections; acceptance off) against fine steps filling the same
        /// measured seconds, both from the same network, optimizer state and batch stream; then the same with
        /// <c>follow</c> fine steps after each, to see whether a correction makes later fine steps more productive.
        /// </summary>
        private void TauRateSection() => TauRateSection(_sizes,
            quick ? new[] { new Setting(1, 1, 4) } : new[] { new Setting(1, 1, 4), new Setting(1, 1, 16), new Setting(2, 2, 4) },
            quick ? new[] { 5, 20 } : new[] { 20, 100, 200 }, quick ? new long[] { 0 } : new long[] { 0, 1, 2 }, "");

        /// <summary>The same at n = 4096 (layers ×4): the two settings of the n = 4096 section, one seed, two points.</summary>
        private void TauRate4096Section() => TauRateSection(quick ? new[] { 128, 32, 16, 32, 128 } : new[] { 4096, 1024, 512, 1024, 4096 },
            quick ? new[] { new Setting(1, 1, 4) } : new[] { new Setting(1, 1, 16), new Setting(2, 2, 4) }, quick ? new[] { 5, 20 } : new[] { 20, 100 }, new long[] { 0 }, ", n = 4096");

        private void TauRateSection(int[] sizes, Setting[] settings, int[] points, long[] seeds, string titleSuffix)
        {
            int follow = quick ? 4 : 16;
            Section($"Fine-loss decrease per coarse excursion against fine steps of equal time{titleSuffix} (the bound on issue 11's goal)",
                $"Layers {string.Join('-', sizes)}, one-object, interpolation maps, batch 128, Adam lr {TauAdamLearningRate:G3} on every level, " +
                $"τ-corrected coarse networks without the acceptance test. The τ run itself (its cycles in order, so both Adam states have " +
                $"their history) runs until {string.Join(", ", points)} fine steps; at the next excursion after each point the state (fine weights, the fine and coarse Adam states, the batch generator) is kept and two branches " +
                $"run from it: **coarse** = one coarse excursion of the cycle (every visit between two level-0 visits: entering the levels, τ, the " +
                $"coarse steps, returning the corrections) and **fine** = fine steps until their measured seconds equal the excursion's (the " +
                $"validation MSE interpolated at that time). Then both continue: the coarse branch {follow} fine steps, the fine branch fine steps " +
                $"until the same total seconds (*+{follow} fine*). Δ = decrease of the validation MSE (1,000 fixed examples; evaluations are not " +
                $"timed). Ratio = Δ coarse ÷ Δ fine at equal time (above 1: coarse work pays more per second than fine steps; the issue's ½-time " +
                $"goal needs well above 2 over a whole run). {seeds.Length} seed(s), means over seeds and points; loaded shared 2-core machine, " +
                "OMP_NUM_THREADS=1.");
            _md.AppendLine("| setting | point (fine steps) | MSE there | excursion s (setup / coarse steps) | fine ms per step | fine steps of equal time | Δ coarse | Δ fine | ratio | Δ coarse +" + follow + " fine | Δ fine, equal time | ratio |");
            _md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            var summary = new List<(Setting S, double Ratio, double FollowRatio)>();
            foreach (var s in settings)
            {
                var rows = new List<double[]>();   // per point: mse, visit s, setup s, steps s, fine ms, m*, Δa, Δb, Δa', Δb'
                foreach (var seed in seeds)
                {
                    if (cancel.IsCancellationRequested) return;
                    log.WriteLine($"  {s}, seed {seed}");
                    rows.AddRange(TauRate(sizes, s, points, seed, follow));
                }
                for (int p = 0; p < points.Length; p++)
                {
                    var at = Enumerable.Range(0, seeds.Length).Select(i => rows[i * points.Length + p]).ToList();
                    double M(int c) => at.Average(r => r[c]);
                    _md.AppendLine($"| {s} | {points[p]} | {F(M(0))} | {F(M(1), "F3")} ({F(M(2), "F3")} / {F(M(3), "F3")}) | {F(M(4), "F1")} | {F(M(5), "F1")} | " +
                        $"{F(M(6), "G3")} | {F(M(7), "G3")} | {F(M(6) / M(7), "F2")} | {F(M(8), "G3")} | {F(M(9), "G3")} | {F(M(8) / M(9), "F2")} |");
                }
                summary.Add((s, rows.Average(r => r[6]) / rows.Average(r => r[7]), rows.Average(r => r[8]) / rows.Average(r => r[9])));
            }
            _md.AppendLine().AppendLine("Over all points and seeds (ratio of mean decreases): " + string.Join("; ", summary.Select(x =>
                $"{x.S}: excursion alone {F(x.Ratio, "F2")}, with the following fine steps {F(x.FollowRatio, "F2")}")) + ".");
        }

        /// <summary>The rows of one seed: for each point [mse, visit s, setup s, coarse steps s, fine ms, m*, Δa, Δb, Δa′, Δb′].</summary>
        private List<double[]> TauRate(int[] sizes, Setting s, int[] points, long seed, int follow)
        {
            using var source = new SyntheticObjectsData(sizes[0], 1, seed, CPU);
            var shape = new HierarchyShape(sizes, s.Levels);
            using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation, seed);
            using var network = new MultilevelNetwork(maps, new Generator((ulong)seed));
            using var fine = LevelOptimizer.Create(OptimizerFlavor.Adam, network.Variables(0), TauAdamLearningRate);
            using var tau = new TauCorrectedVisits(network, new TauCorrectionOptions { Acceptance = false }, OptimizerFlavor.Adam, TauAdamLearningRate);
            var generator = IAutoencoderData.BatchGenerator(seed);
            var batches = source.Batches(generator);
            var validation = source.Validation;
            var rows = new List<double[]>();
            using var visit = network.Visit(0);
            double Mse() => MsAnnTrainer.ValidationMse(network, validation);
            double FineStep()
            {
                long t0 = Stopwatch.GetTimestamp();
                using var scope = NewDisposeScope();
                var (x, y) = batches(128);
                fine.ZeroGrad();
                (network.Forward(x) - y).square().mean().backward();
                fine.Step();
                return Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
            // Fine steps until their summed seconds pass each of `targets` (ascending): the MSE interpolated at each.
            (double[] Mse, double Steps, double MedianMs) FineFor(double[] targets, double startMse)
            {
                double elapsed = 0, mse = startMse, steps = 0;
                var times = new List<double>();
                var found = new List<double>();
                while (found.Count < targets.Length)
                {
                    double dt = FineStep();
                    times.Add(dt);
                    double next = Mse();
                    while (found.Count < targets.Length && elapsed + dt >= targets[found.Count])
                    {
                        double w = (targets[found.Count] - elapsed) / dt;
                        if (found.Count == 0) steps = times.Count - 1 + w;
                        found.Add(mse + w * (next - mse));
                    }
                    elapsed += dt;
                    mse = next;
                }
                return (found.ToArray(), steps, 1000 * times.Order().ElementAt(times.Count / 2));
            }
            void Excursion(List<CycleVisit> visits)
            {
                foreach (var v in visits)
                {
                    tau.Enter(v.Level, batches, 128, (_, _) => { });
                    for (int b = 0; b < v.Batches; b++)
                    {
                        using var scope = NewDisposeScope();
                        var (x, y) = batches(128);
                        tau.Step(v.Level, x, y);
                    }
                }
                tau.Enter(0, batches, 128, (_, _) => { });
            }
            // The trajectory is the τ run itself (its cycles in order, so the fine and coarse Adam states have their
            // history); at the first excursion after each point both branches run from the state kept there.
            var cycle = new CycleSchedule(s.Levels, s.Gamma, s.K).Visits();
            int fineDone = 0, next = 0;
            while (next < points.Length)
            {
                for (int i = 0; i < cycle.Count && next < points.Length; i++)
                {
                    if (cycle[i].Level == 0)
                    {
                        for (int b = 0; b < cycle[i].Batches; b++) { FineStep(); fineDone++; }
                        continue;
                    }
                    if (cycle[i - 1].Level != 0) continue;   // inside an excursion: run with its start below
                    var excursion = cycle.Skip(i).TakeWhile(v => v.Level > 0).ToList();
                    if (fineDone >= points[next])
                    {
                        double mse0 = Mse();
                        using var kept = new Checkpoint();
                        var weights = network.Variables(0).Select(v => v.detach().clone()).ToArray();
                        fine.Save(kept, "fine/");
                        var tauState = tau.Save(kept, "tau/");
                        kept.PutGenerator("batches", generator);
                        void Restore()
                        {
                            using (no_grad()) for (int j = 0; j < weights.Length; j++) network.Variables(0)[j].copy_(weights[j]);
                            fine.Restore(kept, "fine/");
                            tau.Restore(kept, "tau/", tauState);
                            kept.RestoreGenerator("batches", generator);
                        }

                        // Coarse branch: the excursion, timed as the trainer times it, then `follow` fine steps.
                        var before = tau.Statistics;
                        long t0 = Stopwatch.GetTimestamp();
                        Excursion(excursion);
                        double visitSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                        var after = tau.Statistics;
                        double mseA = Mse();
                        double followSeconds = 0;
                        for (int f = 0; f < follow; f++) followSeconds += FineStep();
                        double mseA2 = Mse();

                        // Fine branch from the same state, read at the same seconds.
                        Restore();
                        var (mseB, steps, medianMs) = FineFor(new[] { visitSeconds, visitSeconds + followSeconds }, mse0);
                        rows.Add(new[]
                        {
                            mse0, visitSeconds, after.SetupSeconds - before.SetupSeconds, after.CoarseStepSeconds - before.CoarseStepSeconds, medianMs,
                            steps, mse0 - mseA, mse0 - mseB[0], mse0 - mseA2, mse0 - mseB[1],
                        });
                        // The trajectory continues from the kept state, as if no branch had run.
                        Restore();
                        foreach (var w in weights) w.Dispose();
                        next++;
                    }
                    Excursion(excursion);
                }
            }
            return rows;
        }
    }
}
