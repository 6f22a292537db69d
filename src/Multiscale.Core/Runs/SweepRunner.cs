using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// Runs one shard of a sweep (<see cref="SweepPlan"/>) for any hosted method, each point into
/// <c>runs/&lt;id&gt;/</c> of the sweep folder: a folder holding the complete run with the same settings is kept, a run
/// stopped part-way (a requeued cluster task) continues from its checkpoint, one stopped under other settings starts
/// over. A complete shard writes its part file (<see cref="SettingsSweep.PartFileName"/>); an unsplit sweep (1/1) also
/// writes its summaries. The host trains the runs (<see cref="ISweepRunHost{TSettings}"/>) and the progress sink hears
/// what happens, so the same sweep runs from C# and from the command line.
/// </summary>
public static class SweepRunner
{
    /// <summary>
    /// Every point's settings, read before anything trains (on every shard alike, so a bad grid fails in seconds, not
    /// after hours); <paramref name="adjust"/> sets what the host adds (a map cache). A point that cannot be read is an
    /// error naming it.
    /// </summary>
    public static IReadOnlyList<TSettings> ReadPoints<TSettings>(IMultiscaleMethod<TSettings> method, SweepPlan plan, Func<TSettings, TSettings>? adjust = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Grid.Points.Select(p =>
        {
            try
            {
                var settings = method.ReadSettings(p.Apply(plan.Shared));
                return adjust is null ? settings : adjust(settings);
            }
            catch (MultiscaleException e) { throw new MultiscaleException($"grid point {p.Id}: {e.Message}", e); }
        }).ToList();
    }

    /// <summary>
    /// Runs shard <paramref name="index"/>/<paramref name="count"/> of <paramref name="plan"/> into
    /// <paramref name="directory"/>. <paramref name="settings"/> are every point's (<see cref="ReadPoints"/>); a run the
    /// host reports cancelled stops the shard without a part file, and the same call later continues it.
    /// </summary>
    public static SweepShardResult RunShard<TSettings>(IMultiscaleMethod<TSettings> method, SweepPlan plan, IReadOnlyList<TSettings> settings,
        int index, int count, string directory, ISweepRunHost<TSettings> host, ISweepProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(host);
        if (settings.Count != plan.Grid.Points.Count) throw new ArgumentException("one settings value per grid point is needed", nameof(settings));
        progress ??= SilentProgress.Instance;
        var mine = plan.Grid.Shard(index, count);
        var rows = new List<JsonObject>();
        for (int i = 0; i < mine.Count; i++)
        {
            var point = mine[i];
            var run = settings[point.Index];
            string runDir = Path.Combine(directory, "runs", point.Id);
            var described = method.Describe(run);
            if (Finished(runDir, method.Name, described, point, plan.Summaries) is { } kept)
            {
                progress.Line($"[{i + 1}/{mine.Count}] {point.Id}: finished earlier, skipped");
                rows.Add(kept);
                continue;
            }
            progress.Line($"[{i + 1}/{mine.Count}] {point.Id}");
            progress.Run(i, mine.Count, point.Id);
            string checkpoint = Path.Combine(runDir, RunFolder.CheckpointFile);
            if (File.Exists(checkpoint))
            {
                var header = new JsonObject { ["method"] = method.Name, ["settings"] = described.DeepClone() };
                if (RunCheckpoints.ReadHeader(checkpoint) is { } found && JsonNode.DeepEquals(found, header))
                    progress.Line($"  resuming from {checkpoint}");
                else
                {
                    // The sweep changed under this folder: as its finished runs of other settings, this one trains again.
                    progress.Line($"  {checkpoint} holds a run of other settings: starting over");
                    File.Delete(checkpoint);
                }
            }
            if (!host.Run(method, run, point, runDir)) return new SweepShardResult(false, i, point.Id, null, Array.Empty<string>());
            rows.Add(SettingsSweep.Row(point, ReadReport(Path.Combine(runDir, "report.json")), plan.Summaries));
        }
        string part = Path.Combine(directory, SettingsSweep.PartFileName(index, count));
        RunFolder.WriteJson(part, SettingsSweep.Part(method.Name, plan.Shared, plan.Grid, index, count, rows, plan.Summaries.Select(s => s.Name).ToList()));
        progress.Line($"wrote {part}");
        IReadOnlyList<string> written = Array.Empty<string>();
        if (count == 1)
        {
            written = SettingsSweep.WriteSummaries(directory, new SweepRows(method.Name, plan.Shared, plan.Grid, rows), plan.Summaries);
            progress.Line($"wrote {string.Join(", ", written)}");
        }
        return new SweepShardResult(true, mine.Count, null, part, written);
    }

    /// <summary>
    /// The row of a complete run folder with these settings — config.json's, or for a run written before config.json
    /// existed, its report's own <c>config</c> — or null (the run trains again). A report a summary step cannot read
    /// (a run killed while writing it by an older version) is not finished either.
    /// </summary>
    public static JsonObject? Finished(string runDir, string method, JsonObject settings, SettingsGridPoint point, IEnumerable<ISweepSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(runDir);
        string report = Path.Combine(runDir, "report.json"), config = Path.Combine(runDir, "config.json");
        if (!File.Exists(report)) return null;
        try
        {
            var reportJson = ReadReport(report);
            if (File.Exists(config))
            {
                var recorded = JsonNode.Parse(File.ReadAllText(config));
                if (recorded?["method"]?.GetValue<string>() != method || !JsonNode.DeepEquals(recorded["settings"], settings)) return null;
            }
            else
            {
                if (!JsonNode.DeepEquals(reportJson["config"], settings)) return null;
                reportJson.Remove("config");   // the settings, not a result: the row's assignment has them
            }
            return SettingsSweep.Row(point, reportJson, summaries);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException or MultiscaleException or NullReferenceException) { return null; }
    }

    /// <summary>A run's report.json.</summary>
    public static JsonObject ReadReport(string path) =>
        JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new MultiscaleException($"'{path}' is not a run report");

    private sealed class SilentProgress : ISweepProgress
    {
        public static readonly SilentProgress Instance = new();
        public void Line(string text) { }
        public void Run(int done, int total, string id) { }
    }
}
