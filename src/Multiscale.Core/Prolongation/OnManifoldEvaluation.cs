using Multiscale.Manifolds;
using Multiscale.Optimization;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>How eq. (3.3)'s four operators act on an n₂ × n₁ matrix, in whatever frame an objective works.</summary>
internal interface IObjectiveOperators
{
    /// <summary>X·L₁.</summary>
    Tensor RightL1(Tensor x);

    /// <summary>L₂·X.</summary>
    Tensor LeftL2(Tensor x);

    /// <summary>T₂·X.</summary>
    Tensor LeftT2(Tensor x);

    /// <summary>X·T₁.</summary>
    Tensor RightT1(Tensor x);

    /// <summary>‖T₁‖²_F, which is ‖P T₁‖²_F on the Stiefel manifold.</summary>
    double T1NormSquared { get; }
}

/// <summary>
/// Eq. (3.3) at a point of the Stiefel manifold, sharing products between cost and gradient. It uses PᵀP = I:
/// ‖P T₁‖² = ‖T₁‖², so E_T = ‖T₁‖²/β − 2⟨T₂ P T₁, P⟩ + β‖T₂ P‖², and the gradient part 2 P T₁²/β it drops is normal
/// to the manifold; the diffusion term is evaluated as written. Auto scales take their closed-form optimum.
/// </summary>
internal sealed class OnManifoldEvaluation : IHessianEvaluation
{
    private readonly IObjectiveOperators _ops;
    private readonly Stiefel _manifold;
    private readonly double _s;
    private readonly Tensor _p;
    private readonly Tensor? _residual;   // R_L = P L₁/√α − √α L₂ P
    private readonly Tensor? _m;          // T₂ P
    private readonly Tensor? _k;          // T₂ P T₁
    private readonly Tensor? _x, _y;      // P L₁ and L₂ P, kept only when α is auto (its Hessian correction needs them)
    private readonly double _alpha, _beta;
    private readonly bool _alphaFree, _betaFree;  // auto and strictly inside the clamp: the envelope correction applies
    private readonly double _a, _b, _m2;          // ‖P L₁‖², ‖L₂ P‖², ‖T₂ P‖²
    private Tensor? _gradient, _euclideanGradient, _weingarten;
    private Tensor? _gradA, _gradB, _gradM;       // ∇‖PL₁‖² = 2 P L₁², ∇‖L₂P‖² = 2 L₂² P, ∇‖T₂P‖² = 2 T₂² P

    public OnManifoldEvaluation(IObjectiveOperators ops, Stiefel manifold, double s, ScaleParameter alpha, ScaleParameter beta, Tensor p)
    {
        _ops = ops;
        _manifold = manifold;
        _s = s;
        _p = p;
        double cost = 0;
        using var scope = NewDisposeScope();
        if (s < 1)
        {
            var x = ops.RightL1(p);
            var y = ops.LeftL2(p);
            // ‖PL₁‖² and ‖L₂P‖² serve only an auto α (its closed form and Hessian correction): a fixed α skips the
            // two passes (and the copy of the transposed PL₁).
            if (alpha.IsAuto)
            {
                _a = Norm2(x);
                _b = Norm2(y);
            }
            _alpha = alpha.Value ?? ProlongationObjective.AutoScale(_a, _b);
            _alphaFree = alpha.IsAuto && ProlongationObjective.IsInteriorAutoScale(_a, _b);
            if (_alphaFree)
            {
                _x = x.DetachFromDisposeScope();
                _y = y.DetachFromDisposeScope();
            }
            double sa = Math.Sqrt(_alpha);
            // x/√α − √α·y = (x − α·y)/√α, in two passes without temporaries.
            _residual = x.add(y, alpha: -_alpha).div_(sa).DetachFromDisposeScope();
            cost += (1 - s) * Norm2(_residual);
        }
        if (s > 0)
        {
            _m = ops.LeftT2(p).DetachFromDisposeScope();
            _k = ops.RightT1(_m).DetachFromDisposeScope();
            double m2 = Norm2(_m), cross = Dot(_k, p);
            _m2 = m2;
            _beta = beta.Value ?? ProlongationObjective.AutoScale(ops.T1NormSquared, m2);
            _betaFree = beta.IsAuto && ProlongationObjective.IsInteriorAutoScale(ops.T1NormSquared, m2);
            cost += s * (ops.T1NormSquared / _beta - 2 * cross + _beta * m2);
        }
        Cost = cost;
    }

    public double Cost { get; }

    /// <summary>The point evaluated (not owned).</summary>
    internal Tensor Point => _p;

    /// <summary>True once disposed.</summary>
    internal bool IsDisposed { get; private set; }

    /// <summary>The Euclidean gradient of <see cref="EuclideanGradient"/> (owned by this evaluation).</summary>
    internal Tensor EuclideanGradientTensor
    {
        get
        {
            RiemannianGradient();
            return _euclideanGradient!;
        }
    }

    public Tensor RiemannianGradient()
    {
        if (_gradient is not null) return _gradient;
        using var scope = NewDisposeScope();
        _euclideanGradient = EuclideanGradient().DetachFromDisposeScope();
        _gradient = _manifold.Project(_p, _euclideanGradient).DetachFromDisposeScope();
        return _gradient;
    }

    /// <summary>
    /// The Euclidean gradient of the function this evaluation implements around the manifold: the diffusion residual
    /// norm as written and, for the locality term, ‖T₁‖²/β − 2⟨T₂PT₁, P⟩ + β‖T₂P‖² (equal to eq. 3.3 on the manifold).
    /// With auto scales it is the partial gradient at the optimal scale (envelope theorem).
    /// </summary>
    private Tensor EuclideanGradient()
    {
        // Accumulated in place (add_ with a scale) on the first fresh product: every n₂ × n₁ temporary is a full pass
        // over memory, which on this loop costs as much as a small product.
        Tensor? egrad = null;
        if (_residual is not null)
        {
            double sa = Math.Sqrt(_alpha), c = 2 * (1 - _s);
            egrad = _ops.LeftL2(_residual).mul_(-c * sa).add_(_ops.RightL1(_residual), alpha: c / sa);
        }
        if (_m is not null)
        {
            var t2m = _ops.LeftT2(_m);
            if (egrad is null) egrad = t2m.mul(2 * _beta * _s);
            else egrad.add_(t2m, alpha: 2 * _beta * _s);
            egrad.add_(_k!, alpha: -4 * _s);
            // ∇‖T₂P‖² = 2 T₂²P is needed again only by the Hessian's auto-β correction.
            if (_betaFree) _gradM = t2m.mul_(2).DetachFromDisposeScope();
        }
        return egrad ?? zeros_like(_p);
    }

    /// <summary>
    /// Hess E(P)[U] = Proj(ehess[U] − U·sym(Pᵀ egrad)) (<see cref="Stiefel.EuclideanToRiemannianHessian"/>, with
    /// sym(Pᵀ egrad) computed once per point). The Euclidean Hessian at fixed scales is linear in U:
    /// 2(1−s)(R(U)L₁/√α − √α L₂R(U)) with R(U) = U L₁/√α − √α L₂ U, plus s(2β T₂²U − 4 T₂UT₁). An auto scale
    /// minimizes a/σ − 2c + σb in closed form (σ* = √(a/b)); differentiating σ* adds the low-rank term
    /// ½(⟨∇a,U⟩/a − ⟨∇b,U⟩/b)(σ*∇b − ∇a/σ*), which vanishes when the scale sits on its clamp.
    /// </summary>
    public Tensor RiemannianHessian(Tensor u)
    {
        var weingarten = Weingarten;
        using var scope = NewDisposeScope();
        var h = zeros_like(u);
        if (_residual is not null)
        {
            double sa = Math.Sqrt(_alpha);
            var ru = _ops.RightL1(u) / sa - _ops.LeftL2(u) * sa;
            h += (_ops.RightL1(ru) / sa - _ops.LeftL2(ru) * sa) * (2 * (1 - _s));
            if (_alphaFree)
            {
                if (_gradA is null)
                {
                    _gradA = (_ops.RightL1(_x!) * 2).DetachFromDisposeScope();
                    _gradB = (_ops.LeftL2(_y!) * 2).DetachFromDisposeScope();
                }
                double rate = 0.5 * (Dot(_gradA, u) / _a - Dot(_gradB!, u) / _b);
                h += (_gradB! * _alpha - _gradA / _alpha) * (rate * (1 - _s));
            }
        }
        if (_m is not null)
        {
            var tu = _ops.LeftT2(u);
            h += (_ops.LeftT2(tu) * (2 * _beta) - _ops.RightT1(tu) * 4) * _s;
            // a = ‖T₁‖² is constant here, so only ∇b = ∇‖T₂P‖² enters the correction.
            if (_betaFree) h -= _gradM! * (0.5 * _beta * Dot(_gradM!, u) / _m2 * _s);
        }
        return _manifold.Project(_p, h - u.matmul(weingarten)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// sym(Pᵀ egrad), the Stiefel curvature term of the Hessian (Hess E[U] = Proj(ehess[U] − U·sym(Pᵀ egrad))); computed
    /// once per point, owned by this evaluation.
    /// </summary>
    private Tensor Weingarten
    {
        get
        {
            if (_weingarten is not null) return _weingarten;
            RiemannianGradient();
            using var scope = NewDisposeScope();
            var ptg = _p.T.matmul(_euclideanGradient!);
            _weingarten = ((ptg + ptg.T) * 0.5).DetachFromDisposeScope();
            return _weingarten;
        }
    }

    private static double Dot(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.reshape(-1).dot(b.reshape(-1)).item<double>();
    }

    public void Dispose()
    {
        IsDisposed = true;
        _residual?.Dispose();
        _m?.Dispose();
        _k?.Dispose();
        _gradient?.Dispose();
        _euclideanGradient?.Dispose();
        _weingarten?.Dispose();
        _x?.Dispose(); _y?.Dispose();
        _gradA?.Dispose(); _gradB?.Dispose(); _gradM?.Dispose();
    }

    /// <summary>‖t‖²_F.</summary>
    internal static double Norm2(Tensor t)
    {
        using var scope = NewDisposeScope();
        var flat = t.reshape(-1);
        return flat.dot(flat).item<double>();
    }
}
