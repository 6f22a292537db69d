using Multiscale.MsAnn.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

/// <summary>The early-phase schedule (<c>--coarse-until</c>) and zero coarse initialization (<c>--coarse-init zero</c>).</summary>
public class EarlyPhaseTests
{
    private static readonly int[] Sizes = { 64, 16, 8, 16, 64 };

    private static MsAnnResult Run(int depth, MsAnnTrainingOptions options, long seed = 3, int k = 4)
    {
        var shape = new HierarchyShape(Sizes, depth);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator((ulong)seed), zeroCoarse: options.ZeroCoarseInit);
        using var data = new SyntheticObjectsData(64, 1, seed, CPU);
        var batches = IAutoencoderData.BatchGenerator(seed);
        return MsAnnTrainer.Train(network, depth == 0 ? new CycleSchedule(0, 1, 1) : new CycleSchedule(depth, 1, k), options, data.Batches(batches), data.Validation);
    }

    private static MsAnnTrainingOptions Options(bool tau, double? until = null, bool zero = false) => new()
    {
        Budget = 6000, BatchSize = 32, LearningRate = 3e-3, EvaluateEvery = 32, Optimizer = OptimizerFlavor.Adam,
        TauCorrection = tau ? new TauCorrectionOptions { Acceptance = false } : null, CoarseUntil = until, ZeroCoarseInit = zero,
    };

    /// <summary>After the cut-off cost only level-0 batches run (the visit under way when it is reached ends first).</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CoarseVisitsStopAtTheGivenCost(bool tau)
    {
        const double until = 2000;
        var full = Run(1, Options(tau));
        var early = Run(1, Options(tau, until));
        // One evaluation per batch: every row's level is the level of its batch.
        Assert.Contains(full.Metrics, m => m.Cost > until + 200 && m.Level == 1);
        Assert.Contains(early.Metrics, m => m.Cost < until && m.Level == 1);
        // A visit is at most k = 4 batches, so 4 batches of full cost past the cut-off every batch is a fine one.
        Assert.All(early.Metrics.Where(m => m.Cost >= until + 4 * 32), m => Assert.Equal(0, m.Level));
        if (tau) Assert.True(early.Tau!.Corrections < full.Tau!.Corrections, $"{early.Tau.Corrections} against {full.Tau.Corrections}");
        // Before the cut-off the two runs are the same computation.
        var before = full.Metrics.TakeWhile(m => m.Cost < until).ToList();
        Assert.Equal(before.Select(m => m.ValidationMse), early.Metrics.Take(before.Count).Select(m => m.ValidationMse));
        // Seeded runs repeat exactly; a cut-off past the budget changes nothing.
        Assert.Equal(early.Metrics.Select(m => m.ValidationMse), Run(1, Options(tau, until)).Metrics.Select(m => m.ValidationMse));
        Assert.Equal(full.Metrics.Select(m => m.ValidationMse), Run(1, Options(tau, 1e9)).Metrics.Select(m => m.ValidationMse));
    }

    /// <summary>With zero coarse levels Θ starts at default training's weights of the same seed: the same initial MSE.</summary>
    [Fact]
    public void ZeroCoarseLevelsStartAtDefaultTrainingsWeights()
    {
        using var scope = NewDisposeScope();
        using var oneLevelMaps = new LayerMaps(new HierarchyShape(Sizes, 0), LayerMapStrategy.Interpolation);
        using var oneLevel = new MultilevelNetwork(oneLevelMaps, new Generator(9));
        using var maps = new LayerMaps(new HierarchyShape(Sizes, 2), LayerMapStrategy.Interpolation);
        using var zero = new MultilevelNetwork(maps, new Generator(9), zeroCoarse: true);
        using var glorot = new MultilevelNetwork(maps, new Generator(9));
        using (no_grad())
        for (int j = 0; j < Sizes.Length - 1; j++)
        {
            Assert.True(zero.EffectiveWeight(j).eq(oneLevel.EffectiveWeight(j)).all().item<bool>());
            Assert.True(zero.Variables(1)[j].abs().max().item<float>() == 0 && zero.Variables(2)[j].abs().max().item<float>() == 0);
            Assert.False(glorot.EffectiveWeight(j).allclose(oneLevel.EffectiveWeight(j)));
        }
        var tau = Run(2, Options(tau: true, zero: true), k: 2);
        var plain = Run(0, Options(tau: false));
        var drawn = Run(2, Options(tau: true), k: 2);
        Assert.Equal(plain.InitialMse, tau.InitialMse);
        Assert.NotEqual(plain.InitialMse, drawn.InitialMse);
        Assert.True(tau.FinalMse < 0.8 * tau.InitialMse, $"{tau.InitialMse} → {tau.FinalMse}");
    }
}
