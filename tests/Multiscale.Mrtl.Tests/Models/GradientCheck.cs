using Multiscale.Mrtl.Models;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Models;

/// <summary>Central differences against the autograd gradient, at a few seeded entries of every parameter.</summary>
internal static class GradientCheck
{
    /// <summary>
    /// Backpropagates <paramref name="objective"/> once, then compares each parameter's gradient at 4 random entries
    /// with (f(w + ε) − f(w − ε)) / 2ε, ε = 1e-2 (float32 parameters), to 2e-3 + 2 % of the difference quotient.
    /// </summary>
    public static void AssertMatchesFiniteDifferences(TensorModel model, Func<Tensor> objective, ulong seed = 7)
    {
        double Value() { using var s = NewDisposeScope(); return objective().item<float>(); }
        objective().backward();
        var g = new Generator(seed);
        foreach (var p in model.Parameters)
        {
            var flat = p.detach().view(-1);
            var grad = p.grad!.view(-1);
            for (int t = 0; t < 4; t++)
            {
                long j = randint(0, flat.shape[0], new long[] { 1 }, generator: g).item<long>();
                const float eps = 1e-2f;
                float orig = flat[j].item<float>();
                using (no_grad()) flat[j] = orig + eps;
                double up = Value();
                using (no_grad()) flat[j] = orig - eps;
                double down = Value();
                using (no_grad()) flat[j] = orig;
                double fd = (up - down) / (2 * eps);
                Assert.True(Math.Abs(fd - grad[j].item<float>()) <= 2e-3 + 2e-2 * Math.Abs(fd), $"{fd} vs {grad[j].item<float>()}");
            }
        }
    }
}
