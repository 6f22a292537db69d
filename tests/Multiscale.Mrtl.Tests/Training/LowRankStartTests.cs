using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Training;

public class LowRankStartTests
{
    private static readonly GridShape[] Grids = { new(4, 5), new(6, 6) };

    [Fact]
    public void AZeroFullRankModelStartsFromSeededRandomFactorsWithItsBiases()
    {
        using var full = new FullRankModel(MrtlTask.Classification, 3, Array.Empty<int>(), Grids, new Generator(0), 0.0);
        using (no_grad()) full.Bias.copy_(tensor(new float[] { 0.5f, -1f, 2f }));
        var start = LowRankStart.FromFullRank(full, 4, new CpAlsOptions(), new Generator(7), 0.1);
        using var low = start.Model;
        Assert.NotNull(start.Note);
        Assert.True(double.IsNaN(start.Fit));
        Assert.Equal(new float[] { 0.5f, -1f, 2f }, low.Bias.data<float>().ToArray());
        Assert.Equal(4, low.Rank);
        // The same draw as the random baseline from the same seed: seeded, and small (sd 0.1).
        using var reference = LowRankModel.Random(MrtlTask.Classification, 3, Array.Empty<int>(), Grids, 4, new Generator(7), 0.1);
        for (int m = 0; m < low.Factors.Count; m++)
            Assert.True(low.Factors[m].eq(reference.Factors[m]).all().item<bool>(), $"factor {m}");
        double sd = low.SpatialFactor(0).std().item<float>();
        Assert.InRange(sd, 0.05, 0.2);
    }

    [Fact]
    public void ANonZeroFullRankModelStartsFromCpAls()
    {
        using var full = new FullRankModel(MrtlTask.Classification, 3, Array.Empty<int>(), Grids, new Generator(0), 1.0);
        var start = LowRankStart.FromFullRank(full, 2, new CpAlsOptions { MaxIterations = 20 }, new Generator(7), 0.1);
        using var low = start.Model;
        Assert.Null(start.Note);
        Assert.InRange(start.Fit, 0.0, 1.0);
        var (direct, fit) = full.ToLowRank(2, new CpAlsOptions { MaxIterations = 20 });
        using (direct)
        {
            Assert.Equal(fit, start.Fit);
            Assert.True(low.SpatialFactor(1).eq(direct.SpatialFactor(1)).all().item<bool>());
        }
    }

    /// <summary>
    /// The case: random fields [96, 2, 8, 18] with random labels and chains 2x9;4x9;8x18 → 8x18. A large
    /// full-rank learning rate makes every full-rank epoch worse than the untrained model on any such draw, so the
    /// best checkpoint is the zero model (checked below), which used to end the run in CP-ALS.
    /// </summary>
    [Fact]
    public void WeakDataDoesNotEndARunAndTheReportSaysHowTheLowRankStageStarted()
    {
        var g = new Generator(11);
        var series = randn(new long[] { 96, 2, 8, 18 }, generator: g);
        int lags = 6, n = 96 - lags + 1;
        var times = arange(n, ScalarType.Int64).unsqueeze(1) + (lags - 1) - arange(lags, ScalarType.Int64).unsqueeze(0);
        var data = new MrtlDataset(MrtlTask.Regression, 1, zeros(n, ScalarType.Int64), randn(new long[] { n }, generator: g),
            new SpatialMode[] { new FieldMode("field", series, times) });
        var options = new MrtlTrainerOptions
        {
            Schedule = ResolutionSchedule.Parse("2x9;4x9;8x18", "8x18"),
            Rank = 3,
            Finegrain = Multiscale.Mrtl.Finegraining.FinegrainMethod.Bilinear,
            FullRank = new StageOptions { LearningRate = 5.0, MaxEpochs = 2, BatchSize = 8 },
            LowRank = new StageOptions { LearningRate = 2e-3, MaxEpochs = 2, BatchSize = 8 },
            Seed = 1,
        };
        var record = new MultiresolutionTensorLearning().Run(new MrtlSettings(new InMemorySource(data, "weak"), options, new[] { MrtlMethod.Mrtl }),
            new RunContext(CPU, new NullReporter()));

        var rows = record.Metrics.Rows.Where(r => (string)r[1]! == "full").ToArray();
        double arrival = rows.Where(r => (int)r[2]! == 0 && (int)r[4]! == 0).Select(r => (double)r[8]!).Single();
        // Precondition: no full-rank epoch improved on the zero model, so the carried checkpoint is zero.
        Assert.All(rows.Where(r => (int)r[4]! > 0), r => Assert.True((double)r[8]! > arrival, $"epoch val {(double)r[8]!} vs {arrival}"));
        var report = record.Report;
        Assert.Equal("random (weak data)", report["low_rank_start"]!.GetValue<string>());
        Assert.Contains("zero model", report["low_rank_start_note"]!.GetValue<string>());
        Assert.Null(report["cp_fit"]);
        Assert.True(double.IsFinite(report["test_mse"]!.GetValue<double>()));
        Assert.True(double.IsFinite(report["val_loss"]!.GetValue<double>()));
    }

    private sealed class NullReporter : IRunReporter
    {
        public void Line(string text) { }
        public void Scalar(string? run, string tag, double value, long step, double seconds) { }
    }
}
