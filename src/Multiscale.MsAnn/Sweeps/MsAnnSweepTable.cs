using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Multiscale.IO;
using Multiscale.Runs;

namespace Multiscale.MsAnn.Sweeps;

/// <summary>
/// The paper's Tables 1–3 (paper 004, §4) as a summary step of an MsANN sweep: best and worst MsANN by final MSE, best
/// MsANN by cost to 1/10, and default training (L = 0), each with its ratios to default training; computed from the
/// sweep's generic rows, so a merged sharded sweep gives the table of the unsharded one.
/// </summary>
public sealed class MsAnnSweepTable : ISweepSummary
{
    /// <summary>The step's name in part files and file names (<c>summary-table.*</c> when it is not the first step).</summary>
    public const string StepName = "table";

    /// <inheritdoc/>
    public string Name => StepName;

    /// <inheritdoc/>
    /// <remarks>The run's schedule and numbers (<see cref="MsAnnSweepRow.ToJson"/>), so a part's rows read as the earlier msann sweep's did.</remarks>
    public JsonObject? RowFields(JsonObject row) => MsAnnSweepRow.FromSweepRow(row).ToJson();

    /// <summary>
    /// The table's lines: best and worst MsANN (L ≥ 1) by final MSE, best MsANN by cost to 1/10 (runs that never
    /// reached 1/10 of their initial error are left out; none reached it: no run), and default training. Ties go to the
    /// earlier run in <paramref name="rows"/>' order (grid order), so the table is the same however the sweep was split.
    /// A ratio is N/A (null) when either side is missing or default training's value is not positive.
    /// </summary>
    public static IReadOnlyList<MsAnnSweepTableLine> Lines(IReadOnlyList<MsAnnSweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var msann = rows.Where(r => r.Levels > 0).ToList();
        var @default = rows.FirstOrDefault(r => r.Levels == 0);
        MsAnnSweepRow? best = msann.Count == 0 ? null : msann.MinBy(r => r.FinalMse);
        // OrderBy is stable, so among equal values the earlier run comes first.
        MsAnnSweepRow? worst = msann.OrderByDescending(r => r.FinalMse).FirstOrDefault();
        MsAnnSweepRow? fastest = msann.Where(r => r.CostToTenth is not null).OrderBy(r => r.CostToTenth).FirstOrDefault();
        MsAnnSweepTableLine Line(string label, MsAnnSweepRow? r) => new(label, r,
            Ratio(r?.FinalMse, @default?.FinalMse), Ratio(r?.CostToTenth, @default?.CostToTenth),
            Ratio(r?.SecondsToTenth, @default?.SecondsToTenth), Ratio(r?.TotalSeconds, @default?.TotalSeconds),
            Ratio(r?.CpuSecondsToTenth, @default?.CpuSecondsToTenth));
        return new[]
        {
            Line("best MsANN (final MSE)", best),
            Line("worst MsANN (final MSE)", worst),
            Line("best MsANN (cost to 1/10)", fastest),
            Line("default (L = 0)", @default),
        };
    }

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;

    /// <summary>
    /// The sweep's configuration as the table shows it: the shared settings with each grid field replaced by the list
    /// of its values (<c>gamma</c> → <c>gammas</c>, <c>k</c> → <c>ks</c>, <c>levels</c> keeps its name).
    /// </summary>
    public static JsonObject Config(JsonObject shared, SettingsGrid grid)
    {
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(grid);
        var config = (JsonObject)shared.DeepClone();
        foreach (var axis in grid.Axes) config.Remove(axis.Field);
        foreach (var axis in grid.Axes)
            config[axis.Field switch { "gamma" => "gammas", "k" => "ks", var f => f }] = new JsonArray(axis.Values.Select(v => v?.DeepClone()).ToArray());
        return config;
    }

    /// <inheritdoc/>
    public void Write(SweepSummaryFiles files, SweepRows sweep)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(sweep);
        var rows = sweep.Rows.Select(MsAnnSweepRow.FromSweepRow).ToList();
        var config = Config(sweep.Shared, sweep.Grid);
        var table = Lines(rows);
        var summary = new JsonObject
        {
            ["config"] = config,
            ["runs"] = rows.Count,
            ["table"] = new JsonArray(table.Select(t => (JsonNode)t.ToJson()).ToArray()),
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)r.ToJson()).ToArray()),
        };
        var csv = new StringBuilder("id,gamma,levels,k,initial_mse,final_mse,cost_to_tenth,seconds_to_tenth,cpu_seconds_to_tenth,cpu_total_seconds,total_cost,total_seconds,fine_seconds,coarse_seconds,visit_seconds\n");
        foreach (var r in rows)
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Id},{r.Gamma},{r.Levels},{r.K},{r.InitialMse:R},{r.FinalMse:R},{r.CostToTenth:R},{r.SecondsToTenth:R},{r.CpuSecondsToTenth:R},{r.CpuTotalSeconds:R},{r.TotalCost:R},{r.TotalSeconds:R},{r.FineSeconds:R},{r.CoarseSeconds:R},{r.VisitSeconds:R}"));
        AtomicFile.WriteAllText(files.Csv, csv.ToString());
        AtomicFile.WriteAllText(files.Markdown, Markdown(config, rows.Count, table));
        RunFolder.WriteJson(files.Json, summary);
    }

    private static string Markdown(JsonObject config, int runs, IReadOnlyList<MsAnnSweepTableLine> table)
    {
        static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "N/A";
        static string I(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "–";
        static string Join(JsonNode? array) => array is JsonArray a ? string.Join(",", a.Select(v => v?.ToJsonString())) : "";
        var md = new StringBuilder();
        md.AppendLine($"# MsANN sweep: {config["task"]}");
        md.AppendLine();
        md.AppendLine($"{runs} runs; layers {config["layers"]}, maps {config["maps"]}, budget {config["budget"]}, batch {config["batch"]}, " +
                      $"lr {config["lr"]}, optimizer {config["optimizer"] ?? config["rmsprop"]}, seed {config["seed"]}, coarse steps {config["coarse_steps"]}; γ ∈ {{{Join(config["gammas"])}}}, " +
                      $"L ∈ {{{Join(config["levels"])}}}, k ∈ {{{Join(config["ks"])}}}.");
        md.AppendLine();
        md.AppendLine("| | γ | L | k | final MSE | cost to 1/10 | seconds to 1/10 | CPU seconds to 1/10 | total seconds | fine / coarse / visit setup s | MSE / default | cost to 1/10 / default | seconds to 1/10 / default | CPU seconds to 1/10 / default | total seconds / default |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var t in table)
        {
            var r = t.Row;
            md.AppendLine(r is null
                ? $"| {t.Label} | – | – | – | N/A | N/A | N/A | N/A | N/A | N/A | N/A | N/A | N/A | N/A | N/A |"
                : $"| {t.Label} | {I(r.Gamma)} | {r.Levels} | {I(r.K)} | {F(r.FinalMse, "0.000e+0")} | {F(r.CostToTenth, "N0")} | {F(r.SecondsToTenth, "F2")} | {F(r.CpuSecondsToTenth, "F2")} | " +
                  $"{F(r.TotalSeconds, "F2")} | {F(r.FineSeconds, "F2")} / {F(r.CoarseSeconds, "F2")} / {F(r.VisitSeconds, "F2")} | {F(t.MseRatio, "F3")} | {F(t.CostRatio, "F3")} | {F(t.SecondsToTenthRatio, "F3")} | {F(t.CpuSecondsToTenthRatio, "F3")} | {F(t.TotalSecondsRatio, "F3")} |");
        }
        md.AppendLine();
        md.AppendLine("Cost is the paper's C(t) (examples at the finest level); seconds are training wall-clock time (evaluation excluded); " +
                      "CPU seconds are the training thread's CPU time, which leaves out the time other work takes the core away (N/A in reports written before it). " +
                      "N/A: never reached 1/10 of its initial validation MSE, or no such run.");
        return md.ToString();
    }
}
