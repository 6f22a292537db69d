using Multiscale.Graphs;
using Multiscale.Prolongation;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

/// <summary>The default start policy: cheap starts only, stop at a certified or critical point no start begins below.</summary>
public class StartPolicyTests
{
    [Theory]
    [InlineData("path:8", "path:16", 0.5)]
    [InlineData("grid:3x3", "grid:6x6", 0.5)]
    [InlineData("path:6", "path:12", 0.8)]
    public void TheDefaultRunsOnlyCheapStartsAndSaysWhyItStopped(string coarse, string fine, double s)
    {
        var options = new ProlongationOptions { S = s, Alpha = ScaleParameter.Fixed(1), MaxIterations = 300 };
        using var solution = ProlongationSolver.Solve(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), options);
        var cheap = new[] { "assignment", "munkres", "interpolation" };
        Assert.All(solution.Starts, st => Assert.Contains(st.Start, cheap));
        Assert.All(solution.Skipped, k => Assert.Contains(k.Start, cheap));
        // Every cheap start is accounted for: run or skipped, in the policy's order.
        Assert.Equal(cheap, solution.Starts.Select(st => st.Start).Concat(solution.Skipped.Select(k => k.Start)).OrderBy(n => Array.IndexOf(cheap, n)));
        Assert.Equal("assignment", solution.Starts[0].Start);
        // A start is skipped only because it begins no lower than the best map found.
        Assert.All(solution.Skipped, k => Assert.True(k.InitialObjective >= solution.Terms.Objective * (1 - 1e-12), $"{k.Start} began at {k.InitialObjective}"));
        if (solution.Skipped.Count > 0) Assert.Equal(SolveStopReason.CriticalPoint, solution.SolveStop);
        else Assert.Equal(SolveStopReason.AllStartsRun, solution.SolveStop);
        Assert.Contains(solution.WinningStart, solution.Starts.Select(st => st.Start));
        Assert.Equal(solution.Starts.Min(st => st.FinalObjective), solution.Terms.Objective, 6);
        Assert.True(solution.OrthogonalityError <= 1e-12);
        Assert.True(solution.RelativeGradient >= 0 && solution.RelativeGradient <= 1e-2, $"relative gradient {solution.RelativeGradient}");
        // Against the winning start's own gradient the ratio can only be larger (that start's gradient is one of those the
        // largest is taken over), and it is what the optimizer's tolerance measured.
        Assert.True(solution.RelativeGradientOwnStart >= solution.RelativeGradient * (1 - 1e-12), $"{solution.RelativeGradientOwnStart} < {solution.RelativeGradient}");
    }

    [Fact]
    public void WithOneStartBothRelativeGradientsAgree()
    {
        var options = new ProlongationOptions
        {
            S = 0.5, Alpha = ScaleParameter.Fixed(1), MaxIterations = 300, Init = InitKind.Identity, AssignmentStart = false, InterpolationStart = false,
        };
        using var solution = ProlongationSolver.Solve(GraphSpec.Parse("path:6"), GraphSpec.Parse("path:12"), options);
        Assert.Single(solution.Starts);
        Assert.Equal(solution.RelativeGradient, solution.RelativeGradientOwnStart, 12);
        Assert.True(solution.RelativeGradientOwnStart > 0);
    }

    [Fact]
    public void ACertifiedPairStopsAfterTheFirstStart()
    {
        using var solution = ProlongationSolver.Solve(GraphFactory.Cycle(8), GraphFactory.Cycle(16), new ProlongationOptions { S = 0.5, Alpha = ScaleParameter.Fixed(1) });
        Assert.Equal(SolveStopReason.Certified, solution.SolveStop);
        Assert.Single(solution.Starts);
        Assert.True(solution.GloballyOptimal);
        Assert.All(solution.Skipped, k => Assert.Equal("the best map attains the proven lower bound", k.Reason));
    }

    [Fact]
    public void RandomStartsAreOptIn()
    {
        var options = new ProlongationOptions { S = 0.5, Alpha = ScaleParameter.Fixed(1), Seed = 2, MaxIterations = 200 };
        using var policy = ProlongationSolver.Solve(GraphFactory.Path(5), GraphFactory.Path(10), options);
        Assert.DoesNotContain(policy.Starts, st => st.Start.StartsWith("random", StringComparison.Ordinal));
        using var multi = ProlongationSolver.Solve(GraphFactory.Path(5), GraphFactory.Path(10), options with { RandomStarts = 2 });
        Assert.Equal(new[] { "assignment", "munkres", "random:3", "random:4" }, multi.Starts.Select(st => st.Start));
        Assert.Equal(SolveStopReason.AllStartsRun, multi.SolveStop);
    }

    [Fact]
    public void RandomStartsStayInsideTheirTimeBudget()
    {
        var options = new ProlongationOptions { S = 0.5, Alpha = ScaleParameter.Fixed(1), Seed = 2, MaxIterations = 100, RandomStarts = 2, EscapeSaddles = false };
        using var unlimited = ProlongationSolver.Solve(GraphFactory.Path(6), GraphFactory.Path(12), options);
        Assert.Equal(2, unlimited.Starts.Count(st => st.Start.StartsWith("random", StringComparison.Ordinal)));
        // A budget far below one random start's run: the first random start is cut at it, the others are skipped.
        using var budgeted = ProlongationSolver.Solve(GraphFactory.Path(6), GraphFactory.Path(12), options with { RandomStartsTime = TimeSpan.FromTicks(1) });
        var random = budgeted.Starts.Where(st => st.Start.StartsWith("random", StringComparison.Ordinal)).ToList();
        Assert.True(random.Count <= 1, $"{random.Count} random starts ran");
        Assert.All(random, st => Assert.Equal(Multiscale.Optimization.StopReason.MaxTime, st.Reason));
        Assert.Equal(2 - random.Count, budgeted.Skipped.Count(k => k.Reason == "the random starts' time budget ran out"));
        Assert.Equal(SolveStopReason.TimeBudget, budgeted.SolveStop);
        // The cheap starts are not charged to it.
        Assert.Equal(unlimited.Starts.Where(st => !st.Start.StartsWith("random", StringComparison.Ordinal)).Select(st => st.FinalObjective),
            budgeted.Starts.Where(st => !st.Start.StartsWith("random", StringComparison.Ordinal)).Select(st => st.FinalObjective));
        Assert.Throws<MultiscaleException>(() => (options with { RandomStarts = null, RandomStartsTime = TimeSpan.FromSeconds(1) }).Validate());
        Assert.Throws<MultiscaleException>(() => (options with { RandomStartsTime = TimeSpan.Zero }).Validate());
    }

    [Fact]
    public void TheGridInterpolationStartIsTheKroneckerProductOfThePathMaps()
    {
        using var scope = NewDisposeScope();
        using var grid = ClosedFormMaps.Interpolation(GraphFactory.Grid(new[] { 2, 3 }), GraphFactory.Grid(new[] { 4, 6 }))!;
        using var a = ClosedFormMaps.Interpolation(2, 4, periodic: false);
        using var b = ClosedFormMaps.Interpolation(3, 6, periodic: false);
        Assert.True(grid.Matrix.allclose(kron(a.Matrix, b.Matrix), rtol: 0, atol: 1e-15));
        Assert.True(grid.OrthogonalityError < 1e-12);
        Assert.Null(ClosedFormMaps.Interpolation(GraphFactory.Path(4), GraphFactory.Cycle(8)));
        Assert.Null(ClosedFormMaps.Interpolation(GraphFactory.Path(6), GraphFactory.Grid(new[] { 3, 4 })));
        using var solution = ProlongationSolver.Solve(GraphFactory.Grid(new[] { 2, 3 }), GraphFactory.Grid(new[] { 4, 6 }),
            new ProlongationOptions { S = 0.5, Init = InitKind.Interpolation, AssignmentStart = false, RandomStarts = 0, MaxIterations = 200 });
        Assert.Equal("interpolation", solution.WinningStart);
        Assert.True(solution.Terms.Objective <= solution.InitialObjective);
        var pathToCycle = Assert.Throws<MultiscaleException>(() => ProlongationSolver.Solve(GraphFactory.Path(4), GraphFactory.Cycle(8),
            new ProlongationOptions { S = 0.5, Init = InitKind.Interpolation, RandomStarts = 0 }));
        Assert.Contains("interpolation start", pathToCycle.Message);
    }

    [Fact]
    public void WithAnAutoScaleTheAssignmentStartSearchesTheScale()
    {
        // grid:8x8→grid:16x16, s = 0.5: built at α = 1 the assignment start leads to a critical point at α* ≈ 1.03,
        // E ≈ 244361.31; the assignment at α = 2 to one below 244351.27. With the scale searched, the auto-α solve must
        // come within 1e-7 of that (both are second-order critical points of the same problem).
        var coarse = GraphFactory.Grid(new[] { 8, 8 });
        var fine = GraphFactory.Grid(new[] { 16, 16 });
        using var auto = ProlongationSolver.Solve(coarse, fine, new ProlongationOptions { S = 0.5 });
        using var atTwo = ProlongationSolver.Solve(coarse, fine, new ProlongationOptions { S = 0.5, Alpha = ScaleParameter.Fixed(2) });
        using var ops = ProlongationOperators.Create(coarse, fine, withDistances: true);
        var objective = new ProlongationObjective(ops, 0.5, ScaleParameter.Auto, ScaleParameter.Fixed(0.25));
        double reference = objective.Cost(atTwo.Map.Matrix);
        Assert.True(auto.Terms.Objective <= reference * (1 + 1e-7), $"auto α: {auto.Terms.Objective}, the α = 2 map under auto α: {reference}");
        Assert.True(auto.Map.OrthogonalityError < 1e-12);
    }

    [Fact]
    public void GoldenSectionOnTheLogarithmFindsTheMinimumOfAConvexProfile()
    {
        int calls = 0;
        double found = ProlongationSolver.GoldenSectionOnLog(x => { calls++; return Math.Pow(Math.Log(x) - Math.Log(3), 2); }, 1.0);
        Assert.Equal(3.0, found, 0.2);
        Assert.True(calls <= ProlongationSolver.ScaleSearchTrials + 1);
        // A profile whose minimum is the start keeps the start exactly.
        Assert.Equal(1.0, ProlongationSolver.GoldenSectionOnLog(x => Math.Abs(Math.Log(x)), 1.0));
    }
}
