using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using Multiscale.MsAnn.Diagnostics;
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
            return TauExcursions.Measure(source, sizes, new CycleSchedule(s.Levels, s.Gamma, s.K), points, seed, follow, TauAdamLearningRate)
                .Select(e => new[]
                {
                    e.Mse, e.ExcursionSeconds, e.SetupSeconds, e.CoarseStepSeconds, e.FineStepMs,
                    e.FineSteps, e.CoarseDecrease, e.FineDecrease, e.CoarseFollowedDecrease, e.FineFollowedDecrease,
                }).ToList();
        }
    }
}
