using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Runs;

/// <summary>
/// A training state a run can continue from: scalars as JSON (<see cref="State"/>), tensors (CPU copies, TorchSharp's
/// binary tensor format) and opaque binary parts such as an optimizer's <c>save_state_dict</c>. Saved as one zip file —
/// <c>state.json</c>, <c>tensors/&lt;name&gt;</c>, <c>parts/&lt;name&gt;</c>, stored uncompressed — written atomically,
/// so a kill at any moment leaves either the previous checkpoint or the new one, never a mixture.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _parts = new(StringComparer.Ordinal);

    /// <summary>An empty checkpoint.</summary>
    public Checkpoint() : this(new JsonObject()) { }

    private Checkpoint(JsonObject state) => State = state;

    /// <summary>The scalar state (numbers are written round-trip, so doubles come back bit for bit).</summary>
    public JsonObject State { get; }

    /// <summary>The names of the tensors held.</summary>
    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    /// <summary>Keeps a CPU copy of <paramref name="tensor"/> under <paramref name="name"/> (replacing an earlier one).</summary>
    public void Put(string name, Tensor tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var copy = tensor.detach().to(CPU).clone().DetachFromDisposeScope();
        if (_tensors.Remove(name, out var old)) old.Dispose();
        _tensors[name] = copy;
    }

    /// <summary>True when a tensor named <paramref name="name"/> is held.</summary>
    public bool Has(string name) => _tensors.ContainsKey(name);

    /// <summary>The CPU tensor named <paramref name="name"/> (owned by the checkpoint: copy it, do not dispose it).</summary>
    public Tensor Get(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new MultiscaleException($"the checkpoint holds no tensor '{name}'");

    /// <summary>Copies the tensor named <paramref name="name"/> into <paramref name="target"/> (same shape; any device and dtype).</summary>
    public void CopyTo(string name, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var source = Get(name);
        if (!source.shape.SequenceEqual(target.shape))
            throw new MultiscaleException($"the checkpoint's '{name}' has shape [{string.Join(",", source.shape)}], the model's [{string.Join(",", target.shape)}]");
        using var noGrad = no_grad();
        target.copy_(source);
    }

    /// <summary>Keeps binary data written by <paramref name="write"/> under <paramref name="name"/>.</summary>
    public void PutPart(string name, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(write);
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true)) write(writer);
        _parts[name] = memory.ToArray();
    }

    /// <summary>Reads the binary part named <paramref name="name"/> with <paramref name="read"/>.</summary>
    public void ReadPart(string name, Action<BinaryReader> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (!_parts.TryGetValue(name, out var bytes)) throw new MultiscaleException($"the checkpoint holds no part '{name}'");
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
        read(reader);
    }

    /// <summary>Keeps a generator's state (a byte tensor) under <paramref name="name"/>.</summary>
    public void PutGenerator(string name, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        using var state = generator.get_state();
        Put(name, state);
    }

    /// <summary>Sets <paramref name="generator"/> to the state kept under <paramref name="name"/>.</summary>
    public void RestoreGenerator(string name, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        generator.set_state(Get(name));
    }

    /// <summary>A double as JSON that survives NaN and ±∞ (as the strings "NaN", "Infinity", "-Infinity"); finite values round-trip exactly.</summary>
    public static JsonNode Number(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(System.Globalization.CultureInfo.InvariantCulture))!;

    /// <summary>Reads a value written by <see cref="Number(double)"/> (null reads as NaN).</summary>
    public static double ToDouble(JsonNode? node) => node switch
    {
        null => double.NaN,
        JsonValue v when v.TryGetValue<string>(out var text) => double.Parse(text, System.Globalization.CultureInfo.InvariantCulture),
        _ => node.GetValue<double>(),
    };

    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.Write(path, stream =>
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var entry = zip.CreateEntry("state.json", CompressionLevel.NoCompression).Open())
            JsonSerializer.Serialize(entry, State, JsonOptions);
        foreach (var (name, tensor) in _tensors)
        {
            using var entry = zip.CreateEntry("tensors/" + name, CompressionLevel.NoCompression).Open();
            using var writer = new BinaryWriter(entry);
            tensor.Save(writer);
        }
        foreach (var (name, bytes) in _parts)
        {
            using var entry = zip.CreateEntry("parts/" + name, CompressionLevel.NoCompression).Open();
            entry.Write(bytes);
        }
    });

    /// <summary>Reads a checkpoint written by <see cref="Save"/>; a damaged file is a <see cref="MultiscaleException"/>.</summary>
    public static Checkpoint Load(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var stateEntry = zip.GetEntry("state.json") ?? throw new MultiscaleException($"'{path}' is not a checkpoint (no state.json)");
            JsonObject state;
            using (var s = stateEntry.Open())
                state = JsonNode.Parse(s) as JsonObject ?? throw new MultiscaleException($"'{path}': state.json is not a JSON object");
            var checkpoint = new Checkpoint(state);
            try
            {
                foreach (var entry in zip.Entries)
                {
                    if (entry.FullName.StartsWith("tensors/", StringComparison.Ordinal))
                    {
                        using var s = entry.Open();
                        using var buffered = new MemoryStream();
                        s.CopyTo(buffered);
                        buffered.Position = 0;
                        using var reader = new BinaryReader(buffered);
                        checkpoint._tensors[entry.FullName["tensors/".Length..]] = Tensor.Load(reader).DetachFromDisposeScope();
                    }
                    else if (entry.FullName.StartsWith("parts/", StringComparison.Ordinal))
                    {
                        using var s = entry.Open();
                        using var buffered = new MemoryStream();
                        s.CopyTo(buffered);
                        checkpoint._parts[entry.FullName["parts/".Length..]] = buffered.ToArray();
                    }
                }
            }
            catch
            {
                checkpoint.Dispose();
                throw;
            }
            return checkpoint;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException)
        {
            throw new MultiscaleException($"'{path}' is not a readable checkpoint ({e.Message})");
        }
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
