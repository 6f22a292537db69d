using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// A sweep as a value: the settings every run shares, the grid on top of them and the summary steps its merge writes
/// (the first one's files are <c>summary.*</c>).
/// </summary>
public sealed record SweepPlan(JsonObject Shared, SettingsGrid Grid, IReadOnlyList<ISweepSummary> Summaries);
