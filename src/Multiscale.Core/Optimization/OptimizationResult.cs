using static TorchSharp.torch;

namespace Multiscale.Optimization;

/// <summary>What an optimizer returns: the final point (owned by the caller) and how it got there.</summary>
public sealed class OptimizationResult : IDisposable
{
    internal OptimizationResult(Tensor point, double cost, double gradientNorm, int iterations, double seconds,
        StopReason reason, IReadOnlyList<IterationRecord> history, int costEvaluations)
    {
        Point = point;
        Cost = cost;
        GradientNorm = gradientNorm;
        Iterations = iterations;
        Seconds = seconds;
        Reason = reason;
        History = history;
        CostEvaluations = costEvaluations;
    }

    /// <summary>The final point.</summary>
    public Tensor Point { get; }

    /// <summary>Cost at the final point.</summary>
    public double Cost { get; }

    /// <summary>Riemannian gradient norm at the final point.</summary>
    public double GradientNorm { get; }

    /// <summary>Iterations taken.</summary>
    public int Iterations { get; }

    /// <summary>Wall-clock seconds.</summary>
    public double Seconds { get; }

    /// <summary>The criterion that stopped the loop.</summary>
    public StopReason Reason { get; }

    /// <summary>True when a gradient criterion stopped the loop.</summary>
    public bool Converged => Reason is StopReason.GradientNorm or StopReason.RelativeGradient;

    /// <summary>One record per iteration, starting with the initial point.</summary>
    public IReadOnlyList<IterationRecord> History { get; }

    /// <summary>Number of cost evaluations (line-search trials included).</summary>
    public int CostEvaluations { get; }

    /// <summary>Number of Hessian–vector products (0 for first-order optimizers).</summary>
    public int HessianProducts { get; init; }

    /// <summary>Releases the point.</summary>
    public void Dispose() => Point.Dispose();
}
