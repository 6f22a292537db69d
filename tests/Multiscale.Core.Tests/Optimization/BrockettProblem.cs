using Multiscale.Manifolds;
using Multiscale.Optimization;
using static TorchSharp.torch;

namespace Multiscale.Tests.Optimization;

/// <summary>
/// The Brockett cost f(X) = tr(XᵀAXN) on St(n, p), N = diag(p, …, 1): a toy problem with a closed-form minimum
/// (Σᵢ Nᵢλᵢ with A's p smallest eigenvalues λ₁ ≤ … ≤ λ_p, the smallest paired with the largest weight) and an exact
/// Hessian (egrad = 2AXN, ehess[U] = 2AUN). Pymanopt's optimizer tests use such toy problems.
/// </summary>
internal sealed class BrockettProblem : IRiemannianProblem
{
    private readonly Tensor _a, _n;

    public BrockettProblem(Tensor symmetric, int p)
    {
        _a = symmetric;
        _n = diag(arange(p, 0, -1, dtype: ScalarType.Float64));
        Stiefel = new Stiefel((int)symmetric.shape[0], p);
    }

    public Stiefel Stiefel { get; }

    public IManifold Manifold => Stiefel;

    /// <summary>Σᵢ (p + 1 − i) λᵢ over the p smallest eigenvalues.</summary>
    public double Minimum
    {
        get
        {
            using var scope = NewDisposeScope();
            var values = linalg.eigvalsh(_a).narrow(0, 0, Stiefel.P);
            return (values * _n.diagonal()).sum().item<double>();
        }
    }

    public IPointEvaluation Evaluate(Tensor x) => new Point(this, x);

    private sealed class Point : IHessianEvaluation
    {
        private readonly BrockettProblem _problem;
        private readonly Tensor _x, _egrad;
        private Tensor? _gradient;

        public Point(BrockettProblem problem, Tensor x)
        {
            _problem = problem;
            _x = x;
            using var scope = NewDisposeScope();
            var ax = problem._a.matmul(x);
            Cost = (x * ax.matmul(problem._n)).sum().item<double>();
            _egrad = (ax.matmul(problem._n) * 2).DetachFromDisposeScope();
        }

        public double Cost { get; }

        public Tensor RiemannianGradient()
        {
            if (_gradient is not null) return _gradient;
            using var scope = NewDisposeScope();
            _gradient = _problem.Stiefel.EuclideanToRiemannianGradient(_x, _egrad).DetachFromDisposeScope();
            return _gradient;
        }

        public Tensor RiemannianHessian(Tensor u)
        {
            using var scope = NewDisposeScope();
            var ehess = _problem._a.matmul(u).matmul(_problem._n) * 2;
            return _problem.Stiefel.EuclideanToRiemannianHessian(_x, _egrad, ehess, u).MoveToOuterDisposeScope();
        }

        public void Dispose()
        {
            _egrad.Dispose();
            _gradient?.Dispose();
        }
    }
}
