using static TorchSharp.torch;

namespace Multiscale.MsAnn.Data;

/// <summary>Training batches and a fixed validation set for an autoencoder; every run draws the same batches for the same seed.</summary>
public interface IAutoencoderData : IDisposable
{
    /// <summary>Short name for reports (<c>one-object</c>, <c>two-object</c>, <c>mnist</c>).</summary>
    string Task { get; }

    /// <summary>Where the data comes from (a folder), or null for generated data.</summary>
    string? Source { get; }

    /// <summary>The validation inputs and targets, on the data's device.</summary>
    (Tensor Input, Tensor Target) Validation { get; }

    /// <summary>A batch drawer: each call returns (input, target) of the given size, from a stream seeded by <paramref name="seed"/>.</summary>
    Func<int, (Tensor Input, Tensor Target)> Batches(long seed) => Batches(BatchGenerator(seed));

    /// <summary>
    /// A batch drawer that draws from <paramref name="generator"/>: its state is the data cursor, so a checkpoint that
    /// keeps it continues the same batch sequence.
    /// </summary>
    Func<int, (Tensor Input, Tensor Target)> Batches(Generator generator);

    /// <summary>The generator of the batch stream of <paramref name="seed"/> (the seed's stream of batches, apart from its validation and split draws).</summary>
    static Generator BatchGenerator(long seed) => new((ulong)seed + 1);
}

/// <summary>The §4.2 synthetic 1-D denoising task (one or two objects, noise 0.05), drawn fresh per batch.</summary>
public sealed class SyntheticObjectsData : IAutoencoderData
{
    private readonly int _n, _objects;
    private readonly Device _device;

    /// <summary>Signals of length <paramref name="n"/> with <paramref name="objects"/> objects; 1,000 validation signals from <paramref name="seed"/>.</summary>
    public SyntheticObjectsData(int n, int objects, long seed, Device device)
    {
        if (objects is < 1 or > 2) throw new MultiscaleException($"the synthetic task has one or two objects (got {objects})");
        (_n, _objects, _device) = (n, objects, device);
        Validation = SyntheticObjects.Batch(n, objects, 0.05, 1000, new Generator((ulong)seed + 2), device);
    }

    /// <inheritdoc/>
    public string Task => _objects == 2 ? "two-object" : "one-object";

    /// <inheritdoc/>
    public string? Source => null;

    /// <inheritdoc/>
    public (Tensor Input, Tensor Target) Validation { get; }

    /// <inheritdoc/>
    public Func<int, (Tensor Input, Tensor Target)> Batches(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return size => SyntheticObjects.Batch(_n, _objects, 0.05, size, generator, _device);
    }

    /// <inheritdoc/>
    public void Dispose() { Validation.Input.Dispose(); Validation.Target.Dispose(); }
}

/// <summary>MNIST padded to a square (§4.3: 32×32): no noise, the target is the input; 1,000 seeded images held out.</summary>
public sealed class MnistData : IAutoencoderData
{
    private readonly Tensor _train;
    private readonly Device _device;

    private MnistData(Tensor train, Tensor validation, Device device, string source)
    {
        Source = source;
        _train = train;
        _device = device;
        Validation = (validation, validation.alias().DetachFromDisposeScope());
    }

    /// <summary>Loads MNIST from <paramref name="directory"/> for an input layer of <paramref name="inputs"/> (a square ≥ 28×28).</summary>
    public static MnistData Load(string directory, int inputs, long seed, Device device)
    {
        var images = Mnist.Load(directory);
        int side = (int)Math.Round(Math.Sqrt(inputs));
        if (side * side != inputs || side < images.Rows)
            throw new MultiscaleException($"the MNIST task needs a square input layer of at least {images.Rows}×{images.Columns} pixels (got {inputs}; 1024 = 32×32 as in §4.3)");
        if (images.Count < 2000) throw new MultiscaleException($"'{directory}' holds {images.Count} images; MNIST training needs at least 2,000");
        using var scope = NewDisposeScope();
        var all = tensor(images.Padded(side), new long[] { images.Count, inputs });
        var order = randperm(images.Count, generator: new Generator((ulong)seed + 3));
        var validation = all.index_select(0, order.narrow(0, 0, 1000)).to(device).DetachFromDisposeScope();
        var train = all.index_select(0, order.narrow(0, 1000, images.Count - 1000)).to(device).DetachFromDisposeScope();
        return new MnistData(train, validation, device, Path.GetFullPath(directory));
    }

    /// <inheritdoc/>
    public string Task => "mnist";

    /// <inheritdoc/>
    public string? Source { get; }

    /// <inheritdoc/>
    public (Tensor Input, Tensor Target) Validation { get; }

    /// <inheritdoc/>
    public Func<int, (Tensor Input, Tensor Target)> Batches(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return size =>
        {
            var rows = randint(0, _train.shape[0], new long[] { size }, generator: generator).to(_device);
            var batch = _train.index_select(0, rows);
            return (batch, batch.alias());
        };
    }

    /// <inheritdoc/>
    public void Dispose() { _train.Dispose(); Validation.Input.Dispose(); Validation.Target.Dispose(); }
}
