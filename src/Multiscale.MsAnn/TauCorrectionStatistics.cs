using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.MsAnn;

/// <summary>What the τ-corrected visits of a run did (the evidence of whether coarse work pays).</summary>
/// <param name="Corrections">Coarse corrections prolonged to the level above (every level).</param>
/// <param name="Accepted">Of those, the ones kept (all of them without the acceptance test).</param>
/// <param name="FineCorrections">Corrections prolonged to the finest model (returns from level 1).</param>
/// <param name="FineDecrease">
/// Sum over the corrections to the finest model of the fine loss before minus after the correction on the acceptance
/// batch (rejected ones included, as proposed); measured only with the acceptance test.
/// </param>
/// <param name="SetupSeconds">Wall-clock seconds of entering and leaving coarse levels (τ, transfers, acceptance).</param>
/// <param name="CoarseStepSeconds">Wall-clock seconds of the coarse steps themselves.</param>
public sealed record TauCorrectionStatistics(long Corrections, long Accepted, long FineCorrections, double FineDecrease,
    double SetupSeconds, double CoarseStepSeconds)
{
    /// <summary>As JSON (report.json and checkpoints; doubles round-trip).</summary>
    public JsonObject ToJson() => new()
    {
        ["corrections"] = Corrections,
        ["accepted"] = Accepted,
        ["fine_corrections"] = FineCorrections,
        ["fine_decrease"] = Checkpoint.Number(FineDecrease),
        ["setup_seconds"] = Checkpoint.Number(SetupSeconds),
        ["coarse_step_seconds"] = Checkpoint.Number(CoarseStepSeconds),
    };

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static TauCorrectionStatistics FromJson(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new(node["corrections"]!.GetValue<long>(), node["accepted"]!.GetValue<long>(), node["fine_corrections"]!.GetValue<long>(),
            Checkpoint.ToDouble(node["fine_decrease"]), Checkpoint.ToDouble(node["setup_seconds"]), Checkpoint.ToDouble(node["coarse_step_seconds"]));
    }
}
