using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

public class RmsPropTests
{
    /// <summary>TensorFlow 1's update, by hand: ms ← ρ ms + (1 − ρ) g², θ ← θ − lr g / √(ms + ε), ms₀ = 1.</summary>
    [Fact]
    public void FollowsTheTensorFlowOneUpdateFromAnAccumulatorOfOne()
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(tensor(new double[] { 2.0, -1.0 }), requires_grad: true);
        using var opt = new RmsProp(new[] { p }, learningRate: 0.1, decay: 0.9, epsilon: 1e-10);
        double[] theta = { 2.0, -1.0 }, ms = { 1.0, 1.0 };
        for (int step = 0; step < 5; step++)
        {
            opt.ZeroGrad();
            (p * p).sum().backward();   // g = 2θ
            opt.Step();
            for (int i = 0; i < 2; i++)
            {
                double g = 2 * theta[i];
                ms[i] = 0.9 * ms[i] + 0.1 * g * g;
                theta[i] -= 0.1 * g / Math.Sqrt(ms[i] + 1e-10);
            }
            var actual = p.detach().data<double>().ToArray();
            for (int i = 0; i < 2; i++) Assert.Equal(theta[i], actual[i], 12);
        }
    }

    [Fact]
    public void ThePyTorchFlavorMatchesTorchsRmsPropEvenForTinyGradients()
    {
        using var scope = NewDisposeScope();
        // 1e-4 has a cubed-gradient 3e-8, below √ε's 1e-5, where the flavors' ε placements differ.
        var a = new Parameter(tensor(new double[] { 0.5, -3.0, 1.5, 1e-4 }), requires_grad: true);
        var b = new Parameter(tensor(new double[] { 0.5, -3.0, 1.5, 1e-4 }), requires_grad: true);
        using var mine = LevelOptimizer.Create(OptimizerFlavor.RmsPropPyTorch, new[] { a }, 0.01);
        var theirs = optim.RMSProp(new[] { b }, lr: 0.01, alpha: 0.9, eps: 1e-10);
        for (int step = 0; step < 10; step++)
        {
            mine.ZeroGrad();
            theirs.zero_grad();
            (a * a * a).sum().backward();
            (b * b * b).sum().backward();
            mine.Step();
            theirs.step();
        }
        Assert.True(a.allclose(b, rtol: 1e-9, atol: 1e-12));
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        using var p = new Parameter(zeros(2), requires_grad: true);
        Assert.Throws<MultiscaleException>(() => new RmsProp(new[] { p }, 0));
        Assert.Throws<MultiscaleException>(() => new RmsProp(new[] { p }, 0.1, decay: 1));
        Assert.Throws<MultiscaleException>(() => new RmsProp(new[] { p }, 0.1, initialAccumulator: -1));
    }
}
