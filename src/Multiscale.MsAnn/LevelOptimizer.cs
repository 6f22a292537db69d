using Multiscale.Runs;
using TorchSharp.Modules;

namespace Multiscale.MsAnn;

/// <summary>
/// The optimizer of one level's variables (or of all of them, for the all-together baseline): an update from the
/// current gradients, and its state kept in and restored from a checkpoint so a resumed run continues exactly.
/// </summary>
internal abstract class LevelOptimizer : IDisposable
{
    /// <summary>The optimizer of <paramref name="flavor"/> with the reference settings (RMSProp: decay 0.9, ε = 1e-10).</summary>
    public static LevelOptimizer Create(OptimizerFlavor flavor, IEnumerable<Parameter> parameters, double learningRate) => flavor switch
    {
        OptimizerFlavor.RmsPropPyTorch => new RmsProp(parameters, learningRate, initialAccumulator: 0, epsilonUnderRoot: false),
        OptimizerFlavor.Adam => new Adam(parameters, learningRate),
        _ => new RmsProp(parameters, learningRate),
    };

    /// <summary>Clears the parameters' gradients.</summary>
    public abstract void ZeroGrad();

    /// <summary>One update from the current gradients (parameters without a gradient are left alone).</summary>
    public abstract void Step();

    /// <summary>Keeps the optimizer's state in <paramref name="checkpoint"/> under <paramref name="prefix"/>.</summary>
    public abstract void Save(Checkpoint checkpoint, string prefix);

    /// <summary>Sets the state to what <see cref="Save"/> kept under <paramref name="prefix"/>.</summary>
    public abstract void Restore(Checkpoint checkpoint, string prefix);

    /// <summary>Releases the state.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the state tensors.</summary>
    protected abstract void Dispose(bool disposing);
}
