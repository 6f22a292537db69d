using System.Buffers.Binary;
using FsCheck.Xunit;
using Multiscale.MsAnn.Data;
using Multiscale.Tests.IO;

namespace Multiscale.MsAnn.Tests.Data;

/// <summary>IDX image and label files, raw and gzipped, against damaged and random bytes (see ReaderFuzz).</summary>
public class MnistPropertyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("idx-fuzz-");

    private static readonly byte[] Images = MnistTests.IdxImages(3, 4, 5, i => (byte)(i * 7));
    private static readonly byte[] Labels = MnistTests.IdxLabels(1, 9, 0);

    private static byte[] Damaged(byte[] valid, int seed)
    {
        var rng = new Random(seed);
        if (rng.Next(3) > 0) return ReaderFuzz.Mutate(rng.Next(2) == 0 ? valid : MnistTests.Gzip(valid), seed);
        // Headers are big-endian integers: put an arbitrary one in place of a count or a side.
        var bytes = (byte[])valid.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 * (1 + rng.Next(Math.Min(3, bytes.Length / 4 - 1)))), rng.Next(int.MinValue, int.MaxValue));
        return bytes;
    }

    [Property(MaxTest = 120)]
    public void DamagedImageOrLabelFilesReadOrFailCleanly(int seed, bool damageImages)
    {
        string images = Path.Combine(_dir.FullName, $"images-{Guid.NewGuid():N}-idx3-ubyte");
        string labels = Path.Combine(_dir.FullName, $"labels-{Guid.NewGuid():N}-idx1-ubyte");
        File.WriteAllBytes(damageImages ? labels : images, damageImages ? Labels : Images);
        string target = damageImages ? images : labels;
        if (ReaderFuzz.ReadsOrFailsCleanly(target, Damaged(damageImages ? Images : Labels, seed), () => Mnist.ReadIdx(images, labels)))
        {
            var read = Mnist.ReadIdx(images, labels);
            Assert.Equal((long)read.Count * read.Rows * read.Columns, read.Pixels.LongLength);
            Assert.All(read.Labels, l => Assert.InRange(l, 0, 9));
        }
    }

    public void Dispose() => _dir.Delete(true);
}
