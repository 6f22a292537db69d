using Multiscale.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.IO;

public class NpyTests
{
    [Fact]
    public void Float64RoundTripIsBitIdenticalAndHeaderIsAligned()
    {
        var path = Path.Combine(Path.GetTempPath(), $"npy-{Guid.NewGuid():N}.npy");
        try
        {
            using var scope = NewDisposeScope();
            var x = randn(7, 5, dtype: ScalarType.Float64, generator: new Generator(3));
            Npy.Write(path, x);
            var bytes = File.ReadAllBytes(path);
            int headerEnd = 10 + BitConverter.ToUInt16(bytes, 8);
            Assert.Equal(0, headerEnd % 64);
            Assert.Equal(7 * 5 * 8, bytes.Length - headerEnd);
            Assert.Contains("'shape': (7, 5)", System.Text.Encoding.Latin1.GetString(bytes, 10, headerEnd - 10));
            var y = Npy.Read(path);
            Assert.True(y.eq(x).all().item<bool>());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void VectorsUseTheOneTupleShape()
    {
        var path = Path.Combine(Path.GetTempPath(), $"npy-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.Write(path, new[] { 1.0, 2.0, 3.0 }, new long[] { 3 });
            var (data, shape) = Npy.ReadArray(path);
            Assert.Equal(new long[] { 3 }, shape);
            Assert.Equal(new[] { 1.0, 2.0, 3.0 }, data);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TruncatedFilesAreRejected()
    {
        var path = Path.Combine(Path.GetTempPath(), $"npy-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.Write(path, new[] { 1.0, 2.0, 3.0, 4.0 }, new long[] { 2, 2 });
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..^8]);
            var e = Assert.Throws<MultiscaleException>(() => Npy.ReadArray(path));
            Assert.Contains("data bytes", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AtomicWriteLeavesNothingWhenTheWriterFails()
    {
        var dir = Directory.CreateTempSubdirectory("atomic-");
        try
        {
            var target = Path.Combine(dir.FullName, "out.bin");
            Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, s =>
            {
                s.WriteByte(1);
                throw new InvalidOperationException("interrupted");
            }));
            Assert.Empty(Directory.GetFiles(dir.FullName));
        }
        finally { dir.Delete(true); }
    }
}
