namespace Multiscale.Graphs;

/// <summary>The graph families of the papers (paper 004 §3.1): paths, cycles, grids, and the two graph products.</summary>
public static class GraphFactory
{
    /// <summary>The path P_n: vertices 0..n−1, edges {i, i+1}. P_1 is a single vertex.</summary>
    public static Graph Path(int n)
    {
        RequirePositive(n, "path");
        SizeLimits.EnsureGraphFits($"path:{n}", n, n - 1);
        var edges = new WeightedEdge[n - 1];
        for (int i = 0; i < n - 1; i++) edges[i] = new WeightedEdge(i, i + 1, 1);
        return Graph.FromCanonicalEdges($"path:{n}", n, edges, null);
    }

    /// <summary>
    /// The cycle C_n: the path plus the edge {n−1, 0}. For n = 1 and n = 2 the simple graph is returned (a single
    /// vertex, a single edge): the multigraph's self-loop or doubled edge is not represented.
    /// </summary>
    public static Graph Cycle(int n)
    {
        RequirePositive(n, "cycle");
        SizeLimits.EnsureGraphFits($"cycle:{n}", n, n);
        if (n <= 2) return Rename(Path(n), $"cycle:{n}");
        var edges = new List<WeightedEdge>(n);
        edges.Add(new WeightedEdge(0, 1, 1));
        edges.Add(new WeightedEdge(0, n - 1, 1));
        for (int i = 1; i < n - 1; i++) edges.Add(new WeightedEdge(i, i + 1, 1));
        return Graph.FromCanonicalEdges($"cycle:{n}", n, edges.ToArray(), null);
    }

    /// <summary>
    /// The grid with the given side lengths: the box product P_{a1} □ P_{a2} □ … (aperiodic), or of cycles when
    /// <paramref name="periodic"/> (a torus). Vertex (i1, i2, …) has index i1·(a2·a3…) + i2·(a3…) + … (row-major).
    /// </summary>
    public static Graph Grid(IReadOnlyList<int> sides, bool periodic = false)
    {
        ArgumentNullException.ThrowIfNull(sides);
        if (sides.Count == 0) throw new MultiscaleException("a grid needs at least one side length");
        // Sizes in long before anything is built: the product of the sides can overflow an int.
        string name = $"{(periodic ? "torus" : "grid")}:{string.Join('x', sides)}";
        double n = 1, m = 0;
        foreach (int a in sides) { RequirePositive(a, periodic ? "torus" : "grid"); n *= a; }
        foreach (int a in sides) m += n / a * (periodic ? (a <= 2 ? a - 1 : a) : a - 1);
        SizeLimits.EnsureGraphFits(name, n > long.MaxValue ? long.MaxValue : (long)n, m > long.MaxValue ? long.MaxValue : (long)m);
        Graph g = periodic ? Cycle(sides[0]) : Path(sides[0]);
        for (int i = 1; i < sides.Count; i++) g = BoxProduct(g, periodic ? Cycle(sides[i]) : Path(sides[i]));
        return Rename(g, name);
    }

    /// <summary>
    /// The box (Cartesian) product G1 □ G2, with A(G1 □ G2) = A1 ⊗ I + I ⊗ A2 (eq. 3.1): vertex (u, v) has index
    /// u·n2 + v, which is the Kronecker ordering, so L(G1 □ G2) = L1 ⊕ L2.
    /// </summary>
    public static Graph BoxProduct(Graph g1, Graph g2)
    {
        ArgumentNullException.ThrowIfNull(g1);
        ArgumentNullException.ThrowIfNull(g2);
        int n1 = g1.VertexCount, n2 = g2.VertexCount;
        long n = (long)n1 * n2;
        long m = (long)n1 * g2.EdgeCount + (long)n2 * g1.EdgeCount;
        SizeLimits.EnsureGraphFits($"box({g1.Name},{g2.Name})", n, m);
        var edges = new List<WeightedEdge>((int)m);
        foreach (var e in g1.Edges)
            for (int v = 0; v < n2; v++) edges.Add(new WeightedEdge(e.Source * n2 + v, e.Target * n2 + v, e.Weight));
        for (int u = 0; u < n1; u++)
            foreach (var e in g2.Edges) edges.Add(new WeightedEdge(u * n2 + e.Source, u * n2 + e.Target, e.Weight));
        return FromProductEdges($"box({g1.Name},{g2.Name})", (int)n, edges, g1, g2);
    }

    /// <summary>
    /// The cross (tensor, categorical) product G1 × G2: (u1, v1) ~ (u2, v2) when u1 ~ u2 in G1 and v1 ~ v2 in G2;
    /// A(G1 × G2) = A1 ⊗ A2, so an edge's weight is the product of the two weights.
    /// </summary>
    public static Graph CrossProduct(Graph g1, Graph g2)
    {
        ArgumentNullException.ThrowIfNull(g1);
        ArgumentNullException.ThrowIfNull(g2);
        int n1 = g1.VertexCount, n2 = g2.VertexCount;
        long n = (long)n1 * n2;
        long m = 2L * g1.EdgeCount * g2.EdgeCount;
        SizeLimits.EnsureGraphFits($"cross({g1.Name},{g2.Name})", n, m);
        var edges = new List<WeightedEdge>((int)m);
        foreach (var a in g1.Edges)
            foreach (var b in g2.Edges)
            {
                double w = a.Weight * b.Weight;
                edges.Add(new WeightedEdge(a.Source * n2 + b.Source, a.Target * n2 + b.Target, w));
                edges.Add(new WeightedEdge(a.Source * n2 + b.Target, a.Target * n2 + b.Source, w));
            }
        return FromProductEdges($"cross({g1.Name},{g2.Name})", (int)n, edges, g1, g2);
    }

    /// <summary>
    /// A random geometric graph: <paramref name="n"/> points uniform in the unit square (seeded), two joined when they
    /// are at most r = √(2 ln n / (π n)) apart, unit weights. The expected degree is then 2 ln n, twice the
    /// connectivity threshold, so the graph is connected with probability about 1 − 1/n (not always: check
    /// <see cref="Graph.IsConnected"/>). Vertices are in the order the points were drawn.
    /// </summary>
    public static Graph RandomGeometric(int n, long seed)
    {
        RequirePositive(n, "rgg");
        // The expected edge count: n points, each with 2 ln n neighbours on average.
        SizeLimits.EnsureGraphFits($"rgg:{n}:{seed}", n, (long)(n * Math.Max(1, Math.Log(n))));
        double r = n == 1 ? 1 : Math.Sqrt(2 * Math.Log(n) / (Math.PI * n));
        double[] xy;
        using (var generator = new TorchSharp.torch.Generator((ulong)seed))
        using (var points = TorchSharp.torch.rand(new long[] { n, 2 }, generator: generator, dtype: TorchSharp.torch.ScalarType.Float64))
            xy = points.data<double>().ToArray();
        // Buckets of side r: a neighbour lies in the point's cell or one of the eight around it.
        int cells = Math.Max(1, (int)(1 / r));
        var bucket = new List<int>[cells * cells];
        int Cell(double c) => Math.Min(cells - 1, (int)(c * cells));
        for (int i = 0; i < n; i++)
        {
            int k = Cell(xy[2 * i]) * cells + Cell(xy[2 * i + 1]);
            (bucket[k] ??= new List<int>()).Add(i);
        }
        var edges = new List<WeightedEdge>();
        for (int i = 0; i < n; i++)
        {
            int cx = Cell(xy[2 * i]), cy = Cell(xy[2 * i + 1]);
            for (int dx = -1; dx <= 1; dx++)
                for (int dy = -1; dy <= 1; dy++)
                {
                    int x = cx + dx, y = cy + dy;
                    if (x < 0 || y < 0 || x >= cells || y >= cells || bucket[x * cells + y] is not { } members) continue;
                    foreach (int j in members)
                    {
                        if (j <= i) continue;
                        double ex = xy[2 * i] - xy[2 * j], ey = xy[2 * i + 1] - xy[2 * j + 1];
                        if (ex * ex + ey * ey <= r * r) edges.Add(new WeightedEdge(i, j, 1));
                    }
                }
        }
        var canonical = edges.OrderBy(e => e.Source).ThenBy(e => e.Target).ToArray();
        return Graph.FromCanonicalEdges($"rgg:{n}:{seed}", n, canonical, null);
    }

    private static Graph FromProductEdges(string name, int n, List<WeightedEdge> edges, Graph g1, Graph g2)
    {
        var canonical = edges
            .Select(e => e.Source < e.Target ? e : new WeightedEdge(e.Target, e.Source, e.Weight))
            .OrderBy(e => e.Source).ThenBy(e => e.Target).ToArray();
        IReadOnlyList<string>? labels = null;
        if (g1.Labels is not null || g2.Labels is not null)
        {
            var l = new string[n];
            for (int u = 0; u < g1.VertexCount; u++)
                for (int v = 0; v < g2.VertexCount; v++)
                    l[u * g2.VertexCount + v] = $"({g1.Labels?[u] ?? u.ToString()},{g2.Labels?[v] ?? v.ToString()})";
            labels = l;
        }
        return Graph.FromCanonicalEdges(name, n, canonical, labels);
    }

    private static Graph Rename(Graph g, string name) =>
        Graph.FromCanonicalEdges(name, g.VertexCount, g.Edges.ToArray(), g.Labels);

    private static void RequirePositive(int n, string family)
    {
        if (n < 1) throw new MultiscaleException($"{family}:{n} is empty: a {family} needs at least one vertex");
    }
}
