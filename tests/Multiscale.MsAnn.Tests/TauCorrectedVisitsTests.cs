using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

public class TauCorrectedVisitsTests
{
    private static readonly int[] Sizes = { 64, 16, 8, 16, 64 };

    private sealed class Fixture : IDisposable
    {
        public Fixture(TauCorrectionOptions options, double learningRate = 1e-3, LayerMapStrategy strategy = LayerMapStrategy.Interpolation, int depth = 2)
        {
            Maps = new LayerMaps(new HierarchyShape(Sizes, depth), strategy);
            Network = new MultilevelNetwork(Maps, new Generator(11));
            Tau = new TauCorrectedVisits(Network, options, OptimizerFlavor.RmsPropPyTorch, learningRate);
            (X, Y) = SyntheticObjects.Batch(64, 1, 0.05, 32, new Generator(12));
            X.DetachFromDisposeScope();
            Y.DetachFromDisposeScope();
        }

        public LayerMaps Maps { get; }
        public MultilevelNetwork Network { get; }
        public TauCorrectedVisits Tau { get; }
        public Tensor X { get; }
        public Tensor Y { get; }
        public List<(int Level, int Examples)> Charged { get; } = new();

        /// <summary>Enters a level with every τ and acceptance batch the fixed one.</summary>
        public void Enter(int level) => Tau.Enter(level, _ => (X.alias(), Y.alias()), 32, (l, n) => Charged.Add((l, n)));

        public double FineLoss()
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return (Network.Forward(X) - Y).square().mean().item<float>();
        }

        public Tensor[] FineModel()
        {
            using var noGrad = no_grad();
            return Enumerable.Range(0, Sizes.Length - 1).SelectMany(j => new[] { Network.EffectiveWeight(j).clone(), Network.EffectiveBias(j).clone() }).ToArray();
        }

        public void Dispose()
        {
            Tau.Dispose();
            Network.Dispose();
            Maps.Dispose();
            X.Dispose();
            Y.Dispose();
        }
    }

    /// <summary>Random level-l parameter changes, weights then biases, at the level's sizes.</summary>
    private static Tensor[] RandomChange(int level, Generator generator)
    {
        var sizes = new HierarchyShape(Sizes, 2).Layers(level);
        var weights = Enumerable.Range(0, sizes.Count - 1).Select(j => randn(sizes[j], sizes[j + 1], generator: generator));
        var biases = Enumerable.Range(0, sizes.Count - 1).Select(j => randn(sizes[j + 1], generator: generator));
        return weights.Concat(biases).ToArray();
    }

    private static double Dot(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) => a.Zip(b).Sum(p => (p.First.to_type(ScalarType.Float64) * p.Second.to_type(ScalarType.Float64)).sum().item<double>());

    /// <summary>Adds t·Pro(Δ) (Δ at <paramref name="level"/>) to the variables of the level above.</summary>
    private static void AddProlonged(TauCorrectedVisits tau, int level, IReadOnlyList<Parameter> above, Tensor[] delta, double t)
    {
        int layers = Sizes.Length - 1;
        using var noGrad = no_grad();
        for (int j = 0; j < layers; j++)
        {
            var (w, b) = tau.Prolong(level, j, delta[j] * t, delta[layers + j] * t);
            above[j].add_(w);
            above[layers + j].add_(b);
        }
    }

    /// <summary>
    /// Central difference of <paramref name="objective"/> along t·Pro(Δ) added to <paramref name="above"/> (restored
    /// after), against ⟨<paramref name="gradient"/>, Δ⟩ for a unit Δ.
    /// </summary>
    private static void AssertCoherent(TauCorrectedVisits tau, int level, IReadOnlyList<Parameter> above, Tensor[] gradient, Tensor[] delta, Func<double> objective)
    {
        double scale = 1 / Math.Sqrt(Dot(delta, delta));
        for (int i = 0; i < delta.Length; i++) delta[i].mul_(scale);
        var kept = above.Select(v => v.detach().clone()).ToArray();
        const double t = 1e-2;
        AddProlonged(tau, level, above, delta, t);
        double plus = objective();
        AddProlonged(tau, level, above, delta, -2 * t);
        double minus = objective();
        using (no_grad()) for (int i = 0; i < above.Count; i++) above[i].copy_(kept[i]);
        double numeric = (plus - minus) / (2 * t), predicted = Dot(gradient, delta);
        Assert.True(Math.Abs(numeric - predicted) <= 2e-3 * Math.Abs(predicted) + 2e-6, $"level {level}: finite difference {numeric} vs corrected coarse gradient {predicted}");
    }

    [Fact]
    public void TheCorrectedCoarseGradientAtTheStartIsTheRestrictedFineGradient()
    {
        using var scope = NewDisposeScope();
        using var f = new Fixture(new TauCorrectionOptions { Acceptance = false });
        using var visit = f.Network.Visit(0);
        f.Enter(1);
        var gradient = f.Tau.Gradient(1, f.X, f.Y);
        var generator = new Generator(13);
        // The directional derivative of the FINE loss along a prolonged change equals the corrected coarse gradient's
        // inner product with the change: first-order coherence. One direction is the coarse gradient itself.
        foreach (var delta in new[] { gradient.Select(g => g.clone()).ToArray(), RandomChange(1, generator), RandomChange(1, generator) })
            AssertCoherent(f.Tau, 1, f.Network.Variables(0), gradient, delta, f.FineLoss);
        // Without the τ term the coarse gradient is a different vector: the test would see a wrong correction.
        var plain = f.Tau.Gradient(1, f.X, f.Y, corrected: false);
        Assert.True(Dot(plain.Zip(gradient, (a, b) => a - b).ToArray(), plain.Zip(gradient, (a, b) => a - b).ToArray()) > 1e-4 * Dot(gradient, gradient));
    }

    [Fact]
    public void ANestedVisitIsCoherentWithTheCorrectedLevelAbove()
    {
        using var scope = NewDisposeScope();
        using var f = new Fixture(new TauCorrectionOptions { Acceptance = false });
        using var visit = f.Network.Visit(0);
        f.Enter(1);
        f.Tau.Step(1, f.X, f.Y);   // the level-1 model moves off its restriction, so Ê_1 is not E_1 there
        f.Enter(2);
        var gradient = f.Tau.Gradient(2, f.X, f.Y);
        AssertCoherent(f.Tau, 2, f.Tau.Variables(1), gradient, RandomChange(2, new Generator(14)), () => f.Tau.Objective(1, f.X, f.Y));
    }

    [Fact]
    public void TheRunningAverageIsCoherentAtTheFirstEntryAndAveragesTheLaterOnes()
    {
        using var scope = NewDisposeScope();
        const double rho = 0.5;
        using var f = new Fixture(new TauCorrectionOptions { Acceptance = false, Average = rho });
        // A one-batch instance on the same network computes v_t at the same points, on the same batch.
        using var single = new TauCorrectedVisits(f.Network, new TauCorrectionOptions { Acceptance = false }, OptimizerFlavor.RmsPropPyTorch, 1e-3);
        void EnterSingle(int level) => single.Enter(level, _ => (f.X.alias(), f.Y.alias()), 32, (_, _) => { });
        using var visit = f.Network.Visit(0);
        f.Enter(1);
        EnterSingle(1);
        // First entry: the bias-corrected average is v_1 itself, so the corrected objective is first-order coherent.
        var v1 = single.TauTerm(1);
        AssertClose(v1, f.Tau.TauTerm(1), "first entry");
        var gradient = f.Tau.Gradient(1, f.X, f.Y);
        AssertCoherent(f.Tau, 1, f.Network.Variables(0), gradient, RandomChange(1, new Generator(16)), f.FineLoss);
        EnterSingle(0);
        // Coarse steps, returned to the fine model (acceptance off): the next entry starts at another point.
        for (int i = 0; i < 3; i++) f.Tau.Step(1, f.X, f.Y);
        f.Enter(0);
        f.Enter(1);
        EnterSingle(1);
        var v2 = single.TauTerm(1);
        Assert.True(Dot(Diff(v1, v2), Diff(v1, v2)) > 1e-6 * Dot(v2, v2), "the two entries' τ terms coincide: the test could not tell an average");
        // m_2 = ρ(1 − ρ) v_1 + (1 − ρ) v_2 over 1 − ρ²: (ρ v_1 + v_2) / (1 + ρ).
        AssertClose(v1.Zip(v2, (a, b) => (a * rho + b) / (1 + rho)).ToArray(), f.Tau.TauTerm(1), "second entry");
    }

    private static Tensor[] Diff(Tensor[] a, Tensor[] b) => a.Zip(b, (x, y) => x - y).ToArray();

    private static void AssertClose(Tensor[] expected, Tensor[] actual, string what)
    {
        double error = Math.Sqrt(Dot(Diff(expected, actual), Diff(expected, actual))), size = Math.Sqrt(Dot(expected, expected));
        Assert.True(error <= 1e-5 * size + 1e-9, $"{what}: |τ − expected| = {error:G3} against |expected| = {size:G3}");
    }

    [Fact]
    public void RestrictingAProlongedChangeGivesItBack()
    {
        using var scope = NewDisposeScope();
        using var f = new Fixture(new TauCorrectionOptions());
        var generator = new Generator(15);
        for (int level = 1; level <= 2; level++)
        {
            var delta = RandomChange(level, generator);
            for (int j = 0; j < Sizes.Length - 1; j++)
            {
                var (w, b) = f.Tau.Prolong(level, j, delta[j], delta[Sizes.Length - 1 + j]);
                var (w2, b2) = f.Tau.Restrict(level, j, w, b);
                double dw = (w2 - delta[j]).abs().max().item<float>(), db = (b2 - delta[Sizes.Length - 1 + j]).abs().max().item<float>();
                Assert.True(dw < 1e-4 && db < 1e-4, $"level {level} layer {j}: Res(Pro(Δ)) − Δ reaches {dw:G3} (weights), {db:G3} (biases)");
            }
        }
    }

    [Fact]
    public void RestrictedDataKeepsItsRange()
    {
        using var scope = NewDisposeScope();
        using var f = new Fixture(new TauCorrectionOptions());
        var ones = ones_like(f.X);
        for (int level = 1; level <= 2; level++)
        {
            Assert.True(f.Tau.RestrictData(ones, level).allclose(ones_like(f.Tau.RestrictData(ones, level)), atol: 1e-6));
            var y = f.Tau.RestrictData(f.Y, level);
            Assert.InRange(y.max().item<float>(), 0.5, 1.0 + 1e-6);   // the objects' targets are 0/1: averages stay in [0, 1]
            Assert.True(y.min().item<float>() >= 0);
        }
    }

    [Fact]
    public void AVisitWithoutStepsLeavesTheModelUnchanged()
    {
        using var scope = NewDisposeScope();
        using var f = new Fixture(new TauCorrectionOptions());
        using var visit = f.Network.Visit(0);
        var before = f.FineModel();
        f.Enter(1);
        f.Enter(2);
        f.Enter(1);
        f.Enter(0);
        var after = f.FineModel();
        for (int i = 0; i < before.Length; i++) Assert.True((before[i] == after[i]).all().item<bool>());
        Assert.Equal(2, f.Tau.Statistics.Corrections);
        Assert.Equal(2, f.Tau.Statistics.Accepted);
        // τ at each entry: a gradient at the level above and one at the level; each return: two evaluations above.
        Assert.Equal(new[] { (0, 32), (1, 32), (1, 32), (2, 32), (1, 64), (0, 64) }, f.Charged);
    }

    [Fact]
    public void ARejectedCorrectionLeavesTheModelUnchanged()
    {
        using var scope = NewDisposeScope();
        foreach (bool acceptance in new[] { true, false })
        {
            using var f = new Fixture(new TauCorrectionOptions { Acceptance = acceptance });
            using var visit = f.Network.Visit(0);
            var before = f.FineModel();
            double lossBefore = f.FineLoss();
            f.Enter(1);
            // A small step UP the corrected coarse gradient (the restricted fine gradient): prolonged, it raises the
            // fine loss to first order.
            var ascent = f.Tau.Gradient(1, f.X, f.Y);
            double length = Math.Sqrt(Dot(ascent, ascent));
            var coarse = f.Tau.Variables(1);
            using (no_grad()) for (int i = 0; i < coarse.Count; i++) coarse[i].add_(ascent[i] * (0.05 / length));
            f.Enter(0);
            var after = f.FineModel();
            bool unchanged = before.Zip(after).All(p => (p.First == p.Second).all().item<bool>());
            if (acceptance)
            {
                Assert.True(unchanged);
                Assert.Equal(0, f.Tau.Statistics.Accepted);
                Assert.True(f.Tau.Statistics.FineDecrease < 0);
            }
            else
            {
                Assert.False(unchanged);
                Assert.True(f.FineLoss() > lossBefore);
                Assert.Equal(1, f.Tau.Statistics.Accepted);
            }
        }
    }

    [Fact]
    public void MapsWithoutAnAverageAreRefused()
    {
        using var maps = new LayerMaps(new HierarchyShape(Sizes, 2), LayerMapStrategy.Random, seed: 3);
        using var network = new MultilevelNetwork(maps, new Generator(1));
        var e = Assert.Throws<MultiscaleException>(() => new TauCorrectedVisits(network, new TauCorrectionOptions(), OptimizerFlavor.RmsPropPyTorch, 1e-3));
        Assert.Contains("averaging", e.Message);
    }

    [Fact]
    public void SettingsThatCannotBeCombinedAreRefused()
    {
        var tau = new MsAnnTrainingOptions { TauCorrection = new TauCorrectionOptions() };
        Assert.Contains("depth L ≥ 1", Assert.Throws<MultiscaleException>(() => tau.ValidateDepth(0)).Message);
        Assert.Contains("together", Assert.Throws<MultiscaleException>(() => (tau with { AllTogether = true }).Validate()).Message);
        Assert.Contains("choose one", Assert.Throws<MultiscaleException>(() => (tau with { CoarseSteps = true }).Validate()).Message);
        Assert.Contains("at least one batch", Assert.Throws<MultiscaleException>(() => (tau with { TauCorrection = new TauCorrectionOptions { Batches = 0 } }).Validate()).Message);
        foreach (double average in new[] { -0.1, 1.0, double.NaN })
            Assert.Contains("[0, 1)", Assert.Throws<MultiscaleException>(() => (tau with { TauCorrection = new TauCorrectionOptions { Average = average } }).Validate()).Message);
        tau.ValidateDepth(1);
    }
}

public class TauCorrectedTrainingTests
{
    private static MsAnnResult Run(long seed, double budget, TauCorrectionOptions? tau = null, OptimizerFlavor flavor = OptimizerFlavor.RmsPropPyTorch)
    {
        var shape = new HierarchyShape(new[] { 64, 16, 8, 16, 64 }, 2);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator((ulong)seed));
        var data = new Generator((ulong)seed + 1000);
        var validation = SyntheticObjects.Batch(64, 1, 0.05, 256, new Generator(7));
        try
        {
            return MsAnnTrainer.Train(network, new CycleSchedule(2, 2, 2),
                new MsAnnTrainingOptions { Budget = budget, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 1024, Optimizer = flavor, TauCorrection = tau ?? new TauCorrectionOptions() },
                size => SyntheticObjects.Batch(64, 1, 0.05, size, data), validation);
        }
        finally
        {
            validation.Input.Dispose();
            validation.Target.Dispose();
        }
    }

    [Fact]
    public void TauCorrectedTrainingLowersTheErrorAndChargesItsEvaluations()
    {
        var result = Run(1, 12_000);
        Assert.True(result.FinalMse < 0.8 * result.InitialMse, $"{result.InitialMse} → {result.FinalMse}");
        Assert.NotNull(result.Tau);
        Assert.True(result.Tau!.Corrections > 0 && result.Tau.FineCorrections > 0);
        Assert.True(result.Tau.Accepted > 0);
        // The budget ends inside a cycle at most a few evaluations past it (the returns at the end are charged too).
        Assert.InRange(result.TotalCost, 12_000, 12_000 + 4 * 32);
    }

    [Fact]
    public void SeededTauRunsRepeatExactly()
    {
        var a = Run(3, 4000, new TauCorrectionOptions { Batches = 2 });
        var b = Run(3, 4000, new TauCorrectionOptions { Batches = 2 });
        Assert.Equal(a.Metrics.Select(m => (m.Step, m.Cost, m.ValidationMse)), b.Metrics.Select(m => (m.Step, m.Cost, m.ValidationMse)));
        Assert.Equal(a.Tau! with { SetupSeconds = 0, CoarseStepSeconds = 0 }, b.Tau! with { SetupSeconds = 0, CoarseStepSeconds = 0 });
        var averaged = new TauCorrectionOptions { Average = 0.8 };
        var c = Run(3, 4000, averaged);
        var d = Run(3, 4000, averaged);
        Assert.Equal(c.Metrics.Select(m => (m.Step, m.Cost, m.ValidationMse)), d.Metrics.Select(m => (m.Step, m.Cost, m.ValidationMse)));
        // The average changes the run: the τ terms after the first entry are not the one-batch ones.
        var e = Run(3, 4000);
        Assert.NotEqual(c.Metrics.Select(m => m.ValidationMse), e.Metrics.Select(m => m.ValidationMse));
    }

    [Fact]
    public void NoTensorOutlivesATauStep()
    {
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Run(9, 2000);
        long afterShort = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Run(9, 16_000, flavor: OptimizerFlavor.RmsPropTensorFlow1);
        long afterLong = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(afterShort - before, afterLong - afterShort);
    }
}
