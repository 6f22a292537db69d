namespace Multiscale.Runs;

/// <summary>
/// How <see cref="SettingsSweep.Merge"/> words its errors, and the part formats it no longer reads.
/// </summary>
/// <param name="Kind">What a part file is called ("settings sweep part file").</param>
/// <param name="Sweeps">What parts of different sweeps come from ("sweeps", "sweep configs").</param>
/// <param name="RetiredFormats">Format tags of earlier part files, each with what to do instead (one error line names it).</param>
public sealed record SweepMergeOptions(string Kind = "settings sweep part file", string Sweeps = "sweeps",
    IReadOnlyDictionary<string, string>? RetiredFormats = null);
