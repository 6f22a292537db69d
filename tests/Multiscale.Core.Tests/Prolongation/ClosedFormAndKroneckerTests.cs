using Multiscale.Graphs;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class ClosedFormAndKroneckerTests
{
    private static ObjectiveTerms Evaluate(ProlongationMap map, Graph coarse, Graph fine, double s, ScaleParameter alpha, ScaleParameter beta)
    {
        using var ops = ProlongationOperators.Create(coarse, fine, withDistances: true);
        return new ProlongationObjective(ops, s, alpha, beta).Terms(map.Matrix);
    }

    [Theory]
    [InlineData(3, 7)]
    [InlineData(8, 16)]
    [InlineData(5, 5)]
    public void EveryClosedFormIsOrthonormal(int coarse, int fine)
    {
        using var a = ClosedFormMaps.Aggregation(coarse, fine);
        using var ip = ClosedFormMaps.Interpolation(coarse, fine, periodic: false);
        using var ic = ClosedFormMaps.Interpolation(coarse, fine, periodic: true);
        using var sh = ClosedFormMaps.Shuffled(a, 3);
        foreach (var m in new[] { a, ip, ic, sh }) Assert.True(m.OrthogonalityError < 1e-12, m.Provenance.Method);
    }

    [Fact]
    public void PairAggregationIsTheReferenceCodesMap()
    {
        using var a = ClosedFormMaps.Aggregation(4, 8);
        double w = 1 / Math.Sqrt(2);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(i / 2 == j ? w : 0, a.Matrix[i, j].item<double>(), 15);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(16)]
    public void CoversHaveZeroDiffusion(int n)
    {
        using var cycle = ClosedFormMaps.CycleDoubleCover(n);
        Assert.True(Evaluate(cycle, GraphFactory.Cycle(n), GraphFactory.Cycle(2 * n), 0, ScaleParameter.Fixed(1), ScaleParameter.Auto).Diffusion < 1e-24);
        using var path = ClosedFormMaps.PathMirrorCover(n);
        Assert.True(Evaluate(path, GraphFactory.Path(n), GraphFactory.Path(2 * n), 0, ScaleParameter.Fixed(1), ScaleParameter.Auto).Diffusion < 1e-24);
    }

    [Fact]
    public void KroneckerApplicationEqualsTheMaterializedProduct()
    {
        using var scope = NewDisposeScope();
        using var pa = ClosedFormMaps.Interpolation(3, 6, false);
        using var pb = ClosedFormMaps.RandomOrthogonal(4, 7, 1);
        var k = new KroneckerMap(pa, pb);
        using var full = k.Materialize();
        var x = randn(12, 3, dtype: ScalarType.Float64, generator: new Generator(4));
        Assert.True(k.Prolong(x).allclose(full.Matrix.matmul(x), rtol: 0, atol: 1e-12));
        var y = randn(42, dtype: ScalarType.Float64, generator: new Generator(5));
        Assert.True(k.Restrict(y).allclose(full.Matrix.T.matmul(y), rtol: 0, atol: 1e-12));
        Assert.True(full.OrthogonalityError < 1e-12);
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(0.5, true)]
    [InlineData(0.5, false)]
    public void KroneckerObjectiveIsExactAndBelowTheTheorem51Bound(double s, bool auto)
    {
        var (ca, fa, cb, fb) = (GraphFactory.Path(3), GraphFactory.Path(6), GraphFactory.Cycle(4), GraphFactory.Cycle(8));
        using var pa = ClosedFormMaps.Interpolation(3, 6, false);
        using var pb = ClosedFormMaps.RandomOrthogonal(4, 8, 2);
        var k = new KroneckerMap(pa, pb);
        var alpha = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(0.9);
        var beta = auto ? ScaleParameter.Auto : ScaleParameter.Fixed(0.4);
        var result = k.Objective(ca, fa, cb, fb, s, alpha, beta);
        using var full = k.Materialize();
        var direct = Evaluate(full, GraphFactory.BoxProduct(ca, cb), GraphFactory.BoxProduct(fa, fb), s, alpha, beta);
        Assert.Equal(direct.Diffusion, result.Terms.Diffusion, 1e-9 * direct.Diffusion);
        Assert.Equal(direct.Locality, result.Terms.Locality, 1e-9 * direct.Locality);
        Assert.Equal(direct.Objective, result.Terms.Objective, 1e-9 * direct.Objective);
        Assert.Equal(direct.Alpha, result.Terms.Alpha, 9);
        Assert.True(result.DiffusionNorm <= result.Theorem51Bound + 1e-12);
    }
}
