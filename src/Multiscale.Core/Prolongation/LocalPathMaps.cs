using Multiscale.Graphs;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// Optimized maps between path graphs that stay local and order-preserving — the "fully local" (s = 1) maps of paper
/// 004's Fig. 3, used by both plugins for grid and layer maps.
/// </summary>
public static class LocalPathMaps
{
    /// <summary>
    /// The options of a local path map: eq. (3.3) with locality weight s and α, β optimized in closed form, solved by
    /// <see cref="ProlongationSolver"/> from the interpolation family alone (<see cref="InitKind.Interpolation"/>). Why
    /// only that start: with β = n₁/n₂ the s = 1 path maps came out scattered (a smooth field became noise), and even
    /// with auto β the assignment, Munkres and random starts ended at higher objectives than this local start on
    /// 12→24, 20→40, 25→50, at maps far rougher than nearest (docs/mrtl.md). No saddle escape: it may leave the local
    /// basin for a lower but non-local map, and a plugin asking for a local map wants this basin's minimum. At s = 1 the
    /// pair is separable in the frame of T, so the solver replaces the start by its nearest vertex (a partial
    /// permutation of eigenvectors, <see cref="SpectralFrameObjective.NearestVertex"/>) when that is lower: for every size
    /// measured (4→8 … 512→1024) it is the very minimum the optimizer used to creep toward (512 → 1024: 160 s → 3.5 s).
    /// </summary>
    public static ProlongationOptions Options(double s) => new()
    {
        S = s,
        Alpha = ScaleParameter.Auto,
        Beta = ScaleParameter.Auto,
        Init = InitKind.Interpolation,
        AssignmentStart = false,
        RandomStarts = 0,
        EscapeSaddles = false,
        MaxIterations = 5000,
    };

    /// <summary>
    /// The map P_{n₁} → P_{n₂} of <see cref="Options"/>. Eq. (3.3) cannot tell P from −P or from either path reversed,
    /// so of those eight maps the one best aligned with the interpolation start is kept (a reversed map would mirror the
    /// field). Cached under the same key scheme as lineage maps. Shared by MRTL's optimized finegraining and MsANN's
    /// optimized level maps. The file name keeps its readable prefix (plugins list their cached path maps by it).
    /// </summary>
    public static ProlongationMap Optimized(int coarse, int fine, double s = 1.0, string? cacheDirectory = null)
    {
        if (coarse < 1 || fine < coarse) throw new MultiscaleException($"a path map needs 1 ≤ coarse ≤ fine (got {coarse} → {fine})");
        if (!(s >= 0 && s <= 1)) throw new MultiscaleException($"the locality weight s must lie in [0, 1] (got {s})");
        // P_n → P_n: the identity is the exact optimum (both terms vanish); no solve needed.
        if (coarse == fine) return ClosedFormMaps.Aggregation(coarse, fine);
        var coarseGraph = GraphFactory.Path(coarse);
        var fineGraph = GraphFactory.Path(fine);
        var options = Options(s);
        string? cached = cacheDirectory is null ? null
            : Path.Combine(cacheDirectory, $"local-optimized-path{coarse}-path{fine}-{Lineage.CacheKey(fineGraph, coarseGraph, "local-path", options)}.npy");
        if (cached is not null && File.Exists(cached)) return ProlongationMap.Load(cached);

        using var solution = ProlongationSolver.Solve(coarseGraph, fineGraph, options);
        using var scope = NewDisposeScope();
        var p = solution.Map.Matrix;
        // Orientation reference: the same linear interpolation the solve started from (local, order-preserving).
        using var nearest = ClosedFormMaps.Interpolation(coarse, fine, periodic: false);
        Tensor best = p;
        double bestScore = double.NegativeInfinity;
        foreach (var candidate in new[] { p, p.flip(0), p.flip(1), p.flip(0, 1) })
        {
            double score = (candidate * nearest.Matrix).sum().item<double>();
            foreach (var (c, value) in new[] { (candidate, score), (-candidate, -score) })
                if (value > bestScore) { bestScore = value; best = c; }
        }
        // The flips and signs are symmetries of eq. (3.3): the objective and its terms are the solution's.
        var map = new ProlongationMap(best, solution.Map.Provenance);
        if (cached is not null)
        {
            Directory.CreateDirectory(cacheDirectory!);
            map.Save(cached);
        }
        return map;
    }
}
