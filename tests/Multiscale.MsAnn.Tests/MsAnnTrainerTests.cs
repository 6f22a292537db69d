using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

public class MsAnnTrainerTests
{
    private static MsAnnResult Run(int depth, long seed, double budget = 12_000)
    {
        var shape = new HierarchyShape(new[] { 64, 16, 8, 16, 64 }, depth);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator((ulong)seed));
        var data = new Generator((ulong)seed + 1000);
        var validation = SyntheticObjects.Batch(64, 1, 0.05, 256, new Generator(7));
        try
        {
            return MsAnnTrainer.Train(network, new CycleSchedule(depth, 2, 2),
                new MsAnnTrainingOptions { Budget = budget, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 1024 },
                size => SyntheticObjects.Batch(64, 1, 0.05, size, data), validation);
        }
        finally
        {
            validation.Input.Dispose();
            validation.Target.Dispose();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void TrainingLowersTheValidationErrorWithinTheBudget(int depth)
    {
        var result = Run(depth, 1);
        Assert.True(result.FinalMse < 0.8 * result.InitialMse, $"{result.InitialMse} → {result.FinalMse}");
        Assert.InRange(result.TotalCost, 12_000, 12_000 + 32);
        Assert.True(result.Metrics.Zip(result.Metrics.Skip(1)).All(p => p.Second.Cost >= p.First.Cost));
    }

    [Fact]
    public void SeededRunsRepeatExactly()
    {
        var a = Run(2, 3, 4000);
        var b = Run(2, 3, 4000);
        Assert.Equal(a.Metrics.Select(m => m.ValidationMse), b.Metrics.Select(m => m.ValidationMse));
    }

    [Fact]
    public void CoarseStepsCostLessThanFineOnes()
    {
        var fine = Run(0, 5, 4000);
        var multi = Run(2, 5, 4000);
        // Same budget, but coarse batches are cheaper: the hierarchy processes more batches.
        Assert.True(multi.Metrics[^1].Step > fine.Metrics[^1].Step);
    }

    [Fact]
    public void NoTensorOutlivesItsStep()
    {
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Run(2, 9, 2000);
        long afterShort = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Run(2, 9, 8000);
        long afterLong = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(afterShort - before, afterLong - afterShort);
    }
}
