using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// A prolongation map stored by rows as (column index, value) pairs, at most <see cref="Width"/> per row — the shape of
/// local maps (pair aggregation, interpolation, their Kronecker products on grids). Applying it along the first
/// dimension costs O(n₂ · Width) per column instead of the dense O(n₂ · n₁), which is what lets a chain of level maps
/// move a 1024 × 256 weight between levels in a fraction of a dense product (MsANN) or finegrain a large grid mode
/// (MRTL). Entries below <c>relativeTolerance · max|P|</c> are dropped; <see cref="DroppedNorm"/> says how much.
/// </summary>
public sealed class BandedMap : IDisposable
{
    private readonly Tensor _columns;   // [n₂ · Width] long, row-major by fine row
    private readonly Tensor _values;    // [n₂, Width, 1]

    private BandedMap(Tensor columns, Tensor values, int fine, int coarse, int width, double dropped)
    {
        _columns = columns;
        _values = values;
        FineSize = fine;
        CoarseSize = coarse;
        Width = width;
        DroppedNorm = dropped;
    }

    /// <summary>n₂.</summary>
    public int FineSize { get; }

    /// <summary>n₁.</summary>
    public int CoarseSize { get; }

    /// <summary>Largest number of kept entries in a row.</summary>
    public int Width { get; }

    /// <summary>Frobenius norm of the dropped entries (0 for exactly sparse maps).</summary>
    public double DroppedNorm { get; }

    /// <summary>
    /// The banded form of <paramref name="map"/> in <paramref name="dtype"/>, or null when some row keeps more than
    /// <paramref name="maxWidth"/> entries (a dense map: use its matrix instead).
    /// </summary>
    public static BandedMap? TryCreate(ProlongationMap map, ScalarType dtype, Device? device = null,
        double relativeTolerance = 1e-9, int maxWidth = 64)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (!(relativeTolerance >= 0)) throw new MultiscaleException($"the drop tolerance must be ≥ 0 (got {relativeTolerance})");
        if (maxWidth < 1) throw new MultiscaleException($"the band width must be positive (got {maxWidth})");
        int fine = map.FineSize, coarse = map.CoarseSize;
        var p = map.Matrix.cpu().data<double>().ToArray();
        double max = p.Max(Math.Abs), cut = relativeTolerance * max, dropped = 0;
        var rows = new List<(int Column, double Value)>[fine];
        int width = 1;
        for (int i = 0; i < fine; i++)
        {
            var row = new List<(int, double)>();
            for (int j = 0; j < coarse; j++)
            {
                double v = p[(long)i * coarse + j];
                if (Math.Abs(v) > cut) row.Add((j, v));
                else dropped += v * v;
            }
            if (row.Count > maxWidth) return null;
            width = Math.Max(width, row.Count);
            rows[i] = row;
        }
        var columns = new long[(long)fine * width];
        var values = new double[(long)fine * width];
        for (int i = 0; i < fine; i++)
            for (int k = 0; k < rows[i].Count; k++)
            {
                columns[(long)i * width + k] = rows[i][k].Column;
                values[(long)i * width + k] = rows[i][k].Value;   // padding keeps column 0 with value 0
            }
        device ??= CPU;
        using var scope = NewDisposeScope();
        var c = tensor(columns, new long[] { (long)fine * width }, device: device).DetachFromDisposeScope();
        var v2 = tensor(values, new long[] { fine, width, 1 }, ScalarType.Float64).to(dtype, device).DetachFromDisposeScope();
        return new BandedMap(c, v2, fine, coarse, width, Math.Sqrt(dropped));
    }

    /// <summary>P·x along the first dimension: [n₁, …] → [n₂, …] (differentiable in x).</summary>
    public Tensor Prolong(Tensor coarse)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        if (coarse.dim() < 1 || coarse.shape[0] != CoarseSize)
            throw new MultiscaleException($"Prolong expects {CoarseSize} rows, got shape [{string.Join(", ", coarse.shape)}]");
        var rest = coarse.shape.Skip(1).ToArray();
        using var scope = NewDisposeScope();
        var flat = coarse.reshape(CoarseSize, -1);
        var gathered = flat.index_select(0, _columns).view(FineSize, Width, flat.shape[1]);
        var result = (gathered * Values(coarse)).sum(dim: 1);
        return result.reshape(new long[] { FineSize }.Concat(rest).ToArray()).MoveToOuterDisposeScope();
    }

    /// <summary>Pᵀ·y along the first dimension: [n₂, …] → [n₁, …] (differentiable in y).</summary>
    public Tensor Restrict(Tensor fine)
    {
        ArgumentNullException.ThrowIfNull(fine);
        if (fine.dim() < 1 || fine.shape[0] != FineSize)
            throw new MultiscaleException($"Restrict expects {FineSize} rows, got shape [{string.Join(", ", fine.shape)}]");
        var rest = fine.shape.Skip(1).ToArray();
        using var scope = NewDisposeScope();
        var flat = fine.reshape(FineSize, -1);
        long m = flat.shape[1];
        var spread = (flat.unsqueeze(1) * Values(fine)).reshape((long)FineSize * Width, m);
        var result = zeros(new long[] { CoarseSize, m }, flat.dtype, flat.device).index_add(0, _columns, spread, 1.0);
        return result.reshape(new long[] { CoarseSize }.Concat(rest).ToArray()).MoveToOuterDisposeScope();
    }

    private Tensor Values(Tensor like) =>
        like.dtype == _values.dtype && like.device == _values.device ? _values : _values.to(like.dtype, like.device);

    /// <summary>Releases the index and value tensors.</summary>
    public void Dispose()
    {
        _columns.Dispose();
        _values.Dispose();
    }
}
