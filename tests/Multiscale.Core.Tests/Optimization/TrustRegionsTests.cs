using Multiscale.Graphs;
using Multiscale.Optimization;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Optimization;

public class TrustRegionsTests
{
    private static Tensor RandomSymmetric(int n, ulong seed)
    {
        var g = randn(n, n, dtype: ScalarType.Float64, generator: new Generator(seed));
        return (g + g.T) * 0.5;
    }

    [Theory]
    [InlineData(10, 3, 1UL)]
    [InlineData(30, 6, 2UL)]
    public void ReachesTheBrockettMinimumInAFewIterations(int n, int p, ulong seed)
    {
        using var scope = NewDisposeScope();
        var problem = new BrockettProblem(RandomSymmetric(n, seed), p);
        using var start = problem.Stiefel.RandomPoint(new Generator(seed + 10));
        using var result = new TrustRegions().Optimize(problem, start, new StoppingCriteria { RelativeGradientTolerance = 1e-10, MaxIterations = 200 });
        Assert.True(result.Converged, $"stopped by {result.Reason} at ‖grad‖ {result.GradientNorm}");
        Assert.Equal(problem.Minimum, result.Cost, 9);
        Assert.True(problem.Stiefel.ConstraintError(result.Point) < 1e-12);
        // Second order: the last iterations converge superlinearly, so the whole run is short.
        Assert.True(result.Iterations <= 60, $"{result.Iterations} iterations");
        Assert.True(result.HessianProducts > 0);
        // ρ is regularized at rounding level (Manopt's δ), so an accepted step may raise the cost by rounding only.
        Assert.True(result.History.Zip(result.History.Skip(1)).All(q => q.Second.Cost <= q.First.Cost + 1e-12 * Math.Max(1, Math.Abs(q.First.Cost))), "accepted steps must not raise the cost");
    }

    [Fact]
    public void ThePreconditionedSolveInTheFrameMatchesConjugateGradientOnAPathPair()
    {
        using var scope = NewDisposeScope();
        using var ops = ProlongationOperators.Create(GraphFactory.Path(8), GraphFactory.Path(16), withDistances: true);
        using var frame = new SpectralFrameObjective(ops, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5));
        frame.EnablePreconditioner(1, 0.5);
        using var start = ((Multiscale.Manifolds.Stiefel)frame.Manifold).RandomPoint(new Generator(4));
        var criteria = new StoppingCriteria { RelativeGradientTolerance = 1e-9, MaxIterations = 5000 };
        using var tr = new TrustRegions().Optimize(frame, start, criteria);
        using var cg = new ConjugateGradient().Optimize(frame, start, criteria);
        Assert.True(tr.Converged, $"trust regions stopped by {tr.Reason}");
        Assert.True(tr.Cost <= cg.Cost * (1 + 1e-9), $"tr {tr.Cost} vs cg {cg.Cost}");
        Assert.True(tr.Iterations < cg.Iterations, $"tr {tr.Iterations} vs cg {cg.Iterations} iterations");
    }

    [Fact]
    public void AProblemWithoutHessianIsRejectedWithAClearError()
    {
        using var ops = ProlongationOperators.Create(GraphFactory.Path(3), GraphFactory.Path(6), withDistances: true);
        var plain = new GradientOnly(new ProlongationObjective(ops, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5)));
        using var start = ProlongationSolver.IdentityStart(6, 3);
        var error = Assert.Throws<MultiscaleException>(() => new TrustRegions().Optimize(plain, start));
        Assert.Contains("Hessian", error.Message);
    }

    private sealed class GradientOnly(IRiemannianProblem inner) : IRiemannianProblem
    {
        public Multiscale.Manifolds.IManifold Manifold => inner.Manifold;
        public IPointEvaluation Evaluate(Tensor x) => new Wrapped(inner.Evaluate(x));
        private sealed class Wrapped(IPointEvaluation e) : IPointEvaluation
        {
            public double Cost => e.Cost;
            public Tensor RiemannianGradient() => e.RiemannianGradient();
            public void Dispose() => e.Dispose();
        }
    }
}
