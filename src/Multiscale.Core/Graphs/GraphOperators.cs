using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Graphs;

/// <summary>The eigen-decomposition of a graph Laplacian: eigenvalues ascending, orthonormal eigenvectors as columns.</summary>
/// <param name="Eigenvalues">Ascending eigenvalues (float64, length n). With L = A − D they are ≤ 0 and the last is 0.</param>
/// <param name="Eigenvectors">n × n matrix (float64) whose column k belongs to eigenvalue k.</param>
public sealed record GraphSpectrum(Tensor Eigenvalues, Tensor Eigenvectors) : IDisposable
{
    /// <summary>Releases both tensors.</summary>
    public void Dispose()
    {
        Eigenvalues.Dispose();
        Eigenvectors.Dispose();
    }
}

/// <summary>
/// The operators of paper 004 §3.1–3.2 as float64 tensors: adjacency A, degree D, Laplacian L = A − D (negative
/// semidefinite, the papers' sign), hop distances T, and the spectrum of L.
/// </summary>
public static class GraphOperators
{
    /// <summary>
    /// Dense n × n matrices alive at the peak of <see cref="Spectrum"/>: the Laplacian's array and tensor, LAPACK's
    /// copy and workspace (about 2n² for the divide-and-conquer solver), and the eigenvectors.
    /// </summary>
    public const double SpectrumMatrices = 6;

    /// <summary>Dense adjacency matrix A (n × n, symmetric, weights as entries).</summary>
    public static Tensor Adjacency(Graph graph, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        SizeLimits.EnsureDenseFits(graph, 2, "a dense adjacency matrix");
        int n = graph.VertexCount;
        var a = new double[checked((long)n * n)];
        foreach (var e in graph.Edges)
        {
            a[(long)e.Source * n + e.Target] = e.Weight;
            a[(long)e.Target * n + e.Source] = e.Weight;
        }
        return tensor(a, new long[] { n, n }, ScalarType.Float64, device);
    }

    /// <summary>Sparse (COO, entries unique and sorted row-major) adjacency matrix A, for graphs too large for a dense n × n.</summary>
    public static Tensor SparseAdjacency(Graph graph, Device? device = null) => SparseOperator(graph, withDiagonal: false, device);

    /// <summary>The degree vector diag(D): weighted degree of every vertex.</summary>
    public static Tensor Degrees(Graph graph, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return tensor(graph.Degrees(), ScalarType.Float64, device);
    }

    /// <summary>Dense Laplacian L = A − D.</summary>
    public static Tensor Laplacian(Graph graph, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        SizeLimits.EnsureDenseFits(graph, 2, "a dense Laplacian");
        int n = graph.VertexCount;
        var l = new double[checked((long)n * n)];
        foreach (var e in graph.Edges)
        {
            l[(long)e.Source * n + e.Target] = e.Weight;
            l[(long)e.Target * n + e.Source] = e.Weight;
        }
        var d = graph.Degrees();
        for (int v = 0; v < n; v++) l[(long)v * n + v] = -d[v];
        return tensor(l, new long[] { n, n }, ScalarType.Float64, device);
    }

    /// <summary>Sparse (COO, entries unique and sorted row-major) Laplacian L = A − D.</summary>
    public static Tensor SparseLaplacian(Graph graph, Device? device = null) => SparseOperator(graph, withDiagonal: true, device);

    /// <summary>
    /// Hop-distance matrix T (n × n): the number of edges on a shortest path (BFS) for unweighted graphs, the
    /// shortest weighted path length (Dijkstra) for weighted ones.
    /// </summary>
    /// <exception cref="DisconnectedGraphException">The graph has more than one component.</exception>
    /// <exception cref="MultiscaleException">A weighted graph has a negative edge weight.</exception>
    public static Tensor HopDistances(Graph graph, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        // The array and the tensor made from it are both alive for a moment.
        SizeLimits.EnsureDenseFits(graph, 2, "a dense distance matrix");
        var t = HopDistanceArray(graph);
        return tensor(t, new long[] { graph.VertexCount, graph.VertexCount }, ScalarType.Float64, device);
    }

    /// <summary>Row-major hop distances, as in <see cref="HopDistances"/>.</summary>
    public static double[] HopDistanceArray(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!graph.IsConnected) throw new DisconnectedGraphException(graph.Name, graph.ComponentCount);
        int n = graph.VertexCount;
        if ((long)n * n > Array.MaxLength)
            throw new MultiscaleException($"graph '{graph.Name}' has {n} vertices: a dense distance matrix of n² = {(long)n * n} entries is too large (at most {(int)Math.Sqrt(Array.MaxLength)} vertices)");
        SizeLimits.EnsureDenseFits(graph, 1, "a dense distance matrix");
        if (graph.IsWeighted)
        {
            var negative = graph.Edges.FirstOrDefault(e => e.Weight < 0);
            if (negative.Weight < 0)
                throw new MultiscaleException(
                    $"graph '{graph.Name}': edge ({negative.Source}, {negative.Target}) has negative weight {negative.Weight}; shortest-path distances need non-negative weights");
        }
        var (rowStart, neighbors, weights) = graph.Csr;
        var t = new double[(long)n * n];
        Parallel.For(0, n, () => new SearchState(n), (source, _, state) =>
        {
            var row = t.AsSpan((int)((long)source * n), n);
            if (graph.IsWeighted) Dijkstra(source, rowStart, neighbors, weights, row, state);
            else Bfs(source, rowStart, neighbors, row, state);
            return state;
        }, _ => { });
        return t;
    }

    /// <summary>Eigenvalues (ascending) and orthonormal eigenvectors of the dense Laplacian, by LAPACK's symmetric solver.</summary>
    public static GraphSpectrum Spectrum(Graph graph, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        SizeLimits.EnsureDenseFits(graph, SpectrumMatrices, "a dense spectrum");
        using var l = Laplacian(graph, device);
        var (values, vectors) = linalg.eigh(l);
        return new GraphSpectrum(values, vectors);
    }

    private sealed class SearchState(int n)
    {
        public readonly int[] Queue = new int[n];
        public readonly bool[] Done = new bool[n];
        public readonly PriorityQueue<int, double> Heap = new();
    }

    private static void Bfs(int source, int[] rowStart, int[] neighbors, Span<double> row, SearchState s)
    {
        row.Fill(-1);
        int head = 0, tail = 0;
        s.Queue[tail++] = source;
        row[source] = 0;
        while (head < tail)
        {
            int u = s.Queue[head++];
            double next = row[u] + 1;
            for (int k = rowStart[u]; k < rowStart[u + 1]; k++)
            {
                int v = neighbors[k];
                if (row[v] < 0) { row[v] = next; s.Queue[tail++] = v; }
            }
        }
    }

    private static void Dijkstra(int source, int[] rowStart, int[] neighbors, double[] weights, Span<double> row, SearchState s)
    {
        row.Fill(double.PositiveInfinity);
        Array.Clear(s.Done);
        s.Heap.Clear();
        row[source] = 0;
        s.Heap.Enqueue(source, 0);
        while (s.Heap.TryDequeue(out int u, out double du))
        {
            if (s.Done[u]) continue;
            s.Done[u] = true;
            for (int k = rowStart[u]; k < rowStart[u + 1]; k++)
            {
                int v = neighbors[k];
                double dv = du + weights[k];
                if (dv < row[v]) { row[v] = dv; s.Heap.Enqueue(v, dv); }
            }
        }
    }

    private static Tensor SparseOperator(Graph graph, bool withDiagonal, Device? device)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int n = graph.VertexCount, m = graph.EdgeCount;
        int nnz = 2 * m + (withDiagonal ? n : 0);
        var rows = new long[nnz];
        var cols = new long[nnz];
        var values = new double[nnz];
        int k = 0;
        foreach (var e in graph.Edges)
        {
            rows[k] = e.Source; cols[k] = e.Target; values[k++] = e.Weight;
            rows[k] = e.Target; cols[k] = e.Source; values[k++] = e.Weight;
        }
        if (withDiagonal)
        {
            var d = graph.Degrees();
            for (int v = 0; v < n; v++) { rows[k] = v; cols[k] = v; values[k++] = -d[v]; }
        }
        // Entries are unique; sorting them row-major gives the layout a coalesced tensor would have.
        var order = Enumerable.Range(0, nnz).OrderBy(i => rows[i]).ThenBy(i => cols[i]).ToArray();
        using var scope = NewDisposeScope();
        var indices = stack(new[] { tensor(order.Select(i => rows[i]).ToArray()), tensor(order.Select(i => cols[i]).ToArray()) });
        var result = sparse_coo_tensor(indices, tensor(order.Select(i => values[i]).ToArray(), ScalarType.Float64), new long[] { n, n });
        if (device is not null) result = result.to(device);
        return result.MoveToOuterDisposeScope();
    }
}
