using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Interpretability;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Training;

/// <summary>The low-rank + sparse model of paper 000 (31) through the trainer.</summary>
public class LowRankSparseTrainingTests
{
    private static MrtlTrainerOptions Options(double lambda, int rank = 4, int? sparse = 2) =>
        SmallMrtl.BasketballTraining(2) with { Rank = rank, Model = MrtlModelKind.LowRankSparse, SparseRank = sparse, LambdaSparse = lambda };

    private static double ZeroFraction(Tensor t) => Sparsity.ZeroFraction(t.detach());

    [Fact]
    public void TheSparseTermHasExactZerosWithLambdaAndNoneWithout()
    {
        var shrunk = MrtlTrainer.Train(SmallMrtl.Basketball, Options(0.5));
        var free = MrtlTrainer.Train(SmallMrtl.Basketball, Options(0));
        try
        {
            var model = Assert.IsType<LowRankSparseModel>(shrunk.Model);
            Assert.Equal(2, model.Rank);
            Assert.Equal(2, model.SparseRank);
            for (int m = 0; m < model.Grids.Count; m++)
            {
                Assert.True(ZeroFraction(model.SparseSpatialFactor(m)) > 0.2, $"mode {m}: {ZeroFraction(model.SparseSpatialFactor(m))} zeros");
                // The smooth term and the sparse term's output factor are never thresholded.
                Assert.Equal(0, ZeroFraction(model.SpatialFactor(m)));
            }
            Assert.Equal(0, ZeroFraction(model.SparseFactors[0]));
            var plain = Assert.IsType<LowRankSparseModel>(free.Model);
            for (int m = 0; m < plain.Grids.Count; m++) Assert.Equal(0, ZeroFraction(plain.SparseSpatialFactor(m)));
            Assert.True(shrunk.TestF1 > 0.3, $"F1 {shrunk.TestF1}");
            // The report reads both terms' columns, the sparse ones marked.
            var report = FactorReport.Compute(model);
            Assert.Equal(new[] { false, false, true, true }, report[0].SparseColumns);
            Assert.True(report[0].MeanOver(report[0].ZeroFraction, true) > 0.2);
            Assert.Equal(0, report[0].MeanOver(report[0].ZeroFraction, false));
        }
        finally
        {
            shrunk.Model.Dispose();
            free.Model.Dispose();
        }
    }

    [Theory]
    [InlineData(MrtlMethod.Mrtl)]
    [InlineData(MrtlMethod.Fixed)]
    public void WithNoSparseComponentsItIsTheLowRankModel(MrtlMethod method)
    {
        var low = MrtlTrainer.Train(SmallMrtl.Basketball, SmallMrtl.BasketballTraining(2) with { Method = method });
        var ls = MrtlTrainer.Train(SmallMrtl.Basketball, SmallMrtl.BasketballTraining(2) with { Method = method, Model = MrtlModelKind.LowRankSparse, SparseRank = 0, LambdaSparse = 0.5 });
        try
        {
            Assert.Equal(low.Epochs.Select(e => e with { StageSeconds = 0, TotalSeconds = 0 }), ls.Epochs.Select(e => e with { StageSeconds = 0, TotalSeconds = 0 }));
            Assert.Equal(low.TestLoss, ls.TestLoss);
            Assert.Equal(low.TestF1, ls.TestF1);
            Assert.Equal(0, ((LowRankSparseModel)ls.Model).SparseRank);
            for (int k = 0; k < low.Model.Factors.Count; k++)
                Assert.True(low.Model.Factors[k].equal(ls.Model.Factors[k]).all().item<bool>(), $"factor {k}");
        }
        finally
        {
            low.Model.Dispose();
            ls.Model.Dispose();
        }
    }

    [Fact]
    public void TheClimateRegressionTrainsWithBilinearFinegrainingOfBothTerms()
    {
        var options = SmallMrtl.ClimateTraining() with { Rank = 4, Model = MrtlModelKind.LowRankSparse, LambdaSparse = 0.5 };
        var result = MrtlTrainer.Train(SmallMrtl.Climate, options);
        try
        {
            var model = Assert.IsType<LowRankSparseModel>(result.Model);
            Assert.Equal(ResolutionSchedule.ClimateSmall.Finest, model.Grids);
            double variance = SmallMrtl.Climate.Test.Labels.var().item<float>();
            Assert.True(result.TestMse < 0.6 * variance, $"test MSE {result.TestMse} vs variance {variance}");
            Assert.True(ZeroFraction(model.SparseSpatialFactor(0)) > 0, "no exact zeros after bilinear finegraining and the proximal steps");
        }
        finally { result.Model.Dispose(); }
    }

    [Fact]
    public void SeededRunsRepeatExactlyAndAnotherSeedDiffers()
    {
        var a = MrtlTrainer.Train(SmallMrtl.Basketball, Options(0.3));
        var b = MrtlTrainer.Train(SmallMrtl.Basketball, Options(0.3));
        var c = MrtlTrainer.Train(SmallMrtl.Basketball, Options(0.3) with { Seed = 9 });
        try
        {
            Assert.Equal(a.Epochs.Select(e => e.ValidationLoss), b.Epochs.Select(e => e.ValidationLoss));
            for (int k = 0; k < a.Model.Parameters.Count; k++)
                Assert.True(a.Model.Parameters[k].equal(b.Model.Parameters[k]).all().item<bool>(), $"parameter {k}");
            Assert.NotEqual(a.Epochs[^1].ValidationLoss, c.Epochs[^1].ValidationLoss);
        }
        finally
        {
            a.Model.Dispose();
            b.Model.Dispose();
            c.Model.Dispose();
        }
    }

    [Fact]
    public void TheRandomBaselineTrainsBothTermsAndLiveTensorsDoNotGrow()
    {
        long Leak(int epochs)
        {
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            var r = MrtlTrainer.Train(SmallMrtl.Basketball, SmallMrtl.BasketballTraining(epochs) with
            {
                Rank = 3, Model = MrtlModelKind.LowRankSparse, SparseRank = 1, CriterionOptions = new() { Patience = 100 },
            });
            Assert.IsType<LowRankSparseModel>(r.Model);
            r.Model.Dispose();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        long one = Leak(1), three = Leak(3);
        Assert.Equal(one, three);
        Assert.True(one <= 0, $"{one} tensors left alive");
        var random = MrtlTrainer.Train(SmallMrtl.Basketball, Options(0.2) with { Method = MrtlMethod.Random });
        try
        {
            var model = Assert.IsType<LowRankSparseModel>(random.Model);
            Assert.Equal(2, model.SparseRank);
            Assert.True(ZeroFraction(model.SparseSpatialFactor(0)) > 0);
        }
        finally { random.Model.Dispose(); }
    }

    [Theory]
    [InlineData(-0.1, 2, "λ₁")]
    [InlineData(double.NaN, 2, "λ₁")]
    [InlineData(double.PositiveInfinity, 2, "λ₁")]
    [InlineData(0.1, 4, "between 0 and K − 1 = 3")]
    [InlineData(0.1, -1, "between 0 and K − 1 = 3")]
    public void BadSettingsAreOneError(double lambda, int sparse, string fragment)
    {
        var e = Assert.Throws<MultiscaleException>(() => MrtlTrainer.Train(SmallMrtl.Basketball, Options(lambda, 4, sparse)));
        Assert.Contains(fragment, e.Message);
        Assert.Equal(MrtlModelKind.LowRankSparse, MrtlTrainerOptions.ParseModel("low-rank+sparse"));
        Assert.Contains("unknown model 'sparse'", Assert.Throws<MultiscaleException>(() => MrtlTrainerOptions.ParseModel("sparse")).Message);
    }

    [Fact]
    public void AnAllZeroSparseColumnIsReportedAndMatchesNothing()
    {
        var data = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 200, SparseRank = 1 });
        var grids = data.Planted!.Grids;
        using var model = LowRankSparseModel.Random(data.Task, data.Outputs, data.FeatureShape, grids, 2, 2, new Generator(5), 0.5);
        using (no_grad())
            model.SparseSpatialFactor(0)[.., 1] = zeros(grids[0].Cells);
        var report = FactorReport.Compute(model, data.Planted);
        Assert.Equal(1.0, report[0].ZeroFraction[3]);
        Assert.True(double.IsNaN(report[0].MoransI[3]));
        Assert.DoesNotContain(3, report[0].Recovery!.Assignment);
        Assert.Equal((int)data.Planted.SpatialFactors[0].shape[1], report[0].Recovery!.Cosines.Count);
    }
}
