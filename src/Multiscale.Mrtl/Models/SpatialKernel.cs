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
    /// <summary>Builds the kernel factors of <paramref name="grid"/> with bandwidth <paramref name="sigma"/> (float32).</summary>
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
            var t = arange(n, ScalarType.Float64);
            return (-(t.unsqueeze(1) - t.unsqueeze(0)).square() / (dmax * dmax * sigma)).exp();
        }
        var kr = Axis(grid.Rows);
        var kc = Axis(grid.Cols);
        Rows = kr.DetachFromDisposeScope();
        Cols = kc.DetachFromDisposeScope();
        Degrees = outer(kr.sum(dim: 1), kc.sum(dim: 1)).reshape(-1).DetachFromDisposeScope();
        _single = new[] { Rows, Cols, Degrees }.Select(t => t.to_type(ScalarType.Float32).DetachFromDisposeScope()).ToArray();
    }

    private readonly Tensor[] _single;

    /// <summary>The grid.</summary>
    public GridShape Grid { get; }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <summary>K_rows [R, R] float64.</summary>
    public Tensor Rows { get; }

    /// <summary>K_cols [C, C] float64.</summary>
    public Tensor Cols { get; }

    /// <summary>deg_d = Σ_d' K_dd' [D] float64.</summary>
    public Tensor Degrees { get; }

    /// <summary>The dense kernel [D, D] (for tests and small grids).</summary>
    public Tensor Dense() => kron(Rows, Cols);

    /// <summary>R_s of <paramref name="weights"/> along <paramref name="axis"/> (the axis must have D entries); differentiable.</summary>
    public Tensor Penalty(Tensor weights, int axis)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.shape[axis] != Grid.Cells)
            throw new MultiscaleException($"axis {axis} has {weights.shape[axis]} entries but grid {Grid} has {Grid.Cells} cells");
        using var scope = NewDisposeScope();
        var w = weights.movedim(new long[] { axis }, new long[] { 0 }).reshape(Grid.Rows, Grid.Cols, -1);
        var (kr, kc, deg) = w.dtype == ScalarType.Float32 ? (_single[0], _single[1], _single[2]) : (Rows.to(w.dtype), Cols.to(w.dtype), Degrees.to(w.dtype));
        var kw = matmul(kr, w.reshape(Grid.Rows, -1)).reshape(Grid.Rows, Grid.Cols, -1);
        kw = matmul(kc, kw);
        var degree = (deg.reshape(Grid.Rows, Grid.Cols, 1) * w.square()).sum();
        return (2 * (degree - (w * kw).sum())).MoveToOuterDisposeScope();
    }

    /// <summary>Releases the kernel tensors.</summary>
    public void Dispose()
    {
        Rows.Dispose();
        Cols.Dispose();
        Degrees.Dispose();
        foreach (var t in _single) t.Dispose();
    }
}
