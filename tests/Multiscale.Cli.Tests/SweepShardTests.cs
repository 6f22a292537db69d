using Multiscale.Cli.Commands;

namespace Multiscale.Cli.Tests;

public class SweepShardTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    private static Func<string, string?> Slurm(int id, int min, int max, int count) =>
        Env(("SLURM_ARRAY_TASK_ID", $"{id}"), ("SLURM_ARRAY_TASK_MIN", $"{min}"), ("SLURM_ARRAY_TASK_MAX", $"{max}"), ("SLURM_ARRAY_TASK_COUNT", $"{count}"));

    private static (int, int) Pair(string? shard, int? count, Func<string, string?> env)
    {
        var (index, n, _) = SweepShard.Resolve(shard, count, env);
        return (index, n);
    }

    [Fact]
    public void SlurmArraysFromZeroOrOneGiveTheSameShards()
    {
        for (int t = 0; t < 4; t++)
        {
            var zero = SweepShard.Resolve(null, null, Slurm(t, 0, 3, 4));
            var one = SweepShard.Resolve(null, null, Slurm(t + 1, 1, 4, 4));
            var offset = SweepShard.Resolve(null, null, Slurm(t + 10, 10, 13, 4));
            Assert.Equal((t + 1, 4), (zero.Index, zero.Count));
            Assert.Equal((zero.Index, zero.Count), (one.Index, one.Count));
            Assert.Equal((zero.Index, zero.Count), (offset.Index, offset.Count));
        }
        Assert.Equal("Slurm array task 3 of 1..4", SweepShard.Resolve(null, null, Slurm(3, 1, 4, 4)).Source);
        Assert.Equal((2, 4), Pair(null, 4, Slurm(1, 0, 3, 4)));
    }

    [Fact]
    public void KubernetesCompletionIndexIsZeroBasedAndNeedsTheCount()
    {
        Assert.Equal((1, 16), Pair(null, 16, Env(("JOB_COMPLETION_INDEX", "0"))));
        Assert.Equal((16, 16), Pair(null, 16, Env(("JOB_COMPLETION_INDEX", "15"))));
        Assert.Contains("--shard-count", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, null, Env(("JOB_COMPLETION_INDEX", "3")))).Message);
        Assert.Contains("below --shard-count 16", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, 16, Env(("JOB_COMPLETION_INDEX", "16")))).Message);
        Assert.Contains("whole number", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, 4, Env(("JOB_COMPLETION_INDEX", "-1")))).Message);
    }

    [Fact]
    public void ExplicitShardWinsAndNoSchedulerMeansTheWholeGrid()
    {
        Assert.Equal((2, 5, "--shard"), SweepShard.Resolve("2/5", null, Slurm(0, 0, 3, 4)));
        Assert.Equal((1, 1, "whole grid"), SweepShard.Resolve(null, null, Env()));
        Assert.Equal((1, 1, "whole grid"), SweepShard.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", ""))));
        // The whole shard list of a 0-based array covers every shard once, as the explicit spelling does.
        var shards = Enumerable.Range(0, 7).Select(t => SweepShard.Resolve(null, null, Slurm(t, 0, 6, 7)).Index).ToList();
        Assert.Equal(Enumerable.Range(1, 7), shards);
    }

    [Theory]
    [InlineData(3, 1, 7, 2, "not one contiguous range")]       // --array=3,7: a resubmitted subset
    [InlineData(5, 1, 15, 8, "not one contiguous range")]      // --array=1-15:2
    [InlineData(9, 1, 4, 4, "not one contiguous range")]       // the id outside MIN..MAX
    public void SteppedOrListedSlurmArraysAreRefused(int id, int min, int max, int count, string message) =>
        Assert.Contains(message, Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, null, Slurm(id, min, max, count))).Message);

    [Fact]
    public void ContradictoryOrIncompleteInputIsRefused()
    {
        Assert.Contains("not both", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve("1/4", 4, Env())).Message);
        Assert.Contains("disagrees", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, 8, Slurm(1, 1, 4, 4))).Message);
        Assert.Contains("SLURM_ARRAY_TASK_MIN is not", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", "2")))).Message);
        Assert.Contains("needs a Kubernetes", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, 4, Env())).Message);
        Assert.Contains("at least 1", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve(null, 0, Env(("JOB_COMPLETION_INDEX", "0")))).Message);
        Assert.Contains("1-based", Assert.Throws<MultiscaleException>(() => SweepShard.Resolve("0/4", null, Env())).Message);
    }

    [Fact]
    public void ShardCountWithoutAnIndexIsOneErrorLineBeforeAnythingIsWritten()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string target = Path.Combine(dir.FullName, "sweep");
            var (code, output, error) = CliRunner.Run("msann", "sweep", "--layers", "16,8,16", "--shard-count", "3", "--out", target);
            Assert.Equal(1, code);
            Assert.StartsWith("error: --shard-count needs a Kubernetes indexed Job", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Equal("", output);
            Assert.False(Directory.Exists(target));
        }
        finally { dir.Delete(recursive: true); }
    }
}
