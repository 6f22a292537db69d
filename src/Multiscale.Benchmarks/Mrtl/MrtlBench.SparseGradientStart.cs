using System.Globalization;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;

namespace Multiscale.Benchmarks.Mrtl;

public static partial class MrtlBench
{
    private sealed partial class Bench
    {
        /// <summary>
        /// The L + S model with W^S started from the low-rank stage's own residual at a finer low-rank step
        /// (<see cref="SparseStart.Gradient"/>) against the full-rank residual start and the low-rank model, on the data of
        /// the low-rank-sparse section.
        /// </summary>
        private void SparseGradientStartSection()
        {
            int plantedSparse = quick ? 2 : 4;
            double lambdaDefault = new MrtlTrainerOptions().LambdaSparse;
            int step = MrtlTrainerOptions.DefaultSparseStartStep;
            Section("basketball: the sparse term started from the low-rank stage's residual (`--sparse-start gradient`)",
                $"Data and settings of the low-rank + sparse table ({(quick ? "small preset" : "32 players, 24,000 samples")}, {plantedSparse} planted sparse 3 × 3 blocks next to 4 smooth components, " +
                "K = 20, K_S = 10, MRTL with the validation-loss criterion, patience 1). *start*: *residual* (W^S = CP of the full-rank residual " +
                "W − W^L, from the full-rank stage's 4 × 5 court) or *gradient*: W^L = CP of the full-rank W at rank K − K_S, W^S = 0 until the " +
                $"low-rank step *at* (1 = the 20×25 court), where W^S = c·CP_K_S(−∇_W L) — the rank-K_S CP of the low-rank model's own " +
                "residual at that resolution (the negative gradient of the training loss with respect to the full tensor W), c by line " +
                "search on the training loss. *recovery smooth / sparse*: mean matched |cosine| to the planted smooth and sparse factors " +
                "(one Munkres matching per mode, averaged over the court and the defender box; *court / box* the sparse one per mode). " +
                "*zeros*, *Moran's I* and *Hoyer*: means over the sparse term's learned columns (all-zero columns left out of Moran's I " +
                "and Hoyer); the low-rank model's row gives its one term. *fit*: CP fit of the residual W^S started from.");
            _md.AppendLine("| model | start | at | λ₁ | total s | low-rank s | val loss | test F1 | recovery smooth | recovery sparse | sparse court / box | zeros (sparse term) | Moran's I (smooth / sparse term) | Hoyer (smooth / sparse term) | fit |")
               .AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            var configurations = new List<(double? Lambda, SparseStart Start, int At)> { (null, SparseStart.Residual, 0), (lambdaDefault, SparseStart.Residual, 0) };
            configurations.AddRange((quick ? new[] { lambdaDefault } : new[] { lambdaDefault, 0.05, 0.1 }).Select(l => ((double?)l, SparseStart.Gradient, step)));
            foreach (var (lambda, start, at) in configurations)
            {
                var outcomes = new List<Outcome>();
                string startName = MrtlTrainerOptions.SparseStartNames.Name(start);
                for (int seed = 0; seed < seeds && !cancel.IsCancellationRequested; seed++)
                {
                    var b = (quick ? BasketballOptions.Small : new BasketballOptions { Samples = 24_000 }) with { Seed = seed, SparseRank = plantedSparse };
                    var data = BasketballSynthetic.Generate(b);
                    var options = Options(data, ResolutionSchedule.Basketball, seed);
                    if (lambda is { } l) options = options with { Model = MrtlModelKind.LowRankSparse, LambdaSparse = l, SparseStart = start, SparseStartStep = Math.Max(at, 0) };
                    outcomes.Add(Train(data.Split(seed), data, options,
                        $"basketball seed {seed}: {(lambda is { } x ? $"low-rank+sparse {startName}{(start == SparseStart.Gradient ? $" at {at}" : "")} λ₁ = {x.ToString(CultureInfo.InvariantCulture)}" : "low-rank")}"));
                }
                if (cancel.IsCancellationRequested) return;
                string Term(Func<SpatialFactorReport, IReadOnlyList<double>> of, bool sparse, string format = "F3") =>
                    MeanSd(outcomes.Select(o => Mean(o.Factors.Select(f => f.MeanOver(of(f), sparse)))), format);
                string Kinds(Func<SpatialFactorReport, IReadOnlyList<double>> of) => lambda is null ? Term(of, false) : $"{Term(of, false)} / {Term(of, true)}";
                string PerMode(int m) => MeanSd(outcomes.Select(o => o.Factors.Count > m ? (double?)o.Factors[m].RecoverySparse : null), "F3");
                bool gradient = lambda is not null && start == SparseStart.Gradient;
                _md.AppendLine($"| {(lambda is null ? "low-rank" : "low-rank+sparse")} | {(lambda is null ? "—" : startName)} | {(gradient ? at.ToString(CultureInfo.InvariantCulture) : "—")} | " +
                    $"{(lambda is { } v ? F(v) : "—")} | {MeanSd(outcomes.Select(o => (double?)o.Result.SecondsTotal), "F1")} | {MeanSd(outcomes.Select(o => (double?)o.Result.SecondsLow), "F1")} | " +
                    $"{MeanSd(outcomes.Select(o => (double?)o.Result.ValidationLoss))} | {MeanSd(outcomes.Select(o => o.Result.TestF1), "F3")} | " +
                    $"{MeanSd(outcomes.Select(o => Mean(o.Factors.Select(f => f.RecoverySmooth))), "F3")} | {MeanSd(outcomes.Select(o => Mean(o.Factors.Select(f => f.RecoverySparse))), "F3")} | " +
                    $"{PerMode(0)} / {PerMode(1)} | {(lambda is null ? "0 (one term)" : Term(f => f.ZeroFraction, true))} | {Kinds(f => f.MoransI)} | {Kinds(f => f.Hoyer)} | " +
                    $"{(gradient ? MeanSd(outcomes.Select(o => (double?)o.Result.SparseStartFit), "G3") : "—")} |");
            }
        }
    }
}
