using System.Diagnostics;
using static TorchSharp.torch;

namespace Multiscale.Optimization;

/// <summary>
/// The loop shared by first-order Riemannian optimizers: a search direction, an Armijo backtracking line search along
/// the retraction, and the stopping rules. Subclasses choose the direction.
/// </summary>
public abstract class RiemannianOptimizer : IRiemannianOptimizer
{
    /// <summary>Armijo sufficient-decrease constant c in f(R(αd)) ≤ f + c·α·⟨g, d⟩.</summary>
    public double SufficientDecrease { get; init; } = 1e-4;

    /// <summary>Factor by which a rejected step is shrunk.</summary>
    public double Contraction { get; init; } = 0.5;

    /// <summary>Backtracking trials per line search.</summary>
    public int MaxLineSearchSteps { get; init; } = 30;

    /// <summary>Factor on the quadratic-model guess of the first trial step (see <see cref="InitialStep"/>).</summary>
    public double Optimism { get; init; } = 1.0;

    private IRiemannianProblem? _problem;

    /// <summary>The problem's preconditioner applied to a tangent vector at x (identity when it has none).</summary>
    protected Tensor Precondition(Tensor x, Tensor tangent) =>
        UsesPreconditioner && _problem is { HasPreconditioner: true } p ? p.Precondition(x, tangent) : tangent.clone();

    /// <summary>True when <see cref="Precondition"/> is not the identity (so callers may skip its copy).</summary>
    protected bool IsPreconditioned => UsesPreconditioner && _problem is { HasPreconditioner: true };

    /// <summary>Whether this optimizer applies the problem's preconditioner.</summary>
    protected virtual bool UsesPreconditioner => true;

    /// <summary>Short name for reports ("cg", "sd").</summary>
    public abstract string Name { get; }

    /// <summary>Minimizes the problem from <paramref name="start"/> (not consumed; the result owns its own point).</summary>
    public OptimizationResult Optimize(IRiemannianProblem problem, Tensor start, StoppingCriteria? criteria = null,
        Action<IterationRecord>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(start);
        criteria ??= new StoppingCriteria();
        criteria.Validate();
        var manifold = problem.Manifold;
        var clock = Stopwatch.StartNew();
        var history = new List<IterationRecord>();
        int evaluations = 1;

        Reset();
        _problem = problem;
        Tensor x;
        using (var scope = NewDisposeScope()) x = start.detach().clone().DetachFromDisposeScope();
        var current = problem.Evaluate(x);
        double gradNorm = manifold.Norm(x, current.RiemannianGradient());
        double gradNorm0 = criteria.ReferenceGradientNorm ?? gradNorm;
        double? previousCost = null;
        Tensor? direction = null;
        ResetDirection();
        Record(0, current.Cost, gradNorm, 0);

        StopReason reason;
        int iteration = 0;
        bool restarted = true;
        while (true)
        {
            // Every temporary of the iteration dies with it; what lives on (point, evaluation, direction) is detached.
            using var iterationScope = NewDisposeScope();
            if (criteria.Reached(gradNorm, gradNorm0, iteration, clock.Elapsed) is { } stop) { reason = stop; break; }

            var g = current.RiemannianGradient();
            double slope = manifold.Inner(x, g, direction!);
            if (!(slope < 0))
            {
                // Not a descent direction (CG can lose it): fall back to steepest descent.
                ResetDirection();
                slope = -gradNorm * gradNorm;
            }
            double directionNorm = manifold.Norm(x, direction!);
            double alpha = InitialStep(iteration, previousCost, current.Cost, slope, directionNorm);

            Tensor? trialX = null;
            IPointEvaluation? trial = null;
            for (int step = 0; step < MaxLineSearchSteps; step++)
            {
                trialX?.Dispose();
                trial?.Dispose();
                using (var scope = NewDisposeScope())
                    trialX = manifold.Retract(x, direction! * alpha).DetachFromDisposeScope();
                trial = problem.Evaluate(trialX);
                evaluations++;
                if (trial.Cost <= current.Cost + SufficientDecrease * alpha * slope) break;
                alpha = Backtrack(alpha, slope, current.Cost, trial.Cost);
            }
            if (!(trial!.Cost < current.Cost))
            {
                trialX!.Dispose();
                trial.Dispose();
                if (!restarted)
                {
                    // A conjugate or quasi-Newton direction can be poor even when it descends: forget the memory and
                    // retry along the (preconditioned) steepest descent direction before giving up.
                    Reset();
                    ResetDirection();
                    restarted = true;
                    continue;
                }
                // No decrease even along steepest descent: the point is as good as the line search can resolve.
                reason = StopReason.StepSize;
                break;
            }
            restarted = false;

            iteration++;
            double stepSize = alpha * directionNorm;
            var newGradient = trial.RiemannianGradient();
            double newGradNorm = manifold.Norm(trialX!, newGradient);
            Tensor newDirection;
            using (var scope = NewDisposeScope())
                newDirection = NextDirection(manifold, x, trialX!, g, direction!, newGradient, gradNorm, newGradNorm).DetachFromDisposeScope();

            previousCost = current.Cost;
            current.Dispose();
            x.Dispose();
            direction!.Dispose();
            x = trialX!;
            current = trial;
            direction = newDirection;
            gradNorm = newGradNorm;
            Record(iteration, current.Cost, gradNorm, stepSize);
            if (stepSize < criteria.MinStepSize) { reason = StopReason.StepSize; break; }
        }

        direction?.Dispose();
        Reset();
        _problem = null;
        double finalCost = current.Cost;
        current.Dispose();
        return new OptimizationResult(x, finalCost, gradNorm, iteration, clock.Elapsed.TotalSeconds, reason, history, evaluations);

        void ResetDirection()
        {
            direction?.Dispose();
            using var scope = NewDisposeScope();
            direction = Precondition(x, current.RiemannianGradient()).neg().DetachFromDisposeScope();
        }

        void Record(int i, double cost, double norm, double step)
        {
            var record = new IterationRecord(i, cost, norm, step, clock.Elapsed.TotalSeconds);
            history.Add(record);
            progress?.Invoke(record);
        }
    }

    /// <summary>
    /// First trial step of the line search: 2(f − f_prev)/⟨g, d⟩ (the step that would have reached the last decrease
    /// under a quadratic model) times <see cref="Optimism"/>; 1/‖d‖ at the first iteration.
    /// </summary>
    protected virtual double InitialStep(int iteration, double? previousCost, double cost, double slope, double directionNorm) =>
        previousCost is { } fPrev && fPrev > cost ? Optimism * 2 * (cost - fPrev) / slope : 1.0 / directionNorm;

    /// <summary>
    /// The next trial after a rejected step α: the minimizer of the quadratic through f(0), the slope and f(α) — eq. (3.3)
    /// is quadratic in P, so along the retraction the fit is close and the second trial is nearly always accepted —
    /// kept within [0.1α, <see cref="Contraction"/>·α] so a poor fit cannot stall or skip the search.
    /// </summary>
    private double Backtrack(double alpha, double slope, double cost, double trialCost)
    {
        double curvature = trialCost - cost - slope * alpha;
        double fit = curvature > 0 ? -slope * alpha * alpha / (2 * curvature) : Contraction * alpha;
        return double.IsFinite(fit) ? Math.Clamp(fit, 0.1 * alpha, Contraction * alpha) : Contraction * alpha;
    }

    /// <summary>Clears per-run state (called at the start and end of every <see cref="Optimize"/>).</summary>
    protected virtual void Reset() { }

    /// <summary>
    /// The next search direction at <paramref name="newX"/>, given the previous point, gradient and direction there.
    /// Tensors created here are collected by the caller's dispose scope except the one returned.
    /// </summary>
    protected abstract Tensor NextDirection(Manifolds.IManifold manifold, Tensor oldX, Tensor newX, Tensor oldGradient,
        Tensor oldDirection, Tensor newGradient, double oldGradientNorm, double newGradientNorm);
}

/// <summary>Riemannian steepest descent: d = −grad f.</summary>
public sealed class SteepestDescent : RiemannianOptimizer
{
    /// <inheritdoc />
    public override string Name => "sd";

    /// <inheritdoc />
    protected override Tensor NextDirection(Manifolds.IManifold manifold, Tensor oldX, Tensor newX, Tensor oldGradient,
        Tensor oldDirection, Tensor newGradient, double oldGradientNorm, double newGradientNorm) => Precondition(newX, newGradient).neg();
}

/// <summary>How <see cref="ConjugateGradient"/> mixes the previous direction into the new one.</summary>
public enum ConjugateGradientRule
{
    /// <summary>Hestenes–Stiefel, clipped at 0 (Pymanopt's default).</summary>
    HestenesStiefel,
    /// <summary>Polak–Ribière+, β = max(0, ⟨g₊, g₊ − g⟩ / ‖g‖²); needs no transport of the old gradient.</summary>
    PolakRibiere,
    /// <summary>Fletcher–Reeves, β = ‖g₊‖² / ‖g‖².</summary>
    FletcherReeves,
}

/// <summary>
/// Riemannian nonlinear conjugate gradient with transport by projection. Inner products ⟨g₊, T(g)⟩ are taken in the
/// ambient space, where they equal ⟨g₊, g⟩ because projection is self-adjoint and g₊ is already tangent at x₊.
/// </summary>
public sealed class ConjugateGradient : RiemannianOptimizer
{
    private double? _oldPreconditionedNorm2;

    /// <summary>The β rule.</summary>
    public ConjugateGradientRule Rule { get; init; } = ConjugateGradientRule.HestenesStiefel;

    /// <inheritdoc />
    protected override void Reset() => _oldPreconditionedNorm2 = null;

    /// <inheritdoc />
    public override string Name => "cg";

    /// <inheritdoc />
    protected override Tensor NextDirection(Manifolds.IManifold manifold, Tensor oldX, Tensor newX, Tensor oldGradient,
        Tensor oldDirection, Tensor newGradient, double oldGradientNorm, double newGradientNorm)
    {
        var transported = manifold.Transport(oldX, newX, oldDirection);
        // With a preconditioner P the rules use P g₊ in place of g₊ where it multiplies (preconditioned nonlinear CG).
        // Without a preconditioner P g₊ is g₊ itself: no copy.
        var preconditioned = IsPreconditioned ? Precondition(newX, newGradient) : newGradient;
        double newNorm2 = manifold.Inner(newX, newGradient, preconditioned);
        double cross = manifold.Inner(newX, preconditioned, oldGradient);
        double oldNorm2 = _oldPreconditionedNorm2 ?? oldGradientNorm * oldGradientNorm;
        _oldPreconditionedNorm2 = newNorm2;
        double beta;
        switch (Rule)
        {
            case ConjugateGradientRule.FletcherReeves:
                beta = newNorm2 / oldNorm2;
                break;
            case ConjugateGradientRule.PolakRibiere:
                beta = Math.Max(0, (newNorm2 - cross) / oldNorm2);
                break;
            default:
                // Both vectors paired with T(g) are tangent at x₊, where ⟨u, Proj(g)⟩ = ⟨u, g⟩: the old gradient never
                // needs transporting (one projection, two n₂n₁² products, saved per iteration).
                double denominator = manifold.Inner(newX, transported, newGradient) - manifold.Inner(newX, transported, oldGradient);
                beta = denominator != 0 ? Math.Max(0, (newNorm2 - cross) / denominator) : 0;
                break;
        }
        // transported is this call's own tensor (the projection's result): scale and subtract in place.
        return beta == 0 ? preconditioned.neg() : transported.mul_(beta).sub_(preconditioned);
    }
}

/// <summary>
/// Riemannian limited-memory BFGS. The curvature pairs (s, y) = (x₊ − x, g₊ − g) are kept in the ambient space and the
/// two-loop product is projected onto the current tangent space, instead of transporting every pair each iteration:
/// consecutive tangent spaces are close, and transporting m pairs would cost m projections (each as dear as a
/// gradient) per iteration. Pairs violating the curvature condition ⟨s, y⟩ &gt; 0 are skipped.
/// </summary>
public sealed class Lbfgs : RiemannianOptimizer
{
    private readonly List<(Tensor S, Tensor Y, double Rho)> _pairs = new();

    /// <summary>Number of (s, y) pairs kept.</summary>
    public int Memory { get; init; } = 10;

    /// <inheritdoc />
    public override string Name => "lbfgs";

    /// <summary>
    /// H₀ = γI: with the spectral preconditioner as H₀ the ambient (untransported) pairs and the preconditioner's
    /// geometry disagreed and the line search failed (docs/prolongation.md), so L-BFGS runs unpreconditioned.
    /// </summary>
    protected override bool UsesPreconditioner => false;

    /// <inheritdoc />
    protected override double InitialStep(int iteration, double? previousCost, double cost, double slope, double directionNorm) =>
        _pairs.Count > 0 ? 1.0 : base.InitialStep(iteration, previousCost, cost, slope, directionNorm);

    /// <inheritdoc />
    protected override void Reset()
    {
        foreach (var (s, y, _) in _pairs) { s.Dispose(); y.Dispose(); }
        _pairs.Clear();
    }

    /// <inheritdoc />
    protected override Tensor NextDirection(Manifolds.IManifold manifold, Tensor oldX, Tensor newX, Tensor oldGradient,
        Tensor oldDirection, Tensor newGradient, double oldGradientNorm, double newGradientNorm)
    {
        var s = newX - oldX;
        var y = newGradient - oldGradient;
        double sy = Dot(s, y);
        if (sy > 1e-12 * Math.Sqrt(Dot(s, s) * Dot(y, y)))
        {
            _pairs.Add((s.detach().clone().DetachFromDisposeScope(), y.detach().clone().DetachFromDisposeScope(), 1 / sy));
            if (_pairs.Count > Memory)
            {
                _pairs[0].S.Dispose();
                _pairs[0].Y.Dispose();
                _pairs.RemoveAt(0);
            }
        }
        if (_pairs.Count == 0) return newGradient.neg();
        var q = newGradient.clone();
        var a = new double[_pairs.Count];
        for (int i = _pairs.Count - 1; i >= 0; i--)
        {
            a[i] = _pairs[i].Rho * Dot(_pairs[i].S, q);
            q = q - _pairs[i].Y * a[i];
        }
        var last = _pairs[^1];
        var r = q * (1 / (last.Rho * Dot(last.Y, last.Y)));
        for (int i = 0; i < _pairs.Count; i++)
        {
            double b = _pairs[i].Rho * Dot(_pairs[i].Y, r);
            r = r + _pairs[i].S * (a[i] - b);
        }
        return manifold.Project(newX, r).neg();
    }

    private static double Dot(Tensor u, Tensor v)
    {
        using var scope = NewDisposeScope();
        return (u * v).sum().item<double>();
    }
}
