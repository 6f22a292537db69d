using System.Globalization;

namespace Multiscale.Cli.Commands;

/// <summary>
/// Which shard of a sweep this process runs: <c>--shard i/n</c> when given, else the position of a Slurm array task
/// (<c>SLURM_ARRAY_TASK_ID</c> within <c>SLURM_ARRAY_TASK_MIN..MAX</c>, so arrays numbered from 0 or from 1 both map
/// to shards 1..n), else a Kubernetes indexed Job's 0-based <c>JOB_COMPLETION_INDEX</c> with the count from
/// <c>--shard-count</c>; with none of them, the whole grid (1/1).
/// </summary>
internal static class SweepShard
{
    /// <summary>The shard (1-based index, count) and where it came from, for the sweep's first line.</summary>
    public static (int Index, int Count, string Source) Resolve(string? shard, int? shardCount, Func<string, string?> environment)
    {
        if (shard is not null)
        {
            if (shardCount is not null)
                throw new MultiscaleException("--shard i/n already names the shard count; give --shard or --shard-count, not both");
            var (i, n) = ParseShard(shard);
            return (i, n, "--shard");
        }
        if (shardCount is < 1) throw new MultiscaleException($"--shard-count must be at least 1 (got {shardCount})");

        if (Variable(environment, "SLURM_ARRAY_TASK_ID") is { } taskText)
        {
            int id = Whole(taskText, "SLURM_ARRAY_TASK_ID");
            int min = Whole(Required(environment, "SLURM_ARRAY_TASK_MIN"), "SLURM_ARRAY_TASK_MIN");
            int max = Whole(Required(environment, "SLURM_ARRAY_TASK_MAX"), "SLURM_ARRAY_TASK_MAX");
            int count = Whole(Required(environment, "SLURM_ARRAY_TASK_COUNT"), "SLURM_ARRAY_TASK_COUNT");
            // A stepped array (1-15:2) or a list (3,7, e.g. resubmitted failures) has no position-to-shard mapping
            // that cannot silently skip or repeat runs, so only one contiguous range is read.
            if (count != max - min + 1 || id < min || id > max)
                throw new MultiscaleException(
                    $"the Slurm array's task ids are not one contiguous range (task {id}, ids {min}..{max}, {count} tasks); " +
                    $"submit --array=1-N, or pass the shard explicitly, e.g. --shard \"$SLURM_ARRAY_TASK_ID/N\" for tasks 1..N");
            if (shardCount is { } c && c != count)
                throw new MultiscaleException($"--shard-count {c} disagrees with the Slurm array's {count} tasks (ids {min}..{max})");
            return (id - min + 1, count, string.Create(CultureInfo.InvariantCulture, $"Slurm array task {id} of {min}..{max}"));
        }

        if (Variable(environment, "JOB_COMPLETION_INDEX") is { } indexText)
        {
            int index = Whole(indexText, "JOB_COMPLETION_INDEX");
            int count = shardCount ?? throw new MultiscaleException(
                $"JOB_COMPLETION_INDEX is set ({index}, a Kubernetes indexed Job) but the shard count is not: pass --shard-count with the Job's completions");
            if (index >= count)
                throw new MultiscaleException($"JOB_COMPLETION_INDEX {index} is 0-based and must be below --shard-count {count}");
            return (index + 1, count, string.Create(CultureInfo.InvariantCulture, $"Kubernetes completion index {index} of 0..{count - 1}"));
        }

        if (shardCount is not null)
            throw new MultiscaleException("--shard-count needs a Kubernetes indexed Job (JOB_COMPLETION_INDEX) or a Slurm array task; pick a shard by hand with --shard i/n");
        return (1, 1, "whole grid");
    }

    /// <summary>
    /// Parses <c>i/n</c> (1-based: 1 ≤ i ≤ n), so a Slurm array <c>--array=1-N</c> passes its task id unchanged.
    /// </summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new MultiscaleException($"--shard must be i/n with whole numbers, 1 ≤ i ≤ n (got '{text}')");
        if (n < 1) throw new MultiscaleException($"--shard {text}: the shard count n must be at least 1");
        if (i < 1 || i > n) throw new MultiscaleException($"--shard {text}: the shard index i is 1-based and must lie in 1..{n}");
        return (i, n);
    }

    private static string? Variable(Func<string, string?> environment, string name) =>
        environment(name) is { Length: > 0 } value ? value.Trim() : null;

    private static string Required(Func<string, string?> environment, string name) =>
        Variable(environment, name) ?? throw new MultiscaleException(
            $"SLURM_ARRAY_TASK_ID is set but {name} is not; pass the shard explicitly with --shard i/n");

    private static int Whole(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new MultiscaleException($"{name} must be a whole number ≥ 0 (got '{text}')");
}
