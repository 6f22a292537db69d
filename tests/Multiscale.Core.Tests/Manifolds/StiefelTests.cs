using Multiscale.Manifolds;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Manifolds;

public class StiefelTests
{
    [Theory]
    [InlineData(StiefelRetraction.Qr)]
    [InlineData(StiefelRetraction.Polar)]
    public void RetractionStaysOnTheManifoldToMachinePrecision(StiefelRetraction kind)
    {
        using var scope = NewDisposeScope();
        var m = new Stiefel(200, 60, kind);
        var gen = new Generator(11);
        var x = m.RandomPoint(gen);
        Assert.True(Stiefel.OrthogonalityError(x) < 1e-12);
        for (int i = 0; i < 20; i++)
        {
            var u = m.RandomTangent(x, gen) * 0.7;
            x = m.Retract(x, u);
        }
        Assert.True(m.ConstraintError(x) < 1e-12, $"‖XᵀX − I‖ = {m.ConstraintError(x)}");
    }

    [Theory]
    [InlineData(StiefelRetraction.Qr)]
    [InlineData(StiefelRetraction.Polar)]
    public void RetractionIsFirstOrderEqualToTheStep(StiefelRetraction kind)
    {
        using var scope = NewDisposeScope();
        var m = new Stiefel(30, 10, kind);
        var gen = new Generator(5);
        var x = m.RandomPoint(gen);
        var u = m.RandomTangent(x, gen);
        foreach (var t in new[] { 1e-2, 1e-3 })
        {
            var err = linalg.norm(m.Retract(x, u * t) - (x + u * t)).item<double>();
            Assert.True(err < 5 * t * t, $"‖R(tu) − (x + tu)‖ = {err} at t = {t}");
        }
    }

    [Fact]
    public void ProjectionIsIdempotentAndTangent()
    {
        using var scope = NewDisposeScope();
        var m = new Stiefel(40, 12);
        var gen = new Generator(2);
        var x = m.RandomPoint(gen);
        var z = randn(40, 12, dtype: ScalarType.Float64, generator: gen);
        var u = m.Project(x, z);
        Assert.True(m.Project(x, u).allclose(u, rtol: 0, atol: 1e-12));
        var skew = x.T.matmul(u) + u.T.matmul(x);
        Assert.True(skew.abs().max().item<double>() < 1e-12);
        // The residual z − u is normal: orthogonal to every tangent vector.
        var v = m.RandomTangent(x, gen);
        Assert.True(Math.Abs(m.Inner(x, z - u, v)) < 1e-12);
    }

    [Fact]
    public void RandomPointsRepeatForASeed()
    {
        using var scope = NewDisposeScope();
        var m = new Stiefel(16, 8);
        var a = m.RandomPoint(new Generator(42));
        var b = m.RandomPoint(new Generator(42));
        var c = m.RandomPoint(new Generator(43));
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.allclose(c));
    }

    [Fact]
    public void DimensionAndValidation()
    {
        Assert.Equal(10 * 4 - 4 * 5 / 2, new Stiefel(10, 4).Dimension);
        Assert.Throws<MultiscaleException>(() => new Stiefel(3, 4));
    }
}
