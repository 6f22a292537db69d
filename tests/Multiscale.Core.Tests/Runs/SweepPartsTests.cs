using Multiscale.Runs;

namespace Multiscale.Core.Tests.Runs;

/// <summary><see cref="SweepParts{TKey}"/>: one sweep, one split, each shard once, each run once, and the shards left out.</summary>
public class SweepPartsTests
{
    [Fact]
    public void PartsOfOneSplitAreAcceptedAndTheAbsentShardsNamed()
    {
        var parts = new SweepParts<int>();
        Assert.True(parts.AddPart("a", "sweep", 1, 3, () => "?"));
        Assert.False(parts.AddPart("c", "sweep", 3, 3, () => "?"));
        parts.AddRun(0, "r0", "a");
        parts.AddRun(2, "r2", "c");
        Assert.True(parts.Has(2));
        Assert.False(parts.Has(1));
        Assert.Equal("c", parts.FileOf(2));
        Assert.Equal(new[] { "2/3" }, parts.AbsentShards());
        Assert.Equal("a", parts.First);
        Assert.Equal(3, parts.Count);
    }

    [Fact]
    public void ForeignSplitRepeatedAndOverlappingPartsAreRefused()
    {
        var parts = new SweepParts<string>("sweep configs");
        parts.AddPart("a", "one", 1, 2, () => "?");
        parts.AddRun("x", "x", "a");
        Assert.Contains("different sweep configs (seed: 1 vs 2)", Assert.Throws<MultiscaleException>(() => parts.AddPart("b", "two", 2, 2, () => "seed: 1 vs 2")).Message);
        Assert.Contains("split the sweep into 2", Assert.Throws<MultiscaleException>(() => parts.AddPart("b", "one", 2, 3, () => "?")).Message);
        Assert.Contains("shard 1/2 appears twice: 'a' and 'b'", Assert.Throws<MultiscaleException>(() => parts.AddPart("b", "one", 1, 2, () => "?")).Message);
        Assert.Contains("run x appears in both 'a' and 'b'", Assert.Throws<MultiscaleException>(() => parts.AddRun("x", "x", "b")).Message);
    }

    [Fact]
    public void APartFileOfAnotherFormatIsNamed()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{ "format": "other/1" }""");
            Assert.Contains("is not a test part (format 'other/1', expected 'mine/1')", Assert.Throws<MultiscaleException>(() => SweepParts<int>.Read(file, "mine/1", "test part")).Message);
            File.WriteAllText(file, "[1]");
            Assert.Contains("is not a test part", Assert.Throws<MultiscaleException>(() => SweepParts<int>.Read(file, "mine/1", "test part")).Message);
            File.WriteAllText(file, """{ "format": "mine/1", "rows": [] }""");
            Assert.NotNull(SweepParts<int>.Read(file, "mine/1", "test part")["rows"]);
        }
        finally { File.Delete(file); }
    }
}
