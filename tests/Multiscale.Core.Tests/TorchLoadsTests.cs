using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests;

/// <summary>Proves the native backend loads in the test host (the GLIBCXX patch on Debian 12 / Ubuntu 22.04).</summary>
public class TorchLoadsTests
{
    [Fact]
    public void EighOfASymmetricMatrixRunsInDoublePrecision()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[,] { { 2, 1 }, { 1, 2 } }, dtype: ScalarType.Float64);
        var (values, vectors) = linalg.eigh(a);
        Assert.Equal(1.0, values[0].item<double>(), 12);
        Assert.Equal(3.0, values[1].item<double>(), 12);
        var back = vectors.matmul(diag(values)).matmul(vectors.T);
        Assert.True(back.allclose(a, rtol: 0, atol: 1e-12));
    }
}
