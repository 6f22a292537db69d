using Multiscale.Mrtl.Data;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Models;

/// <summary>
/// The spatial regularizer of eq. (3)–(4) on one grid: R_s(W) = Σ_{d,d'} K_dd' ‖W_d − W_d'‖² with
/// K_dd' = exp(−(‖l_d − l_d'‖/d_max)²/σ) on row-major cell coordinates, d_max the largest distance between two cells
/// of this grid (so distances are normalized per resolution). Evaluated in Laplacian form R_s = 2 tr(Wᵀ(D_K − K)W)
/// = 2(Σ_d deg_d ‖W_d‖² − ⟨W, KW⟩); the Gaussian kernel on a grid is the Kronecker product K = K_rows ⊗ K_cols, so KW
/// costs R²·C + R·C² per column of W instead of forming the D × D kernel (14,400² at 80×180).
/// </summary>
public sealed class SpatialKernel : IDisposable
{
    /// <summary>
    /// Builds the kernel factors of <paramref name="grid"/> with bandwidth <paramref name="sigma"/> (float64 on the CPU;
    /// <see cref="Penalty"/> makes float32 copies on the device of the weights it is given, once per device). Computed
    /// on the CPU whatever the training device, so the kernel's values are the same on every device.
    /// </summary>
    public SpatialKernel(GridShape grid, double sigma = 0.05)
    {
        if (!(sigma > 0)) throw new MultiscaleException($"the spatial kernel's σ must be positive (got {sigma})");
        Grid = grid;
        Sigma = sigma;
        double dmax = Math.Sqrt((double)(grid.Rows - 1) * (grid.Rows - 1) + (double)(grid.Cols - 1) * (grid.Cols - 1));
        if (dmax == 0) dmax = 1;
        using var scope = NewDisposeScope();
        Tensor Axis(int n)
        {
            var t = arange(n, ScalarType.Float64, device: CPU);
            return (-(t.unsqueeze(1) - t.unsqueeze(0)).square() / (dmax * dmax * sigma)).exp();
        }
        var kr = Axis(grid.Rows);
        var kc = Axis(grid.Cols);
        Rows = kr.DetachFromDisposeScope();
        Cols = kc.DetachFromDisposeScope();
        Degrees = outer(kr.sum(dim: 1), kc.sum(dim: 1)).reshape(-1).DetachFromDisposeScope();
    }

    /// <summary>
    /// Float32 (K_rows, K_cols, deg) per device, keyed by the name of the weights' device (e.g. "cpu", "cuda:0"): the
    /// training steps' weights are float32, and converting or copying the factors at every step would cost a
    /// conversion (on a GPU a transfer) per step.
    /// </summary>
    private readonly Dictionary<string, Tensor[]> _single = new();

    /// <summary>The grid.</summary>
    public GridShape Grid { get; }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <summary>K_rows [R, R] float64 on the CPU.</summary>
    public Tensor Rows { get; }

    /// <summary>K_cols [C, C] float64 on the CPU.</summary>
    public Tensor Cols { get; }

    /// <summary>deg_d = Σ_d' K_dd' [D] float64 on the CPU.</summary>
    public Tensor Degrees { get; }

    /// <summary>The dense kernel [D, D] float64 on the CPU (for tests and small grids).</summary>
    public Tensor Dense() => kron(Rows, Cols);

    /// <summary>
    /// R_s of <paramref name="weights"/> along <paramref name="axis"/> (the axis must have D entries); differentiable.
    /// Computed on the weights' device in their dtype.
    /// </summary>
    public Tensor Penalty(Tensor weights, int axis)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.shape[axis] != Grid.Cells)
            throw new MultiscaleException($"axis {axis} has {weights.shape[axis]} entries but grid {Grid} has {Grid.Cells} cells");
        using var scope = NewDisposeScope();
        var w = weights.movedim(new long[] { axis }, new long[] { 0 }).reshape(Grid.Rows, Grid.Cols, -1);
        Tensor kr, kc, deg;
        if (w.dtype == ScalarType.Float32)
        {
            var single = Single(w.device);
            (kr, kc, deg) = (single[0], single[1], single[2]);
        }
        else (kr, kc, deg) = (Rows.to(w.dtype, w.device), Cols.to(w.dtype, w.device), Degrees.to(w.dtype, w.device));
        // Not TensorAlgebra.ModeProduct: same sums, other GEMM layout, and seeded losses moved in the last float32 bit.
        var kw = matmul(kr, w.reshape(Grid.Rows, -1)).reshape(Grid.Rows, Grid.Cols, -1);
        kw = matmul(kc, kw);
        var degree = (deg.reshape(Grid.Rows, Grid.Cols, 1) * w.square()).sum();
        return (2 * (degree - (w * kw).sum())).MoveToOuterDisposeScope();
    }

    /// <summary>Releases the kernel tensors (on every device they were copied to).</summary>
    public void Dispose()
    {
        Rows.Dispose();
        Cols.Dispose();
        Degrees.Dispose();
        foreach (var t in _single.Values.SelectMany(f => f)) t.Dispose();
        _single.Clear();
    }

    /// <summary>
    /// The float32 factors on <paramref name="device"/> (a tensor's own device, so the name is canonical), made on first
    /// use and owned by this kernel, not by the caller's dispose scope.
    /// </summary>
    private Tensor[] Single(Device device)
    {
        string key = device.ToString();
        if (!_single.TryGetValue(key, out var factors))
        {
            factors = new[] { Rows, Cols, Degrees }.Select(t => t.to(ScalarType.Float32, device).DetachFromDisposeScope()).ToArray();
            _single[key] = factors;
        }
        return factors;
    }
}
