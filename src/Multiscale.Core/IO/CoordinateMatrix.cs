using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>
/// A sparse matrix as coordinate entries (0-based; symmetric files already mirrored; duplicates kept, and summed by
/// <see cref="ToDense"/> as scipy does).
/// </summary>
public sealed record CoordinateMatrix(long Rows, long Columns, long[] RowIndex, long[] ColumnIndex, double[] Values)
{
    /// <summary>Number of stored entries.</summary>
    public int Count => Values.Length;

    /// <summary>
    /// The dense float64 matrix. Its size comes from a file header, not from the bytes present, so it is checked
    /// against the memory this process may use before anything is allocated.
    /// </summary>
    public Tensor ToDense(Device? device = null, string? source = null)
    {
        long bytes;
        try { bytes = checked(Rows * Columns * sizeof(double)); }
        catch (OverflowException) { bytes = long.MaxValue; }
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new MultiscaleException($"{(source is null ? "" : $"'{source}': ")}a dense {Rows}×{Columns} matrix needs {bytes} bytes, more than the {available} bytes of memory available; keep it sparse");
        var dense = zeros(new[] { Rows, Columns }, ScalarType.Float64);
        if (Count > 0)
        {
            using var scope = NewDisposeScope();
            var rows = tensor(RowIndex);
            var columns = tensor(ColumnIndex);
            var values = tensor(Values);
            dense.index_put_(values, new[] { rows, columns }, accumulate: true);
        }
        if (device is null || device.type == DeviceType.CPU) return dense;
        using (dense) return dense.to(device);
    }
}
