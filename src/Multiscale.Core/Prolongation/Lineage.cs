using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Multiscale.Graphs;
using Multiscale.Graphs.Coarsening;
using Multiscale.IO;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>How the map between two consecutive members of a lineage is made.</summary>
public enum MapSource
{
    /// <summary>Optimized with <see cref="ProlongationSolver"/> on the pair itself.</summary>
    Optimized,
    /// <summary>Optimized per axis (1-D paths/cycles) and combined as a Kronecker product (§5.2); 1-D graphs: same as optimized.</summary>
    Kronecker,
    /// <summary>Consecutive-vertex aggregation per axis (the reference MsANN code's 1/√2 pairs when halving).</summary>
    Aggregation,
    /// <summary>Polar-orthonormalized linear interpolation per axis.</summary>
    Interpolation,
}

/// <summary>One level of a lineage as reported.</summary>
/// <param name="Level">0 is the finest.</param>
/// <param name="Graph">The graph's spec (or, for a coarsened graph, its name).</param>
/// <param name="Vertices">Its vertex count.</param>
/// <param name="Method">How the map from this level to the next finer one was made (null at level 0).</param>
/// <param name="Objective">Eq. (3.3) at that map, when it was evaluated.</param>
/// <param name="Seconds">Time to make (or load) the map.</param>
/// <param name="FromCache">True when the map came from the on-disk cache.</param>
public sealed record LineageLevel(int Level, string Graph, int Vertices, string? Method, double? Objective, double Seconds, bool FromCache)
{
    /// <summary>Its edge count.</summary>
    public int Edges { get; init; }

    /// <summary>The diffusion norm at the map (without the 1 − s weight), when evaluated.</summary>
    public double? Diffusion { get; init; }

    /// <summary>The locality norm at the map (without the s weight), when evaluated.</summary>
    public double? Locality { get; init; }

    /// <summary>Time to coarsen the finer graph into this one, for automatically coarsened lineages.</summary>
    public double? CoarseningSeconds { get; init; }

    /// <summary>
    /// Eq. (3.3) and its two norms at the aggregation map the coarsening implies (P[i, j] = 1/√|aggregate j|), for
    /// automatically coarsened lineages: the baseline the optimized map is measured against.
    /// </summary>
    public ObjectiveTerms? AggregationTerms { get; init; }
}

/// <summary>
/// A graph lineage G₀ (finest) … G_L (coarsest) with the maps P(k): G_{k+1} → G_k between consecutive members and the
/// composed maps Pro_{k→0} = P(0) P(1) … P(k−1), computed once. Maps are cached on disk under a key made of the two
/// graphs' contents and every option that changes the result, so asking again is a file read (§3.3.3's amortization).
/// </summary>
public sealed class Lineage : IDisposable
{
    private readonly ProlongationMap?[] _toFinest;

    private Lineage(IReadOnlyList<Graph> graphs, IReadOnlyList<ProlongationMap> maps, IReadOnlyList<LineageLevel> levels)
    {
        Graphs = graphs;
        Maps = maps;
        Levels = levels;
        _toFinest = new ProlongationMap?[graphs.Count];
    }

    /// <summary>G₀ … G_L, finest first.</summary>
    public IReadOnlyList<Graph> Graphs { get; }

    /// <summary>Maps[k] = P(k), fine G_k × coarse G_{k+1}.</summary>
    public IReadOnlyList<ProlongationMap> Maps { get; }

    /// <summary>What was done for each level.</summary>
    public IReadOnlyList<LineageLevel> Levels { get; }

    /// <summary>Number of coarsenings L.</summary>
    public int Depth => Maps.Count;

    /// <summary>Pro_{k→0} (n₀ × n_k) for 1 ≤ k ≤ L, composed once and kept.</summary>
    public ProlongationMap ToFinest(int level)
    {
        if (level < 1 || level > Depth) throw new MultiscaleException($"level {level} is outside 1..{Depth}");
        lock (_toFinest)
        {
            if (_toFinest[level] is { } cached) return cached;
            var composed = level == 1
                ? new ProlongationMap(Maps[0].Matrix, Maps[0].Provenance)
                : ToFinest(level - 1).Compose(Maps[level - 1]);
            return _toFinest[level] = composed;
        }
    }

    /// <summary>
    /// The specs of a halving lineage: <c>path:N</c>, <c>cycle:N</c> halve N; <c>grid:AxB…</c>, <c>torus:AxB…</c>
    /// halve every side. Throws when a size is not divisible or the spec has no halving rule.
    /// </summary>
    public static IReadOnlyList<string> HalvingSpecs(string finest, int levels)
    {
        ArgumentNullException.ThrowIfNull(finest);
        if (levels < 1) throw new MultiscaleException($"a lineage needs at least one coarsening (got {levels})");
        if (!GridShape.TryParseGraphSpec(finest, out string family, out var shape))
            throw new MultiscaleException($"cannot halve '{finest}' automatically (only path:N, cycle:N, grid:AxB…, torus:AxB…); give the lineage as an explicit list of specs instead");
        var specs = new List<string> { finest.Trim() };
        for (int l = 1; l <= levels; l++)
        {
            if (shape.Sides.Any(s => s % 2 != 0))
                throw new MultiscaleException($"'{finest}' cannot be halved {levels} times: a side of {shape} is odd at level {l}");
            shape = new GridShape(shape.Sides.Select(s => s / 2).ToArray());
            specs.Add($"{family}:{shape}");
        }
        return specs;
    }

    /// <summary>
    /// Builds the lineage of <paramref name="specs"/> (finest first), making each consecutive map with
    /// <paramref name="source"/>; <paramref name="cacheDirectory"/> null disables the cache.
    /// </summary>
    public static Lineage Build(IReadOnlyList<string> specs, MapSource source, ProlongationOptions options,
        string? cacheDirectory, Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(options);
        if (specs.Count < 2) throw new MultiscaleException("a lineage needs at least two graphs");
        var graphs = specs.Select(s => GraphSpec.Parse(s)).ToList();
        for (int k = 0; k + 1 < graphs.Count; k++)
            if (graphs[k + 1].VertexCount > graphs[k].VertexCount)
                throw new MultiscaleException($"lineage is not fine → coarse: '{specs[k + 1]}' ({graphs[k + 1].VertexCount} vertices) follows '{specs[k]}' ({graphs[k].VertexCount})");
        EnsureFits(graphs, source, options);
        return Assemble(graphs, specs, coarsenings: null, source, options, cacheDirectory, log, cancellation);
    }

    /// <summary>
    /// Builds the lineage of <paramref name="finest"/> and its <paramref name="levels"/> automatic coarsenings
    /// (<see cref="GraphCoarsener.Hierarchy"/>, seeded by the options' seed). <paramref name="source"/> is
    /// <see cref="MapSource.Optimized"/> (solve every pair) or <see cref="MapSource.Aggregation"/> (the aggregation map
    /// each coarsening implies). Every level also reports eq. (3.3) at the implied aggregation map. The hierarchy and
    /// every size are checked before any map is made.
    /// </summary>
    public static Lineage Coarsen(Graph finest, CoarseningMethod method, int levels, MapSource source, ProlongationOptions options,
        string? cacheDirectory, Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(finest);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (source is not (MapSource.Optimized or MapSource.Aggregation))
            throw new MultiscaleException($"{source.ToString().ToLowerInvariant()} maps need two path/cycle/grid/torus specs of the same family and dimension; an automatically coarsened lineage takes optimized or aggregation maps");
        var coarsenings = GraphCoarsener.Hierarchy(finest, method, levels, options.Seed);
        var graphs = new List<Graph> { finest };
        graphs.AddRange(coarsenings.Select(c => c.Coarse));
        EnsureFits(graphs, source, options);
        return Assemble(graphs, graphs.Select(g => g.Name).ToList(), coarsenings, source, options, cacheDirectory, log, cancellation);
    }

    private static Lineage Assemble(List<Graph> graphs, IReadOnlyList<string> specs, IReadOnlyList<GraphCoarsening>? coarsenings,
        MapSource source, ProlongationOptions options, string? cacheDirectory, Action<string>? log, CancellationToken cancellation)
    {
        var maps = new List<ProlongationMap>();
        var levels = new List<LineageLevel> { new(0, specs[0], graphs[0].VertexCount, null, null, 0, false) { Edges = graphs[0].EdgeCount } };
        for (int k = 0; k + 1 < graphs.Count; k++)
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (fine, coarse) = (graphs[k], graphs[k + 1]);
            var coarsening = coarsenings?[k];
            // The implied aggregation map is cheap and depends on the aggregates, which the graphs do not determine.
            bool implied = coarsening is not null && source == MapSource.Aggregation;
            string key = CacheKey(fine, coarse, source, options);
            string? cached = cacheDirectory is null || implied ? null : Path.Combine(cacheDirectory, key + ".npy");
            ProlongationMap map;
            bool hit = cached is not null && File.Exists(cached);
            if (hit)
            {
                map = ProlongationMap.Load(cached!, options.Device);
                log?.Invoke($"level {k + 1} → {k}: {specs[k + 1]} → {specs[k]} from cache ({key[..12]})");
            }
            else
            {
                log?.Invoke($"level {k + 1} → {k}: {specs[k + 1]} → {specs[k]} ({(implied ? "aggregates" : source.ToString().ToLowerInvariant())})");
                map = implied ? ImpliedMap(coarsening!, options) : MakeMap(coarse, fine, specs[k + 1], specs[k], source, options, cancellation);
                if (cached is not null) map.Save(cached);
            }
            maps.Add(map);
            double seconds = clock.Elapsed.TotalSeconds;
            ObjectiveTerms? aggregationTerms = null;
            if (coarsening is not null)
            {
                if (implied) aggregationTerms = TermsOf(map);
                else
                {
                    using var aggregates = ClosedFormMaps.FromCoarsening(coarsening);
                    aggregationTerms = Evaluate(aggregates, coarse, fine, options);
                }
            }
            levels.Add(new LineageLevel(k + 1, specs[k + 1], coarse.VertexCount, map.Provenance.Method, map.Provenance.Objective, seconds, hit)
            {
                Edges = coarse.EdgeCount,
                Diffusion = map.Provenance.Diffusion,
                Locality = map.Provenance.Locality,
                CoarseningSeconds = coarsening is null ? null : coarsening.Seconds,
                AggregationTerms = aggregationTerms,
            });
        }
        return new Lineage(graphs, maps, levels);
    }

    /// <summary>
    /// Checks, before any map is made, that the largest solve (for optimized maps) plus every map kept — P(k) and the
    /// composed Pro_{k→0} — fit the available memory; the largest finest size that fits keeps the levels' ratios.
    /// </summary>
    private static void EnsureFits(IReadOnlyList<Graph> graphs, MapSource source, ProlongationOptions options)
    {
        var fractions = graphs.Select(g => (double)g.VertexCount / graphs[0].VertexCount).ToArray();
        long BytesAt(long n0)
        {
            var n = fractions.Select(f => Math.Max(1, (long)Math.Ceiling(f * n0))).ToArray();
            double maps = 0, solve = 0;
            for (int k = 0; k + 1 < n.Length; k++)
            {
                maps += 8.0 * n[k] * n[k + 1] + (k >= 1 ? 8.0 * n[0] * n[k + 1] : 0);
                if (source == MapSource.Optimized)
                    solve = Math.Max(solve, ProlongationSizes.Bytes(n[k + 1], n[k], ProlongationSizes.UsesFrame((int)Math.Min(n[k], int.MaxValue), options), options.EscapeSaddles));
            }
            double total = maps + solve;
            return total >= long.MaxValue ? long.MaxValue : (long)total;
        }
        SizeLimits.EnsureFits($"the lineage of '{graphs[0].Name}' ({graphs[0].VertexCount} vertices, {graphs.Count - 1} levels)",
            BytesAt(graphs[0].VertexCount), BytesAt, "finest graph (same level ratios)");
    }

    private static ProlongationMap ImpliedMap(GraphCoarsening coarsening, ProlongationOptions options)
    {
        using var aggregates = ClosedFormMaps.FromCoarsening(coarsening);
        var terms = Evaluate(aggregates, coarsening.Coarse, coarsening.Fine, options);
        return new ProlongationMap(aggregates.Matrix, WithTerms(aggregates.Provenance, options.S, terms));
    }

    private static MapProvenance WithTerms(MapProvenance provenance, double s, ObjectiveTerms? terms) => provenance with
    {
        S = s,
        Objective = terms?.Objective,
        Diffusion = terms?.Diffusion,
        Locality = terms?.Locality,
        Alpha = terms?.Alpha,
        Beta = terms?.Beta,
    };

    private static ObjectiveTerms? TermsOf(ProlongationMap map) =>
        map.Provenance is { Objective: { } e, Diffusion: { } d, Locality: { } l, Alpha: { } a, Beta: { } b } ? new ObjectiveTerms(e, d, l, a, b) : null;

    /// <summary>Writes P_k.npy (+ .json) for every level, Pro_k_to_0.npy for every k ≥ 2, and lineage.json.</summary>
    public void Save(string directory) => Save(directory, MatrixFileFormat.Npy);

    /// <summary>
    /// Writes P_k (+ .json) for every level and Pro_k_to_0 for every k ≥ 2 in <paramref name="format"/>, and
    /// lineage.json naming the primary files (.npy unless only .mtx is written).
    /// </summary>
    public void Save(string directory, MatrixFileFormat format)
    {
        Directory.CreateDirectory(directory);
        string ext = MatrixFiles.PrimaryExtension(format);
        for (int k = 0; k < Depth; k++) Maps[k].Save(Path.Combine(directory, $"P_{k}{ext}"), format);
        for (int k = 2; k <= Depth; k++) ToFinest(k).Save(Path.Combine(directory, $"Pro_{k}_to_0{ext}"), format);
        static object? Terms(double? objective, double? diffusion, double? locality) =>
            objective is null ? null : new { objective, diffusion, locality };
        var doc = new
        {
            levels = Levels.Select(l => new
            {
                level = l.Level, graph = l.Graph, vertices = l.Vertices, edges = l.Edges, method = l.Method, objective = l.Objective,
                diffusion = l.Diffusion, locality = l.Locality,
                seconds = l.Seconds, coarsening_seconds = l.CoarseningSeconds, from_cache = l.FromCache,
                aggregation_map = l.AggregationTerms is { } a ? Terms(a.Objective, a.Diffusion, a.Locality) : null,
                map = l.Level == 0 ? null : $"P_{l.Level - 1}{ext}",
                to_finest = l.Level >= 2 ? $"Pro_{l.Level}_to_0{ext}" : l.Level == 1 ? $"P_0{ext}" : null,
            }),
        };
        AtomicFile.WriteAllText(Path.Combine(directory, "lineage.json"), JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Releases every map.</summary>
    public void Dispose()
    {
        foreach (var m in Maps) m.Dispose();
        foreach (var m in _toFinest) m?.Dispose();
    }

    private static ProlongationMap MakeMap(Graph coarse, Graph fine, string coarseSpec, string fineSpec, MapSource source,
        ProlongationOptions options, CancellationToken cancellation)
    {
        bool coarseAxes = GridShape.TryParseGraphSpec(coarseSpec, out string family, out var coarseGrid);
        bool fineAxes = GridShape.TryParseGraphSpec(fineSpec, out string fineFamily, out var fineGrid);
        bool axisWise = coarseAxes && fineAxes && family == fineFamily && coarseGrid.Dimensions == fineGrid.Dimensions;
        if (source == MapSource.Optimized || !axisWise)
        {
            if (source != MapSource.Optimized && !axisWise)
                throw new MultiscaleException($"{source.ToString().ToLowerInvariant()} maps need two path/cycle/grid/torus specs of the same family and dimension (got '{coarseSpec}' → '{fineSpec}')");
            using var solution = ProlongationSolver.Solve(coarse, fine, options, cancellation: cancellation);
            return new ProlongationMap(solution.Map.Matrix, solution.Map.Provenance);
        }

        bool periodic = family is "cycle" or "torus";
        using var grid = GridMap.Create(coarseGrid, fineGrid, (_, n1, n2) => source switch
        {
            MapSource.Aggregation => ClosedFormMaps.Aggregation(n1, n2),
            MapSource.Interpolation => ClosedFormMaps.Interpolation(n1, n2, periodic),
            _ => SolveAxis(n1, n2, periodic, options, cancellation),
        });
        using var result = grid.Dense();
        var objective = Evaluate(result, coarse, fine, options);
        var provenance = WithTerms(result.Provenance, options.S, objective) with
        {
            Method = coarseGrid.Dimensions == 1 ? result.Provenance.Method : $"kronecker({source.ToString().ToLowerInvariant()})",
            CoarseGraph = coarseSpec,
            FineGraph = fineSpec,
        };
        return new ProlongationMap(result.Matrix, provenance);
    }

    private static ProlongationMap SolveAxis(int n1, int n2, bool periodic, ProlongationOptions options, CancellationToken cancellation)
    {
        var coarse = periodic ? GraphFactory.Cycle(n1) : GraphFactory.Path(n1);
        var fine = periodic ? GraphFactory.Cycle(n2) : GraphFactory.Path(n2);
        using var solution = ProlongationSolver.Solve(coarse, fine, options, cancellation: cancellation);
        return new ProlongationMap(solution.Map.Matrix, solution.Map.Provenance);
    }

    private static ObjectiveTerms? Evaluate(ProlongationMap map, Graph coarse, Graph fine, ProlongationOptions options)
    {
        // Evaluating needs dense distances: skip for very large graphs rather than spend n² memory on a report field.
        if (fine.VertexCount > 4096 || !fine.IsConnected || !coarse.IsConnected) return null;
        using var ops = ProlongationOperators.Create(coarse, fine, withDistances: true, options.Device);
        var beta = options.Beta ?? ScaleParameter.Fixed((double)coarse.VertexCount / fine.VertexCount);
        return new ProlongationObjective(ops, options.S, options.Alpha, beta).Terms(map.Matrix.to(ops.Device));
    }

    private static string CacheKey(Graph fine, Graph coarse, MapSource source, ProlongationOptions o) =>
        CacheKey(fine, coarse, source.ToString(), o);

    /// <summary>
    /// The one cache key of an optimized or derived map: SHA-256 of both graphs' edge lists, the map's source and every
    /// option that changes the result (shared by lineages and <see cref="LocalPathMaps"/>).
    /// </summary>
    internal static string CacheKey(Graph fine, Graph coarse, string source, ProlongationOptions o)
    {
        var text = new StringBuilder("multiscale-map-v1\n");
        void AddGraph(Graph g)
        {
            text.Append(g.VertexCount).Append(';');
            foreach (var e in g.Edges) text.Append(e.Source).Append(',').Append(e.Target).Append(',').Append(e.Weight.ToString("R", CultureInfo.InvariantCulture)).Append(';');
            text.Append('\n');
        }
        AddGraph(fine);
        AddGraph(coarse);
        // Axis-wise sources depend on the specs' family and sides, which the edge lists already determine.
        text.Append(CultureInfo.InvariantCulture, $"{source}|{o.S:R}|{o.Alpha}|{o.Beta?.ToString() ?? "n1/n2"}|{o.Init}|{o.RandomStarts?.ToString(CultureInfo.InvariantCulture) ?? "policy"}|{o.InterpolationStart}|{o.EscapeSaddles}|{o.Optimizer}|{o.Precondition}|{o.AssignmentStart}|{o.SpectralFrame}|{o.MaxIterations}|{o.Tolerance:R}|{o.MinGradientNorm:R}|{o.Seed}|{o.Retraction}|{o.MaxTime?.TotalSeconds}");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }
}
