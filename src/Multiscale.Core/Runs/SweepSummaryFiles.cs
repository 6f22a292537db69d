namespace Multiscale.Runs;

/// <summary>The three files of one summary step: JSON, Markdown and the runs' CSV.</summary>
public sealed record SweepSummaryFiles(string Json, string Markdown, string Csv)
{
    /// <summary>
    /// The files in the folder <paramref name="output"/> (summary.json, summary.md, summary-runs.csv), or for a path
    /// ending in .json that file with the .md and -runs.csv beside it; a <paramref name="suffix"/> goes after the stem
    /// (summary-seeds.json, summary-seeds.md, summary-seeds-runs.csv).
    /// </summary>
    public static SweepSummaryFiles For(string output, string? suffix)
    {
        ArgumentNullException.ThrowIfNull(output);
        string tail = suffix is null ? "" : "-" + suffix;
        string stem = output.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output))
            : Path.Combine(Path.GetFullPath(output), "summary");
        return new SweepSummaryFiles(stem + tail + ".json", stem + tail + ".md", stem + tail + "-runs.csv");
    }
}
