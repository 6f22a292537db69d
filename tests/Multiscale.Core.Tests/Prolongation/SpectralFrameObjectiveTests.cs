using Multiscale.Graphs;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class SpectralFrameObjectiveTests
{
    [Theory]
    [InlineData("cycle:8", "cycle:16", 0.5, true)]
    [InlineData("cycle:8", "cycle:16", 0.0, true)]
    [InlineData("path:5", "grid:3x4", 0.5, false)]
    [InlineData("path:5", "grid:3x4", 1.0, true)]
    [InlineData("torus:3x4", "torus:6x4", 0.3, true)]
    [InlineData("grid:4x4", "grid:8x8", 0.5, false)]
    public void CostAndGradientEqualTheOriginalFrames(string coarse, string fine, double s, bool expectDiagonal)
    {
        using var scope = NewDisposeScope();
        using var ops = ProlongationOperators.Create(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), withDistances: true);
        var alpha = ScaleParameter.Auto;
        var beta = ScaleParameter.Fixed((double)ops.CoarseSize / ops.FineSize);
        var original = new ProlongationObjective(ops, s, alpha, beta);
        using var frame = new SpectralFrameObjective(ops, s, alpha, beta);
        Assert.Equal(expectDiagonal, frame.DiffusionIsDiagonal);
        var p = original.Stiefel.RandomPoint(new Generator(4));
        var pf = frame.ToFrame(p);
        Assert.True(frame.FromFrame(pf).allclose(p, rtol: 0, atol: 1e-12));
        using var a = original.Evaluate(p);
        using var b = frame.Evaluate(pf);
        Assert.Equal(a.Cost, b.Cost, 1e-9 * Math.Max(1, a.Cost));
        var ga = a.RiemannianGradient();
        var gb = frame.FromFrame(b.RiemannianGradient());
        Assert.True(gb.allclose(ga, rtol: 1e-8, atol: 1e-9 * ga.abs().max().item<double>()));
    }

    [Fact]
    public void PreconditionerIsPositiveDefiniteOnTheTangentSpace()
    {
        using var scope = NewDisposeScope();
        using var ops = ProlongationOperators.Create(GraphFactory.Cycle(6), GraphFactory.Cycle(12), withDistances: true);
        using var frame = new SpectralFrameObjective(ops, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5));
        frame.EnablePreconditioner(1, 0.5);
        var m = (Multiscale.Manifolds.Stiefel)frame.Manifold;
        var gen = new Generator(2);
        var x = m.RandomPoint(gen);
        for (int i = 0; i < 5; i++)
        {
            var u = m.RandomTangent(x, gen);
            var pu = frame.Precondition(x, u);
            Assert.True(m.Inner(x, u, pu) > 0);
            Assert.True((x.T.matmul(pu) + pu.T.matmul(x)).abs().max().item<double>() < 1e-12, "preconditioned vector must be tangent");
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void ThePointPreconditionerInvertsTheExactHessianDiagonalAtAPartialPermutation(double s)
    {
        // Cycles are separable in the frame: E(P̃) = Σ w_ij P̃_ij². At a partial permutation σ and a row i outside its
        // image, U = E_ij is tangent and ⟨U, Hess E[U]⟩ = 2(w_ij − w_σ(j)j) exactly: the Euclidean curvature minus the
        // Stiefel curvature term. The point preconditioner must return U divided by that (where it is above its floor).
        using var scope = NewDisposeScope();
        using var ops = ProlongationOperators.Create(GraphFactory.Cycle(5), GraphFactory.Cycle(10), withDistances: true);
        using var frame = new SpectralFrameObjective(ops, s, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5));
        Assert.True(frame.IsSeparable);
        var assignment = Multiscale.Matching.Munkres.SolveWithCost(frame.AssignmentCosts(1, 0.5));
        var x = frame.PartialPermutation(assignment.RowOfColumn);
        frame.EnablePreconditioner(1, 0.5, regularization: 1e-9);
        using var at = (Multiscale.Optimization.IHessianEvaluation)frame.Evaluate(x);
        var image = assignment.RowOfColumn.ToHashSet();
        int checkedEntries = 0;
        for (int i = 0; i < 10; i++)
        {
            if (image.Contains(i)) continue;
            for (int j = 0; j < 5; j++)
            {
                var u = zeros(10, 5, dtype: ScalarType.Float64);
                u[i, j] = 1;
                double curvature = (u * at.RiemannianHessian(u)).sum().item<double>();
                if (curvature <= 1e-6) continue;
                double inverse = (u * frame.Precondition(x, u)).sum().item<double>();
                Assert.Equal(1.0, curvature * inverse, 1e-9);
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries >= 10, $"{checkedEntries} entries checked");
    }

    [Theory]
    [InlineData("grid:4x4", "grid:8x8")]
    [InlineData("grid:3x3", "grid:6x6")]
    public void InsideEveryEigenspaceOfTheDistancesTheFrameLaplacianIsDiagonal(string coarse, string fine)
    {
        // A grid's T has a large null space (rank ≤ n_a + n_b); inside it (and inside the symmetric pairs) the frame's
        // basis is the eigenbasis of the compressed L, so L̃ has no entry coupling two directions of one eigenspace.
        using var scope = NewDisposeScope();
        using var ops = ProlongationOperators.Create(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), withDistances: true);
        using var frame = new SpectralFrameObjective(ops, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.25));
        foreach (var (values, laplacian) in new[] { (frame.FineDistanceEigenvalues!, frame.FineFrameLaplacian!), (frame.CoarseDistanceEigenvalues!, frame.CoarseFrameLaplacian!) })
        {
            var lambda = values.data<double>().ToArray();
            double scale = lambda.Max(Math.Abs), lScale = laplacian.abs().max().item<double>();
            int pairs = 0;
            for (int i = 0; i < lambda.Length; i++)
                for (int k = 0; k < lambda.Length; k++)
                {
                    if (i == k || Math.Abs(lambda[i] - lambda[k]) > 1e-12 * scale) continue;
                    Assert.True(Math.Abs(laplacian[i, k].item<double>()) <= 1e-10 * lScale, $"L̃[{i}, {k}] = {laplacian[i, k].item<double>()} inside one eigenspace");
                    pairs++;
                }
            Assert.True(pairs >= lambda.Length, $"only {pairs} pairs inside eigenspaces");
            // The basis still diagonalizes T and is orthonormal (the frame's cost check above needs both too).
        }
    }

    [Fact]
    public void NearestVertexIsThePartialPermutationOfTheLargestEntries()
    {
        using var scope = NewDisposeScope();
        using var ops = ProlongationOperators.Create(GraphFactory.Cycle(4), GraphFactory.Cycle(8), withDistances: true);
        using var frame = new SpectralFrameObjective(ops, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5));
        var rows = new[] { 5, 0, 7, 2 };
        var vertex = frame.PartialPermutation(rows);
        vertex[7, 2] = -1.0;
        var m = (Multiscale.Manifolds.Stiefel)frame.Manifold;
        // A nearby Stiefel point (retracted small step) rounds back to the signed vertex.
        var near = m.Retract(vertex, m.RandomTangent(vertex, new Generator(3)) * 0.3);
        Assert.True(frame.NearestVertex(near)!.allclose(vertex, rtol: 0, atol: 0));
        // Two columns wanting one row: no vertex.
        var clash = zeros(8, 4, dtype: ScalarType.Float64);
        clash[0, 0] = 0.8; clash[0, 1] = 0.9; clash[1, 1] = 0.1; clash[2, 2] = 1; clash[3, 3] = 1;
        Assert.Null(frame.NearestVertex(clash));
        using var paths = ProlongationOperators.Create(GraphFactory.Path(4), GraphFactory.Path(8), withDistances: true);
        using var notSeparable = new SpectralFrameObjective(paths, 0.5, ScaleParameter.Fixed(1), ScaleParameter.Fixed(0.5));
        Assert.False(notSeparable.IsSeparable);
        Assert.Null(notSeparable.NearestVertex(vertex));
    }

    [Fact]
    public void WithAutoScalesTheSeparableMinimumIsAVertexAndTheLocalMapIsOne()
    {
        // s = 1, β auto: E depends on P̃ only through Q = P̃∘P̃ and is concave in it, so no Stiefel point beats the best of
        // the 8·7·6·5 partial permutations (brute force), and LocalPathMaps, which rounds to the nearest vertex, returns
        // one of them (the interpolation start's: the local map, here also the best).
        using var scope = NewDisposeScope();
        using var ops = ProlongationOperators.Create(GraphFactory.Path(4), GraphFactory.Path(8), withDistances: true);
        using var frame = new SpectralFrameObjective(ops, 1.0, ScaleParameter.Auto, ScaleParameter.Auto);
        Assert.True(frame.IsSeparable);
        double best = double.PositiveInfinity;
        var vertexCosts = new List<double>();
        for (int a = 0; a < 8; a++) for (int b = 0; b < 8; b++) for (int c = 0; c < 8; c++) for (int d = 0; d < 8; d++)
        {
            if (new[] { a, b, c, d }.Distinct().Count() < 4) continue;
            using var e = frame.Evaluate(frame.PartialPermutation(new[] { a, b, c, d }));
            vertexCosts.Add(e.Cost);
            best = Math.Min(best, e.Cost);
        }
        var gen = new Generator(11);
        for (int k = 0; k < 200; k++)
        {
            using var e = frame.Evaluate(frame.Manifold.RandomPoint(gen));
            Assert.True(e.Cost >= best - 1e-12 * best, $"a random point {e.Cost} beat every vertex ({best})");
        }
        using var map = LocalPathMaps.Optimized(4, 8);
        var original = new ProlongationObjective(ops, 1.0, ScaleParameter.Auto, ScaleParameter.Auto);
        double local = original.Cost(map.Matrix);
        Assert.Contains(vertexCosts, v => Math.Abs(v - local) <= 1e-10 * local);
        var inFrame = frame.ToFrame(map.Matrix).abs();
        Assert.True(inFrame.max(0).values.min().item<double>() > 1 - 1e-9, "the local map is a partial permutation in the frame");
    }

    [Fact]
    public void SolvesInBothFramesAgree()
    {
        var options = new ProlongationOptions { S = 0.5, RandomStarts = 0, Init = InitKind.Random, Seed = 5, MaxIterations = 3000 };
        using var inFrame = ProlongationSolver.Solve(GraphFactory.Path(6), GraphFactory.Path(12), options with { SpectralFrame = true });
        using var direct = ProlongationSolver.Solve(GraphFactory.Path(6), GraphFactory.Path(12), options with { SpectralFrame = false });
        Assert.True(inFrame.OrthogonalityError < 1e-12);
        // Same problem, different coordinates: both must reach the same (local) level to a small relative gap.
        Assert.Equal(direct.Terms.Objective, inFrame.Terms.Objective, 0.02 * direct.Terms.Objective);
    }
}
