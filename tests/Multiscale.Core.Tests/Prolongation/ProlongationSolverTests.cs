using Multiscale.Graphs;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class ProlongationSolverTests
{
    [Theory]
    [InlineData("cycle:8", "cycle:16")]
    [InlineData("path:8", "path:16")]
    [InlineData("grid:4x4", "grid:8x8")]
    public void DiffusionOnlyDoublingPairsReachZeroFromTheMunkresStart(string coarse, string fine)
    {
        using var solution = ProlongationSolver.Solve(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), new ProlongationOptions { S = 0, AssignmentStart = false });
        Assert.True(solution.Terms.Diffusion <= 1e-9, $"diffusion {solution.Terms.Diffusion}");
        Assert.True(solution.OrthogonalityError <= 1e-12, $"orthogonality {solution.OrthogonalityError}");
        Assert.Equal("munkres", solution.WinningStart);
        Assert.Equal(1.0, solution.Terms.Alpha, 6);
    }

    [Fact]
    public void MunkresStartIsASaddleForCyclesWithLocalityAndTheSolverEscapesIt()
    {
        var c1 = GraphFactory.Cycle(16);
        var c2 = GraphFactory.Cycle(32);
        var options = new ProlongationOptions
        {
            S = 0.5, Alpha = ScaleParameter.Fixed(1), Beta = ScaleParameter.Fixed(0.5), RandomStarts = 0, Seed = 3,
            AssignmentStart = false,
        };
        using var solution = ProlongationSolver.Solve(c1, c2, options);
        var start = solution.Starts.Single();
        Assert.Equal("munkres", start.Start);
        Assert.True(start.SaddleEscapes >= 1, "the probe should find negative curvature at the Munkres start");
        Assert.True(solution.Terms.Objective < 0.99 * solution.InitialObjective,
            $"objective {solution.Terms.Objective} vs start {solution.InitialObjective}");
        Assert.True(solution.OrthogonalityError <= 1e-12);

        using var stuck = ProlongationSolver.Solve(c1, c2, options with { EscapeSaddles = false });
        Assert.True(stuck.Terms.Objective > solution.Terms.Objective);
    }

    [Theory]
    [InlineData("cycle:16", "cycle:32", 0.5)]
    [InlineData("cycle:12", "cycle:20", 0.25)]
    [InlineData("torus:4x4", "torus:8x8", 1.0)]
    [InlineData("path:6", "grid:3x5", 0.0)]
    public void TheFrameAssignmentIsACertifiedGlobalOptimumForSeparablePairs(string coarse, string fine, double s)
    {
        var options = new ProlongationOptions { S = s, Alpha = ScaleParameter.Fixed(1), RandomStarts = 3, MaxIterations = 500 };
        using var solution = ProlongationSolver.Solve(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), options);
        Assert.NotNull(solution.LowerBound);
        Assert.True(solution.GloballyOptimal);
        Assert.True(solution.OrthogonalityError < 1e-12);
        // No start may go below a lower bound: check it against every start that ran.
        Assert.All(solution.Starts, st => Assert.True(st.FinalObjective >= solution.LowerBound!.Value * (1 - 1e-9), $"{st.Start} went below the bound"));
        // Brute check of the bound: random points of the manifold never beat it either.
        using var ops = ProlongationOperators.Create(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), withDistances: true);
        var objective = new ProlongationObjective(ops, s, ScaleParameter.Fixed(1), ScaleParameter.Fixed((double)ops.CoarseSize / ops.FineSize));
        for (int k = 0; k < 20; k++)
        {
            using var p = objective.Stiefel.RandomPoint(new TorchSharp.torch.Generator((ulong)k));
            Assert.True(objective.Cost(p) >= solution.LowerBound!.Value);
        }
    }

    [Fact]
    public void SeededSolvesRepeatExactly()
    {
        var options = new ProlongationOptions { S = 0.3, RandomStarts = 2, Seed = 17, MaxIterations = 200 };
        using var a = ProlongationSolver.Solve(GraphFactory.Path(6), GraphFactory.Path(12), options);
        using var b = ProlongationSolver.Solve(GraphFactory.Path(6), GraphFactory.Path(12), options);
        Assert.Equal(a.Terms.Objective, b.Terms.Objective);
        Assert.True(a.Map.Matrix.eq(b.Map.Matrix).all().item<bool>());
        Assert.Equal(new[] { "assignment", "munkres", "random:18", "random:19" }, a.Starts.Select(s => s.Start));
        Assert.Contains(a.WinningStart, a.Starts.Select(s => s.Start));
        Assert.Equal(a.Starts.Min(s => s.FinalObjective), a.Terms.Objective, 9);
    }

    [Theory]
    [InlineData(InitKind.Random, OptimizerKind.SteepestDescent)]
    [InlineData(InitKind.Identity, OptimizerKind.ConjugateGradient)]
    [InlineData(InitKind.Random, OptimizerKind.Lbfgs)]
    public void EveryStartAndOptimizerLowersTheObjectiveAndStaysOrthonormal(InitKind init, OptimizerKind optimizer)
    {
        var options = new ProlongationOptions { S = 0.5, Init = init, Optimizer = optimizer, RandomStarts = 0, MaxIterations = 300 };
        using var solution = ProlongationSolver.Solve(GraphFactory.Path(5), GraphFactory.Path(10), options);
        Assert.True(solution.Terms.Objective < solution.InitialObjective);
        Assert.True(solution.OrthogonalityError <= 1e-12);
        Assert.True(solution.History.Zip(solution.History.Skip(1)).All(p => p.Second.Cost <= p.First.Cost + 1e-9 * Math.Abs(p.First.Cost)),
            "costs along the history must not increase");
    }

    [Fact]
    public void AutoScalesOnPathDoubling()
    {
        // s = 0: the zero-cost map exists, so α* = 1 exactly (§5.2).
        using var diffusion = ProlongationSolver.Solve(GraphFactory.Path(8), GraphFactory.Path(16), new ProlongationOptions { S = 0 });
        Assert.Equal(1.0, diffusion.Terms.Alpha, 9);
        // s = 1 with β optimized: a local map has P T₁ ≈ T₂ P / 4 on a path doubling (distances double and each fine
        // column sums two rows), so β* ≈ (n₁/n₂)² = 1/4, not the paper's n₁/n₂ (docs/prolongation.md).
        using var locality = ProlongationSolver.Solve(GraphFactory.Path(8), GraphFactory.Path(16),
            new ProlongationOptions { S = 1, Beta = ScaleParameter.Auto, RandomStarts = 1 });
        Assert.InRange(locality.Terms.Beta, 0.2, 0.3);
    }

    [Fact]
    public void TimeBudgetAndCancellationStopTheSolve()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            ProlongationSolver.Solve(GraphFactory.Cycle(8), GraphFactory.Cycle(16), new ProlongationOptions { S = 0.5 }, cancellation: cts.Token));
    }
}
