namespace Multiscale.Runs;

/// <summary>What one shard of a sweep did.</summary>
/// <param name="Complete">True when every run of the shard finished and its part file was written.</param>
/// <param name="Done">Runs of the shard complete (kept or trained).</param>
/// <param name="StoppedAt">The run that was cancelled (null when complete).</param>
/// <param name="PartFile">The part file written (null when stopped).</param>
/// <param name="Summaries">Summary files written (only for an unsplit sweep, shard 1/1).</param>
public sealed record SweepShardResult(bool Complete, int Done, string? StoppedAt, string? PartFile, IReadOnlyList<string> Summaries);
