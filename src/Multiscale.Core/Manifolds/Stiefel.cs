using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Manifolds;

/// <summary>How <see cref="Stiefel"/> maps a tangent step back onto the manifold.</summary>
public enum StiefelRetraction
{
    /// <summary>Q factor of a QR decomposition of X + U, signs fixed so diag(R) &gt; 0 (Pymanopt's default).</summary>
    Qr,

    /// <summary>Polar factor (X + U)(I + UᵀU)^(−1/2): the closest orthonormal matrix to X + U.</summary>
    Polar,
}

/// <summary>
/// The Stiefel manifold St(n, p) = { X ∈ ℝ^{n×p} : XᵀX = I_p }, n ≥ p, with the Euclidean (embedded) metric, in
/// float64 on one device. Prolongation maps (fine × coarse) live here.
/// </summary>
public sealed class Stiefel : IManifold
{
    private readonly Device _device;

    /// <summary>Creates St(n, p).</summary>
    public Stiefel(int n, int p, StiefelRetraction retraction = StiefelRetraction.Qr, Device? device = null)
    {
        if (p < 1 || n < p) throw new MultiscaleException($"Stiefel manifold St({n}, {p}) needs n ≥ p ≥ 1");
        N = n;
        P = p;
        Retraction = retraction;
        _device = device ?? CPU;
    }

    /// <summary>Rows (the fine size).</summary>
    public int N { get; }

    /// <summary>Columns (the coarse size).</summary>
    public int P { get; }

    /// <summary>The retraction in use.</summary>
    public StiefelRetraction Retraction { get; }

    /// <inheritdoc />
    public string Name => $"Stiefel({N}, {P})";

    /// <inheritdoc />
    public long Dimension => (long)N * P - (long)P * (P + 1) / 2;

    /// <inheritdoc />
    public double Inner(Tensor x, Tensor u, Tensor v)
    {
        using var scope = NewDisposeScope();
        // A BLAS dot over the flattened matrices: no n₂ × n₁ temporary (the CG loop takes several per iteration).
        return u.reshape(-1).dot(v.reshape(-1)).item<double>();
    }

    /// <inheritdoc />
    public double Norm(Tensor x, Tensor u)
    {
        using var n = linalg.norm(u);
        return n.item<double>();
    }

    /// <inheritdoc />
    public Tensor Project(Tensor x, Tensor u)
    {
        using var scope = NewDisposeScope();
        var xtu = x.T.matmul(u);
        var sym = (xtu + xtu.T) * 0.5;
        // u − x·sym in one fused product (addmm): no n₂ × n₁ temporary for x·sym.
        return addmm(u, x, sym, beta: 1, alpha: -1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor EuclideanToRiemannianGradient(Tensor x, Tensor euclideanGradient) => Project(x, euclideanGradient);

    /// <summary>
    /// Hess f(x)[u] = Proj_x(ehess[u] − u·sym(xᵀ egrad)) (Absil, Mahony &amp; Sepulchre 2008, §5.5; the embedded
    /// metric): the derivative of the projected gradient, with the normal part x·sym(…) removed by the projection. The
    /// term u·sym(xᵀ egrad) is not tangent by itself, hence the projection of the whole.
    /// </summary>
    public Tensor EuclideanToRiemannianHessian(Tensor x, Tensor euclideanGradient, Tensor euclideanHessian, Tensor u)
    {
        using var scope = NewDisposeScope();
        var xtg = x.T.matmul(euclideanGradient);
        var sym = (xtg + xtg.T) * 0.5;
        return Project(x, euclideanHessian - u.matmul(sym)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Retract(Tensor x, Tensor u)
    {
        using var scope = NewDisposeScope();
        var y = x + u;
        Tensor result;
        if (Retraction == StiefelRetraction.Qr)
        {
            result = QFactor(y);
        }
        else
        {
            var (values, vectors) = linalg.eigh(eye(P, dtype: y.dtype, device: y.device) + u.T.matmul(u));
            result = y.matmul(vectors.matmul(diag(values.rsqrt())).matmul(vectors.T));
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Transport(Tensor from, Tensor to, Tensor u) => Project(to, u);

    /// <inheritdoc />
    public Tensor RandomPoint(Generator generator)
    {
        using var scope = NewDisposeScope();
        var g = randn(N, P, dtype: ScalarType.Float64, generator: generator).to(_device);
        return QFactor(g).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor RandomTangent(Tensor x, Generator generator)
    {
        using var scope = NewDisposeScope();
        var g = randn(N, P, dtype: ScalarType.Float64, generator: generator).to(x.device);
        var t = Project(x, g);
        return (t / linalg.norm(t)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public double ConstraintError(Tensor x) => OrthogonalityError(x);

    /// <summary>Q of y = QR with diag(R) &gt; 0: QR is unique only up to column signs, and fixing them makes the map smooth.</summary>
    private static Tensor QFactor(Tensor y)
    {
        var (q, r) = linalg.qr(y);
        var signs = r.diagonal().sign();
        signs = where(signs.eq(0), ones_like(signs), signs);
        return q.mul_(signs);
    }

    /// <summary>‖XᵀX − I‖_F.</summary>
    public static double OrthogonalityError(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        var xd = x.to_type(ScalarType.Float64);
        var gram = xd.T.matmul(xd) - eye(xd.shape[1], dtype: ScalarType.Float64, device: xd.device);
        return linalg.norm(gram).item<double>();
    }
}
