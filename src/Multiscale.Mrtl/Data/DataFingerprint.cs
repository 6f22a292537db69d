using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Data;

/// <summary>
/// A content fingerprint of a run's user data (SHA-256, lower-case hex), so that what a resume compares
/// (<see cref="MultiresolutionTensorLearning.Describe"/>) tells two datasets of the same shape apart: the files' bytes
/// for data on disk, the tensors' values for a dataset held in memory. Synthetic data needs none (its settings and seed
/// determine it).
/// </summary>
internal static class DataFingerprint
{
    /// <summary>Hashes already computed, by file, size and modification time (a run describes its settings several times).</summary>
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Files = new();

    /// <summary>
    /// The fingerprint of the files' bytes, in order (a null path, an absent optional file, counts as such); null when a
    /// given file does not exist or cannot be read (the run then stops at loading it, with its own message).
    /// </summary>
    public static string? OfFiles(params string?[] paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in paths)
        {
            if (path is null) { hash.AppendData("-"u8); continue; }
            var file = OfFile(path);
            if (file is null) return null;
            hash.AppendData(Encoding.ASCII.GetBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string? OfFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            var key = (info.FullName, info.Length, info.LastWriteTimeUtc);
            if (Files.TryGetValue(key, out var known)) return known;
            using var stream = info.OpenRead();
            string value = Convert.ToHexStringLower(SHA256.HashData(stream));
            Files[key] = value;
            return value;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The fingerprint of a dataset's values: task, outputs, labels, output indices, features and every mode's tensors.</summary>
    public static string OfDataset(MrtlDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{data.Task};{data.Outputs};"));
        Append(hash, data.OutputIndex);
        Append(hash, data.Labels);
        if (data.Features is { } f) Append(hash, f);
        foreach (var mode in data.Modes)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{mode.GetType().Name}:{mode.Name};"));
            switch (mode)
            {
                case CountMode c:
                    hash.AppendData(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{c.Height:R}x{c.Width:R};")));
                    Append(hash, c.Rows);
                    Append(hash, c.Cols);
                    Append(hash, c.Weights);
                    break;
                case FieldMode fm:
                    Append(hash, fm.Series);
                    Append(hash, fm.TimeIndex);
                    break;
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A tensor's dtype, shape and bytes (row-major, on the CPU).</summary>
    private static void Append(IncrementalHash hash, Tensor t)
    {
        hash.AppendData(Encoding.ASCII.GetBytes($"{t.dtype}[{string.Join(",", t.shape)}]"));
        using var scope = NewDisposeScope();
        hash.AppendData(t.to(CPU).contiguous().bytes);
    }
}
