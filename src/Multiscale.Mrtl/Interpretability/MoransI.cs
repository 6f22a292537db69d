using Multiscale.Graphs;
using Multiscale.Mrtl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Interpretability;

/// <summary>
/// Moran's I, the spatial autocorrelation paper 001 uses as its interpretability measure:
/// I = (N / W) · Σ_ij w_ij z_i z_j / Σ_i z_i², z = x − mean(x), with w the adjacency of the rook-neighbour grid graph
/// and W = Σ_ij w_ij. +1 is perfectly smooth, −1 a checkerboard, about −1/(N−1) spatially random.
/// </summary>
public static class MoransI
{
    /// <summary>Moran's I of <paramref name="values"/> ([Cells] row-major, or [Rows, Cols]) on <paramref name="grid"/>.</summary>
    public static double Compute(Tensor values, GridShape grid)
    {
        ArgumentNullException.ThrowIfNull(values);
        bool flat = values.dim() == 1 && values.shape[0] == grid.Cells;
        bool square = values.dim() == 2 && values.shape[0] == grid.Rows && values.shape[1] == grid.Cols;
        if (!flat && !square)
            throw new MultiscaleException($"Moran's I: values of shape ({string.Join(", ", values.shape)}) do not fit the {grid} grid; expected [{grid.Cells}] or [{grid.Rows}, {grid.Cols}]");
        if (grid.Cells < 2) throw new MultiscaleException("Moran's I needs a grid of at least two cells");
        var graph = GraphFactory.Grid(new[] { grid.Rows, grid.Cols });
        using var scope = NewDisposeScope();
        var x = values.detach().to(ScalarType.Float64, CPU).reshape(-1, 1);
        if (!isfinite(x).all().item<bool>()) throw new MultiscaleException("Moran's I: values contain NaN or infinite entries");
        var z = x - x.mean();
        double denominator = z.pow(2).sum().item<double>();
        // A relative test: a constant field's deviations are rounding noise, not a pattern.
        double scale = x.abs().max().item<double>();
        if (denominator <= 1e-24 * Math.Max(scale * scale, double.Epsilon) * grid.Cells)
            throw new MultiscaleException("Moran's I is undefined for a constant field (zero variance)");
        // Sparse adjacency: a dense one for an 80×180 grid would take 1.6 GB.
        var adjacency = GraphOperators.SparseAdjacency(graph);
        double weightSum = 2 * graph.Edges.Sum(e => e.Weight); // each undirected edge is w_ij and w_ji
        double numerator = z.T.matmul(adjacency.matmul(z)).item<double>();
        return grid.Cells / weightSum * numerator / denominator;
    }
}
