using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.MsAnn.Sweeps;

/// <summary>
/// One MsANN run as the Table 1–3 summary reads it from a sweep's generic row: default training (L = 0, no γ or k) or
/// a hierarchy (γ, L, k), and its report's numbers. The time split (fine steps, coarse steps, visit setup, seconds) is
/// null for reports written before it was measured, and so are the training thread's CPU seconds (to 1/10 and in all),
/// the load-robust clock beside wall-clock.
/// </summary>
public sealed record MsAnnSweepRow(string Id, int? Gamma, int Levels, int? K, double InitialMse, double FinalMse,
    double? CostToTenth, double? SecondsToTenth, double TotalCost, double TotalSeconds,
    double? FineSeconds = null, double? CoarseSeconds = null, double? VisitSeconds = null,
    double? CpuSecondsToTenth = null, double? CpuTotalSeconds = null)
{
    /// <summary>The row's fields, as part files and summary.json spell them.</summary>
    public JsonObject ToJson() => new()
    {
        ["id"] = Id, ["gamma"] = Gamma, ["levels"] = Levels, ["k"] = K, ["initial_mse"] = InitialMse, ["final_mse"] = FinalMse,
        ["cost_to_tenth"] = CostToTenth, ["seconds_to_tenth"] = SecondsToTenth, ["total_cost"] = TotalCost, ["total_seconds"] = TotalSeconds,
        ["fine_seconds"] = FineSeconds, ["coarse_seconds"] = CoarseSeconds, ["visit_seconds"] = VisitSeconds,
        ["cpu_seconds_to_tenth"] = CpuSecondsToTenth, ["cpu_total_seconds"] = CpuTotalSeconds,
    };

    /// <summary>
    /// The MsANN row of a sweep's generic row (<see cref="SettingsSweep.Row(SettingsGridPoint, JsonObject)"/>): the
    /// schedule and numbers of its report's scalars. A report that lacks one is an error naming the run.
    /// </summary>
    public static MsAnnSweepRow FromSweepRow(JsonObject row)
    {
        ArgumentNullException.ThrowIfNull(row);
        string id = row["id"]?.ToString() ?? "?";
        var r = row["report"] as JsonObject;
        double? Optional(string field) => r?[field] is JsonValue v ? v.GetValue<double>() : null;
        double Required(string field) => Optional(field) ?? throw new MultiscaleException($"run {id}: its report has no {field}");
        try
        {
            int levels = r?["levels"] is JsonValue lv ? lv.GetValue<int>() : throw new MultiscaleException($"run {id}: its report has no levels");
            return new MsAnnSweepRow(id,
                levels == 0 ? null : r["gamma"]?.GetValue<int>(), levels, levels == 0 ? null : r["k"]?.GetValue<int>(),
                Required("initial_mse"), Required("final_mse"), Optional("cost_to_tenth"), Optional("seconds_to_tenth"),
                Required("total_cost"), Required("total_seconds"),
                Optional("seconds_split.fine_steps"), Optional("seconds_split.coarse_steps"), Optional("seconds_split.visit_setup"),
                Optional("cpu_seconds_to_tenth"), Optional("cpu_total_seconds"));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new MultiscaleException($"run {id}: its report has a field of the wrong type ({e.Message})");
        }
    }
}
