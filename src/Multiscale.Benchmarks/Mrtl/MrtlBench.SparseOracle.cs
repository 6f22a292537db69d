using System.Globalization;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.Mrtl;

public static partial class MrtlBench
{
    private sealed partial class Bench
    {
        /// <summary>
        /// The oracle of the L + S model's sparse recovery: the planted factors themselves as the start (at the planted
        /// grids, or area-averaged to the coarse court grid of the low-rank chain), trained with the trainer's step
        /// (Adam, loss + regularizer, then the proximal step) in either metric. What a start at the truth keeps tells
        /// how much of the recovery the training itself loses.
        /// </summary>
        private void SparseOracle()
        {
            int plantedSparse = quick ? 2 : 4;
            double lambda = new MrtlTrainerOptions().LambdaSparse;
            Section("basketball: the L + S model trained from the planted factors (oracle of the sparse recovery)",
                $"Basketball data as in the low-rank + sparse table ({(quick ? "small preset" : "32 players, 24,000 samples")}, {plantedSparse} planted sparse 3 × 3 blocks). " +
                "The model starts at the planted factors (smooth → W^L, sparse → W^S, each component's three factors at equal norms, the " +
                "output factor scaled to the generator's logit spread, K_L = K_S = 10 with the missing columns N(0, 0.01²)) and trains with " +
                "the trainer's step: Adam (the low-rank stage's learning rate, batch 256), loss + regularizer, then the proximal step of " +
                $"λ₁ = {lambda.ToString(CultureInfo.InvariantCulture)} with the divisor *per entry* (Adam's √v̂ + ε, the earlier rule) or *per factor* (the mean of " +
                "√v̂ + ε over the entries with a gradient, the trainer's rule now). *at 40×50*: 5 epochs at the planted grids; *chain*: " +
                "the court factors area-averaged to 8 × 10, then 8×10 → 20×25 → 40×50 by nearest, each resolution up to 20 epochs and " +
                "left when validation loss + L1 rose once, its best checkpoint kept (the validation-loss criterion). *recovery sparse*: " +
                "mean matched |cos| to the planted sparse factors (both modes) after epoch 1, and of the kept model (best validation " +
                "loss + L1 at 40×50, epoch 0 included); *zeros*: of the kept model's sparse term.");
            _md.AppendLine("| start | metric | val loss at start | val loss after epoch 1 | recovery sparse after epoch 1 | recovery sparse, kept | recovery smooth, kept | zeros (sparse term), kept |")
               .AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var (chain, perFactor) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                var rows = new List<double[]>();
                for (int seed = 0; seed < seeds && !cancel.IsCancellationRequested; seed++)
                {
                    log.WriteLine($"  basketball seed {seed}: oracle {(chain ? "chain" : "40x50")} {(perFactor ? "per factor" : "per entry")}");
                    var b = (quick ? BasketballOptions.Small : new BasketballOptions { Samples = 24_000 }) with { Seed = seed, SparseRank = plantedSparse };
                    var data = BasketballSynthetic.Generate(b);
                    rows.Add(Oracle(data, data.Split(seed), b.Rank, lambda, perFactor, chain, quick ? 2 : (chain ? 20 : 5), seed));
                }
                if (cancel.IsCancellationRequested) return;
                string Col(int i, string format) => MeanSd(rows.Select(r => (double?)r[i]), format);
                _md.AppendLine($"| {(chain ? "chain (planted, averaged to 8×10)" : "at 40×50 (planted)")} | {(perFactor ? "per factor" : "per entry")} | {Col(0, "G4")} | {Col(1, "G4")} | {Col(2, "F3")} | {Col(3, "F3")} | {Col(4, "F3")} | {Col(5, "F3")} |");
            }
        }

        /// <summary>One oracle run: [val at start, val after epoch 1, sparse recovery after epoch 1, kept sparse, kept smooth, kept zeros].</summary>
        private double[] Oracle(MrtlDataset data, MrtlSplit split, int smoothRank, double lambda, bool perFactor, bool chain, int epochs, long seed)
        {
            using var scope = NewDisposeScope();
            var planted = data.Planted!;
            var fine = planted.Grids.ToArray();
            var steps = chain
                ? new[] { new[] { new GridShape(8, 10), fine[1] }, new[] { new GridShape(20, 25), fine[1] }, fine }
                : new[] { fine };
            var court = planted.SpatialFactors[0].to(ScalarType.Float32);
            if (chain)
            {
                // The planted court factors as the 8×10 model that fits them best in the mean: 5 × 5 cell averages.
                var f = court.T.reshape(-1, 1, fine[0].Rows, fine[0].Cols);
                court = nn.functional.avg_pool2d(f, new long[] { fine[0].Rows / 8, fine[0].Cols / 10 }).reshape(-1, 80).T.contiguous();
            }
            var g = new Generator((ulong)seed + 100);
            int k = 10;
            Tensor[] Term(int from, int count)
            {
                var f = new[] { planted.OutputFactor, court, planted.SpatialFactors[1] }.Select(t => t.narrow(1, from, count).to(ScalarType.Float32)).ToArray();
                var norms = f.Select(t => linalg.vector_norm(t, dims: new long[] { 0 })).ToArray();
                var each = (norms[0] * norms[1] * norms[2]).pow(1.0 / 3);
                return f.Select((t, i) => cat(new[] { t / norms[i] * each, 0.01f * randn(new long[] { t.shape[0], k - count }, generator: g) }, 1)).ToArray();
            }
            LowRankSparseModel model = new(MrtlTask.Classification, data.Outputs, data.FeatureShape, steps[0],
                Term(0, smoothRank), Term(smoothRank, planted.Rank - smoothRank), zeros(data.Outputs));
            double positives = split.Train.PositiveFraction, beta = (1 - positives) / positives;
            var train = split.Train.Discretize(steps[0]);
            using (no_grad())
            {
                var z = model.Predict(train);
                double c = 3.0 / z.std().item<float>();
                model.Factors[0].mul_((float)c);
                model.SparseFactors[0].mul_((float)c);
                model.Bias.fill_((float)(Math.Log(positives / (1 - positives)) - c * z.mean().item<float>()));
            }
            var result = new double[6];
            var so = new StageOptions { LearningRate = 2e-3 };
            var shuffle = new Generator((ulong)seed);
            for (int s = 0; s < steps.Length; s++)
            {
                if (s > 0)
                {
                    var (moved, _) = MrtlTrainer.Finegrain(model, steps[s], FinegrainMethod.Nearest);
                    model.Dispose();
                    model = (LowRankSparseModel)moved;
                    train = split.Train.Discretize(steps[s]);
                }
                bool last = s == steps.Length - 1;
                var validation = split.Validation.Discretize(steps[s]);
                var kernels = steps[s].Select(grid => new SpatialKernel(grid, so.Regularization.Sigma)).ToArray();
                using var adam = optim.Adam(model.Parameters, lr: so.LearningRate);
                var decay = optim.lr_scheduler.StepLR(adam, 1, so.Decay);
                double v0 = MrtlTrainer.Evaluate(model, validation, beta).Loss;
                if (last && !chain) result[0] = v0;
                double best = v0 + model.L1Penalty(lambda, true);
                var snapshot = model.Snapshot();
                for (int epoch = 1; epoch <= epochs; epoch++)
                {
                    var order = randperm(train.Count, generator: shuffle);
                    for (int start = 0; start < train.Count; start += so.BatchSize)
                    {
                        using var stepScope = NewDisposeScope();
                        var batch = train.Batch(order[start..Math.Min(train.Count, start + so.BatchSize)]);
                        adam.zero_grad();
                        (model.Loss(batch, beta) + model.Regularizer(so.Regularization, kernels)).backward();
                        adam.step();
                        model.ProximalStep(adam, lambda, true, perFactor);
                    }
                    decay.step();
                    double loss = MrtlTrainer.Evaluate(model, validation, beta).Loss;
                    if (last && epoch == 1)
                    {
                        result[1] = loss;
                        result[2] = FactorReport.Compute(model, planted).Average(r => r.RecoverySparse);
                    }
                    double selected = loss + model.L1Penalty(lambda, true);
                    bool rose = selected >= best;
                    if (!rose)
                    {
                        best = selected;
                        foreach (var t in snapshot) t.Dispose();
                        snapshot = model.Snapshot();
                    }
                    // The chain leaves a resolution like the validation-loss criterion with patience 1 (at 40×50 it still reports epoch 1).
                    if (chain && rose && !(last && epoch == 1)) break;
                }
                model.Restore(snapshot);
                foreach (var t in snapshot) t.Dispose();
                foreach (var kernel in kernels) kernel.Dispose();
                if (chain && last) result[0] = v0;
            }
            var reports = FactorReport.Compute(model, planted);
            result[3] = reports.Average(r => r.RecoverySparse);
            result[4] = reports.Average(r => r.RecoverySmooth);
            result[5] = Enumerable.Range(0, model.Grids.Count).Average(m => Multiscale.Mrtl.Interpretability.Sparsity.ZeroFraction(model.SparseSpatialFactor(m).detach()));
            model.Dispose();
            return result;
        }
    }
}
