using Multiscale.Prolongation;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Core.Tests.Prolongation;

public class BandedMapTests
{
    public static TheoryData<string> LocalMaps => new() { "aggregation", "interpolation", "interpolation-odd", "grid" };

    private static ProlongationMap Make(string kind) => kind switch
    {
        "aggregation" => ClosedFormMaps.Aggregation(64, 128),
        "interpolation" => ClosedFormMaps.Interpolation(256, 512, periodic: false),
        "interpolation-odd" => ClosedFormMaps.Interpolation(20, 50, periodic: false),
        _ => GridMap(),
    };

    private static ProlongationMap GridMap()
    {
        using var a = ClosedFormMaps.Interpolation(8, 16, periodic: false);
        using var b = ClosedFormMaps.Interpolation(6, 12, periodic: false);
        using var k = new KroneckerMap(a, b);
        return k.Materialize();
    }

    [Theory]
    [MemberData(nameof(LocalMaps))]
    public void AgreesWithTheDenseMapBothWays(string kind)
    {
        using var map = Make(kind);
        using var banded = BandedMap.TryCreate(map, ScalarType.Float64);
        Assert.NotNull(banded);
        Assert.True(banded!.Width < map.CoarseSize / 2 || map.CoarseSize <= 48, $"width {banded.Width} of {map.CoarseSize}");
        Assert.True(banded.DroppedNorm < 1e-7);
        using var scope = NewDisposeScope();
        var g = new TorchSharp.torch.Generator(7);
        var x = randn(new long[] { map.CoarseSize, 3, 2 }, ScalarType.Float64, generator: g);
        var y = randn(new long[] { map.FineSize, 5 }, ScalarType.Float64, generator: g);
        Assert.True(banded.Prolong(x).allclose(map.Matrix.matmul(x.reshape(map.CoarseSize, -1)).reshape(map.FineSize, 3, 2), rtol: 0, atol: 1e-8));
        Assert.True(banded.Restrict(y).allclose(map.Matrix.T.matmul(y), rtol: 0, atol: 1e-8));
        // Res∘Pro = I survives the banding.
        Assert.True(banded.Restrict(banded.Prolong(x)).allclose(x, rtol: 0, atol: 1e-7));
    }

    [Fact]
    public void ExactlySparseMapsDropNothing()
    {
        using var map = ClosedFormMaps.Aggregation(32, 64);
        using var banded = BandedMap.TryCreate(map, ScalarType.Float32)!;
        Assert.Equal(1, banded.Width);
        Assert.Equal(0.0, banded.DroppedNorm);
    }

    [Fact]
    public void DenseMapsAreRefused()
    {
        using var map = ClosedFormMaps.RandomOrthogonal(100, 200, seed: 3);
        Assert.Null(BandedMap.TryCreate(map, ScalarType.Float32));
    }

    [Fact]
    public void GradientsFlowThroughBothDirections()
    {
        using var map = ClosedFormMaps.Interpolation(10, 20, periodic: false);
        using var banded = BandedMap.TryCreate(map, ScalarType.Float64)!;
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 10, 4 }, ScalarType.Float64, generator: new TorchSharp.torch.Generator(1)).requires_grad_();
        var w = randn(new long[] { 20, 4 }, ScalarType.Float64, generator: new TorchSharp.torch.Generator(2));
        (banded.Prolong(x) * w).sum().backward();
        // d/dx Σ (P x) ∘ w = Pᵀ w.
        Assert.True(x.grad!.allclose(map.Matrix.T.matmul(w), rtol: 0, atol: 1e-8));
        var y = randn(new long[] { 20, 4 }, ScalarType.Float64, generator: new TorchSharp.torch.Generator(3)).requires_grad_();
        var v = randn(new long[] { 10, 4 }, ScalarType.Float64, generator: new TorchSharp.torch.Generator(4));
        (banded.Restrict(y) * v).sum().backward();
        Assert.True(y.grad!.allclose(map.Matrix.matmul(v), rtol: 0, atol: 1e-8));
    }

    [Fact]
    public void WrongSizesAreRejected()
    {
        using var map = ClosedFormMaps.Aggregation(4, 8);
        using var banded = BandedMap.TryCreate(map, ScalarType.Float32)!;
        using var x = zeros(5, 2);
        Assert.Throws<MultiscaleException>(() => banded.Prolong(x));
        Assert.Throws<MultiscaleException>(() => banded.Restrict(x));
    }
}
