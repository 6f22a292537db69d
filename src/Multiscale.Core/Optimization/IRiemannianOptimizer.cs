using static TorchSharp.torch;

namespace Multiscale.Optimization;

/// <summary>A Riemannian optimizer: owns its rules, minimizes a problem from a start (Pymanopt's optimizer.run).</summary>
public interface IRiemannianOptimizer
{
    /// <summary>Short name for reports ("cg", "tr").</summary>
    string Name { get; }

    /// <summary>Minimizes the problem from <paramref name="start"/> (not consumed; the result owns its own point).</summary>
    OptimizationResult Optimize(IRiemannianProblem problem, Tensor start, StoppingCriteria? criteria = null,
        Action<IterationRecord>? progress = null);
}
