using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>
/// A local (banded) matrix M [n, m] applied as a batch of dense blocks: its rows are cut into blocks of b consecutive
/// rows, and each block's entries lie in one window of w consecutive columns (w the widest block's extent), so
/// M·X = bmm(blocks [nb, b, w], X's window rows [nb, w, k]). The level maps of a hierarchy are local — interpolation,
/// aggregation and the local optimized path maps couple neighbouring units, their compositions too, and grid maps are
/// Kronecker products of such maps with the identity — so a block's window is a small part of m and the products cost
/// nb·b·w instead of n·m multiply-adds, in one gather of rows and one batched BLAS call (element gathers of the few
/// entries were measured slower than the dense product; a row gather copies contiguous rows). Entries below
/// <c>threshold</c> × the largest magnitude outside the windows are dropped: the polar-orthonormalized maps decay
/// exponentially away from the diagonal, so at 1e-12 the dropped mass is far below float32 rounding. Where the windows
/// would keep more than 30 % of the dense multiply-adds (dense maps: random, shuffled; small or strongly coarsened maps)
/// the dense product is used.
/// Products are differentiable (index_select, bmm and permutes have autograd).
/// </summary>
public sealed class BandedMatrix : IDisposable
{
    /// <summary>The default relative threshold below which entries outside the windows are dropped.</summary>
    public const double DefaultThreshold = 1e-12;

    private readonly Tensor _dense;                 // [n, m], the source dtype; used when the windows do not pay
    private readonly Tensor? _blocks;               // [nb, b, w], the source dtype
    private readonly Tensor? _index;                // [nb·w] column indices of the windows, int64
    private readonly Dictionary<(ScalarType, DeviceType, int), (Tensor? Blocks, Tensor? BlocksT, Tensor? Index, Tensor Dense)> _cast = new();

    /// <summary>Cuts <paramref name="matrix"/> [n, m] into row blocks with column windows (see the type's remarks).</summary>
    public BandedMatrix(Tensor matrix, double threshold = DefaultThreshold, long[]? blockSizes = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.dim() != 2) throw new ArgumentException("a banded matrix is 2-D", nameof(matrix));
        Rows = matrix.shape[0];
        Columns = matrix.shape[1];
        using var scope = NewDisposeScope();
        _dense = matrix.detach().contiguous().clone().DetachFromDisposeScope();
        var magnitude = matrix.detach().abs().to_type(ScalarType.Float64).cpu();
        double largest = Rows * Columns == 0 ? 0 : magnitude.max().item<double>();
        var kept = (magnitude > threshold * largest);
        var columns = arange(Columns, dtype: ScalarType.Int64).unsqueeze(0).expand(Rows, Columns);
        // Per row, the first and last kept column (an empty row gets lo = m, hi = −1 and does not widen its block).
        var lo = columns.where(kept, full_like(columns, Columns)).min(1).values.data<long>().ToArray();
        var hi = columns.where(kept, full_like(columns, -1)).max(1).values.data<long>().ToArray();
        long bestCost = Rows * Columns, bestBlock = 0, bestWidth = 0;
        foreach (long b in blockSizes ?? new long[] { 32, 64, 128, 256 })
        {
            if (b >= Rows) continue;
            long blocks = (Rows + b - 1) / b, width = 1;
            for (long i = 0; i < blocks; i++)
            {
                long first = long.MaxValue, last = -1;
                for (long r = i * b; r < Math.Min(Rows, (i + 1) * b); r++)
                {
                    first = Math.Min(first, lo[r]);
                    last = Math.Max(last, hi[r]);
                }
                if (last >= first) width = Math.Max(width, last - first + 1);
            }
            // Each block also costs a call's worth of dispatch inside bmm; charge it as a few rows of work.
            long cost = blocks * b * width + blocks * 4 * width;
            if (cost < bestCost) (bestCost, bestBlock, bestWidth) = (cost, b, width);
        }
        // The row gather and the blocks' smaller products run below BLAS's dense rate: measured on this CPU, windows
        // with 40–50 % of the dense multiply-adds were no faster than the dense product, 12–20 % were 2–5× faster.
        if (bestBlock == 0 || 10 * bestCost > 3 * Rows * Columns) return;
        BlockRows = bestBlock;
        Width = bestWidth;
        long count = (Rows + bestBlock - 1) / bestBlock;
        var blocksTensor = zeros(new long[] { count, bestBlock, bestWidth }, dtype: matrix.dtype);
        var index = new long[count * bestWidth];
        for (long i = 0; i < count; i++)
        {
            long first = long.MaxValue;
            long rowEnd = Math.Min(Rows, (i + 1) * bestBlock);
            for (long r = i * bestBlock; r < rowEnd; r++) first = Math.Min(first, lo[r]);
            long start = Math.Clamp(first == long.MaxValue ? 0 : first, 0, Columns - bestWidth);
            for (long c = 0; c < bestWidth; c++) index[i * bestWidth + c] = start + c;
            blocksTensor[i].narrow(0, 0, rowEnd - i * bestBlock).copy_(_dense.narrow(0, i * bestBlock, rowEnd - i * bestBlock).narrow(1, start, bestWidth));
        }
        _blocks = blocksTensor.to(matrix.device).DetachFromDisposeScope();
        _index = tensor(index, device: matrix.device).DetachFromDisposeScope();
    }

    /// <summary>n, the number of rows.</summary>
    public long Rows { get; }

    /// <summary>m, the number of columns.</summary>
    public long Columns { get; }

    /// <summary>Rows per block (0: applied densely).</summary>
    public long BlockRows { get; }

    /// <summary>Columns per block window (0: applied densely).</summary>
    public long Width { get; }

    /// <summary>Whether the products use the blocks (false: the dense matrix).</summary>
    public bool IsBanded => _blocks is not null;

    /// <summary>Multiply-adds per column of the right-hand side (nb·b·w, or n·m dense).</summary>
    public long Work => IsBanded ? (Rows + BlockRows - 1) / BlockRows * BlockRows * Width : Rows * Columns;

    /// <summary>M·X for X [m, k] (or a vector [m]), in X's dtype and device.</summary>
    public Tensor Multiply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (blocks, _, index, dense) = For(x);
        if (blocks is null) return dense.matmul(x);
        if (x.dim() == 1) return Multiply(x.unsqueeze(1)).squeeze(1);
        long nb = blocks.shape[0], k = x.shape[1];
        var windows = x.index_select(0, index!).view(nb, Width, k);
        var product = blocks.bmm(windows).view(nb * BlockRows, k);
        return nb * BlockRows == Rows ? product : product.narrow(0, 0, Rows);
    }

    /// <summary>X·Mᵀ for X [k, m] (or a vector [m]: Mᵀ's action on a row), in X's dtype and device.</summary>
    public Tensor MultiplyTransposedRight(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (blocks, blocksT, index, dense) = For(x);
        if (blocks is null) return x.matmul(dense.T);
        if (x.dim() == 1) return Multiply(x);
        long nb = blocks.shape[0], k = x.shape[0];
        var windows = x.index_select(1, index!).view(k, nb, Width).permute(1, 0, 2);   // [nb, k, w]
        var product = windows.bmm(blocksT!).permute(1, 0, 2).reshape(k, nb * BlockRows);   // [k, nb·b]
        return nb * BlockRows == Rows ? product : product.narrow(1, 0, Rows);
    }

    private (Tensor? Blocks, Tensor? BlocksT, Tensor? Index, Tensor Dense) For(Tensor x)
    {
        var key = (x.dtype, x.device_type, x.device_index);
        if (_cast.TryGetValue(key, out var cast)) return cast;
        using var scope = NewDisposeScope();
        var blocks = _blocks?.to(x.dtype, x.device).contiguous().DetachFromDisposeScope();
        var blocksT = blocks?.transpose(1, 2).contiguous().DetachFromDisposeScope();
        var index = _index?.to(x.device).DetachFromDisposeScope();
        var dense = _dense.to(x.dtype, x.device).contiguous().DetachFromDisposeScope();
        cast = (blocks, blocksT, index, dense);
        _cast[key] = cast;
        return cast;
    }

    /// <summary>Releases the blocks and their casts.</summary>
    public void Dispose()
    {
        foreach (var (blocks, blocksT, index, dense) in _cast.Values)
        {
            blocks?.Dispose();
            blocksT?.Dispose();
            index?.Dispose();
            dense.Dispose();
        }
        _cast.Clear();
        _blocks?.Dispose();
        _index?.Dispose();
        _dense.Dispose();
    }
}
