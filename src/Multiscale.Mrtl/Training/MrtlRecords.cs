using System.Text.Json.Nodes;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Runs;

namespace Multiscale.Mrtl.Training;

/// <summary>Epoch records and finegraining events as checkpoint JSON (doubles round-trip, NaN included).</summary>
internal static class MrtlRecords
{
    public static JsonArray WriteEpochs(IEnumerable<MrtlEpochRecord> records) => new(records.Select(e => (JsonNode)new JsonArray(
        e.Stage, e.Step, e.Resolution, e.Epoch, Checkpoint.Number(e.StageSeconds), Checkpoint.Number(e.TotalSeconds), Checkpoint.Number(e.TrainLoss),
        Checkpoint.Number(e.ValidationLoss), Checkpoint.Number(e.ValidationMetric), Checkpoint.Number(e.Criterion), e.Event)).ToArray());

    public static List<MrtlEpochRecord> ReadEpochs(JsonNode? node) => Rows(node).Select(a => new MrtlEpochRecord(
        a[0]!.GetValue<string>(), a[1]!.GetValue<int>(), a[2]!.GetValue<string>(), a[3]!.GetValue<int>(), Checkpoint.ToDouble(a[4]),
        Checkpoint.ToDouble(a[5]), Checkpoint.ToDouble(a[6]), Checkpoint.ToDouble(a[7]), Checkpoint.ToDouble(a[8]), Checkpoint.ToDouble(a[9]),
        a[10]?.GetValue<string>())).ToList();

    public static JsonArray WriteFinegrains(IEnumerable<MrtlFinegrainEvent> events) => new(events.Select(e => (JsonNode)new JsonArray(
        e.Stage, e.From, e.To, e.Method.ToString(), Checkpoint.Number(e.Scale), e.Reason, Checkpoint.Number(e.ValidationLossBefore),
        Checkpoint.Number(e.ValidationLossAfter), Checkpoint.Number(e.TotalSeconds))).ToArray());

    public static List<MrtlFinegrainEvent> ReadFinegrains(JsonNode? node) => Rows(node).Select(a => new MrtlFinegrainEvent(
        a[0]!.GetValue<string>(), a[1]!.GetValue<string>(), a[2]!.GetValue<string>(), Enum.Parse<FinegrainMethod>(a[3]!.GetValue<string>()),
        Checkpoint.ToDouble(a[4]), a[5]!.GetValue<string>(), Checkpoint.ToDouble(a[6]), Checkpoint.ToDouble(a[7]), Checkpoint.ToDouble(a[8]))).ToList();

    private static IEnumerable<JsonArray> Rows(JsonNode? node) =>
        (node as JsonArray ?? throw new MultiscaleException("the checkpoint holds no MRTL records")).Select(r => (JsonArray)r!);
}
