using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Multiscale.Graphs;
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
/// <param name="Graph">The graph's spec.</param>
/// <param name="Vertices">Its vertex count.</param>
/// <param name="Method">How the map from this level to the next finer one was made (null at level 0).</param>
/// <param name="Objective">Eq. (3.3) at that map, when it was evaluated.</param>
/// <param name="Seconds">Time to make (or load) the map.</param>
/// <param name="FromCache">True when the map came from the on-disk cache.</param>
public sealed record LineageLevel(int Level, string Graph, int Vertices, string? Method, double? Objective, double Seconds, bool FromCache);

/// <summary>
/// A graph lineage G₀ (finest) … G_L (coarsest) with the maps P(k): G_{k+1} → G_k between consecutive members and the
/// composed maps Pro_{k→0} = P(0) P(1) … P(k−1), computed once. Maps are cached on disk under a key made of the two
/// graphs' contents and every option that changes the result, so asking again is a file read (§3.3.3's amortization).
/// </summary>
public sealed partial class Lineage : IDisposable
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
        if (levels < 1) throw new MultiscaleException($"a lineage needs at least one coarsening (got --levels {levels})");
        var m = SpecRegex().Match(finest.Trim());
        if (!m.Success)
            throw new MultiscaleException($"cannot halve '{finest}' automatically (only path:N, cycle:N, grid:AxB…, torus:AxB…); give the lineage as an explicit list of specs instead");
        string family = m.Groups[1].Value;
        var sides = m.Groups[2].Value.Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var specs = new List<string> { finest.Trim() };
        for (int l = 1; l <= levels; l++)
        {
            if (sides.Any(s => s % 2 != 0 || s / 2 < 1))
                throw new MultiscaleException($"'{finest}' cannot be halved {levels} times: a side of {string.Join('x', sides)} is odd at level {l}");
            sides = sides.Select(s => s / 2).ToArray();
            specs.Add($"{family}:{string.Join('x', sides)}");
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

        var maps = new List<ProlongationMap>();
        var levels = new List<LineageLevel> { new(0, specs[0], graphs[0].VertexCount, null, null, 0, false) };
        for (int k = 0; k + 1 < graphs.Count; k++)
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (fine, coarse) = (graphs[k], graphs[k + 1]);
            string key = CacheKey(fine, coarse, source, options);
            string? cached = cacheDirectory is null ? null : Path.Combine(cacheDirectory, key + ".npy");
            ProlongationMap map;
            bool hit = cached is not null && File.Exists(cached);
            if (hit)
            {
                map = ProlongationMap.Load(cached!, options.Device);
                log?.Invoke($"level {k + 1} → {k}: {specs[k + 1]} → {specs[k]} from cache ({key[..12]})");
            }
            else
            {
                log?.Invoke($"level {k + 1} → {k}: {specs[k + 1]} → {specs[k]} ({source.ToString().ToLowerInvariant()})");
                map = MakeMap(coarse, fine, specs[k + 1], specs[k], source, options, cancellation);
                if (cached is not null) map.Save(cached);
            }
            maps.Add(map);
            levels.Add(new LineageLevel(k + 1, specs[k + 1], coarse.VertexCount, map.Provenance.Method, map.Provenance.Objective, clock.Elapsed.TotalSeconds, hit));
        }
        return new Lineage(graphs, maps, levels);
    }

    /// <summary>Writes P_k.npy (+ .json) for every level, Pro_k_to_0.npy for every k ≥ 2, and lineage.json.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        for (int k = 0; k < Depth; k++) Maps[k].Save(Path.Combine(directory, $"P_{k}.npy"));
        for (int k = 2; k <= Depth; k++) ToFinest(k).Save(Path.Combine(directory, $"Pro_{k}_to_0.npy"));
        var doc = new
        {
            levels = Levels.Select(l => new
            {
                level = l.Level, graph = l.Graph, vertices = l.Vertices, method = l.Method, objective = l.Objective,
                seconds = l.Seconds, from_cache = l.FromCache, map = l.Level == 0 ? null : $"P_{l.Level - 1}.npy",
                to_finest = l.Level >= 2 ? $"Pro_{l.Level}_to_0.npy" : l.Level == 1 ? "P_0.npy" : null,
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
        var c = SpecRegex().Match(coarseSpec.Trim());
        var f = SpecRegex().Match(fineSpec.Trim());
        bool axisWise = c.Success && f.Success && c.Groups[1].Value == f.Groups[1].Value
            && c.Groups[2].Value.Split('x').Length == f.Groups[2].Value.Split('x').Length;
        if (source == MapSource.Optimized || !axisWise)
        {
            if (source != MapSource.Optimized && !axisWise)
                throw new MultiscaleException($"{source.ToString().ToLowerInvariant()} maps need two path/cycle/grid/torus specs of the same family and dimension (got '{coarseSpec}' → '{fineSpec}')");
            using var solution = ProlongationSolver.Solve(coarse, fine, options, cancellation: cancellation);
            return new ProlongationMap(solution.Map.Matrix, solution.Map.Provenance);
        }

        string family = c.Groups[1].Value;
        bool periodic = family is "cycle" or "torus";
        var coarseSides = c.Groups[2].Value.Split('x').Select(int.Parse).ToArray();
        var fineSides = f.Groups[2].Value.Split('x').Select(int.Parse).ToArray();
        ProlongationMap? product = null;
        for (int axis = 0; axis < coarseSides.Length; axis++)
        {
            int n1 = coarseSides[axis], n2 = fineSides[axis];
            ProlongationMap factor = source switch
            {
                MapSource.Aggregation => ClosedFormMaps.Aggregation(n1, n2),
                MapSource.Interpolation => ClosedFormMaps.Interpolation(n1, n2, periodic),
                _ => SolveAxis(n1, n2, periodic, options, cancellation),
            };
            if (product is null) { product = factor; continue; }
            var k = new KroneckerMap(product, factor);
            var next = k.Materialize();
            product.Dispose();
            factor.Dispose();
            product = next;
        }
        var result = product!;
        var objective = Evaluate(result, coarse, fine, options);
        var provenance = result.Provenance with
        {
            Method = coarseSides.Length == 1 ? result.Provenance.Method : $"kronecker({source.ToString().ToLowerInvariant()})",
            CoarseGraph = coarseSpec,
            FineGraph = fineSpec,
            S = options.S,
            Objective = objective?.Objective,
            Diffusion = objective?.Diffusion,
            Locality = objective?.Locality,
            Alpha = objective?.Alpha,
            Beta = objective?.Beta,
        };
        var wrapped = new ProlongationMap(result.Matrix, provenance);
        result.Dispose();
        return wrapped;
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

    [GeneratedRegex(@"^(path|cycle|grid|torus):(\d+(?:x\d+)*)$")]
    private static partial Regex SpecRegex();
}
