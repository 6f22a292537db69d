using System.Text.Json.Nodes;
using Multiscale.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.Runs;

public class CheckpointTests
{
    [Fact]
    public void TensorsPartsGeneratorsAndScalarsComeBackBitForBit()
    {
        var dir = Directory.CreateTempSubdirectory("checkpoint-");
        try
        {
            string path = Path.Combine(dir.FullName, "checkpoint.zip");
            var generator = new Generator(42);
            using var a = randn(new long[] { 3, 4 }, generator: generator);
            using var b = randn(new long[] { 5 }, dtype: ScalarType.Float64, generator: generator);
            using var c = arange(7, dtype: ScalarType.Int64);
            using (var checkpoint = new Checkpoint())
            {
                checkpoint.Put("a", a);
                checkpoint.Put("nested/b", b);
                checkpoint.Put("c", c);
                checkpoint.PutGenerator("g", generator);
                checkpoint.PutPart("bytes", w => { w.Write(1234567890123L); w.Write("text"); });
                checkpoint.State["x"] = Checkpoint.Number(0.1 + 0.2);
                checkpoint.State["values"] = new JsonArray(Checkpoint.Number(double.NaN), Checkpoint.Number(double.PositiveInfinity), Checkpoint.Number(double.NegativeInfinity), Checkpoint.Number(-0.0));
                checkpoint.Save(path);
                checkpoint.Save(path);   // replaced atomically: no temporary file stays behind
            }
            Assert.Equal(new[] { "checkpoint.zip" }, Directory.GetFileSystemEntries(dir.FullName).Select(Path.GetFileName));
            double expectedNext;
            using (var next = randn(new long[] { 1 }, dtype: ScalarType.Float64, generator: generator)) expectedNext = next.item<double>();

            using var loaded = Checkpoint.Load(path);
            Assert.True(loaded.Get("a").equal(a).all().item<bool>());
            Assert.Equal(ScalarType.Float64, loaded.Get("nested/b").dtype);
            Assert.True(loaded.Get("nested/b").equal(b).all().item<bool>());
            Assert.True(loaded.Get("c").equal(c).all().item<bool>());
            var restored = new Generator(7);
            loaded.RestoreGenerator("g", restored);
            using (var next = randn(new long[] { 1 }, dtype: ScalarType.Float64, generator: restored)) Assert.Equal(expectedNext, next.item<double>());
            loaded.ReadPart("bytes", r => { Assert.Equal(1234567890123L, r.ReadInt64()); Assert.Equal("text", r.ReadString()); });
            Assert.Equal(0.1 + 0.2, Checkpoint.ToDouble(loaded.State["x"]));
            var values = loaded.State["values"]!.AsArray().Select(Checkpoint.ToDouble).ToArray();
            Assert.True(double.IsNaN(values[0]));
            Assert.Equal(new[] { double.PositiveInfinity, double.NegativeInfinity }, values[1..3]);
            Assert.True(double.IsNegative(values[3]));
            using var target = zeros(3, 4);
            loaded.CopyTo("a", target);
            Assert.True(target.equal(a).all().item<bool>());
            Assert.Throws<MultiscaleException>(() => loaded.CopyTo("a", zeros(4, 3)));
            Assert.Throws<MultiscaleException>(() => loaded.Get("missing"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ADamagedFileIsOneErrorAndAHeaderIsReadWithoutTheTensors()
    {
        var dir = Directory.CreateTempSubdirectory("checkpoint-");
        try
        {
            string path = Path.Combine(dir.FullName, "checkpoint.zip");
            File.WriteAllText(path, "not a zip");
            Assert.Throws<MultiscaleException>(() => Checkpoint.Load(path));
            Assert.Null(RunCheckpoints.ReadHeader(path));
            var header = new JsonObject { ["method"] = "m", ["settings"] = new JsonObject { ["lr"] = 0.5 } };
            using (var checkpoints = new RunCheckpoints(path, CheckpointInterval.Off, header))
            using (var checkpoint = new Checkpoint())
            {
                checkpoints.Save(checkpoint);
                Assert.Equal(1, checkpoints.Saved);
            }
            Assert.True(JsonNode.DeepEquals(header, RunCheckpoints.ReadHeader(path)));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("30s", 30.0, null)]
    [InlineData("5m", 300.0, null)]
    [InlineData("1.5h", 5400.0, null)]
    [InlineData("10", null, 10)]
    [InlineData("off", null, null)]
    public void IntervalsParse(string text, double? seconds, int? units)
    {
        var interval = CheckpointInterval.Parse(text);
        Assert.Equal(seconds, interval.Time?.TotalSeconds);
        Assert.Equal(units, interval.Units);
        Assert.Equal(seconds is not null || units is not null, interval.Periodic);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5m")]
    [InlineData("0s")]
    [InlineData("5x")]
    [InlineData("m")]
    [InlineData("")]
    public void BadIntervalsAreOneError(string text) => Assert.Throws<MultiscaleException>(() => CheckpointInterval.Parse(text));

    [Fact]
    public void CountedIntervalsAreDueEveryNUnitsAndRestartAfterASave()
    {
        var dir = Directory.CreateTempSubdirectory("checkpoint-");
        try
        {
            using var checkpoints = new RunCheckpoints(Path.Combine(dir.FullName, "c.zip"), CheckpointInterval.EveryUnits(2), new JsonObject());
            Assert.False(checkpoints.Due(false));
            Assert.False(checkpoints.Due(true));
            Assert.True(checkpoints.Due(true));
            using (var c = new Checkpoint()) checkpoints.Save(c);
            Assert.False(checkpoints.Due(true));
            Assert.True(checkpoints.Due(true));
            using var off = new RunCheckpoints(Path.Combine(dir.FullName, "d.zip"), CheckpointInterval.Off, new JsonObject());
            Assert.DoesNotContain(true, Enumerable.Range(0, 100).Select(_ => off.Due(true)));
        }
        finally { dir.Delete(true); }
    }
}
