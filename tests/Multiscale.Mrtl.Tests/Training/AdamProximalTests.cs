using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Interpretability;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Training;

/// <summary>
/// The L1 term of the low-rank + sparse model as a proximal step in Adam's metric, its penalty, and the residual start.
/// </summary>
public class AdamProximalTests
{
    private static readonly GridShape[] Tiny = { new(2, 3), new(3, 3) };

    [Fact]
    public void AdamsDivisorIsTheBiasCorrectedRootOfItsSecondMoment()
    {
        var p = new Parameter(zeros(4));
        using var adam = optim.Adam(new[] { p }, lr: 0.1, beta2: 0.99);
        Assert.True(AdamMetric.Denominator(adam, p).equal(ones(4)).all().item<bool>());
        var g1 = tensor(new float[] { 0.5f, -2f, 0f, 1e-3f });
        var g2 = tensor(new float[] { -1f, 1f, 3f, 0f });
        const double beta2 = 0.99, eps = 1e-8;
        foreach (var (g, step) in new[] { (g1, 1), (g2, 2) })
        {
            adam.zero_grad();
            (g * p).sum().backward();
            adam.step();
            // v_t = (1 − β₂) Σ_s β₂^(t−s) g_s², d = √(v_t/(1 − β₂^t)) + ε.
            var v = step == 1 ? (1 - beta2) * g1.square() : beta2 * (1 - beta2) * g1.square() + (1 - beta2) * g2.square();
            var expected = (v / (1 - Math.Pow(beta2, step))).sqrt() + eps;
            Assert.True(allclose(AdamMetric.Denominator(adam, p), expected, 1e-5, 1e-9), $"step {step}");
        }
        // At step 1 the bias-corrected divisor is |g| + ε: Adam's first step moves every coordinate by η·sign(g).
        var other = new Parameter(zeros(4));
        Assert.Throws<MultiscaleException>(() => AdamMetric.Denominator(adam, other));
    }

    [Fact]
    public void TheProximalStepInAdamsMetricIsTheSoftThresholdOfTheLinearizedProblem()
    {
        var data = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 64, Players = 3 });
        var batch = data.Discretize(Tiny).All();
        using var model = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 2, new Generator(5), 0.5);
        const double eta = 0.05;
        using var adam = optim.Adam(model.Parameters, lr: eta);
        adam.zero_grad();
        model.Loss(batch, 1.0).backward();
        var x = Enumerable.Range(0, Tiny.Length).Select(m => model.SparseSpatialFactor(m).detach().clone().to(ScalarType.Float64)).ToArray();
        var g = Enumerable.Range(0, Tiny.Length).Select(m => model.SparseSpatialFactor(m).grad!.detach().clone().to(ScalarType.Float64)).ToArray();
        adam.step();
        var d = Enumerable.Range(0, Tiny.Length).Select(m => AdamMetric.Denominator(adam, model.SparseSpatialFactor(m))).ToArray();
        // λ₁ at the median |g|·D₀ so that mode 0 has entries on both sides of the threshold.
        double lambda = g[0].abs().median().item<double>() * Tiny[0].Cells;
        var smoothBefore = model.SpatialFactor(0).detach().clone();
        model.ProximalStep(eta, lambda, perCell: true, d);
        int zeros0 = 0;
        for (int m = 0; m < Tiny.Length; m++)
        {
            double w = 1.0 / Tiny[m].Cells;
            var v = model.SparseSpatialFactor(m).detach().to(ScalarType.Float64);
            var dm = d[m].to(ScalarType.Float64);
            // Step 1: m̂ = g, d = |g| + ε; the composite step is argmin_v g·v + d/(2η)(v − x)² + λ₁w|v| per coordinate.
            Assert.True(allclose(dm, g[m].abs() + 1e-8, 1e-5, 1e-9));
            var closed = LowRankSparseModel.SoftThreshold(x[m] - eta * g[m] / dm, eta * lambda * w / dm);
            Assert.True(allclose(v, closed, 1e-5, 1e-6), $"mode {m}");
            for (int i = 0; i < v.shape[0]; i++)
                for (int k = 0; k < v.shape[1]; k++)
                {
                    double xi = x[m][i, k].item<double>(), gi = g[m][i, k].item<double>(), di = dm[i, k].item<double>(), vi = v[i, k].item<double>();
                    if (gi == 0) { Assert.Equal(0.0, vi); continue; }   // no curvature: the L1 term alone decides
                    double Objective(double u) => gi * u + di / (2 * eta) * (u - xi) * (u - xi) + lambda * w * Math.Abs(u);
                    double best = Objective(vi);
                    for (double u = xi - 0.2; u <= xi + 0.2; u += 1e-4) Assert.True(best <= Objective(u) + 1e-9, $"mode {m} ({i},{k}): {best} > {Objective(u)} at {u}");
                    // Exactly zero iff |x·d/η − g| ≤ λ₁w (the optimality condition at 0).
                    bool zero = Math.Abs(xi * di / eta - gi) <= lambda * w * (1 + 1e-4);
                    if (Math.Abs(Math.Abs(xi * di / eta - gi) - lambda * w) > 1e-3 * lambda * w) Assert.Equal(zero, vi == 0);
                    if (m == 0 && vi == 0) zeros0++;
                }
        }
        Assert.InRange(zeros0, 1, (int)x[0].numel() - 1);
        // Only the sparse spatial factors are thresholded.
        Assert.True(model.SpatialFactor(0).detach().equal(smoothBefore).all().item<bool>());
        // With every divisor 1 it is the Euclidean soft threshold at η·λ₁·w_m.
        using var copy = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 2, new Generator(8), 0.5);
        using var reference = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 2, new Generator(8), 0.5);
        copy.ProximalStep(0.1, 2.0, perCell: false, Tiny.Select(t => ones(t.Cells, 2)).ToArray());
        reference.ProximalStep(0.2);
        for (int m = 0; m < Tiny.Length; m++) Assert.True(copy.SparseSpatialFactor(m).equal(reference.SparseSpatialFactor(m)).all().item<bool>());
        Assert.Throws<MultiscaleException>(() => copy.ProximalStep(0.1, -1, true, Tiny.Select(t => ones(t.Cells, 2)).ToArray()));
        Assert.Throws<MultiscaleException>(() => copy.ProximalStep(0.1, 1, true, new[] { ones(Tiny[0].Cells, 2) }));
        Assert.Throws<MultiscaleException>(() => copy.ProximalStep(0.1, 1, true, Tiny.Select(t => ones(t.Cells, 3)).ToArray()));
    }

    [Fact]
    public void TheL1PenaltyIsLambdaTimesTheMeanAbsoluteValuePerSpatialFactor()
    {
        var data = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 64, Players = 3 });
        using var model = LowRankSparseModel.Random(MrtlTask.Classification, data.Outputs, data.FeatureShape, Tiny, 2, 3, new Generator(9), 0.5);
        double perCell = 0, total = 0;
        for (int m = 0; m < Tiny.Length; m++)
        {
            var v = model.SparseSpatialFactor(m).detach().to(ScalarType.Float64);
            total += v.abs().sum().item<double>();
            perCell += v.abs().sum().item<double>() / Tiny[m].Cells;
        }
        Assert.Equal(0.7 * perCell, model.L1Penalty(0.7, true), 6);
        Assert.Equal(0.7 * total, model.L1Penalty(0.7, false), 6);
        Assert.Equal(0, model.L1Penalty(0, true));
        Assert.Throws<MultiscaleException>(() => model.L1Penalty(-1, true));
    }

    private static Tensor CpTensor(IReadOnlyList<Tensor> factors)
    {
        // Σ_k a_k ∘ b_k ∘ c_k for three modes.
        return einsum("ik,jk,lk->ijl", factors[0], factors[1], factors[2]);
    }

    [Fact]
    public void TheResidualStartFitsTheSmoothTermToWAndTheSparseTermToWhatItLeaves()
    {
        var grids = new GridShape[] { new(4, 5), new(3, 3) };
        var gen = new Generator(11);
        var smoothFactors = new[] { randn(3, 2, generator: gen), randn(20, 2, generator: gen), randn(9, 2, generator: gen) };
        // A rank-2 tensor plus a one-entry spike: the residual of its rank-2 CP is concentrated near the spike.
        var w = CpTensor(smoothFactors);
        var spiked = w.clone();
        spiked[1, 7, 4] += 6f;
        var cp = new CpAlsOptions { MaxIterations = 200, Tolerance = 1e-10 };
        using var full = new FullRankModel(MrtlTask.Classification, 3, Array.Empty<int>(), grids, spiked.reshape(3, 20, 9), zeros(3));
        var start = LowRankStart.FromFullRankResidual(full, 3, 1, cp, new Generator(1), 0.1);
        using var model = Assert.IsType<LowRankSparseModel>(start.Model);
        Assert.Null(start.Note);
        Assert.Equal(2, model.Rank);
        Assert.Equal(1, model.SparseRank);
        using var noGrad = no_grad();
        using var smoothCp = CpAls.Decompose(spiked.to(ScalarType.Float64), 2, cp);
        var smoothW = smoothCp.Reconstruct();
        Assert.True(allclose(CpTensor(model.Factors.Select(f => (Tensor)f.to(ScalarType.Float64)).ToArray()), smoothW, 1e-4, 1e-4));
        using var residualCp = CpAls.Decompose(spiked.to(ScalarType.Float64) - smoothW, 1, cp);
        Assert.True(allclose(CpTensor(model.SparseFactors.Select(f => (Tensor)f.to(ScalarType.Float64)).ToArray()), residualCp.Reconstruct(), 1e-4, 1e-4));
        // The fit is that of both terms to W, and better than the smooth term's alone.
        double norm = linalg.norm(spiked.to(ScalarType.Float64)).item<double>();
        double both = 1 - linalg.norm(spiked.to(ScalarType.Float64) - model.FullTensor().to(ScalarType.Float64)).item<double>() / norm;
        Assert.Equal(both, start.Fit, 4);
        Assert.True(start.Fit > smoothCp.Fit, $"{start.Fit} vs {smoothCp.Fit}");
        // The sparse start is peaked where the smooth one is not: its court column is the most concentrated at the spike's cell.
        var court = model.SparseSpatialFactor(0).detach()[.., 0].abs();
        Assert.Equal(7, court.argmax().item<long>());

        // W of rank K_L exactly: nothing is left, so the sparse term starts from seeded random factors, with a note.
        using var exact = new FullRankModel(MrtlTask.Classification, 3, Array.Empty<int>(), grids, w.reshape(3, 20, 9), zeros(3));
        var exactStart = LowRankStart.FromFullRankResidual(exact, 3, 1, cp, new Generator(1), 0.1);
        using var exactModel = (LowRankSparseModel)exactStart.Model;
        Assert.NotNull(exactStart.Note);
        Assert.True(Sparsity.ZeroFraction(exactModel.SparseSpatialFactor(0).detach()) < 1);
        Assert.True(exactStart.Fit > 0.99);
        // A zero W: both terms random with the checkpoint's biases; a sparse rank of K or more is one error.
        using var zero = new FullRankModel(MrtlTask.Classification, 3, Array.Empty<int>(), grids, new Generator(0), 0.0);
        var zeroStart = LowRankStart.FromFullRankResidual(zero, 3, 1, cp, new Generator(1), 0.1);
        using var zeroModel = zeroStart.Model;
        Assert.NotNull(zeroStart.Note);
        Assert.True(double.IsNaN(zeroStart.Fit));
        Assert.Throws<MultiscaleException>(() => LowRankStart.FromFullRankResidual(full, 3, 3, cp, new Generator(1), 0.1));
    }

    [Fact]
    public void AnL1TermThatDominatesSwitchesTheSparseTermOffInTheKeptModel()
    {
        // With λ₁ this large every sparse spatial entry is zero after the first proximal steps; the checkpoint judges
        // validation loss + the L1 term, so the kept model is a shrunk one (the arrival model's penalty is far larger).
        var options = SmallMrtl.BasketballTraining(2) with { Rank = 4, Model = MrtlModelKind.LowRankSparse, SparseRank = 2, LambdaSparse = 1e3 };
        var result = MrtlTrainer.Train(SmallMrtl.Basketball, options);
        using var model = Assert.IsType<LowRankSparseModel>(result.Model);
        for (int m = 0; m < model.Grids.Count; m++) Assert.Equal(1.0, Sparsity.ZeroFraction(model.SparseSpatialFactor(m).detach()));
        Assert.Equal(0, model.L1Penalty(1e3, true));
        // The reported training objective includes the L1 term: it is finite and at least the validation loss scale.
        Assert.All(result.Epochs.Where(e => e.Stage == "low" && e.Epoch > 0), e => Assert.True(double.IsFinite(e.TrainLoss)));
    }
}
