using System.Globalization;
using Multiscale.Graphs;
using Multiscale.Mrtl.Data;
using Multiscale.Optimization;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Finegraining;

/// <summary>How a coarse spatial mode is carried to a finer grid.</summary>
public enum FinegrainMethod
{
    /// <summary>Each fine cell copies the coarse cell containing its centre; no rescaling (the reference basketball code).</summary>
    Nearest,
    /// <summary>PyTorch bilinear interpolation (align_corners = false), divided by the cell-count ratio (the reference climate code).</summary>
    Bilinear,
    /// <summary>The core's optimized orthonormal prolongation per axis between path graphs (paper 004), scaled.</summary>
    Optimized,
}

/// <summary>
/// Moves a weight tensor's spatial mode from a coarse grid to a finer one with a separable map: one 1-D map for the
/// rows and one for the columns, the core's <see cref="GridMap"/> (their Kronecker product, row-major). The dense 2-D
/// map is never formed (an 80×180 grid from 40×90 would need ~1 GB): the grid map applies each axis by a mode product.
/// </summary>
public sealed class GridFinegrain : IDisposable
{
    private readonly GridMap _map;

    private GridFinegrain(FinegrainMethod method, GridMap map, double scale)
    {
        Method = method;
        _map = map;
        Scale = scale;
    }

    /// <summary>The method the maps were made with.</summary>
    public FinegrainMethod Method { get; }

    /// <summary>The grid of the input mode.</summary>
    public GridShape Coarse => _map.Coarse;

    /// <summary>The grid of the output mode.</summary>
    public GridShape Fine => _map.Fine;

    /// <summary>The 2-D map Rows ⊗ Cols.</summary>
    public GridMap Map => _map;

    /// <summary>1-D map of the row axis, Fine.Rows × Coarse.Rows.</summary>
    public ProlongationMap Rows => _map.Axes[0];

    /// <summary>1-D map of the column axis, Fine.Cols × Coarse.Cols.</summary>
    public ProlongationMap Cols => _map.Axes[1];

    /// <summary>
    /// Factor applied to the prolonged weights: 1 for nearest, Coarse.Cells/Fine.Cells for bilinear (paper 001 §4.2,
    /// appendix B), √(Fine.Cells/Coarse.Cells) for optimized (it equals aggregation's output on constant fields).
    /// </summary>
    public double Scale { get; }

    /// <summary>
    /// Weights with size Coarse.Cells at <paramref name="mode"/> (row-major cells) → size Fine.Cells there, times
    /// <see cref="Scale"/>. Other modes are untouched; the dtype and device follow the input.
    /// </summary>
    public Tensor Apply(Tensor weights, int mode)
    {
        using var scope = NewDisposeScope();
        return (ApplyUnscaled(weights, mode) * Scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// (Rows ⊗ Cols)·w along <paramref name="mode"/> without <see cref="Scale"/>: for a trainer that picks its own
    /// scale, e.g. <see cref="FitOutputScale"/> of the coarse model's outputs against the outputs this gives.
    /// </summary>
    public Tensor ApplyUnscaled(Tensor weights, int mode)
    {
        int m = CheckMode(weights, mode, Coarse, "Apply");
        return _map.ProlongMode(weights, m);
    }

    /// <summary>The transpose maps (Rows ⊗ Cols)ᵀ along <paramref name="mode"/>, without <see cref="Scale"/>: Fine.Cells → Coarse.Cells.</summary>
    public Tensor Restrict(Tensor fineWeights, int mode)
    {
        int m = CheckMode(fineWeights, mode, Fine, "Restrict");
        return _map.RestrictMode(fineWeights, m);
    }

    /// <summary>
    /// Builds the two 1-D maps. <paramref name="s"/> is the locality weight of the optimized maps (1 = fully local,
    /// as paper 004 chose); <paramref name="cacheDirectory"/>, when given, caches optimized maps on disk (the core's lineage cache).
    /// </summary>
    public static GridFinegrain Create(FinegrainMethod method, GridShape coarse, GridShape fine, double s = 1.0, string? cacheDirectory = null)
    {
        if (fine.Rows < coarse.Rows || fine.Cols < coarse.Cols)
            throw new MultiscaleException($"cannot finegrain {coarse} to {fine}: the fine grid must be at least as large on each axis");
        if (coarse.Cells == 0 || fine.Cells == 0)
            throw new MultiscaleException($"cannot finegrain {coarse} to {fine}: a grid has no cells");
        if (method == FinegrainMethod.Optimized && !(s >= 0 && s <= 1))
            throw new MultiscaleException($"the locality weight s must be in [0, 1] (got {s})");
        ProlongationMap Axis(int n1, int n2) => method switch
        {
            FinegrainMethod.Nearest => NearestMap(n1, n2),
            FinegrainMethod.Bilinear => BilinearMap(n1, n2),
            FinegrainMethod.Optimized => OptimizedMap(n1, n2, s, cacheDirectory),
            _ => throw new MultiscaleException($"unknown finegrain method {method}"),
        };
        var map = GridMap.Create(coarse, fine, (_, n1, n2) => Axis(n1, n2));
        double scale = method switch
        {
            FinegrainMethod.Nearest => 1.0,
            FinegrainMethod.Bilinear => (double)coarse.Cells / fine.Cells,
            _ => Math.Sqrt((double)fine.Cells / coarse.Cells),
        };
        return new GridFinegrain(method, map, scale);
    }

    /// <summary>
    /// The least-squares c minimizing ‖y_c − c·y_f‖² (⟨y_c, y_f⟩ / ‖y_f‖²): the output scale that makes a finegrained
    /// model reproduce the coarse model's outputs <paramref name="coarseOutputs"/> from its unscaled outputs
    /// <paramref name="fineOutputsUnscaled"/> on the same data.
    /// </summary>
    public static double FitOutputScale(Tensor coarseOutputs, Tensor fineOutputsUnscaled)
    {
        ArgumentNullException.ThrowIfNull(coarseOutputs);
        ArgumentNullException.ThrowIfNull(fineOutputsUnscaled);
        if (!coarseOutputs.shape.SequenceEqual(fineOutputsUnscaled.shape))
            throw new MultiscaleException($"FitOutputScale: output shapes differ ({string.Join("x", coarseOutputs.shape)} vs {string.Join("x", fineOutputsUnscaled.shape)})");
        using var scope = NewDisposeScope();
        var yc = coarseOutputs.detach().to(ScalarType.Float64, CPU);
        var yf = fineOutputsUnscaled.detach().to(ScalarType.Float64, CPU);
        double den = yf.pow(2).sum().item<double>();
        double num = (yc * yf).sum().item<double>();
        if (!double.IsFinite(num) || !double.IsFinite(den))
            throw new MultiscaleException("FitOutputScale: outputs contain NaN or infinite values");
        if (den == 0) throw new MultiscaleException("FitOutputScale: the unscaled fine outputs are all zero, so no scale can match them");
        return num / den;
    }

    /// <summary>Releases both maps.</summary>
    public void Dispose() => _map.Dispose();

    /// <summary>Nearest-centre map: fine cell i (centre (i+½)/n₂ of the unit interval) copies coarse cell ⌊(2i+1)n₁/(2n₂)⌋.</summary>
    internal static ProlongationMap NearestMap(int coarse, int fine)
    {
        var p = new double[(long)fine * coarse];
        for (int i = 0; i < fine; i++)
            p[(long)i * coarse + NearestCoarse(i, coarse, fine)] = 1;
        return Wrap(p, fine, coarse, "nearest");
    }

    /// <summary>The coarse cell containing fine cell i's centre (exact integer arithmetic, no rounding at cell borders).</summary>
    internal static int NearestCoarse(int i, int coarse, int fine) => (int)((2L * i + 1) * coarse / (2L * fine));

    /// <summary>
    /// PyTorch's linear weights with align_corners = false: source coordinate x = (i+½)·n₁/n₂ − ½ clamped below at 0,
    /// left = ⌊x⌋, right = min(left+1, n₁−1), weights 1 − (x − left) and x − left.
    /// </summary>
    internal static ProlongationMap BilinearMap(int coarse, int fine)
    {
        var p = new double[(long)fine * coarse];
        double ratio = (double)coarse / fine;
        for (int i = 0; i < fine; i++)
        {
            double x = Math.Max((i + 0.5) * ratio - 0.5, 0);
            int left = Math.Min((int)Math.Floor(x), coarse - 1);
            int right = Math.Min(left + 1, coarse - 1);
            double t = x - left;
            p[(long)i * coarse + left] += 1 - t;
            p[(long)i * coarse + right] += t;
        }
        return Wrap(p, fine, coarse, "bilinear");
    }

    /// <summary>The core's local optimized path map (<see cref="LocalPathMaps.Optimized"/>).</summary>
    private static ProlongationMap OptimizedMap(int coarse, int fine, double s, string? cacheDirectory) =>
        LocalPathMaps.Optimized(coarse, fine, s, cacheDirectory);

    private static ProlongationMap Wrap(double[] data, int fine, int coarse, string method)
    {
        // Maps stay on the CPU in float64; ProlongationMap applies a cached copy in the weights' dtype on their device.
        using var t = tensor(data, new long[] { fine, coarse }, ScalarType.Float64);
        return new ProlongationMap(t, new MapProvenance { Method = method, CoarseGraph = $"path:{coarse}", FineGraph = $"path:{fine}" });
    }

    private static int CheckMode(Tensor t, int mode, GridShape grid, string what)
    {
        ArgumentNullException.ThrowIfNull(t);
        int m = mode < 0 ? mode + (int)t.dim() : mode;
        if (m < 0 || m >= t.dim())
            throw new MultiscaleException($"{what}: mode {mode} does not exist in a {t.dim()}-mode tensor");
        if (t.shape[m] != grid.Cells)
            throw new MultiscaleException($"{what}: mode {mode} has size {t.shape[m]}, but the {grid} grid has {grid.Cells} cells");
        return m;
    }
}
