using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>
/// The synthetic 1-D denoising task of §4.2: clean vectors of length n holding one (or two non-overlapping) runs of
/// n/8 ones at uniformly random offsets; the input adds binary noise (each pixel independently set to 1 with
/// probability p, 0.05 in the paper); the target is the clean vector. Generated from a seeded generator.
/// </summary>
public static class SyntheticObjects
{
    /// <summary>A batch (input, target), float32, shape [count, n].</summary>
    public static (Tensor Input, Tensor Target) Batch(int n, int objects, double noise, int count, Generator generator, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (n < 8 || n % 8 != 0) throw new MultiscaleException($"vector length must be a positive multiple of 8 (got {n})");
        if (objects is < 1 or > 2) throw new MultiscaleException($"the task has one or two objects (got {objects})");
        if (!(noise >= 0 && noise <= 1)) throw new MultiscaleException($"noise probability must be in [0, 1] (got {noise})");
        if (count < 1) throw new MultiscaleException($"batch size must be positive (got {count})");
        int run = n / 8;
        using var scope = NewDisposeScope();
        var target = zeros(count, n);
        var position = arange(n).unsqueeze(0);
        if (objects == 1)
        {
            var start = randint(0, n - run + 1, new long[] { count, 1 }, generator: generator);
            target = (position.ge(start) & position.lt(start + run)).to_type(ScalarType.Float32);
        }
        else
        {
            // Two non-overlapping runs: choose the gap layout uniformly by placing 2 runs among n − 2·run free cells.
            var free = n - 2 * run;
            var a = randint(0, free + 1, new long[] { count, 1 }, generator: generator);
            var b = randint(0, free + 1, new long[] { count, 1 }, generator: generator);
            var first = minimum(a, b);
            var second = maximum(a, b) + run;
            target = ((position.ge(first) & position.lt(first + run)) | (position.ge(second) & position.lt(second + run))).to_type(ScalarType.Float32);
        }
        var flips = rand(count, n, generator: generator).lt(noise).to_type(ScalarType.Float32);
        var input = maximum(target, flips);
        if (device is not null) { input = input.to(device); target = target.to(device); }
        return (input.MoveToOuterDisposeScope(), target.MoveToOuterDisposeScope());
    }
}
