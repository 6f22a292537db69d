namespace Multiscale.Graphs.Coarsening;

/// <summary>
/// One coarsening step: a partition of the fine graph's vertices into aggregates and the coarse graph whose vertices
/// are the aggregates. The coarse edge between two aggregates carries the sum of the fine edge weights between them,
/// so the coarse Laplacian is exactly RᵀL R with R the 0/1 aggregate indicator (fine × coarse), and a connected fine
/// graph has a connected coarse graph.
/// </summary>
public sealed class GraphCoarsening
{
    private readonly int[] _aggregateOf;
    private readonly int[] _sizes;

    private GraphCoarsening(Graph fine, Graph coarse, int[] aggregateOf, int[] sizes, CoarseningMethod method)
    {
        Fine = fine;
        Coarse = coarse;
        _aggregateOf = aggregateOf;
        _sizes = sizes;
        Method = method;
    }

    /// <summary>The graph that was coarsened.</summary>
    public Graph Fine { get; }

    /// <summary>The graph of the aggregates.</summary>
    public Graph Coarse { get; }

    /// <summary>How the aggregates were formed.</summary>
    public CoarseningMethod Method { get; }

    /// <summary>Wall-clock seconds the coarsening took (0 when built from a given assignment).</summary>
    public double Seconds { get; internal set; }

    /// <summary>AggregateOf[i] is the coarse vertex (aggregate) that fine vertex i belongs to.</summary>
    public IReadOnlyList<int> AggregateOf => _aggregateOf;

    /// <summary>AggregateSizes[j] is the number of fine vertices in aggregate j (at least 1).</summary>
    public IReadOnlyList<int> AggregateSizes => _sizes;

    /// <summary>
    /// Builds the coarsening from an assignment of fine vertices to aggregates. Aggregates are renumbered in the
    /// order of their smallest fine vertex, so the coarse vertex order follows the fine one.
    /// </summary>
    /// <exception cref="MultiscaleException">The assignment has the wrong length or a negative entry.</exception>
    public static GraphCoarsening FromAggregates(Graph fine, IReadOnlyList<int> aggregateOf, CoarseningMethod method, string coarseName)
    {
        ArgumentNullException.ThrowIfNull(fine);
        ArgumentNullException.ThrowIfNull(aggregateOf);
        ArgumentNullException.ThrowIfNull(coarseName);
        int n = fine.VertexCount;
        if (aggregateOf.Count != n)
            throw new MultiscaleException($"an aggregate assignment of '{fine.Name}' needs {n} entries (got {aggregateOf.Count})");
        var renumber = new Dictionary<int, int>();
        var assignment = new int[n];
        for (int i = 0; i < n; i++)
        {
            int a = aggregateOf[i];
            if (a < 0) throw new MultiscaleException($"vertex {i} of '{fine.Name}' has no aggregate (got {a})");
            if (!renumber.TryGetValue(a, out int j)) renumber[a] = j = renumber.Count;
            assignment[i] = j;
        }
        int count = renumber.Count;
        var sizes = new int[count];
        foreach (int j in assignment) sizes[j]++;

        // Sort the crossing edges by their coarse endpoints and merge runs (a hash of packed pairs collides badly for
        // the near-diagonal pairs a contraction produces).
        var keys = new List<long>(fine.EdgeCount);
        var values = new List<double>(fine.EdgeCount);
        foreach (var e in fine.Edges)
        {
            int a = assignment[e.Source], b = assignment[e.Target];
            if (a == b) continue;
            keys.Add(a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a);
            values.Add(e.Weight);
        }
        var keyArray = keys.ToArray();
        var valueArray = values.ToArray();
        Array.Sort(keyArray, valueArray);
        var edges = new List<WeightedEdge>();
        for (int k = 0; k < keyArray.Length; k++)
        {
            if (k > 0 && keyArray[k] == keyArray[k - 1])
            {
                var last = edges[^1];
                edges[^1] = last with { Weight = last.Weight + valueArray[k] };
            }
            else edges.Add(new WeightedEdge((int)(keyArray[k] >> 32), (int)(keyArray[k] & 0xffffffff), valueArray[k]));
        }
        var coarse = Graph.FromCanonicalEdges(coarseName, count, edges.ToArray(), null);
        return new GraphCoarsening(fine, coarse, assignment, sizes, method);
    }
}
