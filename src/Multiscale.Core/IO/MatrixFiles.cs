using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>Writes a matrix in the chosen <see cref="MatrixFileFormat"/> under one base name.</summary>
public static class MatrixFiles
{
    /// <summary>Parses "npy", "mtx" or "both" (case-insensitive).</summary>
    public static MatrixFileFormat Parse(string text) => Formats.Parse(text);

    /// <summary>The formats' spellings: npy, mtx, both.</summary>
    public static ChoiceNames<MatrixFileFormat> Formats { get; } = new("matrix format",
        ("npy", MatrixFileFormat.Npy), ("mtx", MatrixFileFormat.Mtx), ("both", MatrixFileFormat.Both));

    /// <summary>The file extension of the format's primary file (".npy" unless only MatrixMarket is written).</summary>
    public static string PrimaryExtension(MatrixFileFormat format) => format == MatrixFileFormat.Mtx ? ".mtx" : ".npy";

    /// <summary>
    /// Writes <paramref name="matrix"/> as <paramref name="basePath"/> with the format's extension(s); returns the file
    /// names written (without folders), primary first.
    /// </summary>
    public static IReadOnlyList<string> Write(string basePath, Tensor matrix, MatrixFileFormat format)
    {
        ArgumentNullException.ThrowIfNull(basePath);
        var written = new List<string>();
        if (format is MatrixFileFormat.Npy or MatrixFileFormat.Both)
        {
            Npy.Write(basePath + ".npy", matrix);
            written.Add(Path.GetFileName(basePath) + ".npy");
        }
        if (format is MatrixFileFormat.Mtx or MatrixFileFormat.Both)
        {
            MatrixMarket.Write(basePath + ".mtx", matrix);
            written.Add(Path.GetFileName(basePath) + ".mtx");
        }
        return written;
    }
}
