using Multiscale.Manifolds;
using Multiscale.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>The value of eq. (3.3) at one P, with its two terms unweighted.</summary>
/// <param name="Objective">E = (1−s)·Diffusion + s·Locality.</param>
/// <param name="Diffusion">‖α^{-1/2} P L₁ − α^{1/2} L₂ P‖²_F.</param>
/// <param name="Locality">‖β^{-1/2} P T₁ − β^{1/2} T₂ P‖²_F (0 when s = 0).</param>
/// <param name="Alpha">α used (the optimum for P when α is auto).</param>
/// <param name="Beta">β used (the optimum for P when β is auto).</param>
public readonly record struct ObjectiveTerms(double Objective, double Diffusion, double Locality, double Alpha, double Beta);

/// <summary>
/// The prolongation objective of paper 004, eq. (3.3):
/// E(P, α, β) = (1−s)‖α^{-1/2} P L₁ − α^{1/2} L₂ P‖²_F + s‖β^{-1/2} P T₁ − β^{1/2} T₂ P‖²_F over P ∈ St(n₂, n₁),
/// with an analytic gradient. Laplacians are applied sparsely; T products are dense.
/// </summary>
/// <remarks>
/// <see cref="Terms"/> and <see cref="EuclideanGradient"/> use the formula as written (valid for any P).
/// <see cref="Evaluate"/> — what the optimizer calls — uses that PᵀP = I on the manifold: ‖P T₁‖² = ‖T₁‖², so
/// E_T = ‖T₁‖²/β − 2⟨T₂ P T₁, P⟩ + β‖T₂ P‖², and the dropped gradient part 2 P T₁²/β is normal to the manifold.
/// That saves one n₂·n₁² product per evaluation and shares T₂ P between cost and gradient.
/// </remarks>
public sealed class ProlongationObjective : IRiemannianProblem, IObjectiveOperators
{
    private readonly ProlongationOperators _ops;
    private readonly Stiefel _manifold;

    /// <summary>Creates the objective; s ∈ [0, 1]; s &gt; 0 needs operators built with distances.</summary>
    public ProlongationObjective(ProlongationOperators operators, double s, ScaleParameter alpha, ScaleParameter beta,
        StiefelRetraction retraction = StiefelRetraction.Qr)
    {
        ValidateSetup(operators, s);
        _ops = operators;
        S = s;
        Alpha = alpha;
        Beta = beta;
        _manifold = new Stiefel(operators.FineSize, operators.CoarseSize, retraction, operators.Device);
    }

    /// <summary>The checks every frame of the objective makes of its operators and s.</summary>
    internal static void ValidateSetup(ProlongationOperators operators, double s)
    {
        ArgumentNullException.ThrowIfNull(operators);
        if (!(s >= 0 && s <= 1)) throw new MultiscaleException($"s must be in [0, 1] (got {s})");
        if (s > 0 && !operators.HasDistances) throw new ArgumentException("s > 0 needs operators built with distances", nameof(operators));
    }

    /// <summary>Weight of the locality term.</summary>
    public double S { get; }

    /// <summary>The α policy.</summary>
    public ScaleParameter Alpha { get; }

    /// <summary>The β policy.</summary>
    public ScaleParameter Beta { get; }

    /// <summary>The operators.</summary>
    public ProlongationOperators Operators => _ops;

    /// <inheritdoc />
    public IManifold Manifold => _manifold;

    /// <summary>The Stiefel manifold St(n₂, n₁).</summary>
    public Stiefel Stiefel => _manifold;

    private bool UsesDiffusion => S < 1;
    private bool UsesLocality => S > 0;

    /// <summary>E and its two unweighted terms at P, by the formula as written.</summary>
    public ObjectiveTerms Terms(Tensor p)
    {
        using var scope = NewDisposeScope();
        double diffusion = 0, locality = 0, alpha = Alpha.Value ?? 1, beta = Beta.Value ?? 1;
        {
            var x = RightMultiply(p, _ops.L1);
            var y = _ops.L2.mm(p);
            alpha = ResolveScale(Alpha, x, y);
            diffusion = Norm2(x / Math.Sqrt(alpha) - y * Math.Sqrt(alpha));
        }
        if (_ops.HasDistances)
        {
            var n = p.matmul(_ops.T1!);
            var m = _ops.T2!.matmul(p);
            beta = ResolveScale(Beta, n, m);
            locality = Norm2(n / Math.Sqrt(beta) - m * Math.Sqrt(beta));
        }
        return new ObjectiveTerms((1 - S) * diffusion + S * locality, diffusion, locality, alpha, beta);
    }

    /// <summary>E(P) by the formula as written.</summary>
    public double Cost(Tensor p) => Terms(p).Objective;

    /// <summary>
    /// ∂E/∂P by the formula as written: 2(1−s)(R_L L₁/√α − √α L₂ R_L) + 2s(R_T T₁/√β − √β T₂ R_T) with the residuals
    /// R; for auto scales, at α*(P), β*(P).
    /// </summary>
    public Tensor EuclideanGradient(Tensor p)
    {
        using var scope = NewDisposeScope();
        var gradient = zeros_like(p);
        if (UsesDiffusion)
        {
            var x = RightMultiply(p, _ops.L1);
            var y = _ops.L2.mm(p);
            double a = ResolveScale(Alpha, x, y), sa = Math.Sqrt(a);
            var r = x / sa - y * sa;
            gradient += (RightMultiply(r, _ops.L1) / sa - _ops.L2.mm(r) * sa) * (2 * (1 - S));
        }
        if (UsesLocality)
        {
            var n = p.matmul(_ops.T1!);
            var m = _ops.T2!.matmul(p);
            double b = ResolveScale(Beta, n, m), sb = Math.Sqrt(b);
            var r = n / sb - m * sb;
            gradient += (r.matmul(_ops.T1!) / sb - _ops.T2!.matmul(r) * sb) * (2 * S);
        }
        return gradient.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public IPointEvaluation Evaluate(Tensor x) => new OnManifoldEvaluation(this, _manifold, S, Alpha, Beta, x);

    Tensor IObjectiveOperators.RightL1(Tensor x) => RightMultiply(x, _ops.L1);
    Tensor IObjectiveOperators.LeftL2(Tensor x) => _ops.L2.mm(x);
    Tensor IObjectiveOperators.LeftT2(Tensor x) => _ops.T2!.matmul(x);
    Tensor IObjectiveOperators.RightT1(Tensor x) => x.matmul(_ops.T1!);
    double IObjectiveOperators.T1NormSquared => _ops.T1NormSquared;

    private SpectralFrameObjective? _preconditionerFrame;

    /// <inheritdoc />
    public bool HasPreconditioner => _preconditionerFrame is not null;

    /// <summary>
    /// The preconditioner of <see cref="SpectralFrameObjective"/> used from this (original) frame: rotate into the
    /// eigenframe of T (of L when s = 0), divide by the diagonal Hessian model there, rotate back, project. It costs one
    /// eigendecomposition of each operator and four dense products per application; <paramref name="alpha"/>,
    /// <paramref name="beta"/> are the scales to build with (for auto policies, their values at the start point).
    /// </summary>
    public void EnablePreconditioner(double alpha, double beta, double regularization = 1e-3)
    {
        DisablePreconditioner();
        _preconditionerFrame = new SpectralFrameObjective(_ops, S, Alpha, Beta, _manifold.Retraction);
        _preconditionerFrame.EnablePreconditioner(alpha, beta, regularization);
    }

    /// <summary>Drops the preconditioner (the optimizer then uses the identity).</summary>
    public void DisablePreconditioner()
    {
        _preconditionerFrame?.Dispose();
        _preconditionerFrame = null;
    }

    /// <inheritdoc />
    public Tensor Precondition(Tensor x, Tensor tangent)
    {
        if (_preconditionerFrame is not { } frame) return tangent.clone();
        using var scope = NewDisposeScope();
        var scaled = frame.FromFrame(frame.ScaleByInverseCurvature(frame.ToFrame(tangent)));
        return _manifold.Project(x, scaled).MoveToOuterDisposeScope();
    }

    /// <summary>X·L for a sparse symmetric L, as (L·Xᵀ)ᵀ (sparse × dense is what the backend provides).</summary>
    private static Tensor RightMultiply(Tensor x, Tensor symmetricSparse) => symmetricSparse.mm(x.T).T;

    private static double Norm2(Tensor t) => OnManifoldEvaluation.Norm2(t);

    /// <summary>Auto scales are kept in [1/this, this]: the closed-form optimum clamped (the 1-D cost is convex).</summary>
    public const double MaxAutoScale = 1e6;

    /// <summary>Scale for residual a/√s − √s·b: fixed, or s* = ‖a‖/‖b‖ clamped (1 when either vanishes).</summary>
    private static double ResolveScale(ScaleParameter scale, Tensor a, Tensor b)
    {
        if (scale.Value is { } fixedValue) return fixedValue;
        return AutoScale(Norm2(a), Norm2(b));
    }

    /// <summary>True when the closed-form scale is strictly inside the clamp (so it moves with P).</summary>
    internal static bool IsInteriorAutoScale(double aNorm2, double bNorm2)
    {
        if (!(aNorm2 > 0 && bNorm2 > 0)) return false;
        double raw = Math.Sqrt(aNorm2 / bNorm2);
        return raw > 1 / MaxAutoScale && raw < MaxAutoScale;
    }

    internal static double AutoScale(double aNorm2, double bNorm2) =>
        aNorm2 > 0 && bNorm2 > 0 ? Math.Clamp(Math.Sqrt(aNorm2 / bNorm2), 1 / MaxAutoScale, MaxAutoScale) : 1.0;
}
