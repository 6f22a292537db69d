using static TorchSharp.torch;

namespace Multiscale.Mrtl.Data;

/// <summary>One spatial mode of a dataset in its resolution-free form; <see cref="Discretize"/> gives it on any grid.</summary>
public abstract class SpatialMode
{
    private protected SpatialMode(string name) => Name = string.IsNullOrWhiteSpace(name) ? throw new MultiscaleException("a spatial mode needs a name") : name;

    /// <summary>Name (e.g. "ball", "defenders", "ocean").</summary>
    public string Name { get; }

    /// <summary>Number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>The mode's input on <paramref name="grid"/>.</summary>
    public abstract ModeInput Discretize(GridShape grid);

    /// <summary>The samples at <paramref name="index"/> ([n] int64).</summary>
    public abstract SpatialMode Subset(Tensor index);
}

/// <summary>
/// Points with continuous positions in a [0, Height] × [0, Width] domain (a ball handler's position, the defenders in
/// the box around him), padded to P points per sample; a point with weight 0 is absent. On a grid the mode is a count
/// vector (one-hot for one point), so the total count of a sample is the same at every resolution.
/// </summary>
public sealed class CountMode : SpatialMode
{
    /// <summary>Keeps the points; positions [N, P] (row, col coordinates), weights [N, P] ≥ 0 (float32).</summary>
    public CountMode(string name, double height, double width, Tensor rows, Tensor cols, Tensor weights) : base(name)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cols);
        ArgumentNullException.ThrowIfNull(weights);
        if (!(height > 0 && width > 0)) throw new MultiscaleException($"mode '{name}': the domain needs positive sides, got {height}x{width}");
        if (rows.dim() != 2 || !rows.shape.SequenceEqual(cols.shape) || !rows.shape.SequenceEqual(weights.shape))
            throw new MultiscaleException($"mode '{name}': row, column and weight arrays must share one [samples, points] shape; got [{string.Join(",", rows.shape)}], [{string.Join(",", cols.shape)}], [{string.Join(",", weights.shape)}]");
        using (var scope = NewDisposeScope())
        {
            var r = rows.to_type(ScalarType.Float32); var c = cols.to_type(ScalarType.Float32); var w = weights.to_type(ScalarType.Float32);
            if (r.isnan().any().item<bool>() || c.isnan().any().item<bool>() || w.isnan().any().item<bool>())
                throw new MultiscaleException($"mode '{name}': positions or weights contain NaN");
            if (w.lt(0).any().item<bool>()) throw new MultiscaleException($"mode '{name}': point weights must be non-negative");
            var present = w.gt(0);
            var outside = present & (r.lt(0) | r.gt(height) | c.lt(0) | c.gt(width));
            if (outside.any().item<bool>())
                throw new MultiscaleException($"mode '{name}': a point lies outside the {height}x{width} domain");
            Rows = r.DetachFromDisposeScope(); Cols = c.DetachFromDisposeScope(); Weights = w.DetachFromDisposeScope();
        }
        Height = height;
        Width = width;
    }

    /// <summary>Domain extent along rows.</summary>
    public double Height { get; }

    /// <summary>Domain extent along columns.</summary>
    public double Width { get; }

    /// <summary>Row coordinates [N, P] float32.</summary>
    public Tensor Rows { get; }

    /// <summary>Column coordinates [N, P] float32.</summary>
    public Tensor Cols { get; }

    /// <summary>Point weights [N, P] float32 (0 = no point).</summary>
    public Tensor Weights { get; }

    /// <summary>Points per sample (padding included).</summary>
    public int Points => (int)Rows.shape[1];

    /// <inheritdoc />
    public override int Count => (int)Rows.shape[0];

    /// <summary>Cell indices [N, P] (row-major; cell = ⌊pos/extent·cells⌋, the far edge in the last cell) and the weights.</summary>
    public override ModeInput Discretize(GridShape grid)
    {
        using var scope = NewDisposeScope();
        var r = (Rows * (float)(grid.Rows / Height)).floor().clamp(0, grid.Rows - 1).to_type(ScalarType.Int64);
        var c = (Cols * (float)(grid.Cols / Width)).floor().clamp(0, grid.Cols - 1).to_type(ScalarType.Int64);
        return new CountInput(grid, (r * grid.Cols + c).MoveToOuterDisposeScope(), Weights.clone().MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public override SpatialMode Subset(Tensor index)
    {
        using var scope = NewDisposeScope();
        return new CountMode(Name, Height, Width, Rows.index_select(0, index), Cols.index_select(0, index), Weights.index_select(0, index));
    }
}

/// <summary>
/// Gridded fields averaged over cells (sea-surface salinity and temperature): a series [T, V, R, C] on the native grid
/// and, per sample, the L time steps it reads ([N, L], lag 0 first). A sample's input is [L·V, D] (lag-major), its
/// non-spatial feature shape [L, V]. Coarser grids come from overlap-weighted area averaging (<see cref="AreaAverage"/>).
/// </summary>
public sealed class FieldMode : SpatialMode
{
    /// <summary>Keeps the series (float32) and the time indices (int64); both are validated.</summary>
    public FieldMode(string name, Tensor series, Tensor timeIndex) : base(name)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(timeIndex);
        if (series.dim() != 4) throw new MultiscaleException($"mode '{name}': fields must be [time, variables, rows, cols]; got {series.dim()} axes");
        if (timeIndex.dim() != 2) throw new MultiscaleException($"mode '{name}': time indices must be [samples, lags]; got {timeIndex.dim()} axes");
        using (var scope = NewDisposeScope())
        {
            var s = series.to_type(ScalarType.Float32);
            if (s.isnan().any().item<bool>()) throw new MultiscaleException($"mode '{name}': the fields contain NaN");
            var t = timeIndex.to_type(ScalarType.Int64);
            if (t.numel() > 0 && (t.min().item<long>() < 0 || t.max().item<long>() >= series.shape[0]))
                throw new MultiscaleException($"mode '{name}': a time index lies outside the {series.shape[0]} time steps");
            Series = s.DetachFromDisposeScope();
            TimeIndex = t.DetachFromDisposeScope();
        }
        Native = new GridShape((int)series.shape[2], (int)series.shape[3]);
    }

    /// <summary>Fields [T, V, R, C] float32 on <see cref="Native"/>.</summary>
    public Tensor Series { get; }

    /// <summary>Time step of each sample's lag, [N, L] int64.</summary>
    public Tensor TimeIndex { get; }

    /// <summary>The grid the fields were given on (the finest usable).</summary>
    public GridShape Native { get; }

    /// <summary>Lags L.</summary>
    public int Lags => (int)TimeIndex.shape[1];

    /// <summary>Variables V.</summary>
    public int Variables => (int)Series.shape[1];

    /// <inheritdoc />
    public override int Count => (int)TimeIndex.shape[0];

    /// <summary>The series area-averaged onto <paramref name="grid"/> ([T, V, D]) with the same time indices.</summary>
    public override ModeInput Discretize(GridShape grid)
    {
        if (grid.Rows > Native.Rows || grid.Cols > Native.Cols)
            throw new MultiscaleException($"mode '{Name}': grid {grid} is finer than the data's {Native}");
        using var scope = NewDisposeScope();
        var averaged = AreaAverage.Apply(Series, grid).reshape(Series.shape[0], Series.shape[1], grid.Cells);
        return new FieldInput(grid, averaged.MoveToOuterDisposeScope(), TimeIndex);
    }

    /// <inheritdoc />
    public override SpatialMode Subset(Tensor index)
    {
        using var scope = NewDisposeScope();
        return new FieldMode(Name, Series, TimeIndex.index_select(0, index));
    }
}

/// <summary>A spatial mode on one grid.</summary>
public abstract record ModeInput(GridShape Grid);

/// <summary>Counts: cell indices [N, P] int64 and weights [N, P] float32 (the sparse form of a count vector).</summary>
public sealed record CountInput(GridShape Grid, Tensor Cells, Tensor Weights) : ModeInput(Grid);

/// <summary>Averaged fields: series [T, V, D] float32 and time indices [N, L].</summary>
public sealed record FieldInput(GridShape Grid, Tensor Series, Tensor TimeIndex) : ModeInput(Grid)
{
    /// <summary>The samples' inputs [n, L·V, D] (lag-major).</summary>
    public Tensor Gather(Tensor samples)
    {
        using var scope = NewDisposeScope();
        var t = TimeIndex.index_select(0, samples);                     // [n, L]
        var x = Series.index_select(0, t.flatten());                    // [n·L, V, D]
        return x.reshape(t.shape[0], t.shape[1] * Series.shape[1], Series.shape[2]).MoveToOuterDisposeScope();
    }
}
