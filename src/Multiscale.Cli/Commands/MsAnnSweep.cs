using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.IO;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>One run of a sweep: default training (L = 0, no γ or k) or an MsANN hierarchy (γ, L, k).</summary>
internal sealed record SweepRun(int? Gamma, int Levels, int? K)
{
    /// <summary>The run's folder name under <c>runs/</c>: <c>default</c> or <c>g2-L4-k008</c> (the paper's spelling of k).</summary>
    public string Id => Levels == 0 ? "default" : string.Create(CultureInfo.InvariantCulture, $"g{Gamma}-L{Levels}-k{K:D3}");
}

/// <summary>One result row of a sweep (a part file's row, a summary's row).</summary>
/// <remarks>The time split (fine steps, coarse steps, visit setup, seconds) is null in rows written before it was reported.</remarks>
internal sealed record SweepRow(string Id, int? Gamma, int Levels, int? K, double InitialMse, double FinalMse,
    double? CostToTenth, double? SecondsToTenth, double TotalCost, double TotalSeconds,
    double? FineSeconds = null, double? CoarseSeconds = null, double? VisitSeconds = null)
{
    public JsonObject ToJson() => new()
    {
        ["id"] = Id, ["gamma"] = Gamma, ["levels"] = Levels, ["k"] = K, ["initial_mse"] = InitialMse, ["final_mse"] = FinalMse,
        ["cost_to_tenth"] = CostToTenth, ["seconds_to_tenth"] = SecondsToTenth, ["total_cost"] = TotalCost, ["total_seconds"] = TotalSeconds,
        ["fine_seconds"] = FineSeconds, ["coarse_seconds"] = CoarseSeconds, ["visit_seconds"] = VisitSeconds,
    };

    /// <summary>The row of <paramref name="run"/> from its report (an MsANN run's report.json in <paramref name="where"/>).</summary>
    public static SweepRow FromReport(JsonObject report, SweepRun run, string where)
    {
        try
        {
            var split = report["seconds_split"];
            return new SweepRow(run.Id, run.Gamma, run.Levels, run.K, report["initial_mse"]!.GetValue<double>(), report["final_mse"]!.GetValue<double>(),
                report["cost_to_tenth"]?.GetValue<double>(), report["seconds_to_tenth"]?.GetValue<double>(), report["total_cost"]!.GetValue<double>(),
                report["total_seconds"]!.GetValue<double>(), split?["fine_steps"]?.GetValue<double>(), split?["coarse_steps"]?.GetValue<double>(),
                split?["visit_setup"]?.GetValue<double>());
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new MultiscaleException($"{where}: the run's report lacks a field or has a wrong type ({e.Message})");
        }
    }

    /// <summary>Reads a row; <paramref name="where"/> names the file in the error when a field is missing or mistyped.</summary>
    public static SweepRow FromJson(JsonNode? node, string where)
    {
        try
        {
            var o = node!.AsObject();
            return new SweepRow(o["id"]!.GetValue<string>(), o["gamma"]?.GetValue<int>(), o["levels"]!.GetValue<int>(), o["k"]?.GetValue<int>(),
                o["initial_mse"]!.GetValue<double>(), o["final_mse"]!.GetValue<double>(), o["cost_to_tenth"]?.GetValue<double>(),
                o["seconds_to_tenth"]?.GetValue<double>(), o["total_cost"]!.GetValue<double>(), o["total_seconds"]!.GetValue<double>(),
                o["fine_seconds"]?.GetValue<double>(), o["coarse_seconds"]?.GetValue<double>(), o["visit_seconds"]?.GetValue<double>());
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new MultiscaleException($"{where}: a run row lacks a field or has a wrong type ({e.Message})");
        }
    }
}

/// <summary>The sweep's grid, its split into shards, and the part and summary files.</summary>
internal static class SweepGrid
{
    /// <summary>Format tag of a part file, checked by <c>summarize</c>.</summary>
    public const string PartFormat = "multiscale-msann-sweep-part/1";

    /// <summary>
    /// The runs in their canonical order: default training once (when 0 is among the levels), then γ, L, k ascending.
    /// Shards and summaries depend only on this order, never on which machine ran what.
    /// </summary>
    public static List<SweepRun> Build(IReadOnlyList<int> gammas, IReadOnlyList<int> levels, IReadOnlyList<int> ks)
    {
        RejectDuplicates(gammas, "--gammas");
        RejectDuplicates(levels, "--levels");
        RejectDuplicates(ks, "--ks");
        var runs = new List<SweepRun>();
        if (levels.Contains(0)) runs.Add(new SweepRun(null, 0, null));
        foreach (int g in gammas.Order())
            foreach (int l in levels.Where(l => l > 0).Order())
                foreach (int k in ks.Order())
                    runs.Add(new SweepRun(g, l, k));
        return runs;
    }

    private static void RejectDuplicates(IReadOnlyList<int> values, string option)
    {
        var twice = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new MultiscaleException($"{option} lists {twice.Key} more than once");
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

    /// <summary>
    /// Shard i of n takes the runs at positions p with p mod n = i − 1: every run lands in exactly one shard, and the
    /// cheap and expensive settings (k grows along the grid) spread evenly over the shards.
    /// </summary>
    public static List<SweepRun> Select(IReadOnlyList<SweepRun> runs, int index, int count) =>
        runs.Where((_, p) => p % count == index - 1).ToList();

    /// <summary>The part file's name for shard i of n.</summary>
    public static string PartFileName(int index, int count) => $"sweep-part-{index}-of-{count}.json";

    /// <summary>The sweep configuration: the shared settings (a run's, without its schedule) and the grid.</summary>
    public static JsonObject Config(JsonObject shared, IReadOnlyList<int> gammas, IReadOnlyList<int> levels, IReadOnlyList<int> ks)
    {
        var config = (JsonObject)shared.DeepClone();
        config.Remove("gamma");
        config.Remove("k");
        config["gammas"] = new JsonArray(gammas.Order().Select(v => (JsonNode)v).ToArray());
        config["levels"] = new JsonArray(levels.Order().Select(v => (JsonNode)v).ToArray());
        config["ks"] = new JsonArray(ks.Order().Select(v => (JsonNode)v).ToArray());
        return config;
    }

    /// <summary>The grid a configuration describes.</summary>
    public static List<SweepRun> FromConfig(JsonObject config, string where)
    {
        try
        {
            int[] Read(string name) => config[name]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
            return Build(Read("gammas"), Read("levels"), Read("ks"));
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new MultiscaleException($"{where}: the config lacks its grid (gammas, levels, ks)");
        }
    }

    public static JsonObject Part(JsonObject config, int index, int count, int gridSize, IEnumerable<SweepRow> rows) => new()
    {
        ["format"] = PartFormat,
        ["config"] = config.DeepClone(),
        ["shard"] = new JsonObject { ["index"] = index, ["count"] = count },
        ["runs_in_grid"] = gridSize,
        ["rows"] = new JsonArray(rows.Select(r => (JsonNode)r.ToJson()).ToArray()),
    };

    /// <summary>Same settings, compared as written (key order included, since both sides come from the same code).</summary>
    public static bool SameConfig(JsonNode? a, JsonNode? b) => a is not null && b is not null && a.ToJsonString() == b.ToJsonString();

    /// <summary>
    /// Merges part files into the sweep's rows in grid order. Parts must share one configuration and one shard count,
    /// name each shard once, and together hold every run of the grid exactly once.
    /// </summary>
    public static (JsonObject Config, List<SweepRow> Rows) Merge(IReadOnlyList<string> partFiles)
    {
        if (partFiles.Count == 0) throw new MultiscaleException("no sweep part files to merge");
        JsonObject? config = null;
        var parts = new SweepParts<string>("sweep configs");
        var rows = new Dictionary<string, SweepRow>();
        foreach (var file in partFiles)
        {
            var part = SweepParts<string>.Read(file, PartFormat, "sweep part file");
            try
            {
                var partConfig = part["config"] as JsonObject ?? throw new MultiscaleException($"'{file}' has no config");
                int index = part["shard"]?["index"]?.GetValue<int>() ?? throw new MultiscaleException($"'{file}' has no shard index");
                int n = part["shard"]?["count"]?.GetValue<int>() ?? throw new MultiscaleException($"'{file}' has no shard count");
                if (parts.AddPart(file, partConfig.ToJsonString(), index, n, () => Difference(config!, partConfig))) config = partConfig;
                foreach (var node in part["rows"]?.AsArray() ?? throw new MultiscaleException($"'{file}' has no rows"))
                {
                    var row = SweepRow.FromJson(node, file);
                    parts.AddRun(row.Id, row.Id, file);
                    rows[row.Id] = row;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new MultiscaleException($"'{file}' is not a valid sweep part file ({e.Message})");
            }
        }

        var grid = FromConfig(config!, parts.First!);
        var unknown = rows.Keys.Except(grid.Select(r => r.Id)).ToList();
        if (unknown.Count > 0) throw new MultiscaleException($"'{parts.FileOf(unknown[0])}' holds run {unknown[0]}, which is not in the sweep's grid");
        var missing = grid.Where(r => !rows.ContainsKey(r.Id)).Select(r => r.Id).ToList();
        if (missing.Count > 0)
        {
            var absent = parts.AbsentShards();
            throw new MultiscaleException($"{missing.Count} of {grid.Count} runs are missing ({string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", …" : "")})" +
                (absent.Count > 0 ? $"; no part for shard(s) {string.Join(", ", absent)}" : ""));
        }
        return (config!, grid.Select(r => rows[r.Id]).ToList());
    }

    private static string Difference(JsonObject a, JsonObject b)
    {
        var keys = a.Select(p => p.Key).Union(b.Select(p => p.Key));
        var differing = keys.Where(k => a[k]?.ToJsonString() != b[k]?.ToJsonString())
            .Select(k => $"{k}: {a[k]?.ToJsonString() ?? "absent"} vs {b[k]?.ToJsonString() ?? "absent"}").ToList();
        return differing.Count == 0 ? "key order differs" : string.Join("; ", differing);
    }

    /// <summary>
    /// Writes summary.json, summary.md and the full runs CSV. <paramref name="target"/> is a folder, or a path ending in
    /// <c>.json</c> (the .md and .csv then sit beside it with the same stem).
    /// </summary>
    public static IReadOnlyList<string> WriteSummary(string target, JsonObject config, IReadOnlyList<SweepRow> rows)
    {
        string json, md, csv;
        if (target.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            json = target;
            string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, Path.GetFileNameWithoutExtension(target));
            md = stem + ".md";
            csv = stem + "-runs.csv";
        }
        else
        {
            json = Path.Combine(target, "summary.json");
            md = Path.Combine(target, "summary.md");
            csv = Path.Combine(target, "summary-runs.csv");
        }
        var table = Table(rows);
        var summary = new JsonObject
        {
            ["config"] = config.DeepClone(),
            ["runs"] = rows.Count,
            ["table"] = new JsonArray(table.Select(t => (JsonNode)TableRowJson(t)).ToArray()),
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)r.ToJson()).ToArray()),
        };
        var csvText = new StringBuilder("id,gamma,levels,k,initial_mse,final_mse,cost_to_tenth,seconds_to_tenth,total_cost,total_seconds,fine_seconds,coarse_seconds,visit_seconds\n");
        foreach (var r in rows)
            csvText.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Id},{r.Gamma},{r.Levels},{r.K},{r.InitialMse:R},{r.FinalMse:R},{r.CostToTenth:R},{r.SecondsToTenth:R},{r.TotalCost:R},{r.TotalSeconds:R},{r.FineSeconds:R},{r.CoarseSeconds:R},{r.VisitSeconds:R}"));
        AtomicFile.WriteAllText(csv, csvText.ToString());
        AtomicFile.WriteAllText(md, Markdown(config, rows.Count, table));
        RunFolder.WriteJson(json, summary);
        return new[] { json, md, csv };
    }

    /// <summary>A line of the Table 1–3 summary: which run, and its ratios to default training.</summary>
    internal sealed record TableRow(string Label, SweepRow? Row, double? MseRatio, double? CostRatio, double? SecondsToTenthRatio, double? TotalSecondsRatio);

    /// <summary>
    /// The paper's Tables 1–3 rows: best and worst MsANN by final MSE, best MsANN by cost to 1/10 (runs that never
    /// reached 1/10 of their initial error are left out; none reached it: no run), and default training. Ties go to
    /// the earlier run in grid order, so the table is the same however the sweep was split.
    /// </summary>
    public static List<TableRow> Table(IReadOnlyList<SweepRow> rows)
    {
        var msann = rows.Where(r => r.Levels > 0).ToList();
        var @default = rows.FirstOrDefault(r => r.Levels == 0);
        SweepRow? best = msann.Count == 0 ? null : msann.MinBy(r => r.FinalMse);
        SweepRow? worst = msann.Count == 0 ? null : msann.OrderByDescending(r => r.FinalMse).First();
        SweepRow? fastest = msann.Where(r => r.CostToTenth is not null).OrderBy(r => r.CostToTenth).FirstOrDefault();
        TableRow Line(string label, SweepRow? r) => new(label, r,
            Ratio(r?.FinalMse, @default?.FinalMse), Ratio(r?.CostToTenth, @default?.CostToTenth),
            Ratio(r?.SecondsToTenth, @default?.SecondsToTenth), Ratio(r?.TotalSeconds, @default?.TotalSeconds));
        return new List<TableRow>
        {
            Line("best MsANN (final MSE)", best),
            Line("worst MsANN (final MSE)", worst),
            Line("best MsANN (cost to 1/10)", fastest),
            Line("default (L = 0)", @default),
        };
    }

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;

    private static JsonObject TableRowJson(TableRow t) => new()
    {
        ["label"] = t.Label,
        ["run"] = t.Row?.ToJson(),
        ["final_mse_ratio"] = t.MseRatio,
        ["cost_to_tenth_ratio"] = t.CostRatio,
        ["seconds_to_tenth_ratio"] = t.SecondsToTenthRatio,
        ["total_seconds_ratio"] = t.TotalSecondsRatio,
    };

    private static string Markdown(JsonObject config, int runs, List<TableRow> table)
    {
        static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "N/A";
        static string I(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "–";
        var md = new StringBuilder();
        md.AppendLine($"# MsANN sweep: {config["task"]}");
        md.AppendLine();
        md.AppendLine($"{runs} runs; layers {config["layers"]}, maps {config["maps"]}, budget {config["budget"]}, batch {config["batch"]}, " +
                      $"lr {config["lr"]}, optimizer {config["optimizer"] ?? config["rmsprop"]}, seed {config["seed"]}, coarse steps {config["coarse_steps"]}; γ ∈ {{{Join(config["gammas"])}}}, " +
                      $"L ∈ {{{Join(config["levels"])}}}, k ∈ {{{Join(config["ks"])}}}.");
        md.AppendLine();
        md.AppendLine("| | γ | L | k | final MSE | cost to 1/10 | seconds to 1/10 | total seconds | fine / coarse / visit setup s | MSE / default | cost to 1/10 / default | seconds to 1/10 / default | total seconds / default |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var t in table)
        {
            var r = t.Row;
            md.AppendLine(r is null
                ? $"| {t.Label} | – | – | – | N/A | N/A | N/A | N/A | N/A | N/A | N/A | N/A | N/A |"
                : $"| {t.Label} | {I(r.Gamma)} | {r.Levels} | {I(r.K)} | {F(r.FinalMse, "0.000e+0")} | {F(r.CostToTenth, "N0")} | {F(r.SecondsToTenth, "F2")} | " +
                  $"{F(r.TotalSeconds, "F2")} | {F(r.FineSeconds, "F2")} / {F(r.CoarseSeconds, "F2")} / {F(r.VisitSeconds, "F2")} | {F(t.MseRatio, "F3")} | {F(t.CostRatio, "F3")} | {F(t.SecondsToTenthRatio, "F3")} | {F(t.TotalSecondsRatio, "F3")} |");
        }
        md.AppendLine();
        md.AppendLine("Cost is the paper's C(t) (examples at the finest level); seconds are training wall-clock time (evaluation excluded). " +
                      "N/A: never reached 1/10 of its initial validation MSE, or no such run.");
        return md.ToString();
    }

    private static string Join(JsonNode? array) => array is JsonArray a ? string.Join(",", a.Select(v => v?.ToJsonString())) : "";
}
