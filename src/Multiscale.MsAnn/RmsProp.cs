using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>
/// RMSProp with TensorFlow 1's semantics (<c>tf.train.RMSPropOptimizer</c>, which the reference MsANN code used):
/// ms ← ρ·ms + (1 − ρ)·g², θ ← θ − lr·g / √(ms + ε), no momentum, and the mean-square accumulator starting at
/// <see cref="InitialAccumulator"/> — 1 in TensorFlow 1, 0 in PyTorch. The start matters: from 1 the first steps are
/// ≈ lr·g (gradient descent) and grow into normalized steps as ms decays, while from 0 the very first step is
/// ≈ lr/√(1 − ρ) per weight whatever the gradient's size.
/// </summary>
public sealed class RmsProp : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _meanSquares;

    /// <summary>Creates the accumulators (one per parameter, filled with <paramref name="initialAccumulator"/>).</summary>
    public RmsProp(IEnumerable<Parameter> parameters, double learningRate, double decay = 0.9, double epsilon = 1e-10, double initialAccumulator = 1.0)
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

    /// <summary>Clears the parameters' gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad?.zero_();
    }

    /// <summary>One update from the current gradients (parameters without a gradient are left alone).</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var g = _parameters[i].grad;
            if (g is null) continue;
            using var scope = NewDisposeScope();
            _meanSquares[i].mul_(Decay).addcmul_(g, g, 1 - Decay);
            _parameters[i].addcdiv_(g, (_meanSquares[i] + Epsilon).sqrt(), -LearningRate);
        }
    }

    /// <summary>Releases the accumulators.</summary>
    public void Dispose()
    {
        foreach (var m in _meanSquares) m.Dispose();
    }
}
