using FsCheck.Xunit;
using Multiscale.Graphs;
using Multiscale.IO;
using static TorchSharp.torch;

namespace Multiscale.Tests.IO;

/// <summary>The Core file readers against truncated, corrupted and random bytes (see <see cref="ReaderFuzz"/>).</summary>
public class ReaderPropertyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fuzz-");

    private static readonly byte[] ValidNpy = Encode(file =>
    {
        using var scope = NewDisposeScope();
        Npy.Write(file, arange(24, ScalarType.Float32).reshape(2, 3, 4));
    });

    private static readonly byte[] ValidNpz = Encode(file =>
    {
        using var scope = NewDisposeScope();
        Npz.Write(file, new Dictionary<string, Tensor> { ["a"] = arange(6, ScalarType.Int64), ["b"] = eye(3, dtype: ScalarType.Float64) }, compressed: true);
    });

    private static readonly byte[] ValidSafeTensors = Encode(file =>
    {
        using var scope = NewDisposeScope();
        SafeTensors.Write(file, new Dictionary<string, Tensor> { ["a"] = arange(6, ScalarType.Int64), ["b"] = eye(3, dtype: ScalarType.Float32) },
            new Dictionary<string, string> { ["producer"] = "fuzz" });
    });

    private static readonly byte[] ValidMtx = Encode(file =>
    {
        using var scope = NewDisposeScope();
        MatrixMarket.Write(file, GraphOperators.Laplacian(GraphSpec.Parse("grid:3x3")));
    });

    private static readonly byte[] ValidEdgeList = System.Text.Encoding.ASCII.GetBytes("# mesh\n0 1\n1 2 2.5\n2 3\n3 0 0.5\na b\n");

    private static byte[] Encode(Action<string> write)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fuzz-valid-{Guid.NewGuid():N}");
        try
        {
            write(path);
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }

    private string PathFor(string extension) => Path.Combine(_dir.FullName, $"input-{Guid.NewGuid():N}{extension}");

    [Property(MaxTest = 150)]
    public void NpyReadsOrFailsCleanly(int seed)
    {
        var path = PathFor(".npy");
        if (ReaderFuzz.ReadsOrFailsCleanly(path, ReaderFuzz.Mutate(ValidNpy, seed), () => Npy.ReadStored(path).Dispose()))
            using (var t = Npy.ReadStored(path)) Assert.True(t.numel() * t.element_size() <= new FileInfo(path).Length);
    }

    [Property(MaxTest = 100)]
    public void NpzReadsOrFailsCleanly(int seed)
    {
        var path = PathFor(".npz");
        ReaderFuzz.ReadsOrFailsCleanly(path, ReaderFuzz.Mutate(ValidNpz, seed), () =>
        {
            foreach (var t in Npz.Read(path).Values) t.Dispose();
        });
    }

    [Property(MaxTest = 150)]
    public void SafeTensorsReadsOrFailsCleanly(int seed)
    {
        var path = PathFor(".safetensors");
        ReaderFuzz.ReadsOrFailsCleanly(path, ReaderFuzz.Mutate(ValidSafeTensors, seed), () =>
        {
            foreach (var t in SafeTensors.Read(path).Values) t.Dispose();
        });
    }

    [Property(MaxTest = 150)]
    public void MatrixMarketReadsOrFailsCleanly(int seed)
    {
        var path = PathFor(".mtx");
        if (ReaderFuzz.ReadsOrFailsCleanly(path, ReaderFuzz.Mutate(ValidMtx, seed), () => MatrixMarket.Read(path)))
        {
            var m = MatrixMarket.Read(path);
            Assert.All(m.RowIndex, i => Assert.InRange(i, 0, m.Rows - 1));
            Assert.All(m.ColumnIndex, j => Assert.InRange(j, 0, m.Columns - 1));
        }
    }

    [Property(MaxTest = 150)]
    public void EdgeListsReadOrFailCleanly(int seed)
    {
        var path = PathFor(".txt");
        if (ReaderFuzz.ReadsOrFailsCleanly(path, ReaderFuzz.Mutate(ValidEdgeList, seed), () => EdgeListReader.Read(path)))
            Assert.True(EdgeListReader.Read(path).VertexCount >= 2);
    }

    [Property(MaxTest = 50)]
    public void RandomBytesAreRefusedCleanlyByEveryReader(byte[] noise)
    {
        noise ??= Array.Empty<byte>();
        var npy = PathFor(".npy");
        ReaderFuzz.ReadsOrFailsCleanly(npy, noise, () => Npy.ReadStored(npy).Dispose());
        var npz = PathFor(".npz");
        ReaderFuzz.ReadsOrFailsCleanly(npz, noise, () => { foreach (var t in Npz.Read(npz).Values) t.Dispose(); });
        var safe = PathFor(".safetensors");
        ReaderFuzz.ReadsOrFailsCleanly(safe, noise, () => { foreach (var t in SafeTensors.Read(safe).Values) t.Dispose(); });
        var mtx = PathFor(".mtx");
        ReaderFuzz.ReadsOrFailsCleanly(mtx, noise, () => MatrixMarket.Read(mtx));
        var edges = PathFor(".txt");
        ReaderFuzz.ReadsOrFailsCleanly(edges, noise, () => EdgeListReader.Read(edges));
    }

    [Fact]
    public void AHeaderClaimingAHugeArrayIsRefusedWithoutAllocating()
    {
        var path = PathFor(".npy");
        var bytes = (byte[])ValidNpy.Clone();
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("(2, 3, 4)", StringComparison.Ordinal);
        var patched = System.Text.Encoding.Latin1.GetBytes(text[..at] + "(200000, 300000, 4)" + text[(at + 9)..]);
        // Keep the header length field consistent with the longer header.
        ushort headerLength = (ushort)(BitConverter.ToUInt16(bytes, 8) + 10);
        BitConverter.GetBytes(headerLength).CopyTo(patched, 8);
        Assert.False(ReaderFuzz.ReadsOrFailsCleanly(path, patched, () => Npy.ReadStored(path).Dispose()));
        Assert.Contains("data bytes", Assert.Throws<MultiscaleException>(() => Npy.ReadStored(path)).Message);
    }

    public void Dispose() => _dir.Delete(true);
}
