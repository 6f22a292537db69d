using Multiscale.MsAnn.Data;
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

    /// <summary>
    /// Default training (L = 0) is a plain TorchSharp loop: the same initial weights, batches and TorchSharp's own
    /// optimizer, written out here, end at exactly the trainer's weights, whatever k.
    /// </summary>
    [Theory]
    [InlineData(OptimizerFlavor.RmsPropPyTorch, 1)]
    [InlineData(OptimizerFlavor.RmsPropPyTorch, 7)]
    [InlineData(OptimizerFlavor.Adam, 1)]
    public void DefaultTrainingIsExactlyAPlainLoop(OptimizerFlavor flavor, int k)
    {
        using var scope = NewDisposeScope();
        var sizes = new[] { 64, 16, 8, 16, 64 };
        var shape = new HierarchyShape(sizes, 0);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator(11));
        var weights = network.Variables(0).Select(v => new TorchSharp.Modules.Parameter(v.detach().clone(), requires_grad: true)).ToArray();
        var validation = SyntheticObjects.Batch(64, 1, 0.05, 64, new Generator(7));
        const int steps = 25;
        using var trainerData = new SyntheticObjectsData(64, 1, 5, CPU);
        using var loopData = new SyntheticObjectsData(64, 1, 5, CPU);
        MsAnnTrainer.Train(network, new CycleSchedule(0, 1, k),
            new MsAnnTrainingOptions { Budget = steps * 32, BatchSize = 32, LearningRate = 3e-3, EvaluateEvery = 256, Optimizer = flavor },
            trainerData.Batches(new Generator(12)), validation);

        // The plain loop: y = σ(x W + b) layer after layer, mean squared error, backward, TorchSharp's optimizer.
        using var optimizer = flavor == OptimizerFlavor.Adam
            ? (optim.Optimizer)optim.Adam(weights, 3e-3)
            : optim.RMSProp(weights, 3e-3, alpha: 0.9, eps: 1e-10);
        var batches = loopData.Batches(new Generator(12));
        int layers = sizes.Length - 1;
        for (int i = 0; i < steps; i++)
        {
            using var step = NewDisposeScope();
            var (x, y) = batches(32);
            optimizer.zero_grad();
            var h = x;
            for (int j = 0; j < layers; j++) h = (h.matmul(weights[j]) + weights[layers + j]).sigmoid();
            (h - y).square().mean().backward();
            optimizer.step();
        }
        var trained = network.Variables(0);
        for (int i = 0; i < weights.Length; i++)
            Assert.True(trained[i].eq(weights[i]).all().item<bool>(), $"variable {i}: max difference {(trained[i] - weights[i]).abs().max().item<float>()}");
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

public class CoarseStepTests
{
    [Fact]
    public void CoarseStepsTrainAndCostTheSameProxy()
    {
        var shape = new HierarchyShape(new[] { 64, 16, 64 }, 2);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator(2));
        var data = new Generator(3);
        var validation = SyntheticObjects.Batch(64, 1, 0.05, 256, new Generator(4));
        var result = MsAnnTrainer.Train(network, new CycleSchedule(2, 2, 2),
            new MsAnnTrainingOptions { Budget = 8000, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 1000, CoarseSteps = true },
            size => SyntheticObjects.Batch(64, 1, 0.05, size, data), validation);
        Assert.True(result.FinalMse < 0.8 * result.InitialMse);
        Assert.InRange(result.TotalCost, 8000, 8032);
        validation.Input.Dispose();
        validation.Target.Dispose();
    }

    [Fact]
    public void TheCoarseModelIsTheRestrictionOfTheFineOne()
    {
        using var scope = NewDisposeScope();
        var shape = new HierarchyShape(new[] { 32, 8 }, 1);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Aggregation);
        using var network = new MultilevelNetwork(maps, new Generator(8));
        var x = rand(4, 16, generator: new Generator(9));
        using (network.Visit(1))
        {
            // One layer: σ(x_c · Res(Θ) + Res(b)) with Res(Θ) = P_inᵀ Θ P_out.
            var pin = maps.ToFinest(32, 1);
            var pout = maps.ToFinest(8, 1);
            var expected = (x.matmul(ProlongationMap.RestrictWeights(pin, network.EffectiveWeight(0), pout)) + pout.Restrict(network.EffectiveBias(0))).sigmoid();
            Assert.True(network.ForwardCoarse(x).allclose(expected, rtol: 1e-5, atol: 1e-6));
        }
    }
}

public class AllTogetherTests
{
    [Fact]
    public void AllVariablesTrainTogetherAndEachStepCostsTheWholeHierarchy()
    {
        var shape = new HierarchyShape(new[] { 64, 16, 64 }, 2);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator(2));
        var before = Enumerable.Range(0, 3).Select(l => network.Variables(l)[0].detach().clone()).ToArray();
        var data = new Generator(3);
        var validation = SyntheticObjects.Batch(64, 1, 0.05, 128, new Generator(4));
        var result = MsAnnTrainer.Train(network, new CycleSchedule(2, 2, 2),
            new MsAnnTrainingOptions { Budget = 3000, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 500, AllTogether = true },
            size => SyntheticObjects.Batch(64, 1, 0.05, size, data), validation);
        double perStep = Enumerable.Range(0, 3).Sum(l => (double)shape.ParameterCount(l) / shape.ParameterCount(0)) * 32;
        Assert.Equal(result.TotalCost, result.Metrics[^1].Step * perStep, 6);
        // Every level moved.
        for (int l = 0; l < 3; l++) Assert.False(network.Variables(l)[0].detach().allclose(before[l]));
        Assert.True(result.FinalMse < result.InitialMse);
        validation.Input.Dispose();
        validation.Target.Dispose();
    }
}
