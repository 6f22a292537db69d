using Multiscale.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) in PyTorch's form: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², and
/// θ ← θ − (lr/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε), the same operations in the same order as <c>torch.optim.Adam</c>, so
/// it gives that optimizer's numbers; written here so its moments and step count go into MsANN's checkpoints.
/// </summary>
internal sealed class Adam : LevelOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _first, _second;
    private long _steps;

    /// <summary>Creates zero moments for every parameter.</summary>
    public Adam(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate > 0)) throw new MultiscaleException($"the learning rate must be positive (got {learningRate})");
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new MultiscaleException($"Adam's β₁ and β₂ must lie in [0, 1) (got {beta1}, {beta2})");
        if (!(epsilon >= 0)) throw new MultiscaleException($"Adam's epsilon must be ≥ 0 (got {epsilon})");
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        _first = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _second = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Step size lr.</summary>
    public double LearningRate { get; }

    /// <summary>β₁, the first moment's decay.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, the second moment's decay.</summary>
    public double Beta2 { get; }

    /// <summary>ε, added to the bias-corrected root of the second moment.</summary>
    public double Epsilon { get; }

    /// <summary>Updates taken so far (t).</summary>
    public long Steps => _steps;

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
        _steps++;
        double correction1 = 1 - Math.Pow(Beta1, _steps), correction2 = Math.Sqrt(1 - Math.Pow(Beta2, _steps));
        for (int i = 0; i < _parameters.Length; i++)
        {
            var g = _parameters[i].grad;
            if (g is null) continue;
            _first[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _second[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denominator = _second[i].sqrt().div_(correction2).add_(Epsilon);
            _parameters[i].addcdiv_(_first[i], denominator, value: -LearningRate / correction1);
        }
    }

    /// <inheritdoc/>
    public override void Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        for (int i = 0; i < _parameters.Length; i++)
        {
            checkpoint.Put($"{prefix}m{i}", _first[i]);
            checkpoint.Put($"{prefix}v{i}", _second[i]);
        }
        using var steps = tensor(_steps);
        checkpoint.Put($"{prefix}t", steps);
    }

    /// <inheritdoc/>
    public override void Restore(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        for (int i = 0; i < _parameters.Length; i++)
        {
            checkpoint.CopyTo($"{prefix}m{i}", _first[i]);
            checkpoint.CopyTo($"{prefix}v{i}", _second[i]);
        }
        _steps = checkpoint.Get($"{prefix}t").item<long>();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        foreach (var m in _first.Concat(_second)) m.Dispose();
    }
}
