using Multiscale.Graphs;
using Multiscale.Manifolds;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class ProlongationObjectiveTests
{
    private static (ProlongationOperators Ops, ProlongationObjective Objective) Make(string coarse, string fine, double s, ScaleParameter alpha, ScaleParameter beta)
    {
        var ops = ProlongationOperators.Create(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), withDistances: true);
        return (ops, new ProlongationObjective(ops, s, alpha, beta));
    }

    /// <summary>Eq. (3.3) written with dense matrices in autograd, as an independent reference.</summary>
    private static Tensor ReferenceCost(Tensor p, ProlongationOperators ops, double s, ScaleParameter alpha, ScaleParameter beta)
    {
        var l1 = GraphOperators.Laplacian(ops.Coarse);
        var l2 = GraphOperators.Laplacian(ops.Fine);
        var t1 = GraphOperators.HopDistances(ops.Coarse);
        var t2 = GraphOperators.HopDistances(ops.Fine);
        Tensor a = alpha.Value is { } av ? tensor(av, ScalarType.Float64) : linalg.norm(p.matmul(l1)) / linalg.norm(l2.matmul(p));
        Tensor b = beta.Value is { } bv ? tensor(bv, ScalarType.Float64) : linalg.norm(p.matmul(t1)) / linalg.norm(t2.matmul(p));
        var d = (p.matmul(l1) / a.sqrt() - l2.matmul(p) * a.sqrt()).square().sum();
        var t = (p.matmul(t1) / b.sqrt() - t2.matmul(p) * b.sqrt()).square().sum();
        return d * (1 - s) + t * s;
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.5, false)]
    [InlineData(1.0, false)]
    [InlineData(0.3, true)]
    public void GradientMatchesAutogradAnywhere(double s, bool auto)
    {
        using var scope = NewDisposeScope();
        var alpha = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(1.3);
        var beta = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(0.4);
        var (ops, objective) = Make("cycle:6", "path:11", s, alpha, beta);
        using var _ = ops;
        // Off the manifold on purpose: the written formula holds for any P.
        var p = randn(11, 6, dtype: ScalarType.Float64, generator: new Generator(1)).requires_grad_(true);
        var reference = ReferenceCost(p, ops, s, alpha, beta);
        reference.backward();
        Assert.Equal(reference.item<double>(), objective.Cost(p.detach()), 9);
        var analytic = objective.EuclideanGradient(p.detach());
        var scale = p.grad!.abs().max().item<double>();
        Assert.True(analytic.allclose(p.grad!, rtol: 1e-10, atol: 1e-10 * scale), "analytic gradient differs from autograd");
    }

    [Fact]
    public void GradientMatchesCentralFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var (ops, objective) = Make("path:5", "grid:3x3", 0.5, ScaleParameter.Fixed(0.8), ScaleParameter.Fixed(5.0 / 9));
        using var _ = ops;
        var gen = new Generator(9);
        var p = randn(9, 5, dtype: ScalarType.Float64, generator: gen);
        var g = objective.EuclideanGradient(p);
        var direction = randn(9, 5, dtype: ScalarType.Float64, generator: gen);
        double h = 1e-5;
        double fd = (objective.Cost(p + direction * h) - objective.Cost(p - direction * h)) / (2 * h);
        double analytic = (g * direction).sum().item<double>();
        Assert.Equal(analytic, fd, Math.Max(1e-6, 1e-8 * Math.Abs(analytic)));
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.5, false)]
    [InlineData(0.5, true)]
    [InlineData(1.0, true)]
    public void OnManifoldEvaluationAgreesWithTheWrittenFormula(double s, bool auto)
    {
        using var scope = NewDisposeScope();
        var alpha = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(1.0);
        var beta = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(0.5);
        var (ops, objective) = Make("cycle:8", "cycle:16", s, alpha, beta);
        using var _ = ops;
        var p = objective.Stiefel.RandomPoint(new Generator(3));
        using var evaluation = objective.Evaluate(p);
        var terms = objective.Terms(p);
        Assert.Equal(terms.Objective, evaluation.Cost, 1e-9 * Math.Max(1, terms.Objective));
        var expected = objective.Stiefel.Project(p, objective.EuclideanGradient(p));
        var actual = evaluation.RiemannianGradient();
        Assert.True(actual.allclose(expected, rtol: 1e-9, atol: 1e-9 * expected.abs().max().item<double>()));
    }

    [Fact]
    public void AutoScalesAreTheClosedFormMinimizers()
    {
        using var scope = NewDisposeScope();
        var (ops, objective) = Make("path:6", "path:12", 0.5, ScaleParameter.Auto, ScaleParameter.Auto);
        using var _ = ops;
        var p = objective.Stiefel.RandomPoint(new Generator(8));
        var terms = objective.Terms(p);
        foreach (var factor in new[] { 0.9, 1.1 })
        {
            var moved = new ProlongationObjective(ops, 0.5, ScaleParameter.Fixed(terms.Alpha * factor), ScaleParameter.Fixed(terms.Beta * factor)).Terms(p);
            Assert.True(moved.Diffusion > terms.Diffusion);
            Assert.True(moved.Locality > terms.Locality);
        }
    }

    [Fact]
    public void RejectsBadInput()
    {
        var path = GraphFactory.Path(4);
        Assert.Throws<MultiscaleException>(() => ProlongationOperators.Create(GraphFactory.Path(8), path, false));
        using var ops = ProlongationOperators.Create(path, GraphFactory.Path(8), false);
        Assert.Throws<MultiscaleException>(() => new ProlongationObjective(ops, 1.5, ScaleParameter.Auto, ScaleParameter.Auto));
        Assert.Throws<MultiscaleException>(() => ScaleParameter.Parse("-1", "--alpha"));
        Assert.Throws<MultiscaleException>(() => ScaleParameter.Parse("big", "--alpha"));
        Assert.True(ScaleParameter.Parse("AUTO", "--alpha").IsAuto);
    }
}
