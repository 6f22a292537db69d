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
internal sealed class OnManifoldEvaluation : IPointEvaluation
{
    private readonly IObjectiveOperators _ops;
    private readonly Stiefel _manifold;
    private readonly double _s;
    private readonly Tensor _p;
    private readonly Tensor? _residual;   // R_L = P L₁/√α − √α L₂ P
    private readonly Tensor? _m;          // T₂ P
    private readonly Tensor? _k;          // T₂ P T₁
    private readonly double _alpha, _beta;
    private Tensor? _gradient;

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
            _alpha = alpha.Value ?? ProlongationObjective.AutoScale(Norm2(x), Norm2(y));
            double sa = Math.Sqrt(_alpha);
            _residual = (x / sa - y * sa).DetachFromDisposeScope();
            cost += (1 - s) * Norm2(_residual);
        }
        if (s > 0)
        {
            _m = ops.LeftT2(p).DetachFromDisposeScope();
            _k = ops.RightT1(_m).DetachFromDisposeScope();
            double m2 = Norm2(_m), cross = (_k * p).sum().item<double>();
            _beta = beta.Value ?? ProlongationObjective.AutoScale(ops.T1NormSquared, m2);
            cost += s * (ops.T1NormSquared / _beta - 2 * cross + _beta * m2);
        }
        Cost = cost;
    }

    public double Cost { get; }

    public Tensor RiemannianGradient()
    {
        if (_gradient is not null) return _gradient;
        using var scope = NewDisposeScope();
        var egrad = zeros_like(_p);
        if (_residual is not null)
        {
            double sa = Math.Sqrt(_alpha);
            egrad += (_ops.RightL1(_residual) / sa - _ops.LeftL2(_residual) * sa) * (2 * (1 - _s));
        }
        if (_m is not null)
            egrad += (_ops.LeftT2(_m) * (2 * _beta) - _k! * 4) * _s;
        _gradient = _manifold.Project(_p, egrad).DetachFromDisposeScope();
        return _gradient;
    }

    public void Dispose()
    {
        _residual?.Dispose();
        _m?.Dispose();
        _k?.Dispose();
        _gradient?.Dispose();
    }

    /// <summary>‖t‖²_F.</summary>
    internal static double Norm2(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.square().sum().item<double>();
    }
}
