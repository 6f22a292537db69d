using System.Text.Json.Nodes;

namespace Multiscale.MsAnn.Sweeps;

/// <summary>A line of the Table 1–3 summary: which run (null: no such run), and its ratios to default training (null: N/A).</summary>
public sealed record MsAnnSweepTableLine(string Label, MsAnnSweepRow? Row, double? MseRatio, double? CostRatio, double? SecondsToTenthRatio,
    double? TotalSecondsRatio, double? CpuSecondsToTenthRatio = null)
{
    /// <summary>The line as summary.json holds it.</summary>
    public JsonObject ToJson() => new()
    {
        ["label"] = Label,
        ["run"] = Row?.ToJson(),
        ["final_mse_ratio"] = MseRatio,
        ["cost_to_tenth_ratio"] = CostRatio,
        ["seconds_to_tenth_ratio"] = SecondsToTenthRatio,
        ["total_seconds_ratio"] = TotalSecondsRatio,
        ["cpu_seconds_to_tenth_ratio"] = CpuSecondsToTenthRatio,
    };
}
