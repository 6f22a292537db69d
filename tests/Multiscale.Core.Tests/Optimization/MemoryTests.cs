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
}
