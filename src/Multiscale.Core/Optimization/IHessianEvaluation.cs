using static TorchSharp.torch;

namespace Multiscale.Optimization;

/// <summary>A point evaluation that also applies the exact Riemannian Hessian (what a second-order optimizer needs).</summary>
public interface IHessianEvaluation : IPointEvaluation
{
    /// <summary>
    /// Hess f(x)[u] for a tangent vector u at x, a new tangent vector owned by the caller. Products that do not depend
    /// on u (the Euclidean gradient, the curvature term of the manifold) are computed once per evaluation.
    /// </summary>
    Tensor RiemannianHessian(Tensor tangent);
}
