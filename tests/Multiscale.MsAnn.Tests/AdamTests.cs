using Multiscale.Runs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

public class AdamTests
{
    /// <summary>Adam by hand: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − lr·m̂/(√v̂ + ε) with bias correction.</summary>
    [Fact]
    public void FollowsTheBiasCorrectedUpdate()
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(tensor(new double[] { 2.0, -1.0 }), requires_grad: true);
        using var opt = new Adam(new[] { p }, learningRate: 0.1);
        double[] theta = { 2.0, -1.0 }, m = { 0, 0 }, v = { 0, 0 };
        for (int t = 1; t <= 6; t++)
        {
            opt.ZeroGrad();
            (p * p).sum().backward();   // g = 2θ
            opt.Step();
            for (int i = 0; i < 2; i++)
            {
                double g = 2 * theta[i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double mHat = m[i] / (1 - Math.Pow(0.9, t)), vHat = v[i] / (1 - Math.Pow(0.999, t));
                theta[i] -= 0.1 * mHat / (Math.Sqrt(vHat) + 1e-8);
            }
            var actual = p.detach().data<double>().ToArray();
            for (int i = 0; i < 2; i++) Assert.Equal(theta[i], actual[i], 12);
        }
        Assert.Equal(6, opt.Steps);
    }

    [Fact]
    public void MatchesTorchsAdamExactly()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var start = randn(5, 4, generator: g);
        var a = new Parameter(start.clone(), requires_grad: true);
        var b = new Parameter(start.clone(), requires_grad: true);
        using var mine = LevelOptimizer.Create(OptimizerFlavor.Adam, new[] { a }, 0.01);
        using var theirs = optim.Adam(new[] { b }, 0.01);
        for (int step = 0; step < 20; step++)
        {
            mine.ZeroGrad();
            theirs.zero_grad();
            (a * a * a).sin().sum().backward();
            (b * b * b).sin().sum().backward();
            mine.Step();
            theirs.step();
        }
        Assert.True(a.eq(b).all().item<bool>(), $"max difference {(a - b).abs().max().item<float>()}");
    }

    /// <summary>Saved after some steps and restored into a fresh optimizer, the moments and step count continue exactly.</summary>
    [Fact]
    public void ARestoredOptimizerContinuesExactly()
    {
        using var scope = NewDisposeScope();
        var start = randn(6, generator: new Generator(4));
        var a = new Parameter(start.clone(), requires_grad: true);
        var b = new Parameter(start.clone(), requires_grad: true);
        using var first = new Adam(new[] { a }, 0.05);
        void Step(LevelOptimizer o, Parameter p)
        {
            o.ZeroGrad();
            (p * p).cos().sum().backward();
            o.Step();
        }
        for (int i = 0; i < 5; i++) Step(first, a);
        using var checkpoint = new Checkpoint();
        first.Save(checkpoint, "adam/");
        using (no_grad()) b.copy_(a);
        using var second = new Adam(new[] { b }, 0.05);
        second.Restore(checkpoint, "adam/");
        for (int i = 0; i < 5; i++)
        {
            Step(first, a);
            Step(second, b);
        }
        Assert.True(a.eq(b).all().item<bool>());
        Assert.Equal(10, second.Steps);
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        using var p = new Parameter(zeros(2), requires_grad: true);
        Assert.Throws<MultiscaleException>(() => new Adam(new[] { p }, 0));
        Assert.Throws<MultiscaleException>(() => new Adam(new[] { p }, 0.1, beta1: 1));
        Assert.Throws<MultiscaleException>(() => new Adam(new[] { p }, 0.1, epsilon: -1));
        Assert.Throws<MultiscaleException>(() => OptimizerFlavorNames.Parse("sgd"));
        Assert.Equal(OptimizerFlavor.Adam, OptimizerFlavorNames.Parse("adam"));
    }
}
