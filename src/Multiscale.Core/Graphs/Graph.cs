using QuikGraph;
using QuikGraph.Algorithms.ConnectedComponents;

namespace Multiscale.Graphs;

/// <summary>An undirected edge {Source, Target} with a positive or negative, finite, non-zero weight.</summary>
public readonly record struct WeightedEdge(int Source, int Target, double Weight);

/// <summary>
/// A finite simple undirected graph on vertices 0..n−1, optionally weighted. The structure is held by QuikGraph;
/// a compressed adjacency (CSR) is kept beside it for the operators, which run once per vertex.
/// </summary>
/// <remarks>
/// Policy (see docs/graphs.md): self-loops are rejected (they cancel in L = A − D and do not change distances, so a
/// self-loop in input is almost always a data error); an edge given twice (in either direction) with the same weight
/// is kept once; given twice with different weights it is an error.
/// </remarks>
public sealed class Graph
{
    private readonly WeightedEdge[] _edges;
    private int[]? _rowStart;
    private int[]? _neighbors;
    private double[]? _neighborWeights;
    private int _componentCount = -1;
    private UndirectedGraph<int, TaggedUndirectedEdge<int, double>>? _structure;

    private Graph(string name, int vertexCount, WeightedEdge[] edges, IReadOnlyList<string>? labels)
    {
        Name = name;
        VertexCount = vertexCount;
        _edges = edges;
        Labels = labels;
        IsWeighted = edges.Any(e => e.Weight != 1.0);
    }

    /// <summary>What the graph was built from, e.g. <c>grid:4x4</c>.</summary>
    public string Name { get; }

    /// <summary>Number of vertices n.</summary>
    public int VertexCount { get; }

    /// <summary>Number of undirected edges.</summary>
    public int EdgeCount => _edges.Length;

    /// <summary>True when some edge weight differs from 1 (distances then come from Dijkstra instead of BFS).</summary>
    public bool IsWeighted { get; }

    /// <summary>Vertex labels when the graph was read from a file with non-integer ids; null otherwise.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>The undirected edges, each once, with Source &lt; Target, in a canonical (sorted) order.</summary>
    public IReadOnlyList<WeightedEdge> Edges => _edges;

    /// <summary>The structure as a QuikGraph graph (vertices 0..n−1, edges tagged with their weight).</summary>
    public UndirectedGraph<int, TaggedUndirectedEdge<int, double>> Structure => _structure ??= BuildStructure();

    /// <summary>Number of connected components (an isolated vertex is one).</summary>
    public int ComponentCount
    {
        get
        {
            if (_componentCount < 0)
            {
                var algorithm = new ConnectedComponentsAlgorithm<int, TaggedUndirectedEdge<int, double>>(Structure);
                algorithm.Compute();
                _componentCount = algorithm.ComponentCount;
            }
            return _componentCount;
        }
    }

    /// <summary>True when every vertex can reach every other.</summary>
    public bool IsConnected => ComponentCount == 1;

    /// <summary>Weighted degree of every vertex (sum of incident edge weights).</summary>
    public double[] Degrees()
    {
        var degrees = new double[VertexCount];
        foreach (var e in _edges)
        {
            degrees[e.Source] += e.Weight;
            degrees[e.Target] += e.Weight;
        }
        return degrees;
    }

    /// <summary>Compressed adjacency: neighbours of v are <c>Neighbors[RowStart[v]..RowStart[v+1]]</c>.</summary>
    internal (int[] RowStart, int[] Neighbors, double[] Weights) Csr
    {
        get
        {
            if (_rowStart is null) BuildCsr();
            return (_rowStart!, _neighbors!, _neighborWeights!);
        }
    }

    /// <summary>
    /// Builds a graph from edges. Throws <see cref="MultiscaleException"/> for n &lt; 1, out-of-range endpoints,
    /// self-loops, non-finite or zero weights, and an edge repeated with a different weight.
    /// </summary>
    public static Graph FromEdges(string name, int vertexCount, IEnumerable<WeightedEdge> edges, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var builder = new GraphBuilder(name, vertexCount);
        foreach (var e in edges) builder.Add(e.Source, e.Target, e.Weight, null);
        return builder.Build(labels);
    }

    internal static Graph FromCanonicalEdges(string name, int vertexCount, WeightedEdge[] sortedUniqueEdges, IReadOnlyList<string>? labels)
        => new(name, vertexCount, sortedUniqueEdges, labels);

    /// <inheritdoc />
    public override string ToString() => $"{Name} (n = {VertexCount}, m = {EdgeCount})";

    private UndirectedGraph<int, TaggedUndirectedEdge<int, double>> BuildStructure()
    {
        var g = new UndirectedGraph<int, TaggedUndirectedEdge<int, double>>(allowParallelEdges: false);
        g.AddVertexRange(Enumerable.Range(0, VertexCount));
        g.AddEdgeRange(_edges.Select(e => new TaggedUndirectedEdge<int, double>(e.Source, e.Target, e.Weight)));
        return g;
    }

    private void BuildCsr()
    {
        int n = VertexCount;
        var counts = new int[n + 1];
        foreach (var e in _edges) { counts[e.Source + 1]++; counts[e.Target + 1]++; }
        for (int v = 0; v < n; v++) counts[v + 1] += counts[v];
        var neighbors = new int[counts[n]];
        var weights = new double[counts[n]];
        var next = (int[])counts.Clone();
        foreach (var e in _edges)
        {
            neighbors[next[e.Source]] = e.Target; weights[next[e.Source]++] = e.Weight;
            neighbors[next[e.Target]] = e.Source; weights[next[e.Target]++] = e.Weight;
        }
        _neighbors = neighbors;
        _neighborWeights = weights;
        _rowStart = counts;
    }
}

/// <summary>Collects edges under the graph policy, with an origin (e.g. "file:line") for error messages.</summary>
internal sealed class GraphBuilder
{
    private readonly string _name;
    private readonly int _n;
    // Packed (a, b) keys hash to a ^ b by default, which collides for every near-diagonal pair of a mesh or a path.
    private readonly Dictionary<long, (double Weight, string? Origin)> _edges = new(PairKeyComparer.Instance);

    public GraphBuilder(string name, int vertexCount)
    {
        if (vertexCount < 1) throw new MultiscaleException($"graph '{name}' is empty: it needs at least one vertex");
        _name = name;
        _n = vertexCount;
    }

    public void Add(int u, int v, double weight, string? origin)
    {
        string where = origin is null ? $"graph '{_name}'" : origin;
        if ((uint)u >= (uint)_n || (uint)v >= (uint)_n)
            throw new MultiscaleException($"{where}: edge ({u}, {v}) has an endpoint outside 0..{_n - 1}");
        if (u == v)
            throw new MultiscaleException($"{where}: self-loop at vertex {u} (self-loops are not allowed; they cancel in L = A − D)");
        if (!double.IsFinite(weight) || weight == 0)
            throw new MultiscaleException($"{where}: edge ({u}, {v}) has weight {weight}; weights must be finite and non-zero");
        int a = Math.Min(u, v), b = Math.Max(u, v);
        long key = ((long)a << 32) | (uint)b;
        if (_edges.TryGetValue(key, out var existing))
        {
            if (existing.Weight != weight)
                throw new MultiscaleException(
                    $"{where}: edge ({a}, {b}) repeated with weight {weight}, first given with weight {existing.Weight}" +
                    (existing.Origin is null ? "" : $" at {existing.Origin}"));
            return;
        }
        _edges.Add(key, (weight, origin));
    }

    public Graph Build(IReadOnlyList<string>? labels)
    {
        var edges = _edges.Select(kv => new WeightedEdge((int)(kv.Key >> 32), (int)(kv.Key & 0xffffffff), kv.Value.Weight))
            .OrderBy(e => e.Source).ThenBy(e => e.Target).ToArray();
        return Graph.FromCanonicalEdges(_name, _n, edges, labels);
    }

    private sealed class PairKeyComparer : IEqualityComparer<long>
    {
        public static readonly PairKeyComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        // Fibonacci hashing: the high bits of key · 2⁶⁴/φ mix both halves.
        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }
}
