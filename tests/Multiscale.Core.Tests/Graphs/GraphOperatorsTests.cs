using Multiscale.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Graphs;

public class GraphOperatorsTests
{
    private static double[] SortedSpectrum(Graph g)
    {
        using var s = GraphOperators.Spectrum(g);
        return s.Eigenvalues.data<double>().ToArray();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(32)]
    public void PathSpectrumMatchesClosedForm(int n)
    {
        var expected = Enumerable.Range(0, n).Select(k => -(2 - 2 * Math.Cos(Math.PI * k / n))).OrderBy(x => x).ToArray();
        var actual = SortedSpectrum(GraphFactory.Path(n));
        for (int i = 0; i < n; i++) Assert.Equal(expected[i], actual[i], 10);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(65)]
    public void CycleSpectrumMatchesClosedFormWithDoubleEigenvalues(int n)
    {
        var expected = Enumerable.Range(0, n).Select(k => -(2 - 2 * Math.Cos(2 * Math.PI * k / n))).OrderBy(x => x).ToArray();
        var actual = SortedSpectrum(GraphFactory.Cycle(n));
        for (int i = 0; i < n; i++) Assert.Equal(expected[i], actual[i], 10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GridSpectrumIsTheSumOfFactorSpectra(bool periodic)
    {
        int a = 4, b = 6;
        var s1 = SortedSpectrum(periodic ? GraphFactory.Cycle(a) : GraphFactory.Path(a));
        var s2 = SortedSpectrum(periodic ? GraphFactory.Cycle(b) : GraphFactory.Path(b));
        var expected = s1.SelectMany(x => s2.Select(y => x + y)).OrderBy(x => x).ToArray();
        var actual = SortedSpectrum(GraphFactory.Grid(new[] { a, b }, periodic));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 10);
    }

    [Fact]
    public void Grid4x4SmallestEigenvalueIsTwicePathExtreme()
    {
        var actual = SortedSpectrum(GraphFactory.Grid(new[] { 4, 4 }));
        Assert.Equal(-(2 - 2 * Math.Cos(3 * Math.PI / 4)) * 2, actual[0], 12);
        Assert.Equal(-6.828427124746, actual[0], 10);
        Assert.Equal(0.0, actual[^1], 12);
    }

    [Fact]
    public void BoxProductLaplacianIsTheKroneckerSum()
    {
        var g1 = GraphFactory.Path(3);
        var g2 = GraphFactory.Cycle(5);
        using var scope = NewDisposeScope();
        var l1 = GraphOperators.Laplacian(g1);
        var l2 = GraphOperators.Laplacian(g2);
        var expected = kron(l1, eye(5, dtype: ScalarType.Float64)) + kron(eye(3, dtype: ScalarType.Float64), l2);
        var actual = GraphOperators.Laplacian(GraphFactory.BoxProduct(g1, g2));
        Assert.True(actual.eq(expected).all().item<bool>());
    }

    [Fact]
    public void CrossProductAdjacencyIsTheKroneckerProduct()
    {
        var g1 = GraphFactory.Path(4);
        var g2 = GraphFactory.Cycle(3);
        using var scope = NewDisposeScope();
        var expected = kron(GraphOperators.Adjacency(g1), GraphOperators.Adjacency(g2));
        Assert.True(GraphOperators.Adjacency(GraphFactory.CrossProduct(g1, g2)).eq(expected).all().item<bool>());
    }

    [Fact]
    public void LaplacianIsAMinusDAndSparseEqualsDense()
    {
        var g = GraphSpec.Parse("box(path:4,cycle:5)");
        using var scope = NewDisposeScope();
        var a = GraphOperators.Adjacency(g);
        var d = GraphOperators.Degrees(g);
        var l = GraphOperators.Laplacian(g);
        Assert.True(l.eq(a - diag(d)).all().item<bool>());
        Assert.True(GraphOperators.SparseLaplacian(g).to_dense().eq(l).all().item<bool>());
        Assert.True(GraphOperators.SparseAdjacency(g).to_dense().eq(a).all().item<bool>());
        var x = randn(20, 3, dtype: ScalarType.Float64, generator: new Generator(7));
        Assert.True(GraphOperators.SparseLaplacian(g).matmul(x).allclose(l.matmul(x), rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void EigenvectorsAreOrthonormalAndDiagonalizeL()
    {
        var g = GraphFactory.Grid(new[] { 5, 4 }, periodic: true);
        using var scope = NewDisposeScope();
        using var s = GraphOperators.Spectrum(g);
        var u = s.Eigenvectors;
        Assert.True(u.T.matmul(u).allclose(eye(20, dtype: ScalarType.Float64), rtol: 0, atol: 1e-12));
        var l = GraphOperators.Laplacian(g);
        Assert.True(l.matmul(u).allclose(u * s.Eigenvalues, rtol: 0, atol: 1e-10));
    }

    [Theory]
    [InlineData(9)]
    public void PathDistancesAreAbsoluteDifferences(int n)
    {
        var t = GraphOperators.HopDistanceArray(GraphFactory.Path(n));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) Assert.Equal(Math.Abs(i - j), t[i * n + j]);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    public void CycleDistancesWrapAround(int n)
    {
        var t = GraphOperators.HopDistanceArray(GraphFactory.Cycle(n));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) Assert.Equal(Math.Min(Math.Abs(i - j), n - Math.Abs(i - j)), t[i * n + j]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GridDistancesAreManhattanOrWrapAroundManhattan(bool periodic)
    {
        int a = 5, b = 6, n = a * b;
        var t = GraphOperators.HopDistanceArray(GraphFactory.Grid(new[] { a, b }, periodic));
        int Axis(int x, int y, int side) => periodic ? Math.Min(Math.Abs(x - y), side - Math.Abs(x - y)) : Math.Abs(x - y);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(Axis(i / b, j / b, a) + Axis(i % b, j % b, b), t[i * n + j]);
    }

    [Fact]
    public void HopDistancesTensorIsFloat64OnTheRequestedDevice()
    {
        using var t = GraphOperators.HopDistances(GraphFactory.Path(4), CPU);
        Assert.Equal(ScalarType.Float64, t.dtype);
        Assert.Equal(new long[] { 4, 4 }, t.shape);
        Assert.Equal(3.0, t[0, 3].item<double>());
    }

    [Fact]
    public void DisconnectedGraphDistancesNameTheComponentCount()
    {
        var g = Graph.FromEdges("two-parts", 5, new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(2, 3, 1) });
        var e = Assert.Throws<DisconnectedGraphException>(() => GraphOperators.HopDistanceArray(g));
        Assert.Equal(3, e.ComponentCount);
        Assert.Contains("3 connected components", e.Message);
    }

    [Fact]
    public void NegativeWeightsAreRejectedForDistancesButNotForTheLaplacian()
    {
        var g = Graph.FromEdges("signed", 3, new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(1, 2, -0.5) });
        var e = Assert.Throws<MultiscaleException>(() => GraphOperators.HopDistanceArray(g));
        Assert.Contains("negative weight", e.Message);
        using var l = GraphOperators.Laplacian(g);
        Assert.Equal(-0.5, l[1, 1].item<double>());
    }

    [Fact]
    public void WeightedDistancesUseDijkstra()
    {
        // 0 -1- 1 -1- 2 and a heavy shortcut 0 -5- 2: the shortest 0→2 path is 2, not 5 and not 1 hop.
        var g = Graph.FromEdges("tri", 3, new[] { new WeightedEdge(0, 1, 1), new WeightedEdge(1, 2, 1), new WeightedEdge(0, 2, 5) });
        var t = GraphOperators.HopDistanceArray(g);
        Assert.Equal(2.0, t[2]);
    }
}
