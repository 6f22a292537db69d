namespace Multiscale.Optimization;

/// <summary>
/// When an optimizer stops: whichever criterion fires first. Gradient norms are Riemannian; the relative criterion
/// compares with the gradient norm at the start.
/// </summary>
public sealed record StoppingCriteria
{
    /// <summary>Iteration cap.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Stop when ‖grad‖ ≤ this (absolute).</summary>
    public double MinGradientNorm { get; init; } = 1e-10;

    /// <summary>Stop when ‖grad‖ / ‖grad₀‖ ≤ this.</summary>
    public double RelativeGradientTolerance { get; init; } = 1e-6;

    /// <summary>
    /// The ‖grad₀‖ the relative criterion divides by; null for the gradient norm at the start of this run (set it when
    /// a run continues from a point reached by another, e.g. after escaping a saddle).
    /// </summary>
    public double? ReferenceGradientNorm { get; init; }

    /// <summary>Stop when the accepted step ‖α d‖ is below this.</summary>
    public double MinStepSize { get; init; } = 1e-12;

    /// <summary>Wall-clock budget; null for none.</summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>Stops the loop between iterations (Ctrl-C).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// The criterion that fires before an iteration, or null to go on: gradient (absolute, then relative to
    /// <paramref name="referenceGradientNorm"/>), iteration cap, wall time, cancellation — shared by every optimizer.
    /// </summary>
    public StopReason? Reached(double gradientNorm, double referenceGradientNorm, int iteration, TimeSpan elapsed)
    {
        if (gradientNorm <= MinGradientNorm) return StopReason.GradientNorm;
        if (referenceGradientNorm > 0 && gradientNorm / referenceGradientNorm <= RelativeGradientTolerance) return StopReason.RelativeGradient;
        if (iteration >= MaxIterations) return StopReason.MaxIterations;
        if (MaxTime is { } limit && elapsed >= limit) return StopReason.MaxTime;
        if (Cancellation.IsCancellationRequested) return StopReason.Cancelled;
        return null;
    }

    /// <summary>Throws <see cref="MultiscaleException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxIterations < 0) throw new MultiscaleException($"max iterations must be ≥ 0 (got {MaxIterations})");
        if (!(MinGradientNorm >= 0)) throw new MultiscaleException($"gradient tolerance must be ≥ 0 (got {MinGradientNorm})");
        if (!(RelativeGradientTolerance >= 0)) throw new MultiscaleException($"relative gradient tolerance must be ≥ 0 (got {RelativeGradientTolerance})");
        if (!(MinStepSize >= 0)) throw new MultiscaleException($"minimum step size must be ≥ 0 (got {MinStepSize})");
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new MultiscaleException($"time limit must be positive (got {t})");
    }
}

/// <summary>Why an optimizer stopped.</summary>
public enum StopReason
{
    /// <summary>‖grad‖ reached the absolute tolerance.</summary>
    GradientNorm,
    /// <summary>‖grad‖/‖grad₀‖ reached the relative tolerance.</summary>
    RelativeGradient,
    /// <summary>The accepted step became too small (or the line search found no decrease).</summary>
    StepSize,
    /// <summary>The iteration cap was reached.</summary>
    MaxIterations,
    /// <summary>The time budget ran out.</summary>
    MaxTime,
    /// <summary>Cancelled by the caller.</summary>
    Cancelled,
}

/// <summary>One row of an optimizer's history.</summary>
/// <param name="Iteration">0 is the starting point.</param>
/// <param name="Cost">Cost after the iteration.</param>
/// <param name="GradientNorm">Riemannian gradient norm after the iteration.</param>
/// <param name="StepSize">Length of the accepted step (0 at the start).</param>
/// <param name="Seconds">Wall-clock seconds since the optimizer started.</param>
public readonly record struct IterationRecord(int Iteration, double Cost, double GradientNorm, double StepSize, double Seconds);
