namespace Multiscale.Graphs.Coarsening;

/// <summary>
/// Standard aggregation of algebraic multigrid (Vaněk, Mandel &amp; Brezina 1996), as PyAMG's
/// <c>standard_aggregation</c> runs it on the graph Laplacian D − A:
/// <list type="number">
/// <item>strength of connection: edge {i, j} is strong when w_ij ≥ θ √(d_i d_j) (PyAMG's symmetric measure);</item>
/// <item>in vertex order, a vertex none of whose strong neighbours is aggregated yet becomes a root: it and its strong
/// neighbours form a new aggregate;</item>
/// <item>each vertex still free joins the aggregate of its first strong neighbour that was aggregated in step 2;</item>
/// <item>each vertex still free forms a new aggregate with its free strong neighbours.</item>
/// </list>
/// PyAMG leaves a vertex without strong neighbours out of every aggregate (a zero row of the aggregation operator);
/// here it becomes an aggregate of its own, so the aggregates partition the vertices and the coarse graph stays
/// connected.
/// </summary>
public static class StandardAggregation
{
    /// <summary>PyAMG's default strength threshold θ for the symmetric measure (every edge of a graph is strong).</summary>
    public const double DefaultTheta = 0;

    /// <summary>Aggregates and contracts <paramref name="graph"/> with strength threshold <paramref name="theta"/> ∈ [0, 1].</summary>
    /// <exception cref="MultiscaleException">θ is outside [0, 1] or an edge weight is not positive.</exception>
    public static GraphCoarsening Coarsen(Graph graph, double theta = DefaultTheta, string? coarseName = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!(theta >= 0 && theta <= 1)) throw new MultiscaleException($"the strength-of-connection threshold must be in [0, 1] (got {theta})");
        CoarseningRules.RequirePositiveWeights(graph, "aggregation");
        int n = graph.VertexCount;
        var degrees = graph.Degrees();
        var (rowStart, neighbors, weights) = graph.Csr;
        bool Strong(int i, int k) => weights[k] >= theta * Math.Sqrt(degrees[i] * degrees[neighbors[k]]);

        const int Free = -1;
        var aggregate = new int[n];
        Array.Fill(aggregate, Free);
        var fromRoots = new bool[n];
        int count = 0;

        for (int i = 0; i < n; i++)
        {
            if (aggregate[i] != Free) continue;
            bool hasStrong = false, touchesAggregate = false;
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++)
            {
                if (!Strong(i, k)) continue;
                hasStrong = true;
                if (aggregate[neighbors[k]] != Free) { touchesAggregate = true; break; }
            }
            if (!hasStrong || touchesAggregate) continue;
            aggregate[i] = count;
            fromRoots[i] = true;
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++)
                if (Strong(i, k)) { aggregate[neighbors[k]] = count; fromRoots[neighbors[k]] = true; }
            count++;
        }

        // Joining only aggregates formed around roots keeps aggregates from growing chains through this pass.
        for (int i = 0; i < n; i++)
        {
            if (aggregate[i] != Free) continue;
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++)
                if (Strong(i, k) && fromRoots[neighbors[k]]) { aggregate[i] = aggregate[neighbors[k]]; break; }
        }

        for (int i = 0; i < n; i++)
        {
            if (aggregate[i] != Free) continue;
            aggregate[i] = count;
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++)
                if (Strong(i, k) && aggregate[neighbors[k]] == Free) aggregate[neighbors[k]] = count;
            count++;
        }
        return GraphCoarsening.FromAggregates(graph, aggregate, CoarseningMethod.Aggregation, coarseName ?? $"aggregation({graph.Name})");
    }
}
