using Multiscale.Manifolds;
using static TorchSharp.torch;

namespace Multiscale.Optimization;

/// <summary>
/// A cost on a manifold. Evaluating a point returns an object that keeps whatever intermediate products the
/// gradient can reuse, so a line search that accepts a point does not pay for its products twice.
/// </summary>
public interface IRiemannianProblem
{
    /// <summary>The manifold the cost is minimized over.</summary>
    IManifold Manifold { get; }

    /// <summary>Evaluates the cost at x (a point on the manifold); the gradient is computed on demand.</summary>
    IPointEvaluation Evaluate(Tensor x);

    /// <summary>True when <see cref="Precondition"/> approximates the inverse Hessian.</summary>
    bool HasPreconditioner => false;

    /// <summary>
    /// A symmetric positive definite approximation of the inverse Riemannian Hessian applied to a tangent vector at x,
    /// returning a tangent vector (Pymanopt's preconditioner). The default is the identity.
    /// </summary>
    Tensor Precondition(Tensor x, Tensor tangent) => tangent.clone();
}

/// <summary>The cost at one point, and its Riemannian gradient computed on first request and cached.</summary>
public interface IPointEvaluation : IDisposable
{
    /// <summary>The cost.</summary>
    double Cost { get; }

    /// <summary>The Riemannian gradient (owned by this evaluation: do not dispose it; valid until Dispose).</summary>
    Tensor RiemannianGradient();
}
