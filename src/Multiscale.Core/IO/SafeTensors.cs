using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8 JSON naming each
/// tensor's dtype, shape and [begin, end) byte range, then the raw little-endian C-order data. Nothing in it executes
/// on load, which is why PyTorch and JAX users prefer it to pickles; <c>safetensors.numpy.load_file</c> and
/// <c>safetensors.torch.load_file</c> read what this writes. Read checks what the reference implementation checks
/// (header size, dtypes, byte ranges that exactly tile the data, no duplicate names) before allocating any tensor.
/// </summary>
public static class SafeTensors
{
    /// <summary>The reference implementation's bound on the JSON header (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device; copied to the CPU) in name order, with optional string
    /// <paramref name="metadata"/> under <c>__metadata__</c>, atomically.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header[MetadataKey] = new JsonObject(metadata.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        long offset = 0;
        foreach (var name in names)
        {
            if (name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved for metadata, not a tensor name");
            var t = tensors[name];
            string code = Code(t.dtype) ?? throw new MultiscaleException($"cannot write a {t.dtype} tensor as safetensors (writable: {Supported})");
            long bytes = t.numel() * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = code,
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Spaces pad the header so the data starts 8-byte aligned, as the reference writer does.
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var name in names) WriteData(stream, tensors[name]);
        });
    }

    /// <summary>Reads every tensor of a safetensors file onto the CPU (the caller disposes them).</summary>
    public static IReadOnlyDictionary<string, Tensor> Read(string path) => ReadFile(path).Tensors;

    /// <summary>The <c>__metadata__</c> strings of a safetensors file (empty when it has none); reads no tensor data.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(string path) => Open(path, (stream, dataStart, entries, metadata) => metadata);

    private static (IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) ReadFile(string path) =>
        Open(path, (stream, dataStart, entries, metadata) =>
        {
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            try
            {
                foreach (var entry in entries.OrderBy(e => e.Begin))
                    result[entry.Name] = ReadData(stream, dataStart, entry, path);
            }
            catch
            {
                foreach (var t in result.Values) t.Dispose();
                throw;
            }
            return ((IReadOnlyDictionary<string, Tensor>)result, metadata);
        });

    private sealed record Entry(string Name, ScalarType Type, int Width, long[] Shape, long Begin, long End);

    private static T Open<T>(string path, Func<Stream, long, List<Entry>, IReadOnlyDictionary<string, string>, T> read)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new MultiscaleException($"'{path}' does not exist");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long length = stream.Length;
            if (length < 8) throw new MultiscaleException($"'{path}' is not a safetensors file (only {length} bytes)");
            Span<byte> prefix = stackalloc byte[8];
            Fill(stream, prefix, path);
            ulong announced = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (announced > (ulong)MaxHeaderBytes) throw new MultiscaleException($"'{path}': safetensors header of {announced} bytes exceeds the {MaxHeaderBytes}-byte limit");
            if ((long)announced > length - 8) throw new MultiscaleException($"'{path}': truncated safetensors header ({announced} bytes announced, {length - 8} present)");
            var json = new byte[announced];
            Fill(stream, json, path);
            var (entries, metadata) = ParseHeader(json, length - 8 - (long)announced, path);
            return read(stream, 8 + (long)announced, entries, metadata);
        }
        catch (IOException e) { throw new MultiscaleException($"'{path}' cannot be read: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { throw new MultiscaleException($"'{path}' cannot be read: {e.Message}", e); }
    }

    private static (List<Entry>, IReadOnlyDictionary<string, string>) ParseHeader(byte[] json, long dataBytes, string path)
    {
        if (json.Length == 0 || json[0] != (byte)'{') throw new MultiscaleException($"'{path}': the safetensors header is not a JSON object");
        JsonObject header;
        try
        {
            string text = new UTF8Encoding(false, true).GetString(json);
            header = JsonNode.Parse(text) as JsonObject ?? throw new MultiscaleException($"'{path}': the safetensors header is not a JSON object");
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or ArgumentException or InvalidOperationException)
        {
            throw new MultiscaleException($"'{path}': the safetensors header is not valid JSON ({e.Message})");
        }
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == MetadataKey)
                {
                    if (node is not JsonObject meta) throw new MultiscaleException($"'{path}': safetensors {MetadataKey} is not an object of strings");
                    foreach (var (key, value) in meta)
                        metadata[key] = value is JsonValue v && v.TryGetValue(out string? s) ? s : throw new MultiscaleException($"'{path}': safetensors metadata '{key}' is not a string");
                    continue;
                }
                entries.Add(ParseEntry(name, node, path));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new MultiscaleException($"'{path}': malformed safetensors header ({e.Message})");
        }
        // The byte ranges must tile the data exactly: no gap, no overlap, nothing after the last tensor.
        long expected = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin != expected) throw new MultiscaleException($"'{path}': safetensors tensor '{e.Name}' starts at byte {e.Begin}, expected {expected} (ranges must tile the data)");
            expected = e.End;
        }
        if (expected != dataBytes) throw new MultiscaleException($"'{path}': the safetensors tensors cover {expected} data bytes but the file holds {dataBytes}");
        return (entries, metadata);
    }

    private static Entry ParseEntry(string name, JsonNode? node, string path)
    {
        if (node is not JsonObject o) throw new MultiscaleException($"'{path}': safetensors entry '{name}' is not an object");
        string code = o["dtype"] is JsonValue dv && dv.TryGetValue(out string? c) ? c : throw new MultiscaleException($"'{path}': safetensors tensor '{name}' has no dtype");
        var (type, width) = Parse(code) ?? throw new MultiscaleException($"'{path}': safetensors tensor '{name}' has dtype '{code}' (readable: {Supported})");
        var shape = (o["shape"] as JsonArray ?? throw new MultiscaleException($"'{path}': safetensors tensor '{name}' has no shape"))
            .Select(d => d is JsonValue v && v.TryGetValue(out long n) && n >= 0 ? n : throw new MultiscaleException($"'{path}': safetensors tensor '{name}' has a shape entry that is not a count")).ToArray();
        var offsets = o["data_offsets"] as JsonArray;
        if (offsets is not { Count: 2 } || offsets[0] is not JsonValue b || !b.TryGetValue(out long begin) || offsets[1] is not JsonValue en || !en.TryGetValue(out long end)
            || begin < 0 || end < begin)
            throw new MultiscaleException($"'{path}': safetensors tensor '{name}' has no valid data_offsets [begin, end]");
        long bytes;
        try { bytes = checked(shape.Aggregate(1L, (a, d) => checked(a * d)) * width); }
        catch (OverflowException) { throw new MultiscaleException($"'{path}': safetensors tensor '{name}' has a shape that overflows a 64-bit byte count"); }
        if (bytes != end - begin)
            throw new MultiscaleException($"'{path}': safetensors tensor '{name}' of shape ({string.Join(", ", shape)}) {code} needs {bytes} bytes but its range holds {end - begin}");
        return new Entry(name, type, width, shape, begin, end);
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors is little-endian; big-endian hosts are not supported");
        using var scope = NewDisposeScope();
        var flat = tensor.detach().cpu().contiguous().reshape(-1);
        TensorChunks.Write(stream, flat, (int)flat.ElementSize, swap: false);
    }

    private static Tensor ReadData(Stream stream, long dataStart, Entry entry, string path)
    {
        stream.Seek(dataStart + entry.Begin, SeekOrigin.Begin);
        // Allocation is bounded by bytes present: the ranges were checked to tile the file's data.
        var result = empty(entry.Shape, entry.Type);
        try
        {
            using var flat = result.reshape(-1);
            TensorChunks.Read(flat, entry.Width, swap: false, bytes => Fill(stream, bytes, path));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void Fill(Stream stream, Span<byte> into, string path)
    {
        try { stream.ReadExactly(into); }
        catch (EndOfStreamException) { throw new MultiscaleException($"'{path}': the safetensors file ends early (truncated)"); }
    }

    /// <summary>Names the types read and written, for error messages.</summary>
    public const string Supported = "F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL";

    private static string? Code(ScalarType type) => type switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => null,
    };

    private static (ScalarType Type, int Width)? Parse(string code) => code switch
    {
        "F64" => (ScalarType.Float64, 8),
        "F32" => (ScalarType.Float32, 4),
        "F16" => (ScalarType.Float16, 2),
        "BF16" => (ScalarType.BFloat16, 2),
        "I64" => (ScalarType.Int64, 8),
        "I32" => (ScalarType.Int32, 4),
        "I16" => (ScalarType.Int16, 2),
        "I8" => (ScalarType.Int8, 1),
        "U8" => (ScalarType.Byte, 1),
        "BOOL" => (ScalarType.Bool, 1),
        _ => null,
    };
}
