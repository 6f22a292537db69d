using Multiscale.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>
/// RMSProp, ms ← ρ·ms + (1 − ρ)·g², no momentum, in either library's form (<see cref="OptimizerFlavor"/>). The two differ
/// where it matters for MsANN: TensorFlow 1 starts the accumulator at 1, so the first steps are ≈ lr·g (gradient
/// descent) and grow into normalized steps as ms decays; and with ε = 1e-10 under the root a weight whose gradient is
/// far below 1e-5 keeps taking small steps, where PyTorch's form normalizes every weight's step to ≈ lr/√(1 − ρ)
/// whatever its gradient — a saturated sigmoid network learns several times faster per example that way.
/// </summary>
internal sealed class RmsProp : LevelOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _meanSquares;

    /// <summary>Creates the accumulators (one per parameter, filled with <paramref name="initialAccumulator"/>).</summary>
    public RmsProp(IEnumerable<Parameter> parameters, double learningRate, double decay = 0.9, double epsilon = 1e-10,
        double initialAccumulator = 1.0, bool epsilonUnderRoot = true)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate > 0)) throw new MultiscaleException($"the learning rate must be positive (got {learningRate})");
        if (!(decay >= 0 && decay < 1)) throw new MultiscaleException($"the RMSProp decay must lie in [0, 1) (got {decay})");
        if (!(epsilon >= 0)) throw new MultiscaleException($"the RMSProp epsilon must be ≥ 0 (got {epsilon})");
        if (!(initialAccumulator >= 0)) throw new MultiscaleException($"the RMSProp initial accumulator must be ≥ 0 (got {initialAccumulator})");
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        Decay = decay;
        Epsilon = epsilon;
        InitialAccumulator = initialAccumulator;
        EpsilonUnderRoot = epsilonUnderRoot;
        _meanSquares = _parameters.Select(p => full_like(p, initialAccumulator).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Step size lr.</summary>
    public double LearningRate { get; }

    /// <summary>ρ, the accumulator's decay.</summary>
    public double Decay { get; }

    /// <summary>ε, added under the square root.</summary>
    public double Epsilon { get; }

    /// <summary>The accumulator's starting value.</summary>
    public double InitialAccumulator { get; }

    /// <summary>ε under the square root (TensorFlow 1) or added to it (PyTorch).</summary>
    public bool EpsilonUnderRoot { get; }

    /// <inheritdoc/>
    public override void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad?.zero_();
    }

    /// <inheritdoc/>
    public override void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var g = _parameters[i].grad;
            if (g is null) continue;
            _meanSquares[i].mul_(Decay).addcmul_(g, g, 1 - Decay);
            // One temporary per parameter, updated in place: the same values as (ms + ε).sqrt() or ms.sqrt() + ε.
            var denominator = EpsilonUnderRoot ? _meanSquares[i].add(Epsilon).sqrt_() : _meanSquares[i].sqrt().add_(Epsilon);
            _parameters[i].addcdiv_(g, denominator, -LearningRate);
        }
    }

    /// <inheritdoc/>
    public override void Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        for (int i = 0; i < _meanSquares.Length; i++) checkpoint.Put($"{prefix}{i}", _meanSquares[i]);
    }

    /// <inheritdoc/>
    public override void Restore(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        for (int i = 0; i < _meanSquares.Length; i++) checkpoint.CopyTo($"{prefix}{i}", _meanSquares[i]);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        foreach (var m in _meanSquares) m.Dispose();
    }
}
