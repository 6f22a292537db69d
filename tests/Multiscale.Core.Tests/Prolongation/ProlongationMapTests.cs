using Multiscale.Graphs;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class ProlongationMapTests
{
    private static ProlongationMap Random(int coarse, int fine, long seed) => ClosedFormMaps.RandomOrthogonal(coarse, fine, seed);

    [Fact]
    public void RestrictAfterProlongIsIdentity()
    {
        using var scope = NewDisposeScope();
        using var map = Random(6, 15, 1);
        var x = randn(6, dtype: ScalarType.Float64, generator: new Generator(2));
        Assert.True(map.Restrict(map.Prolong(x)).allclose(x, rtol: 0, atol: 1e-12));
        var m = randn(6, 4, dtype: ScalarType.Float64, generator: new Generator(3));
        Assert.True(map.Restrict(map.Prolong(m)).allclose(m, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void WeightProlongationFollowsEquation34AndRoundTrips()
    {
        using var scope = NewDisposeScope();
        using var pin = Random(4, 8, 4);
        using var pout = Random(3, 6, 5);
        var w = randn(4, 3, dtype: ScalarType.Float32, generator: new Generator(6));
        var fine = ProlongationMap.ProlongWeights(pin, w, pout);
        Assert.Equal(ScalarType.Float32, fine.dtype);
        var expected = pin.Matrix.matmul(w.to_type(ScalarType.Float64)).matmul(pout.Matrix.T);
        Assert.True(fine.to_type(ScalarType.Float64).allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(ProlongationMap.RestrictWeights(pin, fine, pout).allclose(w, rtol: 1e-5, atol: 1e-5));
        Assert.Throws<MultiscaleException>(() => ProlongationMap.ProlongWeights(pin, fine, pout));
    }

    [Fact]
    public void ModeProlongationActsOnOneModeOnly()
    {
        using var scope = NewDisposeScope();
        using var map = Random(5, 10, 7);
        var t = randn(3, 5, 2, dtype: ScalarType.Float64, generator: new Generator(8));
        var fine = map.ProlongMode(t, 1);
        Assert.Equal(new long[] { 3, 10, 2 }, fine.shape);
        var expected = einsum("ij,ajb->aib", map.Matrix, t);
        Assert.True(fine.allclose(expected, rtol: 0, atol: 1e-12));
        Assert.True(map.RestrictMode(fine, -2).allclose(t, rtol: 0, atol: 1e-12));
        Assert.Throws<MultiscaleException>(() => map.ProlongMode(t, 0));
    }

    [Fact]
    public void SaveAndLoadAreBitIdenticalWithProvenance()
    {
        var dir = Directory.CreateTempSubdirectory("map-");
        try
        {
            using var solution = ProlongationSolver.Solve(GraphFactory.Path(4), GraphFactory.Path(8), new ProlongationOptions { S = 0.5, RandomStarts = 1 });
            var path = Path.Combine(dir.FullName, "P.npy");
            solution.Map.Save(path);
            using var loaded = ProlongationMap.Load(path);
            Assert.True(loaded.Matrix.eq(solution.Map.Matrix).all().item<bool>());
            Assert.Equal(solution.Map.Provenance.Objective, loaded.Provenance.Objective);
            Assert.Equal("optimized", loaded.Provenance.Method);
            Assert.Equal("path:4", loaded.Provenance.CoarseGraph);
            Assert.Contains("\"coarse_graph\"", File.ReadAllText(Path.Combine(dir.FullName, "P.json")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void CompositionIsTheMatrixProductAndKeepsOrthonormality()
    {
        using var fine = Random(8, 16, 1);
        using var coarse = Random(4, 8, 2);
        using var composed = fine.Compose(coarse);
        Assert.Equal(16, composed.FineSize);
        Assert.Equal(4, composed.CoarseSize);
        Assert.True(composed.OrthogonalityError < 1e-12);
        Assert.Throws<MultiscaleException>(() => coarse.Compose(fine));
    }

    [Fact]
    public void RejectsMapsWithMoreColumnsThanRows()
    {
        using var t = zeros(3, 5, dtype: ScalarType.Float64);
        Assert.Throws<MultiscaleException>(() => new ProlongationMap(t, new MapProvenance()));
    }
}
