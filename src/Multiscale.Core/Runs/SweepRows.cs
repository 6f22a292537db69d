using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// A sweep's finished runs, as a summary step reads them: the method, the shared settings, the grid and one row per
/// run in grid order (<see cref="SettingsSweep.Row(SettingsGridPoint, JsonObject)"/>: id, index, assignment, the
/// report's scalars).
/// </summary>
public sealed record SweepRows(string Method, JsonObject Shared, SettingsGrid Grid, IReadOnlyList<JsonObject> Rows)
{
    /// <summary>The summary steps the sweep's parts name, the first one's files named <c>summary.*</c>; null: the method's defaults.</summary>
    public IReadOnlyList<string>? Summaries { get; init; }
}
