using System.IO.Compression;
using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>
/// NumPy's <c>.npz</c> archives (what <c>numpy.savez</c> and <c>numpy.savez_compressed</c> write): a zip of
/// <c>.npy</c> members, stored or deflated, named by their array names.
/// </summary>
public static class Npz
{
    /// <summary>Deflate cannot expand data more than about 1032:1; a member claiming more is corrupt or hostile.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>Writes the named tensors (names without <c>.npy</c>); deflated when <paramref name="compressed"/>.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> arrays, bool compressed = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(arrays);
        foreach (var (name, tensor) in arrays)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('/') || name.Contains('\\'))
                throw new MultiscaleException($"'{path}': '{name}' is not a valid array name for .npz");
            ArgumentNullException.ThrowIfNull(tensor);
        }
        AtomicFile.Write(path, s =>
        {
            using var zip = new ZipArchive(s, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, tensor) in arrays)
            {
                var entry = zip.CreateEntry(name + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                using var e = entry.Open();
                Npy.WriteTo(e, tensor, NpyWriteOptions.Default);
            }
        });
    }

    /// <summary>Reads every array of an archive, by name (without <c>.npy</c>), in the archive's order, on the CPU.</summary>
    public static IReadOnlyDictionary<string, Tensor> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new MultiscaleException($"'{path}' does not exist");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue;
                string member = $"{path}:{entry.FullName}";
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                    throw new MultiscaleException($"'{member}' is not a .npy member (a .npz holds .npy files only)");
                string key = entry.FullName[..^4];
                if (result.ContainsKey(key)) throw new MultiscaleException($"'{path}' holds the array '{key}' twice");
                // The declared size bounds what Npy.ReadFrom allocates; check it against the compressed bytes present.
                if (entry.CompressedLength > stream.Length || entry.Length < 0
                    || entry.Length > Math.Max(entry.CompressedLength, 1) * MaxDeflateRatio + 1024)
                    throw new MultiscaleException($"'{member}': declared size {entry.Length} is impossible for {entry.CompressedLength} compressed bytes (corrupt archive)");
                using var e = entry.Open();
                result[key] = Npy.ReadFrom(e, entry.Length, member);
            }
            return result;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            Release(result);
            throw new MultiscaleException($"'{path}' is not a readable .npz archive: {e.Message}", e);
        }
        catch
        {
            Release(result);
            throw;
        }
    }

    private static void Release(Dictionary<string, Tensor> arrays)
    {
        foreach (var t in arrays.Values) t.Dispose();
        arrays.Clear();
    }
}
