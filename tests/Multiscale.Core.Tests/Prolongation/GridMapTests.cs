using Multiscale.Graphs;
using Multiscale.Prolongation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Tests.Prolongation;

public class GridMapTests
{
    /// <summary>Any fine × coarse matrix as a map (not orthonormal), seeded.</summary>
    private static ProlongationMap Arbitrary(int coarse, int fine, long seed)
    {
        using var m = randn(fine, coarse, dtype: ScalarType.Float64, generator: new Generator((ulong)seed));
        return new ProlongationMap(m, new MapProvenance { Method = $"arbitrary{seed}" });
    }

    /// <summary>P[i, j] = Π_a P_a[i_a, j_a] with i, j the row-major indices of the multi-indices — entry by entry.</summary>
    private static double[,] BruteForce(GridShape coarse, GridShape fine, IReadOnlyList<ProlongationMap> axes)
    {
        var factors = axes.Select(a => a.Matrix.data<double>().ToArray()).ToArray();
        var p = new double[fine.Cells, coarse.Cells];
        for (int i = 0; i < fine.Cells; i++)
            for (int j = 0; j < coarse.Cells; j++)
            {
                double value = 1;
                int ri = i, rj = j;
                for (int a = axes.Count - 1; a >= 0; a--)
                {
                    int ia = ri % fine.Sides[a], ja = rj % coarse.Sides[a];
                    ri /= fine.Sides[a];
                    rj /= coarse.Sides[a];
                    value *= factors[a][ia * coarse.Sides[a] + ja];
                }
                p[i, j] = value;
            }
        return p;
    }

    public static IEnumerable<object[]> Shapes() => new[]
    {
        new object[] { new[] { 3 }, new[] { 7 } },
        new object[] { new[] { 2, 3 }, new[] { 4, 5 } },
        new object[] { new[] { 3, 2 }, new[] { 3, 4 } },
        new object[] { new[] { 2, 1, 3 }, new[] { 3, 2, 4 } },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsTheDenseKroneckerProduct(int[] coarseSides, int[] fineSides)
    {
        using var scope = NewDisposeScope();
        var (coarse, fine) = (new GridShape(coarseSides), new GridShape(fineSides));
        using var map = GridMap.Create(coarse, fine, (a, n1, n2) => Arbitrary(n1, n2, 10 + a));
        var brute = tensor(BruteForce(coarse, fine, map.Axes), ScalarType.Float64);
        using var dense = map.Dense();
        Assert.True(dense.Matrix.allclose(brute, rtol: 1e-13, atol: 1e-13));

        var x = randn(coarse.Cells, dtype: ScalarType.Float64, generator: new Generator(1));
        Assert.True(map.Prolong(x).allclose(brute.matmul(x), rtol: 1e-12, atol: 1e-12));
        var xs = randn(coarse.Cells, 3, dtype: ScalarType.Float64, generator: new Generator(2));
        Assert.True(map.Prolong(xs).allclose(brute.matmul(xs), rtol: 1e-12, atol: 1e-12));
        var y = randn(fine.Cells, 2, dtype: ScalarType.Float64, generator: new Generator(3));
        Assert.True(map.Restrict(y).allclose(brute.T.matmul(y), rtol: 1e-12, atol: 1e-12));

        // Along a middle mode of a 3-mode tensor: [2, n₁, 3] → [2, n₂, 3], every fibre multiplied by P.
        var t = randn(new long[] { 2, coarse.Cells, 3 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var expected = einsum("ij,ajb->aib", brute, t);
        Assert.True(map.ProlongMode(t, 1).allclose(expected, rtol: 1e-12, atol: 1e-12));
        var u = randn(new long[] { 2, 3, fine.Cells }, dtype: ScalarType.Float64, generator: new Generator(5));
        Assert.True(map.RestrictMode(u, -1).allclose(u.matmul(brute), rtol: 1e-12, atol: 1e-12));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OrthonormalAxesGiveAnOrthonormalMapAndRestrictionUndoesProlongation(int[] coarseSides, int[] fineSides)
    {
        using var scope = NewDisposeScope();
        var (coarse, fine) = (new GridShape(coarseSides), new GridShape(fineSides));
        using var map = GridMap.Create(coarse, fine, (a, n1, n2) => a % 2 == 0
            ? ClosedFormMaps.RandomOrthogonal(n1, n2, 20 + a)
            : ClosedFormMaps.Interpolation(n1, n2, periodic: false));
        using var dense = map.Dense();
        Assert.True(dense.OrthogonalityError < 1e-12);                        // PᵀP = I
        var x = randn(coarse.Cells, 4, dtype: ScalarType.Float64, generator: new Generator(6));
        Assert.True(map.Restrict(map.Prolong(x)).allclose(x, rtol: 0, atol: 1e-12)); // Res∘Pro = I
        var t = randn(new long[] { 3, coarse.Cells }, dtype: ScalarType.Float64, generator: new Generator(7));
        Assert.True(map.RestrictMode(map.ProlongMode(t, 1), 1).allclose(t, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void DenseOfTwoAxesIsTheKroneckerMapAndNamesItsFactors()
    {
        using var scope = NewDisposeScope();
        using var pa = ClosedFormMaps.Interpolation(3, 6, false);
        using var pb = ClosedFormMaps.Aggregation(2, 4);
        using var grid = new GridMap(new GridShape(3, 2), new GridShape(6, 4), new[] { pa, pb }, ownsAxes: false);
        using var dense = grid.Dense();
        Assert.True(dense.Matrix.eq(kron(pa.Matrix, pb.Matrix)).all().item<bool>());
        Assert.Equal("kronecker", dense.Provenance.Method);
        Assert.Equal(pa.Provenance.Method, dense.Provenance.Details!["factor_a"]);
        Assert.Equal(pb.Provenance.Method, dense.Provenance.Details!["factor_b"]);
        grid.Dispose();
        Assert.Equal(6, pa.FineSize);                                            // not owned: still alive
        Assert.False(pa.Matrix.IsInvalid);
    }

    [Fact]
    public void ALineageOfGridsIsTheGridMapOfItsAxes()
    {
        using var scope = NewDisposeScope();
        using var lineage = Lineage.Build(new[] { "grid:8x6", "grid:4x3" }, MapSource.Interpolation, new ProlongationOptions(), cacheDirectory: null);
        using var grid = GridMap.Create(new GridShape(4, 3), new GridShape(8, 6), (_, n1, n2) => ClosedFormMaps.Interpolation(n1, n2, periodic: false));
        using var dense = grid.Dense();
        Assert.True(lineage.Maps[0].Matrix.eq(dense.Matrix).all().item<bool>());
        using var closedForm = ClosedFormMaps.Interpolation(GraphSpec.Parse("grid:4x3"), GraphSpec.Parse("grid:8x6"))!;
        Assert.True(closedForm.Matrix.eq(dense.Matrix).all().item<bool>());
    }

    [Fact]
    public void RefusesMismatchedAxesAndTensors()
    {
        using var scope = NewDisposeScope();
        using var pa = ClosedFormMaps.Interpolation(3, 6, false);
        using var pb = ClosedFormMaps.Interpolation(2, 4, false);
        Assert.Throws<MultiscaleException>(() => new GridMap(new GridShape(3, 2), new GridShape(6, 5), new[] { pa, pb }, ownsAxes: false));
        Assert.Throws<MultiscaleException>(() => new GridMap(new GridShape(3, 2), new GridShape(6, 4), new[] { pa }, ownsAxes: false));
        Assert.Throws<MultiscaleException>(() => new GridMap(new GridShape(3, 2), new GridShape(6, 4, 1), new[] { pa, pb }, ownsAxes: false));
        using var grid = new GridMap(new GridShape(3, 2), new GridShape(6, 4), new[] { pa, pb }, ownsAxes: false);
        Assert.Throws<MultiscaleException>(() => grid.Prolong(zeros(7, dtype: ScalarType.Float64)));
        Assert.Throws<MultiscaleException>(() => grid.ProlongMode(zeros(2, 7, dtype: ScalarType.Float64), 1));
        Assert.Throws<MultiscaleException>(() => grid.RestrictMode(zeros(2, 24, dtype: ScalarType.Float64), 2));
    }

    [Fact]
    public void AFailingAxisReleasesTheAxesAlreadyMade()
    {
        var made = new List<ProlongationMap>();
        Assert.Throws<MultiscaleException>(() => GridMap.Create(new GridShape(2, 2), new GridShape(4, 4), (a, n1, n2) =>
        {
            if (a == 1) throw new MultiscaleException("axis 1 failed");
            var m = ClosedFormMaps.Interpolation(n1, n2, false);
            made.Add(m);
            return m;
        }));
        Assert.Single(made);
        Assert.True(made[0].Matrix.IsInvalid);
    }
}
