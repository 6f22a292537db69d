using static TorchSharp.torch;

namespace Multiscale.Tensors;

/// <summary>
/// Tensor algebra as plain functions (TensorLy's <c>tenalg</c>): the one n-mode product that every map applied along a
/// mode of a tensor goes through — prolongation maps on MRTL's spatial modes, grid maps axis by axis, MRTL's spatial
/// kernel.
/// </summary>
public static class TensorAlgebra
{
    /// <summary>
    /// The n-mode product X ×ₙ M (TensorLy's <c>mode_dot</c>): mode <paramref name="mode"/> of
    /// <paramref name="tensor"/> (size J there) is multiplied by <paramref name="matrix"/> (I × J), giving size I there;
    /// with <paramref name="transpose"/> by Mᵀ (M is J × I). A negative mode counts from the end. The other modes keep
    /// their order; the result is contiguous. Differentiable; the matrix must already have the tensor's dtype and device.
    /// </summary>
    public static Tensor ModeProduct(Tensor tensor, Tensor matrix, int mode, bool transpose = false)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(matrix);
        int m = mode < 0 ? mode + (int)tensor.dim() : mode;
        if (m < 0 || m >= tensor.dim()) throw new MultiscaleException($"mode product: mode {mode} does not exist in a {tensor.dim()}-mode tensor");
        if (matrix.dim() != 2) throw new MultiscaleException($"mode product: expected a matrix, got {matrix.dim()} dimensions");
        long inner = transpose ? matrix.shape[0] : matrix.shape[1];
        if (tensor.shape[m] != inner)
            throw new MultiscaleException($"mode product: mode {mode} has size {tensor.shape[m]}, the {(transpose ? "transposed " : "")}matrix ({matrix.shape[0]} × {matrix.shape[1]}) needs {inner}");
        using var scope = NewDisposeScope();
        // The mode moved last and multiplied from the right by Mᵀ — one GEMM whatever the mode; the layout every
        // seeded number of the plugins was produced with (prolongation maps applied along a mode always did this).
        var right = transpose ? matrix : matrix.T;
        return tensor.movedim(new long[] { m }, new long[] { -1 }).matmul(right).movedim(new long[] { -1 }, new long[] { m })
            .contiguous().MoveToOuterDisposeScope();
    }
}
