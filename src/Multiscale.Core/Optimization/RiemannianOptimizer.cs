using System.Diagnostics;
using static TorchSharp.torch;

namespace Multiscale.Optimization;

/// <summary>
/// The loop shared by first-order Riemannian optimizers: a search direction, an Armijo backtracking line search along
/// the retraction, and the stopping rules. Subclasses choose the direction.
/// </summary>
public abstract class RiemannianOptimizer
{
    /// <summary>Armijo sufficient-decrease constant c in f(R(αd)) ≤ f + c·α·⟨g, d⟩.</summary>
    public double SufficientDecrease { get; init; } = 1e-4;

    /// <summary>Factor by which a rejected step is shrunk.</summary>
    public double Contraction { get; init; } = 0.5;

    /// <summary>Backtracking trials per line search.</summary>
    public int MaxLineSearchSteps { get; init; } = 30;

    /// <summary>
    /// The first trial step is 2(f − f_prev)/⟨g, d⟩ (the step that would have reached the last decrease under a
    /// quadratic model) times this factor; at the first iteration it is 1/‖d‖.
    /// </summary>
    public double Optimism { get; init; } = 2.0;

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

        var x = start.detach().clone().DetachFromDisposeScope();
        var current = problem.Evaluate(x);
        double gradNorm = manifold.Norm(x, current.RiemannianGradient());
        double gradNorm0 = gradNorm;
        double? previousCost = null;
        Tensor? direction = null;
        ResetDirection();
        Record(0, current.Cost, gradNorm, 0);

        StopReason reason;
        int iteration = 0;
        while (true)
        {
            if (gradNorm <= criteria.MinGradientNorm) { reason = StopReason.GradientNorm; break; }
            if (gradNorm0 > 0 && gradNorm / gradNorm0 <= criteria.RelativeGradientTolerance) { reason = StopReason.RelativeGradient; break; }
            if (iteration >= criteria.MaxIterations) { reason = StopReason.MaxIterations; break; }
            if (criteria.MaxTime is { } limit && clock.Elapsed >= limit) { reason = StopReason.MaxTime; break; }
            if (criteria.Cancellation.IsCancellationRequested) { reason = StopReason.Cancelled; break; }

            var g = current.RiemannianGradient();
            double slope = manifold.Inner(x, g, direction!);
            if (!(slope < 0))
            {
                // Not a descent direction (CG can lose it): fall back to steepest descent.
                ResetDirection();
                slope = -gradNorm * gradNorm;
            }
            double directionNorm = manifold.Norm(x, direction!);
            double alpha = previousCost is { } fPrev && fPrev > current.Cost
                ? Optimism * 2 * (current.Cost - fPrev) / slope
                : 1.0 / directionNorm;

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
                alpha *= Contraction;
            }
            if (!(trial!.Cost < current.Cost))
            {
                // No decrease anywhere along the direction: the point is as good as this direction gets.
                trialX!.Dispose();
                trial.Dispose();
                reason = StopReason.StepSize;
                break;
            }

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
        double finalCost = current.Cost;
        current.Dispose();
        return new OptimizationResult(x, finalCost, gradNorm, iteration, clock.Elapsed.TotalSeconds, reason, history, evaluations);

        void ResetDirection()
        {
            direction?.Dispose();
            direction = current.RiemannianGradient().neg().DetachFromDisposeScope();
        }

        void Record(int i, double cost, double norm, double step)
        {
            var record = new IterationRecord(i, cost, norm, step, clock.Elapsed.TotalSeconds);
            history.Add(record);
            progress?.Invoke(record);
        }
    }

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
        Tensor oldDirection, Tensor newGradient, double oldGradientNorm, double newGradientNorm) => newGradient.neg();
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
    /// <summary>The β rule.</summary>
    public ConjugateGradientRule Rule { get; init; } = ConjugateGradientRule.HestenesStiefel;

    /// <inheritdoc />
    public override string Name => "cg";

    /// <inheritdoc />
    protected override Tensor NextDirection(Manifolds.IManifold manifold, Tensor oldX, Tensor newX, Tensor oldGradient,
        Tensor oldDirection, Tensor newGradient, double oldGradientNorm, double newGradientNorm)
    {
        var transported = manifold.Transport(oldX, newX, oldDirection);
        double newNorm2 = newGradientNorm * newGradientNorm;
        double cross = manifold.Inner(newX, newGradient, oldGradient);
        double beta;
        switch (Rule)
        {
            case ConjugateGradientRule.FletcherReeves:
                beta = newNorm2 / (oldGradientNorm * oldGradientNorm);
                break;
            case ConjugateGradientRule.PolakRibiere:
                beta = Math.Max(0, (newNorm2 - cross) / (oldGradientNorm * oldGradientNorm));
                break;
            default:
                var transportedGradient = manifold.Transport(oldX, newX, oldGradient);
                var difference = newGradient - transportedGradient;
                double denominator = manifold.Inner(newX, transported, difference);
                beta = denominator != 0 ? Math.Max(0, manifold.Inner(newX, newGradient, difference) / denominator) : 0;
                break;
        }
        return beta == 0 ? newGradient.neg() : transported * beta - newGradient;
    }
}
