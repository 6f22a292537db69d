using Multiscale.Graphs;
using Multiscale.Optimization;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Optimization;

/// <summary>Native memory must not grow with the iteration count: every tensor an iteration makes is released.</summary>
public class MemoryTests
{
    private static long LiveTensors() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Theory]
    [InlineData(OptimizerKind.ConjugateGradient, false)]
    [InlineData(OptimizerKind.ConjugateGradient, true)]
    [InlineData(OptimizerKind.SteepestDescent, true)]
    [InlineData(OptimizerKind.Lbfgs, false)]
    public void LiveTensorCountDoesNotGrowWithIterations(OptimizerKind kind, bool frame)
    {
        using var ops = ProlongationOperators.Create(GraphFactory.Cycle(8), GraphFactory.Cycle(16), withDistances: true);
        IRiemannianProblem problem;
        SpectralFrameObjective? spectral = null;
        if (frame)
        {
            spectral = new SpectralFrameObjective(ops, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5));
            spectral.EnablePreconditioner(1, 0.5);
            problem = spectral;
        }
        else problem = new ProlongationObjective(ops, 0.5, ScaleParameter.Auto, ScaleParameter.Fixed(0.5));
        RiemannianOptimizer optimizer = kind switch
        {
            OptimizerKind.SteepestDescent => new SteepestDescent(),
            OptimizerKind.Lbfgs => new Lbfgs(),
            _ => new ConjugateGradient(),
        };
        using var start = ((Multiscale.Manifolds.Stiefel)problem.Manifold).RandomPoint(new Generator(1));
        long Run(int iterations)
        {
            long before = LiveTensors();
            using (var result = optimizer.Optimize(problem, start, new StoppingCriteria { MaxIterations = iterations, RelativeGradientTolerance = 0, MinGradientNorm = 0 }))
                Assert.Equal(iterations, result.Iterations);
            return LiveTensors() - before;
        }
        Run(5);
        Assert.Equal(0, Run(10));
        Assert.Equal(0, Run(60));
        spectral?.Dispose();
    }

    [Fact]
    public void TheTrustRegionInnerSolveReleasesEachProductsTemporaries()
    {
        // Live tensors at each Hessian product of a run: bounded by the inner solve's state, not growing with the
        // number of inner steps (they used to pile up until the outer iteration ended: ~15 matrices per product).
        using var ops = ProlongationOperators.Create(GraphFactory.Path(12), GraphFactory.Path(24), withDistances: true);
        using var frame = new SpectralFrameObjective(ops, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5));
        frame.EnablePreconditioner(1, 0.5, 1e-6);
        var counting = new CountingProblem(frame);
        using var start = ((Multiscale.Manifolds.Stiefel)frame.Manifold).RandomPoint(new Generator(3));
        long before = LiveTensors();
        using (var result = new TrustRegions().Optimize(counting, start, new StoppingCriteria { MaxIterations = 30, RelativeGradientTolerance = 0, MinGradientNorm = 0 }))
            Assert.True(result.HessianProducts >= 100, $"{result.HessianProducts} products: too few to tell");
        Assert.True(counting.MaxLive - before < 60, $"up to {counting.MaxLive - before} live tensors during the run");
    }

    private sealed class CountingProblem(IRiemannianProblem inner) : IRiemannianProblem
    {
        public long MaxLive { get; private set; }
        public Multiscale.Manifolds.IManifold Manifold => inner.Manifold;
        public bool HasPreconditioner => inner.HasPreconditioner;
        public Tensor Precondition(Tensor x, Tensor tangent) => inner.Precondition(x, tangent);
        public IPointEvaluation Evaluate(Tensor x) => new Counted(this, (IHessianEvaluation)inner.Evaluate(x));

        private sealed class Counted(CountingProblem owner, IHessianEvaluation e) : IHessianEvaluation
        {
            public double Cost => e.Cost;
            public Tensor RiemannianGradient() => e.RiemannianGradient();
            public Tensor RiemannianHessian(Tensor tangent)
            {
                owner.MaxLive = Math.Max(owner.MaxLive, LiveTensors());
                return e.RiemannianHessian(tangent);
            }
            public void Dispose() => e.Dispose();
        }
    }
}
