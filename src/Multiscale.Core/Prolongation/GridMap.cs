using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// The map between two grids made of one map per axis: P = P₀ ⊗ P₁ ⊗ … (first axis slowest), fine × coarse, in the
/// row-major cell order of <see cref="GridShape"/> and <see cref="Graphs.GraphFactory.Grid"/> (§5.2: the map of a box
/// product of paths or cycles). Any per-axis map serves — interpolation, aggregation, an optimized path map from
/// <see cref="LocalPathMaps"/> or the solver, the identity — and the result is applied axis by axis with n-mode products
/// (<see cref="Tensors.TensorAlgebra.ModeProduct"/>) on the cells reshaped to the grid, so the dense
/// (n₂ × n₁) matrix, which for an 80 × 180 grid from 40 × 90 would need ~1 GB, is formed only when asked
/// (<see cref="Dense"/>). The one grid map of lineages, MsANN's grid level maps and MRTL's finegraining.
/// </summary>
public sealed class GridMap : IDisposable
{
    private readonly ProlongationMap[] _axes;
    private readonly bool _ownsAxes;

    /// <summary>
    /// Wraps one map per axis, axis a being Fine.Sides[a] × Coarse.Sides[a]. With <paramref name="ownsAxes"/> the grid
    /// map disposes them; otherwise they stay the caller's.
    /// </summary>
    public GridMap(GridShape coarse, GridShape fine, IReadOnlyList<ProlongationMap> axes, bool ownsAxes = true)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (coarse.Dimensions == 0 || coarse.Dimensions != fine.Dimensions)
            throw new MultiscaleException($"a grid map needs two grids of one dimension (got {coarse} → {fine})");
        if (axes.Count != coarse.Dimensions)
            throw new MultiscaleException($"a {coarse} → {fine} grid map needs {coarse.Dimensions} axis maps, got {axes.Count}");
        for (int a = 0; a < axes.Count; a++)
        {
            ArgumentNullException.ThrowIfNull(axes[a]);
            if (axes[a].CoarseSize != coarse.Sides[a] || axes[a].FineSize != fine.Sides[a])
                throw new MultiscaleException($"axis {a} of a {coarse} → {fine} grid map needs a {fine.Sides[a]} × {coarse.Sides[a]} map, got {axes[a].FineSize} × {axes[a].CoarseSize}");
        }
        Coarse = coarse;
        Fine = fine;
        _axes = axes.ToArray();
        _ownsAxes = ownsAxes;
    }

    /// <summary>
    /// Builds the axis maps with <paramref name="axisMap"/>(axis, coarse side, fine side) and owns them; a failure part-way
    /// disposes the maps already made.
    /// </summary>
    public static GridMap Create(GridShape coarse, GridShape fine, Func<int, int, int, ProlongationMap> axisMap)
    {
        ArgumentNullException.ThrowIfNull(axisMap);
        if (coarse.Dimensions == 0 || coarse.Dimensions != fine.Dimensions)
            throw new MultiscaleException($"a grid map needs two grids of one dimension (got {coarse} → {fine})");
        var axes = new List<ProlongationMap>();
        try
        {
            for (int a = 0; a < coarse.Dimensions; a++) axes.Add(axisMap(a, coarse.Sides[a], fine.Sides[a]));
            return new GridMap(coarse, fine, axes);
        }
        catch
        {
            foreach (var m in axes) m.Dispose();
            throw;
        }
    }

    /// <summary>The grid of the input (coarse) side.</summary>
    public GridShape Coarse { get; }

    /// <summary>The grid of the output (fine) side.</summary>
    public GridShape Fine { get; }

    /// <summary>The per-axis maps, first (slowest) axis first.</summary>
    public IReadOnlyList<ProlongationMap> Axes => _axes;

    /// <summary>n₂, the fine grid's cells (rows of P).</summary>
    public int FineSize => Fine.Cells;

    /// <summary>n₁, the coarse grid's cells (columns of P).</summary>
    public int CoarseSize => Coarse.Cells;

    /// <summary>P·x for a coarse vector [n₁] or a matrix [n₁, k] (columns prolonged), without forming P.</summary>
    public Tensor Prolong(Tensor coarse)
    {
        RequireLeading(coarse, CoarseSize, "Prolong");
        return ProlongMode(coarse, 0);
    }

    /// <summary>Pᵀ·y for a fine vector [n₂] or a matrix [n₂, k], without forming P.</summary>
    public Tensor Restrict(Tensor fine)
    {
        RequireLeading(fine, FineSize, "Restrict");
        return RestrictMode(fine, 0);
    }

    /// <summary>
    /// P along mode <paramref name="mode"/> of a tensor (size n₁ there, the coarse cells row-major) → size n₂ there: the
    /// mode is split into the grid's axes and each axis map applied in turn (first axis first). Other modes are untouched.
    /// </summary>
    public Tensor ProlongMode(Tensor tensor, int mode) => Apply(tensor, mode, Coarse, transpose: false, "ProlongMode");

    /// <summary>Pᵀ along mode <paramref name="mode"/> (size n₂ there) → size n₁ there.</summary>
    public Tensor RestrictMode(Tensor tensor, int mode) => Apply(tensor, mode, Fine, transpose: true, "RestrictMode");

    /// <summary>
    /// The dense P = P₀ ⊗ P₁ ⊗ … (n₂ × n₁, float64; for checks, small grids and callers that need the matrix), folded left
    /// to right; its provenance names the factors (method <c>kronecker</c>, graphs <c>box(…)</c>). A 1-D grid map is its
    /// axis map.
    /// </summary>
    public ProlongationMap Dense()
    {
        if (_axes.Length == 1) return new ProlongationMap(_axes[0].Matrix, _axes[0].Provenance);
        using var scope = NewDisposeScope();
        var matrix = _axes[0].Matrix;
        var provenance = _axes[0].Provenance;
        for (int a = 1; a < _axes.Length; a++)
        {
            var factor = _axes[a];
            matrix = kron(matrix, factor.Matrix);
            provenance = new MapProvenance
            {
                Method = "kronecker",
                CoarseGraph = $"box({provenance.CoarseGraph},{factor.Provenance.CoarseGraph})",
                FineGraph = $"box({provenance.FineGraph},{factor.Provenance.FineGraph})",
                Details = new Dictionary<string, string> { ["factor_a"] = provenance.Method, ["factor_b"] = factor.Provenance.Method },
            };
        }
        return new ProlongationMap(matrix, provenance);
    }

    /// <summary>Releases the axis maps when this grid map owns them.</summary>
    public void Dispose()
    {
        if (!_ownsAxes) return;
        foreach (var m in _axes) m.Dispose();
    }

    private Tensor Apply(Tensor tensor, int mode, GridShape input, bool transpose, string what)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        int m = mode < 0 ? mode + (int)tensor.dim() : mode;
        if (m < 0 || m >= tensor.dim()) throw new MultiscaleException($"{what}: mode {mode} does not exist in a {tensor.dim()}-mode tensor");
        if (tensor.shape[m] != input.Cells)
            throw new MultiscaleException($"{what}: mode {mode} has size {tensor.shape[m]}, but the {input} grid has {input.Cells} cells");
        using var scope = NewDisposeScope();
        // Cells row-major → one mode per axis; each axis map is an n-mode product there.
        var shape = tensor.shape.Take(m).Concat(input.Sides.Select(s => (long)s)).Concat(tensor.shape.Skip(m + 1)).ToArray();
        var grid = tensor.reshape(shape);
        for (int a = 0; a < _axes.Length; a++)
            grid = transpose ? _axes[a].RestrictMode(grid, m + a) : _axes[a].ProlongMode(grid, m + a);
        var output = grid.shape.Take(m).Append(grid.shape.Skip(m).Take(_axes.Length).Aggregate(1L, (x, y) => x * y))
            .Concat(grid.shape.Skip(m + _axes.Length)).ToArray();
        return grid.reshape(output).MoveToOuterDisposeScope();
    }

    private static void RequireLeading(Tensor t, int size, string what)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() is < 1 or > 2 || t.shape[0] != size)
            throw new MultiscaleException($"grid map {what}: expected a vector or matrix with {size} rows, got shape ({string.Join(", ", t.shape)})");
    }
}
