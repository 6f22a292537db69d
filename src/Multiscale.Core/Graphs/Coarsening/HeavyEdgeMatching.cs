using static TorchSharp.torch;

namespace Multiscale.Graphs.Coarsening;

/// <summary>
/// Heavy-edge matching, the coarsening of METIS (Karypis &amp; Kumar 1998) and Graclus: vertices are visited in a
/// seeded random order; an unmatched vertex is matched with the unmatched neighbour joined by the heaviest edge (ties
/// go to the neighbour visited first), or stays alone when every neighbour is taken. Matched pairs are contracted.
/// </summary>
public static class HeavyEdgeMatching
{
    /// <summary>Matches and contracts <paramref name="graph"/>; the visiting order comes from <paramref name="seed"/>.</summary>
    /// <exception cref="MultiscaleException">An edge weight is not positive (a heavy edge is a strong one).</exception>
    public static GraphCoarsening Coarsen(Graph graph, long seed, string? coarseName = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        CoarseningRules.RequirePositiveWeights(graph, "heavy-edge matching");
        int n = graph.VertexCount;
        var order = VisitingOrder(n, seed);
        var rank = new int[n];
        for (int k = 0; k < n; k++) rank[order[k]] = k;

        var (rowStart, neighbors, weights) = graph.Csr;
        var mate = new int[n];
        Array.Fill(mate, -1);
        foreach (int u in order)
        {
            if (mate[u] >= 0) continue;
            int best = -1;
            double bestWeight = double.NegativeInfinity;
            for (int k = rowStart[u]; k < rowStart[u + 1]; k++)
            {
                int v = neighbors[k];
                if (mate[v] >= 0) continue;
                double w = weights[k];
                if (w > bestWeight || w == bestWeight && rank[v] < rank[best]) { best = v; bestWeight = w; }
            }
            mate[u] = best >= 0 ? best : u;
            if (best >= 0) mate[best] = u;
        }
        // Each pair (or singleton) is named by its smaller vertex; FromAggregates renumbers densely.
        var aggregateOf = new int[n];
        for (int i = 0; i < n; i++) aggregateOf[i] = Math.Min(i, mate[i]);
        return GraphCoarsening.FromAggregates(graph, aggregateOf, CoarseningMethod.HeavyEdge, coarseName ?? $"heavy-edge({graph.Name})");
    }

    private static int[] VisitingOrder(int n, long seed)
    {
        using var generator = new Generator((ulong)seed);
        using var permutation = randperm(n, generator: generator);
        return Array.ConvertAll(permutation.data<long>().ToArray(), v => (int)v);
    }
}
