using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>
/// NumPy's <c>.npy</c> format (version 1.0, C order) for float64 and float32 arrays, so numpy.load reads what we
/// write and we read numpy's files. Writes go to a temporary file that is moved into place.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>Writes a float64 or float32 tensor (copied to the CPU) as <c>.npy</c>.</summary>
    public static void Write(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        var shape = cpu.shape;
        switch (cpu.dtype)
        {
            case ScalarType.Float64: Write(path, cpu.data<double>().ToArray(), shape); break;
            case ScalarType.Float32: Write(path, cpu.data<float>().ToArray(), shape); break;
            default: throw new MultiscaleException($"cannot write a {cpu.dtype} tensor as .npy (float64 and float32 only)");
        }
    }

    /// <summary>Writes a row-major float64 array of the given shape.</summary>
    public static void Write(string path, double[] data, IReadOnlyList<long> shape) => WriteRaw(path, "<f8", shape, data.Length, s =>
    {
        var buffer = new byte[8 * data.Length];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(buffer.AsSpan(8 * i), data[i]);
        s.Write(buffer);
    });

    /// <summary>Writes a row-major float32 array of the given shape.</summary>
    public static void Write(string path, float[] data, IReadOnlyList<long> shape) => WriteRaw(path, "<f4", shape, data.Length, s =>
    {
        var buffer = new byte[4 * data.Length];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), data[i]);
        s.Write(buffer);
    });

    /// <summary>Reads a float64 or float32 <c>.npy</c> file (C order) into a float64 tensor of its shape.</summary>
    public static Tensor Read(string path, Device? device = null)
    {
        var (data, shape) = ReadArray(path);
        return tensor(data, shape, ScalarType.Float64, device);
    }

    /// <summary>Reads a float64 or float32 <c>.npy</c> file (C order) as a row-major float64 array and its shape.</summary>
    public static (double[] Data, long[] Shape) ReadArray(string path)
    {
        if (!File.Exists(path)) throw new MultiscaleException($"'{path}' does not exist");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new MultiscaleException($"'{path}' is not a .npy file (bad magic)");
        int major = bytes[6];
        int headerLength, start;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); start = 10; }
        else if (major is 2 or 3) { headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)); start = 12; }
        else throw new MultiscaleException($"'{path}': unsupported .npy version {major}");
        if (start + headerLength > bytes.Length) throw new MultiscaleException($"'{path}': truncated .npy header");
        string header = Encoding.Latin1.GetString(bytes, start, headerLength);
        var descr = DescrRegex().Match(header);
        var order = FortranRegex().Match(header);
        var shapeMatch = ShapeRegex().Match(header);
        if (!descr.Success || !order.Success || !shapeMatch.Success) throw new MultiscaleException($"'{path}': malformed .npy header '{header.Trim()}'");
        if (order.Groups[1].Value == "True") throw new MultiscaleException($"'{path}': Fortran-ordered arrays are not supported");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int width = descr.Groups[1].Value switch
        {
            "<f8" => 8,
            "<f4" => 4,
            var other => throw new MultiscaleException($"'{path}': dtype '{other}' is not supported (float64 '<f8' and float32 '<f4' only)")
        };
        int offset = start + headerLength;
        if (bytes.Length - offset != count * width)
            throw new MultiscaleException($"'{path}': holds {bytes.Length - offset} data bytes but shape ({string.Join(", ", shape)}) needs {count * width}");
        var data = new double[count];
        for (long i = 0; i < count; i++)
            data[i] = width == 8
                ? BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(offset + (int)(8 * i)))
                : BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset + (int)(4 * i)));
        return (data, shape);
    }

    private static void WriteRaw(string path, string descr, IReadOnlyList<long> shape, long count, Action<Stream> writeData)
    {
        if (shape.Aggregate(1L, (a, b) => a * b) != count)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) does not hold {count} elements");
        string shapeText = shape.Count == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = Magic.Length + 4 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        AtomicFile.Write(path, s =>
        {
            s.Write(Magic);
            s.WriteByte(1);
            s.WriteByte(0);
            Span<byte> len = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
            s.Write(len);
            s.Write(Encoding.Latin1.GetBytes(header));
            writeData(s);
        });
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
