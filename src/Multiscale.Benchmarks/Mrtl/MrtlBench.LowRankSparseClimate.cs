using Multiscale.Mrtl.Training;

namespace Multiscale.Benchmarks.Mrtl;

public static partial class MrtlBench
{
    private sealed partial class Bench
    {
        /// <summary>Paper 000 (31) on climate (regression, field modes): the L+S model against the low-rank model, same data and seeds.</summary>
        private void LowRankSparseClimate()
        {
            double lambdaDefault = new MrtlTrainerOptions().LambdaSparse;
            Section("climate: low-rank + sparse model (paper 000 (31)) against the low-rank model",
                "Climate data (regression, field modes, bilinear finegraining; the planted factors are all smooth, so there is no " +
                "sparse recovery to measure); MRTL (validation-loss criterion) trains the same full-rank chain, then the low-rank model " +
                "or the low-rank + sparse model with the same total K (K_S = K/2, residual start, default λ₁). *recovery*: mean matched " +
                "|cosine| of all learned columns to the planted factors, averaged over the spatial modes. *zeros* and *Moran's I* are " +
                "the means over the learned columns of the sparse term.");
            _md.AppendLine("| model | λ₁ | total s | low-rank s | val loss | test MSE | recovery | zeros (sparse term) | Moran's I (smooth / sparse term) |")
               .AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (double? lambda in new double?[] { null, lambdaDefault })
            {
                var outcomes = new List<Outcome>();
                for (int seed = 0; seed < seeds && !cancel.IsCancellationRequested; seed++)
                {
                    var (data, schedule) = Data("climate", seed);
                    var options = Options(data, schedule, seed);
                    if (lambda is { } l) options = options with { Model = MrtlModelKind.LowRankSparse, LambdaSparse = l };
                    outcomes.Add(Train(data.Split(seed), data, options, $"climate seed {seed}: {(lambda is null ? "low-rank" : "low-rank+sparse")}"));
                }
                if (cancel.IsCancellationRequested) return;
                string Sparse(Func<SpatialFactorReport, IReadOnlyList<double>> of) =>
                    MeanSd(outcomes.Select(o => Mean(o.Factors.Select(f => f.MeanOver(of(f), true)))), "F3");
                string morans = MeanSd(outcomes.Select(o => Mean(o.Factors.Select(f => f.MeanOver(f.MoransI, false)))), "F3");
                _md.AppendLine($"| {(lambda is null ? "low-rank" : "low-rank+sparse")} | {(lambda is { } v ? F(v) : "—")} | " +
                    $"{MeanSd(outcomes.Select(o => (double?)o.Result.SecondsTotal), "F1")} | {MeanSd(outcomes.Select(o => (double?)o.Result.SecondsLow), "F1")} | " +
                    $"{MeanSd(outcomes.Select(o => (double?)o.Result.ValidationLoss))} | {MeanSd(outcomes.Select(o => o.Result.TestMse))} | " +
                    $"{MeanSd(outcomes.Select(o => o.Recovery), "F3")} | {(lambda is null ? "—" : Sparse(f => f.ZeroFraction))} | " +
                    $"{(lambda is null ? morans : $"{morans} / {Sparse(f => f.MoransI)}")} |");
            }
        }
    }
}
