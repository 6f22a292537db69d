using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Training;

public class MrtlTrainerTests
{
    private static readonly MrtlSplit Basketball = SmallMrtl.Basketball;
    private static readonly MrtlSplit Climate = SmallMrtl.Climate;

    private static MrtlTrainerOptions SmallBasketball(int epochs = 3) => SmallMrtl.BasketballTraining(epochs);

    [Fact]
    public void MrtlReducesValidationLossAndBeatsChanceOnBasketball()
    {
        using var result = new Owned(MrtlTrainer.Train(Basketball, SmallBasketball(4)));
        var r = result.Value;
        double initial = r.Epochs[0].ValidationLoss;
        Assert.True(r.ValidationLoss < 0.9 * initial, $"{initial} → {r.ValidationLoss}");
        // Chance F1 when predicting everything positive is 2p/(1+p) ≈ 0.21 at 12% positives.
        Assert.True(r.TestF1 > 0.3, $"F1 {r.TestF1}");
        Assert.Equal(2, r.Finegrains.Count);   // one in each stage
        Assert.Equal(new[] { "full", "low" }, r.Epochs.Select(e => e.Stage).Distinct());
        Assert.True(r.CpFit > 0 && r.CpFit <= 1);
        Assert.True(r.SecondsFull > 0 && r.SecondsLow > 0 && r.SecondsCp > 0);
        Assert.Equal(r.SecondsFull + r.SecondsCp + r.SecondsLow, r.SecondsTotal, 9);
        Assert.Equal(new long[] { 500, 2 }, r.Model.SpatialFactor(0).shape);
    }

    [Fact]
    public void NearestFinegrainingKeepsOutputsOnCountDataThroughTheTrainer()
    {
        using var result = new Owned(MrtlTrainer.Train(Basketball, SmallBasketball(2)));
        // Both moves are integer ratios (4×5 → 8×10 and 6×6 → 12×12; 8×10 → 20×25 is 2.5, not nested), so check the first.
        var first = result.Value.Finegrains[0];
        Assert.Equal("4x5,6x6", first.From);
        Assert.Equal(first.ValidationLossBefore, first.ValidationLossAfter, 5);
    }

    [Fact]
    public void NearestFinegrainingKeepsEveryOutputOfBothModels()
    {
        var coarseGrids = new[] { new GridShape(4, 5), new GridShape(6, 6) };
        var fineGrids = new[] { new GridShape(8, 10), new GridShape(12, 12) };
        var coarse = Basketball.Validation.Discretize(coarseGrids).All();
        var fine = Basketball.Validation.Discretize(fineGrids).All();
        var data = Basketball.Train;
        using var full = new FullRankModel(data.Task, data.Outputs, data.FeatureShape, coarseGrids, new Generator(1), 1.0);
        using var low = LowRankModel.Random(data.Task, data.Outputs, data.FeatureShape, coarseGrids, 3, new Generator(2), 1.0);
        foreach (TensorModel model in new TensorModel[] { full, low })
        {
            var (moved, scale) = MrtlTrainer.Finegrain(model, fineGrids, FinegrainMethod.Nearest);
            Assert.Equal(1.0, scale);
            Assert.True(allclose(model.Logits(coarse), moved.Logits(fine), 1e-4, 1e-4));
            moved.Dispose();
        }
    }

    [Fact]
    public void OnAveragedFieldsEveryMethodKeepsOutputsOnlyWhenTheMapScaleIsDividedOut()
    {
        var coarseGrid = new[] { new GridShape(4, 9) };
        var fineGrid = new[] { new GridShape(8, 18) };
        var coarse = Climate.Train.Discretize(coarseGrid).All();
        var fine = Climate.Train.Discretize(fineGrid).All();
        // A smooth coarse model: the planted factors averaged onto 4×9 (fields enter as a mean over cells, so the
        // planted densities are the right weights at any resolution).
        var planted = Climate.Train.Planted!;
        var spatial = AreaAverage.Apply(planted.SpatialFactors[0].t().reshape(-1, 16, 36), new GridShape(4, 9)).reshape(planted.Rank, -1).t();
        var factors = new[] { planted.OutputFactor, planted.FeatureFactors[0], planted.FeatureFactors[1], spatial };
        using var model = new LowRankModel(MrtlTask.Regression, 1, Climate.Train.FeatureShape, coarseGrid, factors, zeros(1));
        var y = model.Logits(coarse);
        double Error(FinegrainMethod method, bool averaged)
        {
            var (moved, _) = MrtlTrainer.Finegrain(model, fineGrid, method, coarse, fine, averagedInputs: averaged);
            using (moved) return ((moved.Logits(fine) - y).norm() / y.norm()).item<float>();
        }
        double nearest = Error(FinegrainMethod.Nearest, true), bilinear = Error(FinegrainMethod.Bilinear, true);
        Assert.True(bilinear < 0.1, $"bilinear {bilinear}");
        // Nearest is exact here: at an integer ratio the coarse field is the block mean of the fine one, so
        // (1/D_f) Σ_f W_parent(f) X_f = (1/D_c) Σ_c W_c X_c.
        Assert.True(nearest < 1e-5, $"nearest {nearest}");
        // Treated like counts, bilinear keeps its 1/4 cell-ratio factor on top of the model's 1/D: outputs shrink 4×.
        Assert.InRange(Error(FinegrainMethod.Bilinear, false), 0.7, 0.8);
        Assert.True(Error(FinegrainMethod.Optimized, true) < 0.3);
    }

    [Fact]
    public void SeededRunsRepeatExactly()
    {
        var options = SmallBasketball(2);
        using var a = new Owned(MrtlTrainer.Train(Basketball, options));
        using var b = new Owned(MrtlTrainer.Train(Basketball, options));
        Assert.Equal(a.Value.Epochs.Select(e => e.ValidationLoss), b.Value.Epochs.Select(e => e.ValidationLoss));
        for (int k = 0; k < a.Value.Model.Factors.Count; k++)
            Assert.True(a.Value.Model.Factors[k].eq(b.Value.Model.Factors[k]).all().item<bool>());
        using var c = new Owned(MrtlTrainer.Train(Basketball, options with { Seed = 4 }));
        Assert.NotEqual(a.Value.Epochs[^1].ValidationLoss, c.Value.Epochs[^1].ValidationLoss);
    }

    [Fact]
    public void LiveTensorsDoNotGrowWithEpochs()
    {
        long Leak(int epochs)
        {
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            var r = MrtlTrainer.Train(Basketball, SmallBasketball(epochs) with { CriterionOptions = new() { Patience = 100 } });
            r.Model.Dispose();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        long one = Leak(1), four = Leak(4);
        Assert.Equal(one, four);
        Assert.True(one <= 0, $"{one} tensors left alive");
    }

    [Fact]
    public void BaselinesRunAtTheFinestResolution()
    {
        var options = SmallBasketball(2) with { Schedule = ResolutionSchedule.Parse("4x5,6x6", "4x5,6x6;8x10,12x12") };
        using var fixedRun = new Owned(MrtlTrainer.Train(Basketball, options with { Method = MrtlMethod.Fixed }));
        Assert.Equal("8x10,12x12", fixedRun.Value.FullResolutions);
        Assert.Equal("8x10,12x12", fixedRun.Value.LowResolutions);
        Assert.Empty(fixedRun.Value.Finegrains);
        using var randomRun = new Owned(MrtlTrainer.Train(Basketball, options with { Method = MrtlMethod.Random }));
        Assert.Equal("", randomRun.Value.FullResolutions);
        Assert.Equal(0, randomRun.Value.SecondsFull);
        Assert.True(double.IsNaN(randomRun.Value.CpFit));
        Assert.All(randomRun.Value.Epochs, e => Assert.Equal("low", e.Stage));
    }

    [Fact]
    public void MrtlLearnsTheClimateRegression()
    {
        using var result = new Owned(MrtlTrainer.Train(Climate, SmallMrtl.ClimateTraining()));
        double variance = Climate.Test.Labels.var().item<float>();
        Assert.True(result.Value.TestMse < 0.6 * variance, $"test MSE {result.Value.TestMse} vs variance {variance}");
        Assert.Equal(result.Value.TestMse, result.Value.TestLoss);
    }

    [Fact]
    public void CancellationStopsEarlyAndBadOptionsThrow()
    {
        using var cts = new CancellationTokenSource();
        int seen = 0;
        using var result = new Owned(MrtlTrainer.Train(Basketball, SmallBasketball(5), _ => { if (++seen == 2) cts.Cancel(); }, cts.Token));
        Assert.True(result.Value.Cancelled);
        Assert.True(result.Value.Epochs.Count <= 3);
        Assert.Equal(new GridShape(20, 25), result.Value.Model.Grids[0]);   // still carried to the finest grids
        Assert.Throws<MultiscaleException>(() => MrtlTrainer.Train(Basketball, SmallBasketball() with { Schedule = ResolutionSchedule.Parse("4x5", "4x5;8x10") }));
        Assert.Throws<MultiscaleException>(() => MrtlTrainer.Train(Basketball, SmallBasketball() with { Rank = 0 }));
        Assert.Throws<MultiscaleException>(() => MrtlTrainerOptions.ParseMethod("sgd"));
    }

    [Theory]
    [InlineData("grad-norm")]
    [InlineData("grad-var")]
    [InlineData("grad-entropy")]
    [InlineData("spatial-entropy")]
    [InlineData("sigma-threshold")]
    [InlineData("mu-sigma-threshold")]
    public void EveryCriterionDrivesTheRunAndIsRecorded(string name)
    {
        var options = SmallBasketball(3) with { Criterion = FinegrainCriterion.Parse(name), CriterionOptions = new() { Patience = 1, Window = 4 } };
        using var result = new Owned(MrtlTrainer.Train(Basketball, options));
        var trained = result.Value.Epochs.Where(e => e.Epoch > 0).ToArray();
        Assert.All(trained, e => Assert.False(double.IsNaN(e.Criterion)));
        Assert.All(trained, e => Assert.True(e.Epoch <= 3));
        // Every resolution ends with exactly one "leave" record.
        Assert.Equal(4, trained.Count(e => e.Event is not null));
    }

    [Fact]
    public void LossConvergenceSeesTheEpochTrainingObjectiveThroughTheTrainer()
    {
        // τ_L so small that only the epoch cap ends a resolution: every statistic can be checked against the records.
        var options = SmallBasketball(3) with
        {
            Criterion = CriterionKind.LossConvergence,
            CriterionOptions = new() { Thresholds = new ThresholdOptions { Loss = 1e-12 } },
        };
        using var result = new Owned(MrtlTrainer.Train(Basketball, options));
        foreach (var resolution in result.Value.Epochs.Where(e => e.Epoch > 0).GroupBy(e => (e.Stage, e.Step)))
        {
            var epochs = resolution.OrderBy(e => e.Epoch).ToArray();
            Assert.Equal(3, epochs.Length);
            Assert.True(double.IsNaN(epochs[0].Criterion));
            for (int i = 1; i < epochs.Length; i++)
            {
                double mean = epochs.Take(i).Average(e => e.TrainLoss);
                Assert.Equal(Math.Abs(epochs[i].TrainLoss - mean), epochs[i].Criterion, 5);
            }
            Assert.Equal("leave: epoch cap 3", epochs[^1].Event);
        }
    }

    [Fact]
    public void F1MatchesItsDefinition()
    {
        var predicted = tensor(new[] { true, true, false, false, true });
        var actual = tensor(new[] { true, false, true, false, true });
        Assert.Equal(2.0 * 2 / (2 * 2 + 1 + 1), MrtlTrainer.F1(predicted, actual), 12);
    }

    private sealed class Owned(MrtlResult value) : IDisposable
    {
        public MrtlResult Value { get; } = value;
        public void Dispose() => Value.Model.Dispose();
    }
}

public class FactorReportTests
{
    [Fact]
    public void PlantedFactorsAreRecoveredAndSmoothWhileNoiseIsNot()
    {
        var data = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 100 });
        var planted = data.Planted!;
        var g = new Generator(9);
        var factors = new[] { randn(data.Outputs, 2, generator: g), planted.SpatialFactors[0] * 3, planted.SpatialFactors[1] };
        using var smooth = new LowRankModel(data.Task, data.Outputs, data.FeatureShape, planted.Grids, factors, zeros(data.Outputs));
        var report = FactorReport.Compute(smooth, planted);
        Assert.Equal(2, report.Count);
        Assert.All(report, r => Assert.True(r.Recovery!.Mean > 0.999, $"{r.Recovery!.Mean}"));
        Assert.True(report[0].MoransIMean > 0.8, $"{report[0].MoransIMean}");
        using var noise = LowRankModel.Random(data.Task, data.Outputs, data.FeatureShape, planted.Grids, 2, g, 1.0);
        var noisy = FactorReport.Compute(noise, planted);
        Assert.True(Math.Abs(noisy[0].MoransIMean) < 0.1, $"{noisy[0].MoransIMean}");
        Assert.True(noisy[0].Recovery!.Mean < 0.3, $"{noisy[0].Recovery!.Mean}");
        // Without ground truth on the model's grid there is no recovery figure.
        Assert.Null(FactorReport.Compute(smooth, null)[0].Recovery);
    }
}
