namespace Multiscale.Graphs.Coarsening;

/// <summary>Checks shared by the coarsening methods.</summary>
internal static class CoarseningRules
{
    public static void RequirePositiveWeights(Graph graph, string method)
    {
        var bad = graph.Edges.FirstOrDefault(e => e.Weight <= 0);
        if (bad.Weight < 0)
            throw new MultiscaleException(
                $"graph '{graph.Name}': edge ({bad.Source}, {bad.Target}) has weight {bad.Weight}; {method} needs positive edge weights (a weight is a connection strength)");
    }
}
