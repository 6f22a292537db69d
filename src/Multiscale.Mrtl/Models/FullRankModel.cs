using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Models;

/// <summary>
/// The full-rank tensor model of eq. (1): y_n = a(Σ W[i_n, f, d₁, …, d_M] X_n[f, d₁, …, d_M] + b_{i_n}) with
/// X_n = x_f ⊗ counts₁ ⊗ … ⊗ counts_M for count modes (x_f the optional features) or X_n[f, d] for one field mode.
/// The weight tensor is stored as [I, F, D₁, …, D_M] (the feature modes flattened row-major); count modes are
/// contracted by gathering the cells a sample occupies, so a step costs O(n·P·F·Π_{m>1}D_m), not the full tensor.
/// </summary>
public sealed class FullRankModel : TensorModel
{
    /// <summary>
    /// A model with W ~ N(0, initScale²) from <paramref name="generator"/> (zero when the scale is 0) and zero biases,
    /// on <paramref name="device"/> (null = CPU). W is drawn on the CPU (the generator is a CPU generator) and then
    /// moved, so a seed gives the same initial weights on every device.
    /// </summary>
    public FullRankModel(MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        Generator? generator = null, double initScale = 0.01, Device? device = null)
        : this(task, outputs, featureShape, grids, InitialWeights(outputs, featureShape, grids, generator, initScale),
            zeros(outputs, device: device ?? CPU), device ?? CPU)
    {
    }

    /// <summary>
    /// A model with the given weights [I, F, D₁, …, D_M] (or [I, F₁, …, F_k, D₁, …]) and biases [I] (copied), on
    /// <paramref name="device"/> (null: the given tensors' device).
    /// </summary>
    public FullRankModel(MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids, Tensor weights, Tensor bias,
        Device? device = null)
        : base(nameof(FullRankModel), task, outputs, featureShape, grids, new (string, Tensor, long[]?)[] { (WeightName, weights, CheckWeights(outputs, featureShape, grids, weights)) }, bias, device)
    {
    }

    /// <summary>W's name in the state dict.</summary>
    public const string WeightName = "weight";

    /// <summary>The shape [I, F, D₁, …, D_M] W is kept in, after checking <paramref name="weights"/> has its entry count.</summary>
    private static long[] CheckWeights(int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids, Tensor weights)
    {
        CheckModes(outputs, grids);
        ArgumentNullException.ThrowIfNull(featureShape);
        ArgumentNullException.ThrowIfNull(weights);
        var shape = new long[] { outputs, featureShape.Aggregate(1, (a, b) => a * b) }.Concat(grids.Select(g => (long)g.Cells)).ToArray();
        if (weights.numel() != shape.Aggregate(1L, (a, b) => a * b))
            throw new MultiscaleException($"weights of {weights.numel()} entries do not fit a [{string.Join(",", shape)}] model");
        return shape;
    }

    /// <summary>W, [I, F, D₁, …, D_M] (the registered parameter <c>weight</c>).</summary>
    public Parameter Weights => Registered(WeightName);

    /// <summary>The shape [I, F₁, …, F_k, D₁, …, D_M] the CP decomposition works on.</summary>
    public long[] TensorShape => new long[] { Outputs }.Concat(FeatureShape.Select(f => (long)f)).Concat(Grids.Select(g => (long)g.Cells)).ToArray();

    /// <inheritdoc />
    public override Tensor Logits(MrtlBatch batch)
    {
        CheckBatch(batch);
        using var scope = NewDisposeScope();
        var i = batch.OutputIndex;
        long n = batch.Count, f = FeatureCount;
        Tensor result;
        if (batch.Inputs[0].Values is { } x)
        {
            // Dense field: one matmul against all outputs, then each sample's own output; the mean over cells (see
            // TensorModel) keeps W's scale the same at every resolution.
            var all = matmul(x.reshape(n, -1), Weights.reshape(Outputs, -1).t());
            result = all.gather(1, i.unsqueeze(1)).squeeze(1) / Grids[0].Cells;
        }
        else
        {
            var dims = Grids.Select(g => (long)g.Cells).ToArray();
            long rest = dims.Skip(1).Aggregate(1L, (a, b) => a * b);
            var first = batch.Inputs[0];
            long p0 = first.Cells!.shape[1];
            // Rows of W viewed as [I·F·D₁, rest]: ((i·F + f)·D₁ + cell) — the output index and the first mode fused.
            var row = ((i.view(n, 1, 1) * f + arange(f, dtype: ScalarType.Int64, device: Weights.device).view(1, 1, f)) * dims[0] + first.Cells.unsqueeze(2));
            var t = Weights.reshape(-1, rest).index_select(0, row.flatten()).reshape(n, p0, f, rest);
            t = (t * first.Weights!.view(n, p0, 1, 1)).sum(dim: 1);                           // [n, F, rest]
            for (int m = 1; m < dims.Length; m++)
            {
                rest /= dims[m];
                var cells = batch.Inputs[m].Cells!;
                long p = cells.shape[1];
                var shaped = t.reshape(n, f, dims[m], rest);
                var picked = shaped.gather(2, cells.view(n, 1, p, 1).expand(n, f, p, rest));  // [n, F, P, rest]
                t = (picked * batch.Inputs[m].Weights!.view(n, 1, p, 1)).sum(dim: 2);
            }
            t = t.reshape(n, f);
            result = batch.Features is { } feats ? (t * feats).sum(dim: 1) : t.squeeze(1);
        }
        return (result + Bias.index_select(0, i)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Regularizer(Regularization coefficients, IReadOnlyList<SpatialKernel> kernels)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        ArgumentNullException.ThrowIfNull(kernels);
        using var scope = NewDisposeScope();
        bool perCell = coefficients.PerCell;
        double cells = Grids.Aggregate(1.0, (a, g) => a * g.Cells);
        var r = (float)(coefficients.L2 / (perCell ? cells : 1)) * Weights.square().sum();
        if (coefficients.Spatial != 0)
            for (int m = 0; m < Grids.Count; m++)
            {
                // R_s of one mode sums over the other spatial modes' cells too: average those like the L2 term.
                double scale = perCell ? (double)Grids[m].Cells * Grids[m].Cells * (cells / Grids[m].Cells) : 1;
                r = r + (float)(coefficients.Spatial / scale) * kernels[m].Penalty(Weights, 2 + m);
            }
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// CP-ALS of W (as [I, F₁, …, D_M]) at rank K and the low-rank model initialized from the spread factors (weights
    /// w^(1/N) on every mode), with this model's biases, on this model's device. CP-ALS itself runs on the CPU in
    /// float64 (<see cref="CpAls.Decompose"/>); only its factors move to the device.
    /// </summary>
    public (LowRankModel Model, double Fit) ToLowRank(int rank, CpAlsOptions? options = null)
    {
        using var scope = NewDisposeScope();
        using var cp = CpAls.Decompose(Weights.detach().reshape(TensorShape), rank, options);
        var factors = cp.SpreadFactors();
        var model = new LowRankModel(Task, Outputs, FeatureShape, Grids, factors, Bias.detach(), Device);
        return (model, cp.Fit);
    }

    /// <summary>W on the CPU; the constructor moves it to the model's device.</summary>
    private static Tensor InitialWeights(int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids, Generator? generator, double scale)
    {
        var shape = new long[] { outputs, featureShape.Aggregate(1, (a, b) => a * b) }.Concat(grids.Select(g => (long)g.Cells)).ToArray();
        return scale == 0 ? zeros(shape) : randn(shape, generator: generator) * (float)scale;
    }
}
