using static TorchSharp.torch;

namespace Multiscale.Mrtl.Data;

/// <summary>What the model predicts: a binary label (sigmoid, weighted BCE) or a real value (identity, MSE).</summary>
public enum MrtlTask
{
    /// <summary>Labels in {0, 1}.</summary>
    Classification,
    /// <summary>Real-valued labels.</summary>
    Regression,
}

/// <summary>
/// A supervised MRTL dataset in resolution-free form. Sample n has an output index i_n ∈ [0, I) (the ball handler), a
/// label, optional non-spatial features, and one input per spatial mode: either <see cref="CountMode"/>s (any number)
/// or one <see cref="FieldMode"/> (whose lags and variables are the non-spatial features). Every resolution is made by
/// <see cref="Discretize"/> from the same data. Tensors live on the CPU and are not tied to any dispose scope; a
/// discretized copy can be put on a compute device for training.
/// </summary>
public sealed class MrtlDataset
{
    /// <summary>Validates and keeps the data; see the class remarks for the shapes.</summary>
    /// <param name="task">Classification or regression.</param>
    /// <param name="outputs">I, the number of outputs.</param>
    /// <param name="outputIndex">[N] integer output index per sample.</param>
    /// <param name="labels">[N] labels ({0,1} for classification).</param>
    /// <param name="modes">The spatial modes, each with N samples.</param>
    /// <param name="features">Optional [N, F] non-spatial features (count modes only).</param>
    /// <param name="planted">The ground truth of a synthetic dataset.</param>
    public MrtlDataset(MrtlTask task, int outputs, Tensor outputIndex, Tensor labels, IReadOnlyList<SpatialMode> modes,
        Tensor? features = null, PlantedModel? planted = null)
    {
        ArgumentNullException.ThrowIfNull(outputIndex);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(modes);
        if (outputs < 1) throw new MultiscaleException($"a dataset needs at least one output (got {outputs})");
        if (modes.Count == 0) throw new MultiscaleException("a dataset needs at least one spatial mode");
        if (labels.dim() != 1) throw new MultiscaleException($"labels must be a vector; got {labels.dim()} axes");
        int n = (int)labels.shape[0];
        if (n == 0) throw new MultiscaleException("the dataset has no samples");
        if (outputIndex.dim() != 1 || outputIndex.shape[0] != n)
            throw new MultiscaleException($"output indices must be a vector of {n} (one per label); got [{string.Join(",", outputIndex.shape)}]");
        foreach (var m in modes)
            if (m.Count != n) throw new MultiscaleException($"mode '{m.Name}' has {m.Count} samples but there are {n} labels");
        if (modes.Select(m => m.Name).Distinct().Count() != modes.Count) throw new MultiscaleException("spatial mode names must be distinct");
        int fields = modes.Count(m => m is FieldMode);
        if (fields > 1 || (fields == 1 && modes.Count > 1))
            throw new MultiscaleException("a dataset has either count modes or a single field mode (mixing them is not supported)");
        if (fields == 1 && features is not null)
            throw new MultiscaleException("a field dataset takes its non-spatial features from the field's lags and variables; extra features are not supported");
        if (features is not null && (features.dim() != 2 || features.shape[0] != n))
            throw new MultiscaleException($"features must be [{n}, F]; got [{string.Join(",", features.shape)}]");
        using (var scope = NewDisposeScope())
        {
            var y = labels.to_type(ScalarType.Float32);
            if (y.isnan().any().item<bool>()) throw new MultiscaleException("labels contain NaN");
            if (task == MrtlTask.Classification && !(y.eq(0) | y.eq(1)).all().item<bool>())
                throw new MultiscaleException("classification labels must be 0 or 1");
            var i = outputIndex.to_type(ScalarType.Int64);
            if (i.min().item<long>() < 0 || i.max().item<long>() >= outputs)
                throw new MultiscaleException($"an output index lies outside [0, {outputs})");
            Tensor? f = features?.to_type(ScalarType.Float32);
            if (f is not null && f.isnan().any().item<bool>()) throw new MultiscaleException("features contain NaN");
            Labels = y.DetachFromDisposeScope();
            OutputIndex = i.DetachFromDisposeScope();
            Features = f?.DetachFromDisposeScope();
        }
        Task = task;
        Outputs = outputs;
        Modes = modes.ToArray();
        Planted = planted;
        FeatureShape = Modes[0] is FieldMode fm ? new[] { fm.Lags, fm.Variables }
            : Features is not null ? new[] { (int)Features.shape[1] } : Array.Empty<int>();
    }

    /// <summary>Classification or regression.</summary>
    public MrtlTask Task { get; }

    /// <summary>I.</summary>
    public int Outputs { get; }

    /// <summary>N.</summary>
    public int Count => (int)Labels.shape[0];

    /// <summary>[N] int64.</summary>
    public Tensor OutputIndex { get; }

    /// <summary>[N] float32.</summary>
    public Tensor Labels { get; }

    /// <summary>[N, F] float32 or null (count modes only).</summary>
    public Tensor? Features { get; }

    /// <summary>The non-spatial modes of the weight tensor: [L, V] for a field, [F] for features, empty otherwise.</summary>
    public IReadOnlyList<int> FeatureShape { get; }

    /// <summary>Product of <see cref="FeatureShape"/> (1 when empty).</summary>
    public int FeatureCount => FeatureShape.Aggregate(1, (a, b) => a * b);

    /// <summary>The spatial modes.</summary>
    public IReadOnlyList<SpatialMode> Modes { get; }

    /// <summary>Ground truth of a synthetic dataset, else null.</summary>
    public PlantedModel? Planted { get; }

    /// <summary>Fraction of labels equal to 1.</summary>
    public double PositiveFraction => Labels.mean().item<float>();

    /// <summary>The samples at <paramref name="index"/> ([n] int64), same modes and ground truth.</summary>
    public MrtlDataset Subset(Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        using var scope = NewDisposeScope();
        return new MrtlDataset(Task, Outputs, OutputIndex.index_select(0, index), Labels.index_select(0, index),
            Modes.Select(m => m.Subset(index)).ToArray(), Features?.index_select(0, index), Planted);
    }

    /// <summary>A seeded random split (60/20/20 by default) into train, validation and test.</summary>
    public MrtlSplit Split(long seed, double train = 0.6, double validation = 0.2)
    {
        if (!(train > 0 && validation > 0 && train + validation < 1))
            throw new MultiscaleException($"split fractions must be positive and leave a test part (got {train}, {validation})");
        int nTrain = (int)Math.Round(Count * train), nVal = (int)Math.Round(Count * validation);
        if (nTrain < 1 || nVal < 1 || Count - nTrain - nVal < 1)
            throw new MultiscaleException($"{Count} samples are too few to split {train}/{validation}/{1 - train - validation:0.##}");
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)seed);
        var perm = randperm(Count, generator: g);
        return new MrtlSplit(Subset(perm[..nTrain]), Subset(perm[nTrain..(nTrain + nVal)]), Subset(perm[(nTrain + nVal)..]));
    }

    /// <summary>
    /// The data on one grid per spatial mode. Without <paramref name="device"/> the result shares this dataset's CPU
    /// tensors (output index, labels, features). With one, every tensor a batch is gathered from — the gridded inputs,
    /// output index, labels and features — is copied there once, so training steps move no data; the copies belong to
    /// the caller's dispose scope (a trainer discretizes once per resolution inside that resolution's scope).
    /// </summary>
    public DiscreteData Discretize(IReadOnlyList<GridShape> grids, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(grids);
        if (grids.Count != Modes.Count)
            throw new MultiscaleException($"the dataset has {Modes.Count} spatial modes ({string.Join(", ", Modes.Select(m => m.Name))}) but {grids.Count} grids were given");
        if (device is null)
            return new DiscreteData(this, Modes.Select((m, k) => m.Discretize(grids[k])).ToArray(), OutputIndex, Labels, Features);
        using var scope = NewDisposeScope();
        // Discretized on the CPU (the resolution-free data lives there), then moved; the CPU intermediates die with the scope.
        var inputs = Modes.Select((m, k) => m.Discretize(grids[k]) switch
        {
            CountInput c => (ModeInput)new CountInput(c.Grid, c.Cells.to(device).MoveToOuterDisposeScope(), c.Weights.to(device).MoveToOuterDisposeScope()),
            FieldInput f => new FieldInput(f.Grid, f.Series.to(device).MoveToOuterDisposeScope(), f.TimeIndex.to(device).MoveToOuterDisposeScope()),
            _ => throw new InvalidOperationException("unknown mode input"),
        }).ToArray();
        return new DiscreteData(this, inputs, OutputIndex.to(device).MoveToOuterDisposeScope(), Labels.to(device).MoveToOuterDisposeScope(),
            Features?.to(device).MoveToOuterDisposeScope());
    }
}

/// <summary>Train, validation and test parts.</summary>
public sealed record MrtlSplit(MrtlDataset Train, MrtlDataset Validation, MrtlDataset Test);

/// <summary>
/// A dataset on one resolution step, on one device (<see cref="Device"/>); <see cref="Batch"/> gathers samples for the
/// model from tensors on that device.
/// </summary>
public sealed class DiscreteData
{
    internal DiscreteData(MrtlDataset source, IReadOnlyList<ModeInput> modes, Tensor outputIndex, Tensor labels, Tensor? features)
    {
        Source = source;
        Modes = modes;
        OutputIndex = outputIndex;
        Labels = labels;
        Features = features;
    }

    /// <summary>The resolution-free dataset (on the CPU).</summary>
    public MrtlDataset Source { get; }

    /// <summary>Inputs per spatial mode.</summary>
    public IReadOnlyList<ModeInput> Modes { get; }

    /// <summary>[N] int64 output indices, on <see cref="Device"/>.</summary>
    public Tensor OutputIndex { get; }

    /// <summary>[N] float32 labels, on <see cref="Device"/>.</summary>
    public Tensor Labels { get; }

    /// <summary>[N, F] float32 features or null, on <see cref="Device"/>.</summary>
    public Tensor? Features { get; }

    /// <summary>The device every tensor of this step lives on (index tensors given to <see cref="Batch"/> included).</summary>
    public Device Device => Labels.device;

    /// <summary>The grid of each mode.</summary>
    public IReadOnlyList<GridShape> Grids => Modes.Select(m => m.Grid).ToArray();

    /// <summary>N.</summary>
    public int Count => Source.Count;

    /// <summary>The samples at <paramref name="index"/> ([n] int64, on <see cref="Device"/>); the batch is on <see cref="Device"/>.</summary>
    public MrtlBatch Batch(Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        // index_select needs the index with the data; a trainer draws it there once per epoch, so this is for callers
        // that did not (a check rather than a silent per-step transfer).
        if (index.device_type != Labels.device_type || index.device_index != Labels.device_index)
            throw new MultiscaleException($"batch indices are on {index.device} but the data is on {Device}");
        var inputs = Modes.Select(m => m switch
        {
            CountInput c => new BatchInput(c.Cells.index_select(0, index), c.Weights.index_select(0, index), null),
            FieldInput f => new BatchInput(null, null, f.Gather(index)),
            _ => throw new InvalidOperationException(),
        }).ToArray();
        return new MrtlBatch(OutputIndex.index_select(0, index), Labels.index_select(0, index),
            Features?.index_select(0, index), inputs);
    }

    /// <summary>Every sample in order.</summary>
    public MrtlBatch All() { using var i = arange(Count, ScalarType.Int64, device: Device); return Batch(i); }
}

/// <summary>
/// Samples ready for a model: output index [n], labels [n], features [n, F] or null, and per spatial mode either
/// counts (<see cref="BatchInput.Cells"/>, <see cref="BatchInput.Weights"/>: [n, P]) or values [n, F, D].
/// </summary>
public sealed record MrtlBatch(Tensor OutputIndex, Tensor Labels, Tensor? Features, IReadOnlyList<BatchInput> Inputs)
{
    /// <summary>Number of samples.</summary>
    public int Count => (int)Labels.shape[0];
}

/// <summary>One mode of a batch: counts (cells and weights) or dense values.</summary>
public sealed record BatchInput(Tensor? Cells, Tensor? Weights, Tensor? Values);

/// <summary>
/// The ground truth of a synthetic dataset: factors of the output mode [I, K], of the non-spatial modes, and of each
/// spatial mode evaluated at the cell centres of <see cref="Grids"/> (the finest grids), float32. <see cref="Sparse"/>
/// marks, per component, whether it was planted sparse (few cells, exact zeros elsewhere) rather than smooth; null
/// when all are smooth.
/// </summary>
public sealed record PlantedModel(Tensor OutputFactor, IReadOnlyList<Tensor> FeatureFactors, IReadOnlyList<Tensor> SpatialFactors,
    IReadOnlyList<GridShape> Grids, int Rank, IReadOnlyList<bool>? Sparse = null);
