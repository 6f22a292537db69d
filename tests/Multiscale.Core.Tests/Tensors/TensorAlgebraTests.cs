using Multiscale.Tensors;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Tests.Tensors;

public class TensorAlgebraTests
{
    /// <summary>(X ×ₙ M)[…, r, …] = Σ_j M[r, j] X[…, j, …], written as loops over a flat copy.</summary>
    private static double[] Explicit(double[] x, long[] shape, double[] m, long rows, int mode)
    {
        long before = shape.Take(mode).Aggregate(1L, (a, b) => a * b), after = shape.Skip(mode + 1).Aggregate(1L, (a, b) => a * b);
        long inner = shape[mode];
        var result = new double[before * rows * after];
        for (long p = 0; p < before; p++)
            for (long r = 0; r < rows; r++)
                for (long q = 0; q < after; q++)
                {
                    double sum = 0;
                    for (long j = 0; j < inner; j++) sum += m[r * inner + j] * x[(p * inner + j) * after + q];
                    result[(p * rows + r) * after + q] = sum;
                }
        return result;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void ModeProductEqualsTheExplicitSum(int mode)
    {
        using var scope = NewDisposeScope();
        var shape = new long[] { 3, 4, 5 };
        int m = mode < 0 ? mode + shape.Length : mode;
        var x = randn(shape, dtype: ScalarType.Float64, generator: new Generator(1));
        var matrix = randn(new long[] { 6, shape[m] }, dtype: ScalarType.Float64, generator: new Generator(2));
        var result = TensorAlgebra.ModeProduct(x, matrix, mode);
        var expectedShape = shape.ToArray();
        expectedShape[m] = 6;
        Assert.Equal(expectedShape, result.shape);
        var expected = Explicit(x.data<double>().ToArray(), shape, matrix.data<double>().ToArray(), 6, m);
        var actual = result.data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);

        // With transpose: X ×ₙ Mᵀ for M stored the other way round.
        var transposed = TensorAlgebra.ModeProduct(x, matrix.T.contiguous(), mode, transpose: true);
        Assert.True(transposed.allclose(result, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void ModeProductsOnDifferentModesCommute()
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 3, 4, 5 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var a = randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var b = randn(new long[] { 7, 5 }, dtype: ScalarType.Float64, generator: new Generator(5));
        var ab = TensorAlgebra.ModeProduct(TensorAlgebra.ModeProduct(x, a, 0), b, 2);
        var ba = TensorAlgebra.ModeProduct(TensorAlgebra.ModeProduct(x, b, 2), a, 0);
        Assert.True(ab.allclose(ba, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void ModeProductIsDifferentiable()
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 3, 4 }, dtype: ScalarType.Float64, generator: new Generator(6)).requires_grad_();
        var matrix = randn(new long[] { 5, 4 }, dtype: ScalarType.Float64, generator: new Generator(7));
        TensorAlgebra.ModeProduct(x, matrix, 1).sum().backward();
        // d/dX Σ X Mᵀ = 1·M: every row of the gradient is M's column sums.
        var expected = matrix.sum(dim: 0).expand(3, 4);
        Assert.True(x.grad!.allclose(expected, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void ModeProductRefusesMismatchedSizesAndModes()
    {
        using var scope = NewDisposeScope();
        var x = zeros(3, 4, dtype: ScalarType.Float64);
        Assert.Throws<MultiscaleException>(() => TensorAlgebra.ModeProduct(x, zeros(5, 3, dtype: ScalarType.Float64), 1));
        Assert.Throws<MultiscaleException>(() => TensorAlgebra.ModeProduct(x, zeros(5, 4, dtype: ScalarType.Float64), 2));
        Assert.Throws<MultiscaleException>(() => TensorAlgebra.ModeProduct(x, zeros(4, dtype: ScalarType.Float64), 1));
        Assert.Throws<MultiscaleException>(() => TensorAlgebra.ModeProduct(x, zeros(5, 4, dtype: ScalarType.Float64), 1, transpose: true));
    }
}
