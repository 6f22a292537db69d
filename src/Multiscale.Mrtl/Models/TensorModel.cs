using Multiscale.Mrtl.Data;
using Multiscale.Runs;
using TorchSharp;
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
/// <para>A model is a TorchSharp module (<c>forward</c> = <see cref="Logits"/>) whose parameters are registered under
/// stable names (<see cref="FullRankModel"/>: <c>weight</c>, <c>bias</c>; <see cref="LowRankModel"/>: <c>output</c>,
/// <c>feature{j}</c>, <c>spatial{m}</c>, <c>bias</c>; <see cref="LowRankSparseModel"/> adds <c>sparse_output</c>,
/// <c>sparse_feature{j}</c>, <c>sparse_spatial{m}</c>), so <c>state_dict()</c>/<c>load_state_dict</c>,
/// <c>named_parameters()</c> and <c>to(device)</c> work as for any module; checkpoints keep the state dict.
/// <see cref="Parameters"/> and the factor accessors read the registered parameters, so after a move (which replaces
/// the parameter tensors) they name the moved ones: build an optimizer after any move, over <see cref="Parameters"/> (an
/// array: TorchSharp's optimizers keep the sequence they are given and re-read a lazy <c>parameters()</c> at every step).</para>
/// <para>A field mode (averaged values) enters as the mean over its D cells, (1/D) Σ_d W_d X_d, rather than the sum of
/// eq. (1). The two are the same model (W_sum = W_mean / D), but with the sum the weights shrink by the cell ratio at
/// every finegraining (the paper's "divide by D_{r+1}/D_r"), so a fixed Adam learning rate — Adam steps are ≈ lr
/// whatever the weight scale — became relatively ~100× larger at 80×180 than at 8×18 and the climate run diverged
/// from 24×54 on (validation MSE 0.11 → 5.4, measured). With the mean, weights, learning rate and per-cell
/// regularizer keep their meaning across resolutions, and the cell-ratio division is carried by 1/D itself.</para>
/// </summary>
public abstract class TensorModel : nn.Module<MrtlBatch, Tensor>
{
    /// <summary>The bias's name in the state dict.</summary>
    public const string BiasName = "bias";

    /// <summary>
    /// Registers <paramref name="weights"/> (in order; each reshaped to its shape when one is given) and then the bias,
    /// all as float32 copies on <paramref name="device"/> (null: the bias's device). Registration order is
    /// <see cref="Parameters"/> order: weights first, bias last.
    /// </summary>
    private protected TensorModel(string moduleName, MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        IReadOnlyList<(string Name, Tensor Value, long[]? Shape)> weights, Tensor bias, Device? device) : base(moduleName)
    {
        CheckModes(outputs, grids);
        ArgumentNullException.ThrowIfNull(bias);
        Task = task;
        Outputs = outputs;
        FeatureShape = featureShape.ToArray();
        Grids = grids.ToArray();
        var target = device ?? bias.device;
        foreach (var (name, value, shape) in weights) register_parameter(name, NewParameter(value, target, shape));
        register_parameter(BiasName, NewParameter(bias, target, null));
        // Parameters are made on the target directly, so tell the module where it is: to(device) compares against this.
        _deviceType = target.type;
        _deviceIndex = target.type == DeviceType.CUDA ? target.index : -1;
    }

    /// <summary>The checks every model's constructor makes first (its weights are checked against them).</summary>
    private protected static void CheckModes(int outputs, IReadOnlyList<GridShape> grids)
    {
        ArgumentNullException.ThrowIfNull(grids);
        if (outputs < 1) throw new MultiscaleException($"a model needs at least one output (got {outputs})");
        if (grids.Count == 0) throw new MultiscaleException("a model needs at least one spatial mode");
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

    /// <summary>b, [I] (the registered parameter <c>bias</c>).</summary>
    public Parameter Bias => Registered(BiasName);

    /// <summary>The device every parameter lives on (the bias's, which the constructors put with the weights).</summary>
    public Device Device => Bias.device;

    /// <summary>Every trained parameter (weights first, bias last): the module's <c>parameters()</c>, in registration order.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters().ToArray();

    /// <summary>Number of trained scalars.</summary>
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>The pre-activation outputs [n] of a batch.</summary>
    public abstract Tensor Logits(MrtlBatch batch);

    /// <summary>The module's forward: <see cref="Logits"/>.</summary>
    public override Tensor forward(MrtlBatch input) => Logits(input);

    /// <summary>The registered parameter <paramref name="name"/> (looked up each time: a move replaces the tensors).</summary>
    private protected Parameter Registered(string name) =>
        get_parameter(name) ?? throw new InvalidOperationException($"the model has no parameter '{name}'");

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

    /// <summary>
    /// Keeps the state dict in <paramref name="checkpoint"/>: each parameter under <paramref name="prefix"/> + its
    /// registered name (<c>model/bias</c>, <c>model/spatial0</c>, …).
    /// </summary>
    internal void Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        foreach (var (name, tensor) in state_dict()) checkpoint.Put(prefix + name, tensor);
    }

    /// <summary>
    /// The model <see cref="Save"/> kept under <paramref name="prefix"/>: low rank or full rank (with
    /// <paramref name="sparseTerm"/> the low-rank + sparse model), on the given grids and device; the ranks are read from
    /// the kept factors. A model of those shapes is built and its state dict loaded from the checkpoint. Checkpoints of
    /// the earlier format, which kept the parameters by position (<c>model/0</c>, <c>model/1</c>, … in
    /// <see cref="Parameters"/> order), load too.
    /// </summary>
    internal static TensorModel Load(Checkpoint checkpoint, string prefix, bool lowRank, MrtlTask task, int outputs, IReadOnlyList<int> featureShape,
        IReadOnlyList<GridShape> grids, Device device, bool sparseTerm = false)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(featureShape);
        ArgumentNullException.ThrowIfNull(grids);
        bool positional = !checkpoint.Has(prefix + BiasName);
        if (positional && !checkpoint.Has(prefix + "0")) throw new MultiscaleException($"the checkpoint holds no model under '{prefix}'");
        int factors = 1 + featureShape.Count + grids.Count;
        // The key of the k-th parameter (Parameters order) named `name`, in either format.
        string Key(int k, string name) => positional ? $"{prefix}{k}" : prefix + name;
        int RankOf(int k, string name) => (int)checkpoint.Get(Key(k, name)).shape[^1];
        TensorModel model;
        using (var scope = NewDisposeScope())
        {
            var sizes = new[] { outputs }.Concat(featureShape).Concat(grids.Select(g => g.Cells)).ToArray();
            Tensor[] Zeros(int rank) => sizes.Select(s => zeros(s, rank)).ToArray();
            var bias = zeros(outputs);
            if (!lowRank)
            {
                var shape = new long[] { outputs, featureShape.Aggregate(1, (a, b) => a * b) }.Concat(grids.Select(g => (long)g.Cells)).ToArray();
                model = new FullRankModel(task, outputs, featureShape, grids, zeros(shape), bias, device);
            }
            else
            {
                int rank = RankOf(0, LowRankModel.FactorName("", 0, featureShape.Count));
                model = sparseTerm
                    ? new LowRankSparseModel(task, outputs, featureShape, grids, Zeros(rank), Zeros(RankOf(factors, LowRankModel.FactorName(LowRankSparseModel.SparsePrefix, 0, featureShape.Count))), bias, device)
                    : new LowRankModel(task, outputs, featureShape, grids, Zeros(rank), bias, device);
            }
        }
        try
        {
            var source = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            int k = 0;
            foreach (var (name, parameter) in model.named_parameters())
            {
                string key = Key(k++, name);
                var kept = checkpoint.Get(key);
                if (!kept.shape.SequenceEqual(parameter.shape))
                    throw new MultiscaleException($"the checkpoint's '{key}' has shape [{string.Join(",", kept.shape)}], the model's {name} [{string.Join(",", parameter.shape)}]");
                source[name] = kept;
            }
            // Strict: every parameter is given (checked above) and nothing else; copy_ moves the values to the model's device.
            model.load_state_dict(source);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
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
    /// A float32 parameter holding a copy of <paramref name="value"/> (reshaped to <paramref name="shape"/> when given) on
    /// <paramref name="device"/>, owned by the model (not by any dispose scope).
    /// </summary>
    private static Parameter NewParameter(Tensor value, Device device, long[]? shape)
    {
        ArgumentNullException.ThrowIfNull(value);
        using var scope = NewDisposeScope();
        var shaped = shape is null ? value : value.reshape(shape);
        // to() returns a new handle (an alias when nothing changes), so the clone is what makes the copy the model owns.
        var p = new Parameter(shaped.to(ScalarType.Float32, device).detach().clone());
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
}
