using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Training;

/// <summary>The sparse term started from the low-rank stage's own residual −∇_W L (<see cref="SparseStart.Gradient"/>).</summary>
public class SparseGradientStartTests
{
    private static readonly GridShape[] Grids = { new(8, 10), new(12, 12) };

    private static (DiscreteData Train, double Beta) Data()
    {
        var split = SmallMrtl.Basketball;
        double p = split.Train.PositiveFraction;
        return (split.Train.Discretize(Grids), (1 - p) / p);
    }

    private static LowRankModel RandomSmooth(int rank, ulong seed = 5) =>
        LowRankModel.Random(MrtlTask.Classification, SmallMrtl.Basketball.Train.Outputs, SmallMrtl.Basketball.Train.FeatureShape, Grids, rank, new Generator(seed), 0.3);

    [Fact]
    public void TheResidualIsTheNegativeLossGradientSummedByHandOverTheSamples()
    {
        var (train, beta) = Data();
        using var model = RandomSmooth(2);
        using var scope = NewDisposeScope();
        var residual = SparseGradientStart.Residual(model, train, beta, chunk: 1000);
        // By hand: the weighted BCE's derivative in the logit, g_n = (β y (σ(z) − 1) + (1 − y) σ(z)) / N, and
        // ∂z_n/∂W[i_n, c, d] = ball weight × defender weight of the sample's cells c, d; R = −Σ_n g_n ∂z_n/∂W.
        int n = train.Count;
        var batch = train.Batch(arange(n, dtype: ScalarType.Int64));
        var z = model.Predict(train).to(ScalarType.Float64).data<double>().ToArray();
        var y = train.Labels.to(ScalarType.Float64).data<double>().ToArray();
        var outputs = batch.OutputIndex.data<long>().ToArray();
        var ballCells = batch.Inputs[0].Cells!.data<long>().ToArray();
        var ballWeights = batch.Inputs[0].Weights!.to(ScalarType.Float64).data<double>().ToArray();
        var boxCells = batch.Inputs[1].Cells!.data<long>().ToArray();
        var boxWeights = batch.Inputs[1].Weights!.to(ScalarType.Float64).data<double>().ToArray();
        int p0 = (int)batch.Inputs[0].Cells!.shape[1], p1 = (int)batch.Inputs[1].Cells!.shape[1];
        int d0 = Grids[0].Cells, d1 = Grids[1].Cells;
        var expected = new double[model.Outputs * d0 * d1];
        for (int s = 0; s < n; s++)
        {
            double sigma = 1 / (1 + Math.Exp(-z[s]));
            double g = (beta * y[s] * (sigma - 1) + (1 - y[s]) * sigma) / n;
            for (int a = 0; a < p0; a++)
                for (int b = 0; b < p1; b++)
                    expected[(outputs[s] * d0 + ballCells[s * p0 + a]) * d1 + boxCells[s * p1 + b]] -= g * ballWeights[s * p0 + a] * boxWeights[s * p1 + b];
        }
        Assert.Equal(new long[] { model.Outputs, d0, d1 }, residual.shape);
        var actual = residual.data<double>().ToArray();
        double scale = expected.Max(Math.Abs);
        Assert.True(scale > 0);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-4 * scale, $"largest difference {worst} against largest entry {scale}");
    }

    [Fact]
    public void TheStartIsTheResidualsCpAtTheLineSearchStepAndLowersTheTrainingLoss()
    {
        var (train, beta) = Data();
        using var smooth = RandomSmooth(2);
        using var model = LowRankStart.WithZeroSparseTerm(smooth, 2);
        var cpAls = new CpAlsOptions { MaxIterations = 60, Tolerance = 1e-9, Seed = 2 };
        var started = SparseGradientStart.Start(model, train, beta, cpAls);
        using var result = started.Model;
        using var scope = NewDisposeScope();
        // The fit reported is the CP fit of the residual itself, and W^S is c times that CP tensor.
        using var cp = CpAls.Decompose(SparseGradientStart.Residual(model, train, beta), 2, cpAls);
        Assert.Equal(cp.Fit, started.Fit);
        Assert.True(started.Scale > 0, $"scale {started.Scale}");
        var ws = (result.FullTensor() - smooth.FullTensor()).to(ScalarType.Float64);
        var target = cp.Reconstruct() * started.Scale;
        double error = linalg.norm(ws - target).item<double>() / linalg.norm(target).item<double>();
        Assert.True(error < 1e-4, $"relative difference of W^S from c·CP(R): {error}");
        // W^L and the bias are untouched.
        for (int k = 0; k < smooth.Factors.Count; k++) Assert.True(result.Factors[k].equal(smooth.Factors[k]).all().item<bool>());
        Assert.True(result.Bias.equal(smooth.Bias).all().item<bool>());
        // c minimizes the training loss along the direction: a step 10 % shorter or longer is worse, and it descends.
        double Loss(double c)
        {
            using var inner = NewDisposeScope();
            var factors = cp.SpreadFactors().Select(f => f * Math.Pow(c, 1.0 / 3)).ToArray();
            using var m = new LowRankSparseModel(MrtlTask.Classification, smooth.Outputs, smooth.FeatureShape, Grids,
                smooth.Factors.Select(f => (Tensor)f.detach()).ToArray(), factors, smooth.Bias.detach());
            return MrtlTrainer.Evaluate(m, train, beta).Loss;
        }
        Assert.True(started.LossAfter < started.LossBefore, $"{started.LossBefore} → {started.LossAfter}");
        Assert.Equal(MrtlTrainer.Evaluate(smooth, train, beta).Loss, started.LossBefore, 5);
        Assert.True(started.LossAfter <= Loss(0.9 * started.Scale) + 1e-6 && started.LossAfter <= Loss(1.1 * started.Scale) + 1e-6,
            $"L(c) {started.LossAfter}, L(0.9c) {Loss(0.9 * started.Scale)}, L(1.1c) {Loss(1.1 * started.Scale)}");
    }

    [Fact]
    public void TheLineSearchFindsAQuadraticsMinimumAndNoStepWhereTheLossOnlyRises()
    {
        Assert.Equal(3.0, SparseGradientStart.LineSearch(c => (c - 3) * (c - 3) + 1, 1.0, 10), 6);
        Assert.Equal(2e-4, SparseGradientStart.LineSearch(c => (c - 2e-4) * (c - 2e-4), 1.0, 4e-8), 9);
        Assert.Equal(0.0, SparseGradientStart.LineSearch(c => c * c + 1, 1.0, 1));
        Assert.Equal(0.0, SparseGradientStart.LineSearch(c => 1 - c, 0.0, 1));
    }

    [Fact]
    public void BeforeItsStepTheSparseTermIsZeroAndTheRunIsTheLowRankModelsThenItStarts()
    {
        var options = SmallMrtl.BasketballTraining(2) with { Rank = 4, Model = MrtlModelKind.LowRankSparse, SparseRank = 2, SparseStart = SparseStart.Gradient, SparseStartStep = 1, LambdaSparse = 0.3 };
        var gradient = MrtlTrainer.Train(SmallMrtl.Basketball, options);
        var low = MrtlTrainer.Train(SmallMrtl.Basketball, SmallMrtl.BasketballTraining(2) with { Rank = 2 });
        try
        {
            // Full-rank stage and the first low-rank step: the zero W^S adds exact zeros and gets no gradient, so every
            // loss equals the rank-K_L low-rank model's bit for bit.
            static MrtlEpochRecord Plain(MrtlEpochRecord e) => e with { StageSeconds = 0, TotalSeconds = 0 };
            var before = gradient.Epochs.Where(e => e.Stage == "full" || e.Step == 0).Select(Plain).ToArray();
            Assert.Equal(low.Epochs.Where(e => e.Stage == "full" || e.Step == 0).Select(Plain), before);
            Assert.Equal(low.CpFit, gradient.CpFit);
            // On arrival at step 1 the sparse term starts: the arrival evaluation differs from the low-rank model's.
            var arrival = gradient.Epochs.Single(e => e.Stage == "low" && e.Step == 1 && e.Epoch == 0);
            var lowArrival = low.Epochs.Single(e => e.Stage == "low" && e.Step == 1 && e.Epoch == 0);
            Assert.NotEqual(lowArrival.ValidationLoss, arrival.ValidationLoss);
            Assert.True(gradient.SparseStartScale > 0 && double.IsFinite(gradient.SparseStartFit), $"scale {gradient.SparseStartScale}, fit {gradient.SparseStartFit}");
            var model = Assert.IsType<LowRankSparseModel>(gradient.Model);
            Assert.True(model.SparseSpatialFactor(0).detach().ne(0).any().item<bool>());
            Assert.True(double.IsNaN(low.SparseStartFit) && double.IsNaN(low.SparseStartScale));
        }
        finally
        {
            gradient.Model.Dispose();
            low.Model.Dispose();
        }
    }

    [Fact]
    public void AStartStepOutsideTheLowRankChainIsOneError()
    {
        var options = SmallMrtl.BasketballTraining(2) with { Rank = 4, Model = MrtlModelKind.LowRankSparse, SparseStart = SparseStart.Gradient, SparseStartStep = 2 };
        var e = Assert.Throws<MultiscaleException>(options.Validate);
        Assert.Contains("sparse start step", e.Message);
        Assert.Throws<MultiscaleException>((options with { SparseStartStep = -1 }).Validate);
        (options with { SparseStartStep = 1 }).Validate();
    }
}
