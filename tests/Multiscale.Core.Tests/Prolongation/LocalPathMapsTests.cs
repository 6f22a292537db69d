using Multiscale.Graphs;
using Multiscale.Prolongation;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Core.Tests.Prolongation;

public class LocalPathMapsTests
{
    [Theory]
    [InlineData(8, 16)]
    [InlineData(10, 25)]
    public void IsOrthonormalLocalAndNoWorseThanItsStart(int coarse, int fine)
    {
        using var map = LocalPathMaps.Optimized(coarse, fine);
        Assert.True(map.OrthogonalityError < 1e-10);
        using var ops = ProlongationOperators.Create(GraphFactory.Path(coarse), GraphFactory.Path(fine), withDistances: true);
        var objective = new ProlongationObjective(ops, 1.0, ScaleParameter.Auto, ScaleParameter.Auto);
        using var start = ClosedFormMaps.Interpolation(coarse, fine, periodic: false);
        Assert.True(objective.Terms(map.Matrix).Objective <= objective.Terms(start.Matrix).Objective * (1 + 1e-12));
        // Local and order-preserving: a coarse ramp stays a ramp (monotone) after prolongation.
        using var scope = NewDisposeScope();
        var ramp = linspace(0, 1, coarse, dtype: ScalarType.Float64);
        var fineRamp = map.Prolong(ramp).data<double>().ToArray();
        int rises = Enumerable.Range(1, fine - 1).Count(i => fineRamp[i] >= fineRamp[i - 1] - 1e-9);
        Assert.True(rises >= fine - 3, $"only {rises} of {fine - 1} steps rise");
    }

    [Fact]
    public void EqualSizesGiveTheIdentityAndBadSizesAreRejected()
    {
        using var map = LocalPathMaps.Optimized(5, 5);
        Assert.True(map.Matrix.allclose(eye(5, dtype: ScalarType.Float64)));
        Assert.Throws<MultiscaleException>(() => LocalPathMaps.Optimized(6, 5));
        Assert.Throws<MultiscaleException>(() => LocalPathMaps.Optimized(3, 6, s: 1.5));
    }

    [Fact]
    public void TheCacheReturnsTheSameMap()
    {
        var dir = Directory.CreateTempSubdirectory("local-path-maps-").FullName;
        using var first = LocalPathMaps.Optimized(6, 12, 1.0, dir);
        using var second = LocalPathMaps.Optimized(6, 12, 1.0, dir);
        Assert.True(first.Matrix.eq(second.Matrix).all().item<bool>());
        Assert.Single(Directory.GetFiles(dir, "*.npy"));
    }
}
