using System.Diagnostics;
using Multiscale.MsAnn.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Diagnostics;

/// <summary>
/// Where a default-training step's time goes (median milliseconds per step): drawing the batch, the forward and
/// backward pass, MsANN's RMSProp step (PyTorch's form), TorchSharp's <c>optim.RMSProp</c> step on the same gradients
/// (for its cost only), and an empty dispose scope.
/// </summary>
public sealed record StepProfile(double BatchMs, double ForwardBackwardMs, double StepMs, double TorchStepMs, double EmptyScopeMs)
{
    /// <summary>
    /// Times <paramref name="steps"/> default-training steps (L = 0, batch 128, lr 5e-4) of the network with layers
    /// <paramref name="sizes"/> on <paramref name="data"/>; the medians are robust to other work on the machine.
    /// </summary>
    public static StepProfile Measure(IAutoencoderData data, IReadOnlyList<int> sizes, int steps)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sizes);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), "at least one step is needed");
        var shape = new HierarchyShape(sizes.ToArray(), 0);
        using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
        using var network = new MultilevelNetwork(maps, new Generator(0));
        using var ours = LevelOptimizer.Create(OptimizerFlavor.RmsPropPyTorch, network.Variables(0), 5e-4);
        var copies = network.Variables(0).Select(v => new Parameter(v.detach().clone(), requires_grad: true)).ToArray();
        using var theirs = optim.RMSProp(copies, 5e-4, alpha: 0.9, eps: 1e-10);
        var batches = data.Batches(new Generator(3));
        // Per-step times of each part; the medians are reported (robust to other work on the machine).
        var batch = new List<double>(); var forwardBackward = new List<double>(); var step = new List<double>(); var torchStep = new List<double>(); var scopes = new List<double>();
        long t;
        using (network.Visit(0))
            for (int i = 0; i < steps; i++)
            {
                t = Stopwatch.GetTimestamp();
                using (var empty = NewDisposeScope()) { }
                scopes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                using var scope = NewDisposeScope();
                t = Stopwatch.GetTimestamp();
                var (x, y) = batches(128);
                batch.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                t = Stopwatch.GetTimestamp();
                ours.ZeroGrad();
                (network.Forward(x) - y).square().mean().backward();
                forwardBackward.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                t = Stopwatch.GetTimestamp();
                ours.Step();
                step.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                // TorchSharp's RMSProp on the same gradients, for its cost only.
                for (int p = 0; p < copies.Length; p++) copies[p].grad = network.Variables(0)[p].grad!.clone();
                t = Stopwatch.GetTimestamp();
                theirs.step();
                torchStep.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        foreach (var c in copies) c.Dispose();
        static double Median(List<double> x) => x.Order().ElementAt(x.Count / 2);
        return new StepProfile(Median(batch), Median(forwardBackward), Median(step), Median(torchStep), Median(scopes));
    }
}
