using static TorchSharp.torch;

namespace Multiscale.Manifolds;

/// <summary>
/// A Riemannian manifold embedded in a space of matrices, with the operations a first-order optimizer needs
/// (Pymanopt's separation: the manifold knows geometry, the problem knows the cost, the optimizer knows the loop).
/// Every returned tensor is new and owned by the caller.
/// </summary>
public interface IManifold
{
    /// <summary>Short description, e.g. "Stiefel(128, 64)".</summary>
    string Name { get; }

    /// <summary>Dimension of the manifold.</summary>
    long Dimension { get; }

    /// <summary>Riemannian metric ⟨u, v⟩ at x.</summary>
    double Inner(Tensor x, Tensor u, Tensor v);

    /// <summary>Norm of a tangent vector at x.</summary>
    double Norm(Tensor x, Tensor u);

    /// <summary>Orthogonal projection of an ambient vector onto the tangent space at x.</summary>
    Tensor Project(Tensor x, Tensor u);

    /// <summary>The Riemannian gradient from the Euclidean gradient of a cost defined around the manifold.</summary>
    Tensor EuclideanToRiemannianGradient(Tensor x, Tensor euclideanGradient);

    /// <summary>
    /// The Riemannian Hessian applied to tangent u at x, from the Euclidean gradient at x and the Euclidean Hessian
    /// applied to u, of a cost defined around the manifold.
    /// </summary>
    Tensor EuclideanToRiemannianHessian(Tensor x, Tensor euclideanGradient, Tensor euclideanHessian, Tensor u);

    /// <summary>A retraction R_x(u): a point on the manifold, first-order equal to x + u.</summary>
    Tensor Retract(Tensor x, Tensor u);

    /// <summary>Transports tangent vector u at <paramref name="from"/> into the tangent space at <paramref name="to"/>.</summary>
    Tensor Transport(Tensor from, Tensor to, Tensor u);

    /// <summary>A random point, drawn with the given generator (reproducible for a seed).</summary>
    Tensor RandomPoint(Generator generator);

    /// <summary>A random unit-norm tangent vector at x.</summary>
    Tensor RandomTangent(Tensor x, Generator generator);

    /// <summary>How far x is from satisfying the manifold's constraint (0 on the manifold).</summary>
    double ConstraintError(Tensor x);
}
