using System.Diagnostics;
using Multiscale.MsAnn.Data;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Diagnostics;

/// <summary>
/// What one coarse excursion of a τ-corrected cycle bought at one point of a run, against fine steps of the same
/// measured seconds from the same state (see <see cref="TauExcursions.Measure"/>). Δ = decrease of the validation MSE.
/// </summary>
/// <param name="Mse">Validation MSE at the point.</param>
/// <param name="ExcursionSeconds">The excursion's seconds, timed as the trainer times a visit.</param>
/// <param name="SetupSeconds">Of those, entering the levels, τ, returning the corrections.</param>
/// <param name="CoarseStepSeconds">Of those, the coarse steps.</param>
/// <param name="FineStepMs">Median milliseconds of the fine branch's steps.</param>
/// <param name="FineSteps">Fine steps that fill the excursion's seconds (fractional: interpolated).</param>
/// <param name="CoarseDecrease">Δ after the excursion.</param>
/// <param name="FineDecrease">Δ after fine steps of the excursion's seconds.</param>
/// <param name="CoarseFollowedDecrease">Δ after the excursion and the following fine steps.</param>
/// <param name="FineFollowedDecrease">Δ after fine steps of the same total seconds.</param>
public sealed record TauExcursion(double Mse, double ExcursionSeconds, double SetupSeconds, double CoarseStepSeconds, double FineStepMs,
    double FineSteps, double CoarseDecrease, double FineDecrease, double CoarseFollowedDecrease, double FineFollowedDecrease);

/// <summary>
/// The measurement that bounds issue 11's goal: what one coarse excursion of a cycle buys in fine loss against fine
/// steps of the same wall-clock time, from the same state.
/// </summary>
public static class TauExcursions
{
    /// <summary>
    /// Runs a τ-corrected cycle (interpolation maps, Adam at <paramref name="learningRate"/> on every level,
    /// acceptance off, batch 128) on <paramref name="data"/> until each of <paramref name="points"/> (fine steps,
    /// ascending); at the next excursion after each point the state (fine weights, the fine and coarse Adam states, the
    /// batch generator) is kept and two branches run from it: the excursion (every visit between two level-0 visits)
    /// then <paramref name="follow"/> fine steps, and fine steps until the same seconds. The trajectory continues from
    /// the kept state, as if no branch had run. One result per point.
    /// </summary>
    public static IReadOnlyList<TauExcursion> Measure(IAutoencoderData data, IReadOnlyList<int> sizes, CycleSchedule schedule, IReadOnlyList<int> points,
        long seed, int follow, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(points);
        if (schedule.Depth < 1) throw new MultiscaleException("a coarse excursion needs a hierarchy of depth L ≥ 1");
        var shape = new HierarchyShape(sizes.ToArray(), schedule.Depth);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation, seed);
        using var network = new MultilevelNetwork(maps, new Generator((ulong)seed));
        using var fine = LevelOptimizer.Create(OptimizerFlavor.Adam, network.Variables(0), learningRate);
        using var tau = new TauCorrectedVisits(network, new TauCorrectionOptions { Acceptance = false }, OptimizerFlavor.Adam, learningRate);
        var generator = IAutoencoderData.BatchGenerator(seed);
        var batches = data.Batches(generator);
        var validation = data.Validation;
        var rows = new List<TauExcursion>();
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
        var cycle = schedule.Visits();
        int fineDone = 0, next = 0;
        while (next < points.Count)
        {
            for (int i = 0; i < cycle.Count && next < points.Count; i++)
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
                    rows.Add(new TauExcursion(mse0, visitSeconds, after.SetupSeconds - before.SetupSeconds, after.CoarseStepSeconds - before.CoarseStepSeconds,
                        medianMs, steps, mse0 - mseA, mse0 - mseB[0], mse0 - mseA2, mse0 - mseB[1]));
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
