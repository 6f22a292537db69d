using System.Globalization;
using Multiscale.Graphs;
using Multiscale.Optimization;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// Optimized maps between path graphs that stay local and order-preserving — the "fully local" (s = 1) maps of paper
/// 004's Fig. 3, used by both plugins for grid and layer maps.
/// </summary>
public static class LocalPathMaps
{
    /// <summary>
    /// The map P_{n₁} → P_{n₂} minimizing eq. (3.3) of paper 004 (locality weight s, α and β optimized in closed form),
    /// found by the core's preconditioned Riemannian conjugate gradient started from the orthonormalized linear
    /// interpolation map (<see cref="ClosedFormMaps.Interpolation"/>). Why not the core's multi-start solve
    /// (<see cref="Lineage"/>): with its default β = n₁/n₂ the s = 1 path maps came out scattered (a smooth field became
    /// noise), and even with auto β its starts (assignment, Munkres, random) ended at higher objectives than this
    /// local start on 12→24, 20→40, 25→50, and at maps that are far rougher than nearest — while this start reaches
    /// lower or equal objectives with smooth, local maps in well under a second (docs/mrtl.md). Eq. (3.3) cannot tell
    /// P from −P or from either path reversed, so of those eight maps the one best aligned with the interpolation start
    /// is kept (a reversed map would mirror the field). Shared by MRTL's optimized finegraining and MsANN's optimized level maps.
    /// </summary>
    public static ProlongationMap Optimized(int coarse, int fine, double s = 1.0, string? cacheDirectory = null)
    {
        if (coarse < 1 || fine < coarse) throw new MultiscaleException($"a path map needs 1 ≤ coarse ≤ fine (got {coarse} → {fine})");
        if (!(s >= 0 && s <= 1)) throw new MultiscaleException($"the locality weight s must lie in [0, 1] (got {s})");
        // P_n → P_n: the identity is the exact optimum (both terms vanish); no solve needed.
        if (coarse == fine) return ClosedFormMaps.Aggregation(coarse, fine);
        string? cached = cacheDirectory is null ? null
            : Path.Combine(cacheDirectory, string.Create(CultureInfo.InvariantCulture, $"local-optimized-path{coarse}-path{fine}-s{s:R}-v1.npy"));
        if (cached is not null && File.Exists(cached)) return ProlongationMap.Load(cached);

        using var ops = ProlongationOperators.Create(GraphFactory.Path(coarse), GraphFactory.Path(fine), withDistances: true);
        var objective = new ProlongationObjective(ops, s, ScaleParameter.Auto, ScaleParameter.Auto);
        using var start = ClosedFormMaps.Interpolation(coarse, fine, periodic: false);
        var initial = objective.Terms(start.Matrix);
        objective.EnablePreconditioner(initial.Alpha, initial.Beta);
        using var result = new ConjugateGradient().Optimize(objective, start.Matrix, new StoppingCriteria { MaxIterations = 5000 });
        objective.DisablePreconditioner();

        using var scope = NewDisposeScope();
        // One Newton–Schulz step P(3I − PᵀP)/2 removes the retractions' rounding from PᵀP = I.
        var p = result.Point;
        p = p.matmul(eye(coarse, dtype: ScalarType.Float64) * 1.5 - p.T.matmul(p) * 0.5);
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
        var terms = objective.Terms(best);
        var map = new ProlongationMap(best, new MapProvenance
        {
            Method = "optimized",
            CoarseGraph = $"path:{coarse}",
            FineGraph = $"path:{fine}",
            S = s,
            Alpha = terms.Alpha,
            Beta = terms.Beta,
            Objective = terms.Objective,
            Diffusion = terms.Diffusion,
            Locality = terms.Locality,
            Start = "interpolation",
            Optimizer = "cg",
            Iterations = result.Iterations,
        });
        if (cached is not null)
        {
            Directory.CreateDirectory(cacheDirectory!);
            map.Save(cached);
        }
        return map;
    }

}
