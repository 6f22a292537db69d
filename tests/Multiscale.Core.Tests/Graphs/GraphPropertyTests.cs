using FsCheck;
using FsCheck.Xunit;
using Multiscale.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Graphs;

/// <summary>Invariants on random connected graphs (a random spanning tree plus random extra edges).</summary>
public class GraphPropertyTests
{
    internal static Graph RandomConnectedGraph(int seed, int n, bool weighted)
    {
        var rng = new Random(seed);
        var edges = new List<WeightedEdge>();
        double W() => weighted ? Math.Round(0.25 + 4 * rng.NextDouble(), 3) : 1.0;
        for (int v = 1; v < n; v++) edges.Add(new WeightedEdge(rng.Next(v), v, W()));
        var seen = edges.Select(e => (e.Source, e.Target)).ToHashSet();
        int extra = rng.Next(0, 2 * n);
        for (int k = 0; k < extra; k++)
        {
            int u = rng.Next(n), v = rng.Next(n);
            if (u == v) continue;
            var key = (Math.Min(u, v), Math.Max(u, v));
            if (seen.Add(key)) edges.Add(new WeightedEdge(key.Item1, key.Item2, W()));
        }
        return Graph.FromEdges($"random:{seed}", n, edges);
    }

    [Property(MaxTest = 60)]
    public void DistancesAreAMetricAndLaplacianRowsSumToZero(int seed, byte size, bool weighted)
    {
        int n = 2 + size % 30;
        var g = RandomConnectedGraph(seed, n, weighted);
        var t = GraphOperators.HopDistanceArray(g);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0.0, t[i * n + i]);
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(t[i * n + j], t[j * n + i], 12);
                if (i != j) Assert.True(t[i * n + j] > 0);
                for (int k = 0; k < n; k++) Assert.True(t[i * n + k] <= t[i * n + j] + t[j * n + k] + 1e-12);
            }
        }
        using var scope = NewDisposeScope();
        var row = GraphOperators.Laplacian(g).matmul(ones(n, dtype: ScalarType.Float64));
        Assert.True(row.abs().max().item<double>() < 1e-12);
    }

    [Property(MaxTest = 30)]
    public void DistancesEqualFloydWarshall(int seed, byte size, bool weighted)
    {
        int n = 2 + size % 25;
        var g = RandomConnectedGraph(seed, n, weighted);
        var brute = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) brute[i, j] = i == j ? 0 : double.PositiveInfinity;
        foreach (var e in g.Edges) brute[e.Source, e.Target] = brute[e.Target, e.Source] = e.Weight;
        for (int k = 0; k < n; k++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    brute[i, j] = Math.Min(brute[i, j], brute[i, k] + brute[k, j]);
        var t = GraphOperators.HopDistanceArray(g);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) Assert.Equal(brute[i, j], t[i * n + j], 9);
    }
}
