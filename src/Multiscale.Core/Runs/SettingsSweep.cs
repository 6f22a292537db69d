using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// The records of a sweep over a <see cref="SettingsGrid"/>: one row per finished run (its grid point, the scalars of
/// its report, and the fields summary steps add), part files for shards, their merge, and the summaries — the
/// <see cref="SeedSummary"/> (runs grouped by everything but the seed, each metric's mean and standard deviation over
/// seeds, ranked by the first metric, lower is better) and a method's own steps (<see cref="ISweepSummary"/>).
/// </summary>
public static class SettingsSweep
{
    /// <summary>The part files' format tag.</summary>
    public const string PartFormat = "multiscale-settings-sweep-part/1";

    /// <summary>The row of a finished run: its id, grid position, the fields it set and its report's scalars.</summary>
    public static JsonObject Row(SettingsGridPoint point, JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(report);
        return new JsonObject
        {
            ["id"] = point.Id,
            ["index"] = point.Index,
            ["assignment"] = point.Assignment.DeepClone(),
            ["report"] = Scalars(report),
        };
    }

    /// <summary>A report's numbers, strings and booleans, nested objects' one level down as <c>outer.inner</c>.</summary>
    public static JsonObject Scalars(JsonObject report)
    {
        var result = new JsonObject();
        foreach (var (key, value) in report)
        {
            if (value is JsonValue) result[key] = value.DeepClone();
            else if (value is JsonObject inner)
                foreach (var (k, v) in inner)
                    if (v is JsonValue) result[$"{key}.{k}"] = v.DeepClone();
        }
        return result;
    }

    /// <summary>
    /// The part file of shard <paramref name="index"/>/<paramref name="count"/>; <paramref name="summaries"/> names the
    /// summary steps a merge writes (<see cref="ISweepSummary.Name"/>, the first one's files named <c>summary.*</c>),
    /// null for the method's defaults.
    /// </summary>
    public static JsonObject Part(string method, JsonObject shared, SettingsGrid grid, int index, int count, IEnumerable<JsonObject> rows,
        IReadOnlyList<string>? summaries = null)
    {
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(rows);
        var part = new JsonObject
        {
            ["format"] = PartFormat,
            ["method"] = method,
            ["shared"] = shared.DeepClone(),
            ["grid"] = grid.ToJson(),
        };
        if (summaries is not null) part["summaries"] = new JsonArray(summaries.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray());
        part["shard"] = new JsonObject { ["index"] = index, ["count"] = count };
        part["rows"] = new JsonArray(rows.Select(r => (JsonNode)r.DeepClone()).ToArray());
        return part;
    }

    /// <summary>The part file's name for shard i of n.</summary>
    public static string PartFileName(int index, int count) => $"sweep-part-{index}-of-{count}.json";

    /// <summary>
    /// Merges part files: they must come from one sweep (method, shared settings, grid, summary steps) and one shard
    /// count, name each shard once, and together hold every grid point exactly once. Rows come back in grid order.
    /// <paramref name="options"/> words the errors for a sweep's own command and names retired part formats.
    /// </summary>
    public static SweepRows Merge(IReadOnlyList<string> partFiles, SweepMergeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(partFiles);
        options ??= new SweepMergeOptions();
        if (partFiles.Count == 0) throw new MultiscaleException("no sweep part files to merge");
        JsonObject? first = null;
        SettingsGrid? grid = null;
        var parts = new SweepParts<int>(options.Sweeps);
        var rows = new Dictionary<int, JsonObject>();
        foreach (var file in partFiles)
        {
            var part = Read(file, options);
            try
            {
                var current = part;
                string sweep = Identity(part);
                if (parts.AddPart(file, sweep, part["shard"]!["index"]!.GetValue<int>(), part["shard"]!["count"]!.GetValue<int>(),
                        () => Difference(first!, current)))
                {
                    first = part;
                    grid = SettingsGrid.FromJson(part["grid"]);
                }
                foreach (var node in part["rows"]!.AsArray())
                {
                    var row = (JsonObject)node!.DeepClone();
                    int p = row["index"]!.GetValue<int>();
                    string id = row["id"]?.ToString() ?? p.ToString(CultureInfo.InvariantCulture);
                    if (p < 0 || p >= grid!.Points.Count || grid.Points[p].Id != id)
                        throw new MultiscaleException($"'{file}' holds run {id}, which is not in the sweep's grid");
                    parts.AddRun(p, id, file);
                    rows[p] = row;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or ArgumentException)
            {
                throw new MultiscaleException($"'{file}' is not a valid {options.Kind} ({e.Message})");
            }
        }
        var missing = grid!.Points.Where(p => !parts.Has(p.Index)).Select(p => p.Id).ToList();
        if (missing.Count > 0)
        {
            var absent = parts.AbsentShards();
            throw new MultiscaleException($"{missing.Count} of {grid.Points.Count} runs are missing ({string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", …" : "")})" +
                (absent.Count > 0 ? $"; no part for shard(s) {string.Join(", ", absent)}" : ""));
        }
        return new SweepRows(first!["method"]!.GetValue<string>(), (JsonObject)first["shared"]!.DeepClone(), grid, rows.OrderBy(r => r.Key).Select(r => r.Value).ToList())
        {
            Summaries = first["summaries"] is JsonArray names ? names.Select(n => n!.GetValue<string>()).ToList() : null,
        };
    }

    private static JsonObject Read(string file, SweepMergeOptions options)
    {
        if (options.RetiredFormats is { Count: > 0 } retired)
        {
            // Read once more for its tag only: a retired part gets the advice its format's owner wrote, not "not a part file".
            JsonNode? node = null;
            try { node = JsonNode.Parse(File.ReadAllText(file)); }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException) { }
            if (node is JsonObject o && o["format"] is JsonValue v && v.TryGetValue<string>(out var tag) && retired.TryGetValue(tag, out var advice))
                throw new MultiscaleException($"'{file}' is a part file of the retired format '{tag}': {advice}");
        }
        return SweepParts<int>.Read(file, PartFormat, options.Kind);
    }

    /// <summary>What makes two parts parts of one sweep.</summary>
    private static string Identity(JsonObject part) =>
        part["method"]!.ToJsonString() + part["shared"]!.ToJsonString() + part["grid"]!.ToJsonString() + (part["summaries"]?.ToJsonString() ?? "");

    /// <summary>How two parts' sweeps differ, field by field ("budget: 256 vs 384").</summary>
    private static string Difference(JsonObject a, JsonObject b)
    {
        var differing = new List<string>();
        string Text(JsonNode? n) => n?.ToJsonString() ?? "absent";
        if (!JsonNode.DeepEquals(a["method"], b["method"])) differing.Add($"method: {Text(a["method"])} vs {Text(b["method"])}");
        var sa = a["shared"] as JsonObject ?? new JsonObject();
        var sb = b["shared"] as JsonObject ?? new JsonObject();
        string Field(JsonObject o, string key) => o.TryGetPropertyValue(key, out var v) ? v?.ToJsonString() ?? "null" : "absent";
        foreach (var key in sa.Select(p => p.Key).Union(sb.Select(p => p.Key)))
            if (!JsonNode.DeepEquals(sa[key], sb[key]) || sa.ContainsKey(key) != sb.ContainsKey(key)) differing.Add($"{key}: {Field(sa, key)} vs {Field(sb, key)}");
        if (Text(a["grid"]) != Text(b["grid"])) differing.Add("the grids differ");
        if (Text(a["summaries"]) != Text(b["summaries"])) differing.Add($"summaries: {Text(a["summaries"])} vs {Text(b["summaries"])}");
        return differing.Count == 0 ? "key order differs" : string.Join("; ", differing);
    }

    /// <summary>
    /// Writes each summary step's files into <paramref name="output"/> (a folder, or a .json path): the first step's as
    /// summary.json, summary.md, summary-runs.csv, the others' as summary-&lt;name&gt;.json, … Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> WriteSummaries(string output, SweepRows sweep, IReadOnlyList<ISweepSummary> steps)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(steps);
        var written = new List<string>();
        for (int s = 0; s < steps.Count; s++)
        {
            var files = SweepSummaryFiles.For(output, s == 0 ? null : steps[s].Name);
            Directory.CreateDirectory(Path.GetDirectoryName(files.Json)!);
            steps[s].Write(files, sweep);
            written.AddRange(new[] { files.Json, files.Markdown, files.Csv });
        }
        return written;
    }

    /// <summary>A finished run's row with the fields each summary step adds beside its report (<see cref="ISweepSummary.RowFields"/>).</summary>
    public static JsonObject Row(SettingsGridPoint point, JsonObject report, IEnumerable<ISweepSummary> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var row = Row(point, report);
        foreach (var step in steps)
            if (step.RowFields(row) is { } fields)
                foreach (var (key, value) in fields)
                    if (key is not ("id" or "index" or "assignment" or "report")) row[key] = value?.DeepClone();
        return row;
    }

    /// <summary>
    /// Writes summary.json, summary.md and summary-runs.csv into the folder <paramref name="output"/> (or, for a path
    /// ending in .json, that file with the .md and -runs.csv beside it) and returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> WriteSummary(string output, string method, JsonObject shared, SettingsGrid grid, IReadOnlyList<JsonObject> rows,
        IReadOnlyList<string> metrics)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(metrics);
        var files = SweepSummaryFiles.For(output, null);
        Directory.CreateDirectory(Path.GetDirectoryName(files.Json)!);
        WriteSeedSummary(files, method, shared, grid, rows, metrics);
        return new[] { files.Json, files.Markdown, files.Csv };
    }

    /// <summary>The mean ± sd over seeds summary into <paramref name="files"/> (<see cref="SeedSummary"/>).</summary>
    internal static void WriteSeedSummary(SweepSummaryFiles files, string method, JsonObject shared, SettingsGrid grid, IReadOnlyList<JsonObject> rows,
        IReadOnlyList<string> metrics)
    {
        var (json, md, csv) = (files.Json, files.Markdown, files.Csv);
        var groups = Group(grid, rows, metrics);
        var summary = new JsonObject
        {
            ["method"] = method,
            ["shared"] = shared.DeepClone(),
            ["grid"] = grid.ToJson(),
            ["metrics"] = new JsonArray(metrics.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            ["groups"] = new JsonArray(groups.Select(g => (JsonNode)g.ToJson(metrics)).ToArray()),
            ["runs"] = new JsonArray(rows.Select(r => (JsonNode)r.DeepClone()).ToArray()),
        };
        RunFolder.WriteJson(json, summary);
        WriteAtomically(md, Markdown(method, grid, groups, metrics, rows.Count));
        WriteAtomically(csv, RunsCsv(grid, rows));
    }

    private sealed record SummaryGroup(JsonObject Key, List<JsonObject> Runs, Dictionary<string, (double Mean, double Sd, int N)> Stats)
    {
        public JsonObject ToJson(IReadOnlyList<string> metrics)
        {
            var stats = new JsonObject();
            foreach (var m in metrics)
                stats[m] = Stats.TryGetValue(m, out var s) ? new JsonObject { ["mean"] = s.Mean, ["sd"] = double.IsFinite(s.Sd) ? s.Sd : null, ["n"] = s.N } : null;
            return new JsonObject
            {
                ["settings"] = Key.DeepClone(),
                ["runs"] = new JsonArray(Runs.Select(r => (JsonNode)JsonValue.Create(r["id"]!.GetValue<string>())!).ToArray()),
                ["metrics"] = stats,
            };
        }
    }

    /// <summary>Runs grouped by their grid fields other than <c>seed</c>, in grid order, ranked by the first metric's mean (runs without it last).</summary>
    private static List<SummaryGroup> Group(SettingsGrid grid, IReadOnlyList<JsonObject> rows, IReadOnlyList<string> metrics)
    {
        var groups = new List<SummaryGroup>();
        var byKey = new Dictionary<string, SummaryGroup>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var key = new JsonObject();
            foreach (var a in grid.Axes.Where(a => a.Field != "seed")) key[a.Field] = row["assignment"]?[a.Field]?.DeepClone();
            string text = key.ToJsonString();
            if (!byKey.TryGetValue(text, out var g)) groups.Add(byKey[text] = g = new SummaryGroup(key, new List<JsonObject>(), new()));
            g.Runs.Add(row);
        }
        foreach (var g in groups)
            foreach (var m in metrics)
            {
                var values = g.Runs.Select(r => Number(r["report"]?[m])).Where(v => v is not null).Select(v => v!.Value).ToList();
                if (values.Count == 0) continue;
                double mean = values.Average();
                double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : double.NaN;
                g.Stats[m] = (mean, sd, values.Count);
            }
        if (metrics.Count == 0) return groups;
        return groups.OrderBy(g => g.Stats.TryGetValue(metrics[0], out var s) ? 0 : 1)
            .ThenBy(g => g.Stats.TryGetValue(metrics[0], out var s) ? s.Mean : 0).ToList();
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;

    private static string Markdown(string method, SettingsGrid grid, List<SummaryGroup> groups, IReadOnlyList<string> metrics, int runs)
    {
        var fields = grid.Axes.Select(a => a.Field).Where(f => f != "seed").ToList();
        bool seeds = grid.Axes.Any(a => a.Field == "seed");
        var md = new StringBuilder();
        md.Append("# ").Append(method).Append(" sweep\n\n");
        md.Append(runs.ToString(CultureInfo.InvariantCulture)).Append(" runs over ")
          .AppendJoin(" × ", grid.Axes.Select(a => $"{a.Field} ({a.Values.Count})")).Append('.');
        if (seeds) md.Append(" Each row is the mean ± sd over seeds.");
        if (metrics.Count > 0) md.Append(" Rows are ranked by ").Append(metrics[0]).Append(" (lower first).");
        md.Append("\n\n| ").AppendJoin(" | ", fields.Append("runs").Concat(metrics)).Append(" |\n|");
        for (int c = 0; c < fields.Count + 1 + metrics.Count; c++) md.Append("---|");
        md.Append('\n');
        foreach (var g in groups)
        {
            md.Append("| ").AppendJoin(" | ", fields.Select(f => Cell(g.Key[f]))).Append(fields.Count > 0 ? " | " : "")
              .Append(g.Runs.Count.ToString(CultureInfo.InvariantCulture));
            foreach (var m in metrics)
            {
                md.Append(" | ");
                if (!g.Stats.TryGetValue(m, out var s)) { md.Append('—'); continue; }
                md.Append(s.Mean.ToString("G4", CultureInfo.InvariantCulture));
                if (double.IsFinite(s.Sd)) md.Append(" ± ").Append(s.Sd.ToString("G2", CultureInfo.InvariantCulture));
                if (s.N < g.Runs.Count) md.Append(" (").Append(s.N.ToString(CultureInfo.InvariantCulture)).Append(" of ").Append(g.Runs.Count.ToString(CultureInfo.InvariantCulture)).Append(')');
            }
            md.Append(" |\n");
        }
        return md.ToString();
    }

    private static string Cell(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static string RunsCsv(SettingsGrid grid, IReadOnlyList<JsonObject> rows)
    {
        var fields = grid.Axes.Select(a => a.Field).ToList();
        var columns = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
            foreach (var (key, _) in row["report"] as JsonObject ?? new JsonObject())
                if (seen.Add(key)) columns.Add(key);
        var table = new MetricsTable(new[] { "id" }.Concat(fields).Concat(columns.Select(c => fields.Contains(c) ? "report." + c : c)).ToArray());
        foreach (var row in rows)
        {
            var values = new List<object?> { row["id"]!.GetValue<string>() };
            values.AddRange(fields.Select(f => Plain(row["assignment"]?[f])));
            values.AddRange(columns.Select(c => Plain(row["report"]?[c])));
            table.Add(values.ToArray());
        }
        return table.ToCsv();
    }

    private static object? Plain(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => node.ToJsonString(),
    };

    private static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
