using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// The summary every sweep gets: runs grouped by their grid fields other than <c>seed</c>, each metric's mean and
/// standard deviation over seeds, ranked by the first metric (lower first); the files of
/// <see cref="SettingsSweep.WriteSummary"/>.
/// </summary>
public sealed class SeedSummary(IReadOnlyList<string> metrics) : ISweepSummary
{
    /// <summary>The step's name in part files and file names.</summary>
    public const string StepName = "seeds";

    /// <summary>The report fields shown, the ranking one first.</summary>
    public IReadOnlyList<string> Metrics { get; } = metrics ?? throw new ArgumentNullException(nameof(metrics));

    /// <inheritdoc/>
    public string Name => StepName;

    /// <inheritdoc/>
    public JsonObject? RowFields(JsonObject row) => null;

    /// <inheritdoc/>
    public void Write(SweepSummaryFiles files, SweepRows sweep)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(sweep);
        SettingsSweep.WriteSeedSummary(files, sweep.Method, sweep.Shared, sweep.Grid, sweep.Rows, Metrics);
    }
}
