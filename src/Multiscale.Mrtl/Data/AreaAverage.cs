using static TorchSharp.torch;

namespace Multiscale.Mrtl.Data;

/// <summary>
/// Coarsening of gridded fields by overlap-weighted area averaging. Along one axis, coarse cell i covers the fine
/// interval [i·m/n, (i+1)·m/n) (fine-cell units) and its value is the average of the fine cells weighted by their
/// overlap with it. For integer ratios this is the plain block mean; for non-integer ratios (80 → 60 is 4/3, 60 → 40
/// is 1.5, 25 → 10 is 2.5) a fine cell on a boundary contributes its overlapping fraction to both neighbours, so the
/// operator averages the piecewise-constant fine field exactly, keeps constants (rows sum to 1) and conserves mass
/// (every fine cell gives away exactly its area).
/// </summary>
internal static class AreaAverage
{
    /// <summary>The [coarse, fine] float64 averaging matrix of one axis (rows sum to 1), on the CPU.</summary>
    public static Tensor AxisMatrix(int coarse, int fine)
    {
        if (coarse < 1 || fine < coarse)
            throw new MultiscaleException($"area averaging goes from a finer to a coarser axis; got {fine} → {coarse} cells");
        var a = new double[coarse * fine];
        double width = (double)fine / coarse;
        for (int i = 0; i < coarse; i++)
        {
            double lo = i * width, hi = (i + 1) * width;
            for (int j = (int)Math.Floor(lo); j < Math.Min(fine, (int)Math.Ceiling(hi)); j++)
            {
                double overlap = Math.Min(hi, j + 1) - Math.Max(lo, j);
                if (overlap > 0) a[i * fine + j] = overlap / width;
            }
        }
        return tensor(a, new long[] { coarse, fine }, ScalarType.Float64);
    }

    /// <summary>Averages the last two axes of <paramref name="fields"/> ([..., R, C]) onto <paramref name="target"/>; same dtype and device.</summary>
    public static Tensor Apply(Tensor fields, GridShape target)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.dim() < 2) throw new MultiscaleException("area averaging needs fields with at least two (spatial) axes");
        int rows = (int)fields.shape[^2], cols = (int)fields.shape[^1];
        if (target.Rows > rows || target.Cols > cols)
            throw new MultiscaleException($"cannot area-average a {rows}x{cols} field onto the finer grid {target}");
        using var scope = NewDisposeScope();
        if (target.Rows == rows && target.Cols == cols) return fields.clone().MoveToOuterDisposeScope();
        // The averaging matrices are built on the CPU in float64; they follow the fields' dtype and device.
        var ar = AxisMatrix(target.Rows, rows).to(fields.dtype, fields.device);
        var ac = AxisMatrix(target.Cols, cols).to(fields.dtype, fields.device);
        // Not TensorAlgebra.ModeProduct: same sums, other GEMM layout, and 80x180 averages moved in the last float32 bit.
        return matmul(matmul(ar, fields), ac.t()).MoveToOuterDisposeScope();
    }
}
