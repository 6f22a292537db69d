using Multiscale.Graphs;
using Multiscale.Manifolds;
using Multiscale.Optimization;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

/// <summary>The exact Riemannian Hessian of eq. (3.3) against finite differences, autograd, and its symmetry.</summary>
public class RiemannianHessianTests
{
    public static TheoryData<string, string, double, bool, bool> Cases => new()
    {
        { "path:5", "path:10", 0.5, false, false },
        { "path:5", "path:10", 0.5, true, false },
        { "path:5", "grid:3x3", 0.0, true, false },
        { "cycle:6", "path:11", 1.0, true, false },
        { "path:5", "path:10", 0.5, true, true },
        { "cycle:6", "cycle:12", 0.3, false, true },
        { "grid:2x3", "grid:4x3", 1.0, true, true },
    };

    private static (ProlongationOperators Ops, IRiemannianProblem Problem, IDisposable? Frame) Make(string coarse, string fine, double s, bool auto, bool frame)
    {
        var ops = ProlongationOperators.Create(GraphSpec.Parse(coarse), GraphSpec.Parse(fine), withDistances: true);
        var alpha = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(1.3);
        var beta = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(0.4);
        if (!frame) return (ops, new ProlongationObjective(ops, s, alpha, beta), null);
        var spectral = new SpectralFrameObjective(ops, s, alpha, beta);
        return (ops, spectral, spectral);
    }

    private static double Dot(Tensor a, Tensor b) => (a * b).sum().item<double>();

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesCentralDifferencesOfTheRiemannianGradient(string coarse, string fine, double s, bool auto, bool frame)
    {
        using var scope = NewDisposeScope();
        var (ops, problem, owned) = Make(coarse, fine, s, auto, frame);
        using var _ = ops;
        using var __ = owned;
        var m = problem.Manifold;
        var gen = new Generator(7);
        var x = m.RandomPoint(gen);
        var u = m.RandomTangent(x, gen);
        using var at = (IHessianEvaluation)problem.Evaluate(x);
        var exact = at.RiemannianHessian(u);
        double t = 1e-5;
        using var plus = problem.Evaluate(m.Retract(x, u * t));
        using var minus = problem.Evaluate(m.Retract(x, u * -t));
        var fd = m.Project(x, plus.RiemannianGradient() - minus.RiemannianGradient()) / (2 * t);
        double error = linalg.norm(exact - fd).item<double>(), size = linalg.norm(exact).item<double>();
        Assert.True(error <= 1e-6 * Math.Max(size, 1), $"‖H u − FD‖ = {error}, ‖H u‖ = {size}");
        Assert.True(m.ConstraintError(x) < 1e-12);
        // The result is tangent: Xᵀ(Hu) is skew.
        var xth = x.T.matmul(exact);
        Assert.True(linalg.norm(xth + xth.T).item<double>() <= 1e-10 * Math.Max(size, 1));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsSymmetric(string coarse, string fine, double s, bool auto, bool frame)
    {
        using var scope = NewDisposeScope();
        var (ops, problem, owned) = Make(coarse, fine, s, auto, frame);
        using var _ = ops;
        using var __ = owned;
        var m = problem.Manifold;
        var gen = new Generator(21);
        var x = m.RandomPoint(gen);
        var u = m.RandomTangent(x, gen);
        var v = m.RandomTangent(x, gen);
        using var at = (IHessianEvaluation)problem.Evaluate(x);
        double uhv = Dot(u, at.RiemannianHessian(v)), hu_v = Dot(at.RiemannianHessian(u), v);
        Assert.Equal(uhv, hu_v, Math.Max(1e-9, 1e-11 * Math.Abs(uhv)));
    }

    /// <summary>
    /// Eq. (3.3) as written, in dense autograd (auto scales as ‖a‖/‖b‖ ratios of the written norms); its Euclidean
    /// Hessian by double backward, turned Riemannian by the Stiefel formula, must equal the evaluation's product —
    /// the written function and the on-manifold one the solver uses agree on the manifold, so their Riemannian
    /// Hessians agree there.
    /// </summary>
    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.5, false)]
    [InlineData(0.5, true)]
    [InlineData(1.0, true)]
    public void MatchesAutogradOfTheWrittenFormula(double s, bool auto)
    {
        using var scope = NewDisposeScope();
        var (ops, problem, _) = Make("cycle:5", "path:9", s, auto, frame: false);
        using var __ = ops;
        var stiefel = (Stiefel)problem.Manifold;
        var gen = new Generator(3);
        var x = stiefel.RandomPoint(gen);
        var u = stiefel.RandomTangent(x, gen);

        var l1 = GraphOperators.Laplacian(ops.Coarse);
        var l2 = GraphOperators.Laplacian(ops.Fine);
        var t1 = GraphOperators.HopDistances(ops.Coarse);
        var t2 = GraphOperators.HopDistances(ops.Fine);
        var p = x.clone().requires_grad_(true);
        Tensor a = auto ? linalg.norm(p.matmul(l1)) / linalg.norm(l2.matmul(p)) : tensor(1.3, ScalarType.Float64);
        Tensor b = auto ? linalg.norm(p.matmul(t1)) / linalg.norm(t2.matmul(p)) : tensor(0.4, ScalarType.Float64);
        var cost = (p.matmul(l1) / a.sqrt() - l2.matmul(p) * a.sqrt()).square().sum() * (1 - s)
                 + (p.matmul(t1) / b.sqrt() - t2.matmul(p) * b.sqrt()).square().sum() * s;
        var egrad = torch.autograd.grad(new List<Tensor> { cost }, new List<Tensor> { p }, retain_graph: true, create_graph: true)[0];
        var ehess = torch.autograd.grad(new List<Tensor> { (egrad * u).sum() }, new List<Tensor> { p })[0];
        var reference = stiefel.EuclideanToRiemannianHessian(x, egrad.detach(), ehess.detach(), u);

        using var at = (IHessianEvaluation)problem.Evaluate(x);
        Assert.Equal(cost.item<double>(), at.Cost, 9);
        var exact = at.RiemannianHessian(u);
        double scale = linalg.norm(reference).item<double>();
        Assert.True(exact.allclose(reference, rtol: 1e-9, atol: 1e-9 * scale), $"‖H u − autograd‖ = {linalg.norm(exact - reference).item<double>()} of {scale}");
    }
}
