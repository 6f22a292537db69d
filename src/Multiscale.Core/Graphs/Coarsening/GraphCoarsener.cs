namespace Multiscale.Graphs.Coarsening;

/// <summary>Repeated coarsening of a connected graph: G₀ (the given graph) → G₁ → … → G_L.</summary>
public static class GraphCoarsener
{
    /// <summary>The name of a method as the command line and reports spell it (heavy-edge, aggregation).</summary>
    public static string Name(CoarseningMethod method) => method switch
    {
        CoarseningMethod.HeavyEdge => "heavy-edge",
        _ => "aggregation",
    };

    /// <summary>One coarsening step of <paramref name="graph"/> (the seed orders heavy-edge matching; aggregation is deterministic).</summary>
    public static GraphCoarsening Coarsen(Graph graph, CoarseningMethod method, long seed = 0, string? coarseName = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var step = method switch
        {
            CoarseningMethod.HeavyEdge => HeavyEdgeMatching.Coarsen(graph, seed, coarseName),
            _ => StandardAggregation.Coarsen(graph, StandardAggregation.DefaultTheta, coarseName),
        };
        step.Seconds = clock.Elapsed.TotalSeconds;
        return step;
    }

    /// <summary>
    /// Coarsens <paramref name="finest"/> <paramref name="levels"/> times; level k (1-based) uses seed
    /// <paramref name="seed"/> + k − 1. Coarse graph k is named <c>NAME/METHOD:k</c>. The whole hierarchy is built (it is
    /// linear in the edges) before anything else, so every failure comes first.
    /// </summary>
    /// <exception cref="MultiscaleException">
    /// <paramref name="levels"/> &lt; 1; the graph is disconnected or has a non-positive weight; or the coarsening
    /// reaches a single vertex before <paramref name="levels"/> steps (the message says how deep it can go).
    /// </exception>
    public static IReadOnlyList<GraphCoarsening> Hierarchy(Graph finest, CoarseningMethod method, int levels, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(finest);
        if (levels < 1) throw new MultiscaleException($"a coarsening needs at least one level (got {levels})");
        if (!finest.IsConnected)
            throw new MultiscaleException($"graph '{finest.Name}' is disconnected ({finest.ComponentCount} connected components): automatic coarsening needs a connected graph");
        var steps = new List<GraphCoarsening>(levels);
        var current = finest;
        for (int k = 1; k <= levels; k++)
        {
            if (current.VertexCount == 1)
                throw new MultiscaleException(
                    $"'{finest.Name}' ({finest.VertexCount} vertices) can be coarsened by {Name(method)} only {k - 1} time{(k - 1 == 1 ? "" : "s")}: level {k - 1} has a single vertex, {levels} levels were asked for");
            var step = Coarsen(current, method, seed + k - 1, $"{finest.Name}/{Name(method)}:{k}");
            if (step.Coarse.VertexCount == current.VertexCount)
                throw new MultiscaleException($"{Name(method)} cannot coarsen '{current.Name}' any further (no two vertices can be joined)");
            steps.Add(step);
            current = step.Coarse;
        }
        return steps;
    }
}
