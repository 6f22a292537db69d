using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>A numpy dtype this library reads and writes: its torch type, element width and byte order.</summary>
internal sealed record NpyDtype(ScalarType Type, int Width, bool BigEndian)
{
    /// <summary>The descr string numpy writes for this dtype ('|' for one-byte types, where order has no meaning).</summary>
    public string Descr => (Width == 1 ? "|" : BigEndian ? ">" : "<") + Code;

    private string Code => Type switch
    {
        ScalarType.Float64 => "f8",
        ScalarType.Float32 => "f4",
        ScalarType.Float16 => "f2",
        ScalarType.Int64 => "i8",
        ScalarType.Int32 => "i4",
        ScalarType.Int16 => "i2",
        ScalarType.Int8 => "i1",
        ScalarType.Byte => "u1",
        _ => "b1",
    };

    /// <summary>The dtype for writing a tensor of <paramref name="type"/>; null if .npy has no equal type for it.</summary>
    public static NpyDtype? For(ScalarType type, bool bigEndian) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => new(type, 8, bigEndian),
        ScalarType.Float32 or ScalarType.Int32 => new(type, 4, bigEndian),
        ScalarType.Float16 or ScalarType.Int16 => new(type, 2, bigEndian),
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => new(type, 1, false),
        _ => null,
    };

    /// <summary>Names the types we read, for error messages.</summary>
    public const string Supported = "float16/32/64, int8/16/32/64, uint8 and bool";

    /// <summary>Parses a descr such as '&lt;f8', '&gt;i4', '|b1' of file <paramref name="name"/>.</summary>
    public static NpyDtype Parse(string descr, string name)
    {
        if ((descr.Length >= 2 && descr[1] == 'O') || descr == "O")
            throw new MultiscaleException($"'{name}' holds an object array (pickled Python objects), which cannot be read safely; save a numeric array instead");
        if (descr.Length < 2) throw Unsupported(descr, name);
        char order = descr[0];
        string code = descr[1..];
        if (order is not ('<' or '>' or '|' or '=')) { order = '='; code = descr; }
        var type = code switch
        {
            "f8" => ScalarType.Float64,
            "f4" => ScalarType.Float32,
            "f2" => ScalarType.Float16,
            "i8" => ScalarType.Int64,
            "i4" => ScalarType.Int32,
            "i2" => ScalarType.Int16,
            "i1" => ScalarType.Int8,
            "u1" => ScalarType.Byte,
            "b1" or "?" => ScalarType.Bool,
            _ => throw Unsupported(descr, name),
        };
        var dtype = For(type, bigEndian: order == '>' || (order == '=' && !BitConverter.IsLittleEndian))!;
        return dtype;
    }

    private static MultiscaleException Unsupported(string descr, string name) =>
        new($"'{name}': dtype '{descr}' is not supported (readable: {Supported})");
}
