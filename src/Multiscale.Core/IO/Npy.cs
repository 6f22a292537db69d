using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>
/// NumPy's <c>.npy</c> format, read and written: float16/32/64, int8/16/32/64, uint8 and bool, either byte order,
/// C or Fortran order, header versions 1.0, 2.0 and 3.0. Data moves in bounded chunks with 64-bit offsets, so arrays
/// larger than 2 GB load; nothing is allocated before the header's size has been checked against the bytes present.
/// Writes go to a temporary file that is moved into place.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    private const int ChunkBytes = TensorChunks.ChunkBytes;

    /// <summary>Writes a tensor (copied to the CPU) as <c>.npy</c> in its own dtype, row-major and little-endian.</summary>
    public static void Write(string path, Tensor tensor) => Write(path, tensor, NpyWriteOptions.Default);

    /// <summary>Writes a tensor (copied to the CPU) as <c>.npy</c> in its own dtype with the given layout.</summary>
    public static void Write(string path, Tensor tensor, NpyWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(options);
        CheckWritable(tensor);
        AtomicFile.Write(path, s => WriteTo(s, tensor, options));
    }

    /// <summary>Writes a row-major float64 array of the given shape.</summary>
    public static void Write(string path, double[] data, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(shape, data.LongLength);
        using var t = torch.tensor(data, shape.ToArray(), ScalarType.Float64);
        Write(path, t);
    }

    /// <summary>Writes a row-major float32 array of the given shape.</summary>
    public static void Write(string path, float[] data, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(shape, data.LongLength);
        using var t = torch.tensor(data, shape.ToArray(), ScalarType.Float32);
        Write(path, t);
    }

    /// <summary>Reads a numeric or bool <c>.npy</c> file into a float64 tensor of its shape.</summary>
    public static Tensor Read(string path, Device? device = null)
    {
        using var stored = ReadStored(path);
        return stored.to(ScalarType.Float64, device ?? CPU);
    }

    /// <summary>Reads a <c>.npy</c> file into a tensor of its own dtype and shape (C order in memory).</summary>
    public static Tensor ReadStored(string path, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new MultiscaleException($"'{path}' does not exist");
        Tensor t;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            t = ReadFrom(stream, stream.Length, path);
        }
        catch (IOException e) { throw new MultiscaleException($"'{path}' cannot be read: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { throw new MultiscaleException($"'{path}' cannot be read: {e.Message}", e); }
        if (device is null || device.type == DeviceType.CPU) return t;
        using (t) return t.to(device);
    }

    /// <summary>Reads a <c>.npy</c> file as a row-major float64 array and its shape.</summary>
    public static (double[] Data, long[] Shape) ReadArray(string path)
    {
        using var scope = NewDisposeScope();
        var stored = ReadStored(path);
        long count = stored.numel();
        if (count > Array.MaxLength)
            throw new MultiscaleException($"'{path}' holds {count} elements, more than one .NET array can; read it as a tensor");
        var flat = stored.to_type(ScalarType.Float64).reshape(count);
        var data = new double[count];
        // Element-indexed chunks: a byte span over the whole array would overflow past 2 GB.
        const int perChunk = ChunkBytes / sizeof(double);
        for (long at = 0; at < count; at += perChunk)
        {
            int n = (int)Math.Min(perChunk, count - at);
            using var part = flat.narrow(0, at, n);
            TensorChunks.CopyOut(part, MemoryMarshal.AsBytes(data.AsSpan((int)at, n)));
        }
        return (data, stored.shape);
    }

    /// <summary>Writes the .npy encoding of <paramref name="tensor"/> to <paramref name="stream"/>.</summary>
    internal static void WriteTo(Stream stream, Tensor tensor, NpyWriteOptions options)
    {
        var dtype = CheckWritable(tensor, options.BigEndian);
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().cpu();
        var shape = cpu.shape;
        var laidOut = options.FortranOrder && shape.Length > 1
            ? cpu.permute(Enumerable.Range(0, shape.Length).Reverse().Select(i => (long)i).ToArray()).contiguous()
            : cpu.contiguous();
        string dict = new NpyHeader(dtype, options.FortranOrder, shape).Format();
        bool latin1 = dict.All(c => c < 256);
        var encoding = latin1 ? Encoding.Latin1 : Encoding.UTF8;
        int dictBytes = encoding.GetByteCount(dict);
        int version = !latin1 ? 3 : Magic.Length + 4 + dictBytes + 1 <= ushort.MaxValue ? 1 : 2;
        int prefix = Magic.Length + 2 + (version == 1 ? 2 : 4);
        int pad = (64 - (prefix + dictBytes + 1) % 64) % 64;
        var header = encoding.GetBytes(dict + new string(' ', pad) + "\n");
        stream.Write(Magic);
        stream.WriteByte((byte)version);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[4];
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            stream.Write(length[..2]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
            stream.Write(length);
        }
        stream.Write(header);

        using var flat = laidOut.reshape(-1);
        TensorChunks.Write(stream, flat, dtype.Width, dtype.BigEndian);
    }

    /// <summary>
    /// Reads one .npy array of <paramref name="length"/> bytes from <paramref name="stream"/> (read forward only, so a
    /// zip entry works); <paramref name="name"/> is the file the errors name.
    /// </summary>
    internal static Tensor ReadFrom(Stream stream, long length, string name)
    {
        if (length < 10) throw new MultiscaleException($"'{name}' is not a .npy file (only {length} bytes)");
        Span<byte> start = stackalloc byte[12];
        Fill(stream, start[..10], name, "header");
        if (!start[..6].SequenceEqual(Magic)) throw new MultiscaleException($"'{name}' is not a .npy file (bad magic)");
        int major = start[6];
        long headerLength;
        int prefix;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(start[8..]); prefix = 10; }
        else if (major is 2 or 3)
        {
            if (length < 12) throw new MultiscaleException($"'{name}': truncated .npy header");
            Fill(stream, start[10..12], name, "header");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(start[8..]);
            prefix = 12;
        }
        else throw new MultiscaleException($"'{name}': unsupported .npy version {major}.{start[7]} (1.0, 2.0 and 3.0 are read)");
        if (headerLength > length - prefix) throw new MultiscaleException($"'{name}': truncated .npy header ({headerLength} bytes announced, {length - prefix} present)");
        if (headerLength > NpyHeader.MaxHeaderBytes) throw new MultiscaleException($"'{name}': .npy header of {headerLength} bytes is implausibly large");
        var headerBytes = new byte[headerLength];
        Fill(stream, headerBytes, name, "header");
        string text;
        try { text = (major == 3 ? new UTF8Encoding(false, true) : Encoding.Latin1).GetString(headerBytes); }
        catch (DecoderFallbackException) { throw new MultiscaleException($"'{name}': the .npy 3.0 header is not valid UTF-8"); }
        var header = NpyHeader.Parse(text, name);
        long count = header.Count(name);
        long needed;
        try { needed = checked(count * header.Dtype.Width); }
        catch (OverflowException) { throw new MultiscaleException($"'{name}': shape ({string.Join(", ", header.Shape)}) overflows a 64-bit byte count"); }
        long present = length - prefix - headerLength;
        if (present != needed)
            throw new MultiscaleException($"'{name}': holds {present} data bytes but shape ({string.Join(", ", header.Shape)}) of {header.Dtype.Descr} needs {needed}");

        // Allocation is bounded by the bytes actually present (checked just above).
        var storage = header.FortranOrder ? header.Shape.Reverse().ToArray() : header.Shape;
        var result = empty(storage, header.Dtype.Type);
        try
        {
            if (count > 0)
            {
                using var flat = result.reshape(count);
                TensorChunks.Read(flat, header.Dtype.Width, header.Dtype.BigEndian, bytes => Fill(stream, bytes, name, "data"));
            }
            if (!header.FortranOrder || header.Shape.Length < 2) return result;
            using (result)
                return result.permute(Enumerable.Range(0, storage.Length).Reverse().Select(i => (long)i).ToArray()).contiguous();
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static NpyDtype CheckWritable(Tensor tensor, bool bigEndian = false) =>
        NpyDtype.For(tensor.dtype, bigEndian)
        ?? throw new MultiscaleException($"cannot write a {tensor.dtype} tensor as .npy (writable: {NpyDtype.Supported})");

    private static void CheckShape(IReadOnlyList<long> shape, long count)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Aggregate(1L, (a, b) => a * b) != count)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) does not hold {count} elements");
    }

    private static void Fill(Stream stream, Span<byte> into, string name, string part)
    {
        try { stream.ReadExactly(into); }
        catch (EndOfStreamException) { throw new MultiscaleException($"'{name}': the .npy {part} ends early (truncated file)"); }
        catch (InvalidDataException e) { throw new MultiscaleException($"'{name}': corrupt compressed data ({e.Message})", e); }
    }
}
