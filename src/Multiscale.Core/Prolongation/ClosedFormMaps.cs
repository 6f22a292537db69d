using Multiscale.Graphs.Coarsening;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// Prolongation maps with a formula instead of an optimization (paper 004 §3.3.3, SM1; the reference MsANN code),
/// generated for any size. Every map here is orthonormal (PᵀP = I) and fine × coarse, vertices in the order of
/// <see cref="Graphs.GraphFactory"/> (row-major for grids).
/// </summary>
public static class ClosedFormMaps
{
    /// <summary>
    /// Aggregation of consecutive fine vertices: the fine vertices are split into n₁ consecutive groups of sizes
    /// ⌊n₂/n₁⌋ or ⌈n₂/n₁⌉ and column j is 1/√|group j| on group j. For n₂ = 2n₁ this is the reference MsANN code's
    /// pair aggregation, P[2j, j] = P[2j+1, j] = 1/√2.
    /// </summary>
    public static ProlongationMap Aggregation(int coarse, int fine)
    {
        RequireSizes(coarse, fine);
        var p = new double[(long)fine * coarse];
        for (int j = 0; j < coarse; j++)
        {
            int start = (int)((long)j * fine / coarse), end = (int)((long)(j + 1) * fine / coarse);
            double w = 1 / Math.Sqrt(end - start);
            for (int i = start; i < end; i++) p[(long)i * coarse + j] = w;
        }
        return Wrap(p, fine, coarse, "aggregation", $"path:{coarse}", $"path:{fine}");
    }

    /// <summary>
    /// The aggregation map a coarsening implies: P[i, j] = 1/√|aggregate j| when fine vertex i is in aggregate j, 0
    /// otherwise. The aggregates partition the fine vertices, so the columns are orthonormal.
    /// </summary>
    public static ProlongationMap FromCoarsening(GraphCoarsening coarsening)
    {
        ArgumentNullException.ThrowIfNull(coarsening);
        int fine = coarsening.Fine.VertexCount, coarse = coarsening.Coarse.VertexCount;
        var p = new double[(long)fine * coarse];
        for (int i = 0; i < fine; i++)
        {
            int j = coarsening.AggregateOf[i];
            p[(long)i * coarse + j] = 1 / Math.Sqrt(coarsening.AggregateSizes[j]);
        }
        return Wrap(p, fine, coarse, $"aggregates({GraphCoarsener.Name(coarsening.Method)})", coarsening.Coarse.Name, coarsening.Fine.Name);
    }

    /// <summary>
    /// The zero-diffusion map C_n → C_2n in graph space (SM1.2): a function on C_n is repeated twice around C_2n,
    /// P[i, j] = 1/√2 when i mod n = j. It is U₂MU₁ᵀ for the zero-cost eigenvalue matching (mode k of C_n ↦ mode 2k of
    /// C_2n), so P L₁ = L₂ P exactly; it is also maximally non-local.
    /// </summary>
    public static ProlongationMap CycleDoubleCover(int n)
    {
        RequireSizes(n, 2 * n);
        var p = new double[2L * n * n];
        double w = 1 / Math.Sqrt(2);
        for (int i = 0; i < 2 * n; i++) p[(long)i * n + i % n] = w;
        return Wrap(p, 2 * n, n, "cycle-double-cover", $"cycle:{n}", $"cycle:{2 * n}");
    }

    /// <summary>
    /// The zero-diffusion map P_n → P_2n: the function is mirrored, f on the first half and f reversed on the second
    /// (the even extension), P[i, j] = 1/√2 when i = j or i = 2n−1−j. Path eigenvectors cos(πk(i+½)/n) extend to those
    /// of P_2n with index 2k, so P L₁ = L₂ P exactly.
    /// </summary>
    public static ProlongationMap PathMirrorCover(int n)
    {
        RequireSizes(n, 2 * n);
        var p = new double[2L * n * n];
        double w = 1 / Math.Sqrt(2);
        for (int j = 0; j < n; j++)
        {
            p[(long)j * n + j] = w;
            p[(long)(2 * n - 1 - j) * n + j] = w;
        }
        return Wrap(p, 2 * n, n, "path-mirror-cover", $"path:{n}", $"path:{2 * n}");
    }

    /// <summary>
    /// Interpolation-like map between 1-D graphs of any sizes (the family of Fig. 3, cycles column 3): linear
    /// interpolation W from cell centres (fine cell i sits at coarse coordinate (i + ½)·n₁/n₂ − ½; periodic wraps,
    /// aperiodic clamps at the ends), made orthonormal by its polar factor P = W (WᵀW)^{-1/2}, the orthonormal matrix
    /// closest to W.
    /// </summary>
    public static ProlongationMap Interpolation(int coarse, int fine, bool periodic)
    {
        RequireSizes(coarse, fine);
        using var scope = NewDisposeScope();
        var w = new double[(long)fine * coarse];
        for (int i = 0; i < fine; i++)
        {
            double x = (i + 0.5) * coarse / fine - 0.5;
            int left = (int)Math.Floor(x);
            double t = x - left;
            int right = left + 1;
            if (periodic)
            {
                left = ((left % coarse) + coarse) % coarse;
                right = ((right % coarse) + coarse) % coarse;
            }
            else
            {
                if (left < 0) { left = 0; t = 0; }
                if (right > coarse - 1) { right = coarse - 1; t = left == right ? 0 : t; }
            }
            w[(long)i * coarse + left] += 1 - t;
            w[(long)i * coarse + right] += t;
        }
        var wt = tensor(w, new long[] { fine, coarse }, ScalarType.Float64);
        var p = PolarFactor(wt);
        string family = periodic ? "cycle" : "path";
        return new ProlongationMap(p, new MapProvenance
        {
            Method = "interpolation",
            CoarseGraph = $"{family}:{coarse}",
            FineGraph = $"{family}:{fine}",
        });
    }

    /// <summary>
    /// The interpolation family for a pair of graphs named by specs of one family and dimension (<c>path</c>,
    /// <c>cycle</c>, <c>grid:AxB…</c>, <c>torus:AxB…</c>): the 1-D map per axis, and for grids their Kronecker product
    /// (row-major vertex order, as <see cref="Graphs.GraphFactory.Grid"/> numbers them). Null for any other pair.
    /// </summary>
    public static ProlongationMap? Interpolation(Graphs.Graph coarse, Graphs.Graph fine)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        ArgumentNullException.ThrowIfNull(fine);
        if (!TryAxes(coarse, fine, out var family, out var coarseGrid, out var fineGrid)) return null;
        bool periodic = family is "cycle" or "torus";
        using var grid = GridMap.Create(coarseGrid, fineGrid, (_, n1, n2) => Interpolation(n1, n2, periodic));
        using var product = grid.Dense();
        return new ProlongationMap(product.Matrix, new MapProvenance { Method = "interpolation", CoarseGraph = coarse.Name, FineGraph = fine.Name });
    }

    /// <summary>True when <see cref="Interpolation(Graphs.Graph, Graphs.Graph)"/> has a map for the pair.</summary>
    public static bool HasInterpolation(Graphs.Graph coarse, Graphs.Graph fine) => TryAxes(coarse, fine, out _, out _, out _);

    private static bool TryAxes(Graphs.Graph coarse, Graphs.Graph fine, out string family, out GridShape coarseGrid, out GridShape fineGrid)
    {
        fineGrid = default;
        if (!GridShape.TryParseGraphSpec(coarse.Name, out family, out coarseGrid)
            || !GridShape.TryParseGraphSpec(fine.Name, out var fineFamily, out fineGrid)
            || family != fineFamily || coarseGrid.Dimensions != fineGrid.Dimensions) return false;
        // The spec must describe the graph (a renamed or file graph falls through), and every axis must coarsen.
        return coarseGrid.Cells == coarse.VertexCount && fineGrid.Cells == fine.VertexCount
            && coarseGrid.Sides.Zip(fineGrid.Sides).All(p => p.First >= 1 && p.First <= p.Second);
    }

    /// <summary>The map with its rows permuted at random (§4.4 strategy 3): same spectrum of PᵀP, locality destroyed.</summary>
    public static ProlongationMap Shuffled(ProlongationMap map, long seed)
    {
        ArgumentNullException.ThrowIfNull(map);
        using var scope = NewDisposeScope();
        var order = randperm(map.FineSize, generator: new Generator((ulong)seed), device: map.Matrix.device);
        return new ProlongationMap(map.Matrix.index_select(0, order), map.Provenance with { Method = $"shuffled({map.Provenance.Method})" });
    }

    /// <summary>A random orthonormal map (QR of a Gaussian matrix, seeded): the unstructured baseline of §4.4.</summary>
    public static ProlongationMap RandomOrthogonal(int coarse, int fine, long seed)
    {
        RequireSizes(coarse, fine);
        var stiefel = new Manifolds.Stiefel(fine, coarse);
        using var p = stiefel.RandomPoint(new Generator((ulong)seed));
        return new ProlongationMap(p, new MapProvenance { Method = "random" });
    }

    /// <summary>P W (WᵀW)^{-1/2} through the SVD W = U S Vᵀ: the polar factor U Vᵀ.</summary>
    internal static Tensor PolarFactor(Tensor w)
    {
        using var scope = NewDisposeScope();
        var (u, s, vh) = linalg.svd(w, fullMatrices: false);
        if (s.min().item<double>() <= 1e-12 * s.max().item<double>())
            throw new MultiscaleException("cannot orthonormalize a rank-deficient interpolation matrix");
        return u.matmul(vh).MoveToOuterDisposeScope();
    }

    private static ProlongationMap Wrap(double[] data, int fine, int coarse, string method, string coarseGraph, string fineGraph)
    {
        using var t = tensor(data, new long[] { fine, coarse }, ScalarType.Float64);
        return new ProlongationMap(t, new MapProvenance { Method = method, CoarseGraph = coarseGraph, FineGraph = fineGraph });
    }

    private static void RequireSizes(int coarse, int fine)
    {
        if (coarse < 1 || fine < coarse) throw new MultiscaleException($"a map needs 1 ≤ n_coarse ≤ n_fine (got {coarse} → {fine})");
    }
}
