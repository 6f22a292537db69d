using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>One run of a sweep: its folder name, its settings and the command line its config.json records (null: the sweep's).</summary>
internal sealed record SweepPoint<TSettings>(string Id, TSettings Settings, IReadOnlyList<string>? Arguments = null);

/// <summary>
/// Runs a sweep's points one after another through <see cref="MethodHost"/>, each into <c>runs/&lt;id&gt;/</c> of
/// <see cref="Directory"/>: a folder holding the complete run with the same settings is kept, a run stopped part-way
/// (a requeued cluster task) continues from its checkpoint, and one stopped under other settings starts over. Both
/// sweeps (<c>msann sweep</c> and the settings <c>sweep</c>) use it, so their runs are ordinary run folders.
/// </summary>
internal sealed record SweepRunner(string Directory, TorchSharp.torch.Device Device, CheckpointInterval Interval, bool Figures,
    ParseResult Parse, TextWriter Output, TextWriter Error)
{
    /// <summary>
    /// Runs <paramref name="points"/> and returns each one's report, in order; a non-zero code (130: cancelled) when
    /// the sweep stopped. <paramref name="finished"/> finds a kept run's report (default: report.json with config.json
    /// settings equal to the run's).
    /// </summary>
    public (int Code, List<JsonObject> Reports) Run<TSettings>(IMultiscaleMethod<TSettings> method, IReadOnlyList<SweepPoint<TSettings>> points,
        string what, Func<string, JsonObject, JsonObject?>? finished = null)
    {
        finished ??= (dir, settings) => Finished(dir, method.Name, settings);
        using var cancel = CancelOnCtrlC.Create();
        var reports = new List<JsonObject>();
        for (int i = 0; i < points.Count; i++)
        {
            var point = points[i];
            string runDir = Path.Combine(Directory, "runs", point.Id);
            var settings = method.Describe(point.Settings);
            if (finished(runDir, settings) is { } report)
            {
                Output.WriteLine($"[{i + 1}/{points.Count}] {point.Id}: finished earlier, skipped");
                reports.Add(report);
                continue;
            }
            Output.WriteLine($"[{i + 1}/{points.Count}] {point.Id}");
            TerminalProgress.Current?.Overall($"{what}: run {i + 1} of {points.Count}, {point.Id}", i, points.Count, "runs");
            string checkpoint = Path.Combine(runDir, RunFolder.CheckpointFile);
            if (File.Exists(checkpoint))
            {
                var header = new JsonObject { ["method"] = method.Name, ["settings"] = settings.DeepClone() };
                if (RunCheckpoints.ReadHeader(checkpoint) is { } found && JsonNode.DeepEquals(found, header))
                    Output.WriteLine($"  resuming from {checkpoint}");
                else
                {
                    // The sweep changed under this folder: as its finished runs of other settings, this one trains again.
                    Output.WriteLine($"  {checkpoint} holds a run of other settings: starting over");
                    File.Delete(checkpoint);
                }
            }
            // The runner says whether the run continues (above); the host need not say it again.
            int code = MethodHost.Run(method, point.Settings, Parse, runDir, Device, Output, Error, cancel.Token, (Interval, Resume: true), Figures,
                announced: true, arguments: point.Arguments);
            if (code != 0)
            {
                if (code == 130)
                    Error.WriteLine($"the sweep stopped at run {point.Id}: {i} run(s) of this shard are complete under {Path.Combine(Directory, "runs")}; run the same command again to continue");
                return (code, reports);
            }
            reports.Add(ReadReport(Path.Combine(runDir, "report.json")));
        }
        return (0, reports);
    }

    /// <summary>The report of a complete run folder with these settings, or null (the run trains again).</summary>
    public static JsonObject? Finished(string runDir, string method, JsonObject settings)
    {
        string report = Path.Combine(runDir, "report.json"), config = Path.Combine(runDir, "config.json");
        if (!File.Exists(report) || !File.Exists(config)) return null;
        try
        {
            var recorded = JsonNode.Parse(File.ReadAllText(config));
            if (recorded?["method"]?.GetValue<string>() != method || !JsonNode.DeepEquals(recorded["settings"], settings)) return null;
            return ReadReport(report);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException or MultiscaleException) { return null; }
    }

    /// <summary>
    /// The part files a summarize command names (folders: their <c>sweep-part-*-of-*.json</c>), once each, after
    /// checking the summary's output place (a folder, or a .json file).
    /// </summary>
    public static List<string> PartFiles(string summaryOut, IEnumerable<string> parts)
    {
        if (summaryOut.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) OutputCheck.File(summaryOut);
        else OutputCheck.Folder(summaryOut);
        var files = new List<string>();
        foreach (var p in parts)
        {
            if (System.IO.Directory.Exists(p))
            {
                var found = System.IO.Directory.GetFiles(p, "sweep-part-*-of-*.json").Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new MultiscaleException($"'{p}' holds no sweep-part-*-of-*.json files");
                files.AddRange(found);
            }
            else if (File.Exists(p)) files.Add(Path.GetFullPath(p));
            else throw new MultiscaleException($"'{p}' is neither a folder nor a file");
        }
        return files.Distinct().ToList();
    }

    public static JsonObject ReadReport(string path) =>
        JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new MultiscaleException($"'{path}' is not a run report");
}
