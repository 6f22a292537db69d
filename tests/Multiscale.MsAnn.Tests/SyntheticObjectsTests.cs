using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

public class SyntheticObjectsTests
{
    private static IEnumerable<(int Start, int Length)> Runs(float[] row)
    {
        for (int i = 0; i < row.Length; i++)
        {
            if (row[i] != 1 || (i > 0 && row[i - 1] == 1)) continue;
            int j = i;
            while (j < row.Length && row[j] == 1) j++;
            yield return (i, j - i);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TargetsHoldRunsOfAnEighthAndInputsAddOnlyNoise(int objects)
    {
        using var scope = NewDisposeScope();
        int n = 128, count = 200;
        var (input, target) = SyntheticObjects.Batch(n, objects, 0.05, count, new Generator(11));
        Assert.Equal(new long[] { count, n }, target.shape);
        var t = target.data<float>().ToArray();
        for (int r = 0; r < count; r++)
        {
            var row = t.Skip(r * n).Take(n).ToArray();
            Assert.Equal(objects * n / 8, (int)row.Sum());
            var runs = Runs(row).ToList();
            // Two runs may touch (then they read as one run of twice the length); they never overlap.
            Assert.All(runs, run => Assert.Equal(0, run.Length % (n / 8)));
        }
        // The input equals the target wherever the target is 1, and noise only adds ones.
        Assert.True(input.ge(target).all().item<bool>());
        double rate = (input - target).sum().item<float>() / (double)(target.eq(0).sum().item<long>());
        Assert.InRange(rate, 0.04, 0.06);
    }

    [Fact]
    public void BatchesRepeatForASeed()
    {
        using var scope = NewDisposeScope();
        var a = SyntheticObjects.Batch(64, 2, 0.05, 10, new Generator(5));
        var b = SyntheticObjects.Batch(64, 2, 0.05, 10, new Generator(5));
        Assert.True(a.Input.eq(b.Input).all().item<bool>());
        Assert.True(a.Target.eq(b.Target).all().item<bool>());
    }

    [Fact]
    public void RejectsBadParameters()
    {
        var g = new Generator(1);
        Assert.Throws<MultiscaleException>(() => SyntheticObjects.Batch(100, 1, 0.05, 4, g));
        Assert.Throws<MultiscaleException>(() => SyntheticObjects.Batch(64, 3, 0.05, 4, g));
        Assert.Throws<MultiscaleException>(() => SyntheticObjects.Batch(64, 1, 1.5, 4, g));
    }
}
