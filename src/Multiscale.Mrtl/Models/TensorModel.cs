using Multiscale.Mrtl.Data;
using Multiscale.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Models;

/// <summary>
/// Coefficients of R(W) = λ_L2 ‖W‖² + λ_s Σ_modes R_s (eq. 5 with the two parts weighted separately). With
/// <paramref name="PerCell"/> (the default) each term is an average instead of a sum: ‖·‖² over the spatial cells
/// (Π_m D_m for W, D_m for a spatial factor) and R_s over the D_m² ordered pairs. The sums of eq. (3) grow with the
/// resolution (R_s by ~D², ‖W‖² by the cell ratio under nearest finegraining of count weights), so one λ would
/// over-regularize every finer step; the averages are unchanged by nearest finegraining, so one λ serves the chain.
/// </summary>
/// <param name="L2">λ_L2 (on every weight, biases excluded).</param>
/// <param name="Spatial">λ_s.</param>
/// <param name="Sigma">σ of the spatial kernel (0.05 in the reference code).</param>
/// <param name="PerCell">Average over cells and pairs (true) or the plain sums of eq. (3)–(5) (false).</param>
public sealed record Regularization(double L2 = 1e-3, double Spatial = 1.0, double Sigma = 0.05, bool PerCell = true);

/// <summary>
/// The common part of the full-rank (eq. 1) and low-rank (eq. 2) models: I outputs with a bias each, non-spatial
/// feature modes, spatial modes on given grids; logits for a batch, the task's loss and the regularizer. Parameters are
/// float32 and live on one device (<see cref="Device"/>): batches and kernels must be on it too. Count modes enter by
/// gathering (the inputs are sparse), field modes by dense contraction.
/// <para>A field mode (averaged values) enters as the mean over its D cells, (1/D) Σ_d W_d X_d, rather than the sum of
/// eq. (1). The two are the same model (W_sum = W_mean / D), but with the sum the weights shrink by the cell ratio at
/// every finegraining (the paper's "divide by D_{r+1}/D_r"), so a fixed Adam learning rate — Adam steps are ≈ lr
/// whatever the weight scale — became relatively ~100× larger at 80×180 than at 8×18 and the climate run diverged
/// from 24×54 on (validation MSE 0.11 → 5.4, measured). With the mean, weights, learning rate and per-cell
/// regularizer keep their meaning across resolutions, and the cell-ratio division is carried by 1/D itself.</para>
/// </summary>
public abstract class TensorModel : IDisposable
{
    private protected TensorModel(MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids, Tensor bias,
        Device? device)
    {
        if (outputs < 1) throw new MultiscaleException($"a model needs at least one output (got {outputs})");
        if (grids.Count == 0) throw new MultiscaleException("a model needs at least one spatial mode");
        Task = task;
        Outputs = outputs;
        FeatureShape = featureShape.ToArray();
        Grids = grids.ToArray();
        Bias = NewParameter(bias, device);
    }

    /// <summary>Classification or regression.</summary>
    public MrtlTask Task { get; }

    /// <summary>I.</summary>
    public int Outputs { get; }

    /// <summary>Shape of the non-spatial modes.</summary>
    public IReadOnlyList<int> FeatureShape { get; }

    /// <summary>F = product of <see cref="FeatureShape"/>.</summary>
    public int FeatureCount => FeatureShape.Aggregate(1, (a, b) => a * b);

    /// <summary>Grid of each spatial mode.</summary>
    public IReadOnlyList<GridShape> Grids { get; }

    /// <summary>b, [I].</summary>
    public Parameter Bias { get; }

    /// <summary>The device every parameter lives on (the bias's, which the constructors put with the weights).</summary>
    public Device Device => Bias.device;

    /// <summary>Every trained parameter (weights first, bias last).</summary>
    public abstract IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Number of trained scalars.</summary>
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>The pre-activation outputs [n] of a batch.</summary>
    public abstract Tensor Logits(MrtlBatch batch);

    /// <summary>λ_L2 ‖weights‖² + λ_s Σ_m R_s (kernels in mode order); a scalar.</summary>
    public abstract Tensor Regularizer(Regularization coefficients, IReadOnlyList<SpatialKernel> kernels);

    /// <summary>Mean loss of a batch: BCE with logits and positive weight β (classification) or MSE (regression).</summary>
    public Tensor Loss(MrtlBatch batch, double positiveWeight = 1)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        return LossOf(Logits(batch), batch.Labels, Task, positiveWeight).MoveToOuterDisposeScope();
    }

    /// <summary>The task's mean loss of given logits.</summary>
    public static Tensor LossOf(Tensor logits, Tensor labels, MrtlTask task, double positiveWeight = 1)
    {
        if (task == MrtlTask.Regression) return (logits - labels).square().mean();
        // softplus written out so that large |z| stays finite: softplus(z) = max(z, 0) + log1p(exp(−|z|)).
        var softPlus = logits.relu() + (-logits.abs()).exp().log1p();
        var softMinus = softPlus - logits;                                         // softplus(−z)
        return ((float)positiveWeight * labels * softMinus + (1 - labels) * softPlus).mean();
    }

    /// <summary>Copies of the parameters (a checkpoint).</summary>
    public Tensor[] Snapshot()
    {
        using var noGrad = no_grad();
        return Parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Loads a checkpoint taken by <see cref="Snapshot"/> of this model.</summary>
    public void Restore(IReadOnlyList<Tensor> snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var noGrad = no_grad();
        var ps = Parameters;
        if (snapshot.Count != ps.Count) throw new ArgumentException("the snapshot belongs to another model");
        for (int k = 0; k < ps.Count; k++) ps[k].copy_(snapshot[k]);
    }

    /// <summary>Keeps the parameters (in <see cref="Parameters"/> order) in <paramref name="checkpoint"/> under <paramref name="prefix"/>.</summary>
    internal void Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var ps = Parameters;
        for (int k = 0; k < ps.Count; k++) checkpoint.Put($"{prefix}{k}", ps[k]);
    }

    /// <summary>
    /// The model <see cref="Save"/> kept under <paramref name="prefix"/>: low rank (factors in mode order, then the bias)
    /// or full rank (weights, then the bias), on the given grids and device. With <paramref name="sparseTerm"/> the low-rank
    /// + sparse model (smooth factors, sparse factors, then the bias).
    /// </summary>
    internal static TensorModel Load(Checkpoint checkpoint, string prefix, bool lowRank, MrtlTask task, int outputs, IReadOnlyList<int> featureShape,
        IReadOnlyList<GridShape> grids, Device device, bool sparseTerm = false)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(featureShape);
        ArgumentNullException.ThrowIfNull(grids);
        if (!lowRank) return new FullRankModel(task, outputs, featureShape, grids, checkpoint.Get($"{prefix}0"), checkpoint.Get($"{prefix}1"), device);
        int factors = 1 + featureShape.Count + grids.Count;
        if (sparseTerm)
            return new LowRankSparseModel(task, outputs, featureShape, grids, Enumerable.Range(0, factors).Select(k => checkpoint.Get($"{prefix}{k}")).ToArray(),
                Enumerable.Range(factors, factors).Select(k => checkpoint.Get($"{prefix}{k}")).ToArray(), checkpoint.Get($"{prefix}{2 * factors}"), device);
        return new LowRankModel(task, outputs, featureShape, grids, Enumerable.Range(0, factors).Select(k => checkpoint.Get($"{prefix}{k}")).ToArray(),
            checkpoint.Get($"{prefix}{factors}"), device);
    }

    /// <summary>Logits of all samples of <paramref name="data"/> (on this model's device), in chunks, without gradients ([N] float32).</summary>
    public Tensor Predict(DiscreteData data, int chunk = 4096)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (int s = 0; s < data.Count; s += chunk)
        {
            using var inner = NewDisposeScope();
            // Gather indices live with the data they index.
            var idx = arange(s, Math.Min(data.Count, s + chunk), dtype: ScalarType.Int64, device: data.Device);
            parts.Add(Logits(data.Batch(idx)).MoveToOuterDisposeScope());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A float32 parameter holding a copy of <paramref name="value"/> on <paramref name="device"/> (null: the value's own
    /// device), owned by the model (not by any dispose scope).
    /// </summary>
    private protected static Parameter NewParameter(Tensor value, Device? device)
    {
        using var scope = NewDisposeScope();
        // to() returns a new handle (an alias when nothing changes), so the clone is what makes the copy the model owns.
        var p = new Parameter(value.to(ScalarType.Float32, device ?? value.device).detach().clone());
        p.DetachFromDisposeScope();
        return p;
    }

    private protected void CheckBatch(MrtlBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // A clear message instead of libtorch's when data discretized for one device meets a model on another.
        if (batch.Labels.device_type != Bias.device_type || batch.Labels.device_index != Bias.device_index)
            throw new MultiscaleException($"the batch is on {batch.Labels.device} but the model is on {Device}; discretize the data for the model's device");
        if (batch.Inputs.Count != Grids.Count)
            throw new MultiscaleException($"the model has {Grids.Count} spatial modes but the batch has {batch.Inputs.Count}");
        int f = FeatureCount;
        bool field = batch.Inputs.Any(i => i.Values is not null);
        if (field && Grids.Count != 1) throw new MultiscaleException("a field mode must be the model's only spatial mode");
        if (!field && f != 1 && (batch.Features is null || batch.Features.shape[1] != f))
            throw new MultiscaleException($"the model expects {f} non-spatial features per sample");
    }

    /// <summary>Releases the parameters.</summary>
    public virtual void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }
}
