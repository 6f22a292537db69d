using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.MsAnn.Sweeps;

/// <summary>
/// The paper's sweep (paper 004, §4) as a preset of the generic sweep: a <see cref="SettingsGrid"/> over the MsANN
/// settings fields <c>gamma</c>, <c>levels</c> and <c>k</c> in which every L = 0 point is one run (default training,
/// whatever γ and k), runs named <c>default</c> and <c>g2-L4-k008</c>, and the Table 1–3 summary
/// (<see cref="MsAnnSweepTable"/>) as its first summary step, the mean ± sd over seeds beside it.
/// </summary>
public static class MsAnnSweep
{
    /// <summary>The part-file format of the earlier <c>msann sweep</c>, which merges no longer read.</summary>
    public const string RetiredPartFormat = "multiscale-msann-sweep-part/1";

    /// <summary>Retired part formats and what to do with such parts (for <see cref="SweepMergeOptions.RetiredFormats"/>).</summary>
    public static IReadOnlyDictionary<string, string> RetiredPartFormats { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [RetiredPartFormat] = "this version merges only 'multiscale-settings-sweep-part/1' parts; run the same msann sweep (and shard) into its folder again: " +
            "its finished runs are kept, and only the part file is written anew",
    };

    /// <summary>
    /// The canonical settings of an MsANN run: with L = 0 (default training) γ and k do nothing and there are no coarse
    /// levels, so γ = k = 1 and the faithful coarse model (no τ options), as a default run's config.json records them.
    /// Other settings are returned unchanged (a copy).
    /// </summary>
    public static JsonObject Canonical(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var result = (JsonObject)settings.DeepClone();
        if (Levels(result) != 0) return result;
        result["gamma"] = 1;
        result["k"] = 1;
        result["coarse_model"] = "faithful";
        result["tau_acceptance"] = null;
        result["tau_batches"] = null;
        result["tau_average"] = null;
        return result;
    }

    /// <summary>A run's folder name: <c>default</c> for L = 0, else <c>g{γ}-L{L}-k{k:000}</c> (the paper's spelling of k).</summary>
    public static string RunId(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int levels = Levels(settings) ?? 4;
        return levels == 0 ? "default" : string.Create(CultureInfo.InvariantCulture, $"g{Int(settings, "gamma", 2)}-L{levels}-k{Int(settings, "k", 4):D3}");
    }

    /// <summary>
    /// The grid of the paper's sweep on top of <paramref name="shared"/> (MsANN settings JSON): γ, L and k each in
    /// ascending order, default training once (first, when 0 is among the levels), then γ, L, k ascending, k fastest.
    /// Shards and summaries depend only on this order, never on which machine ran what. A value given twice is an error.
    /// </summary>
    public static SettingsGrid Grid(JsonObject shared, IReadOnlyList<int> gammas, IReadOnlyList<int> levels, IReadOnlyList<int> ks)
    {
        ArgumentNullException.ThrowIfNull(shared);
        static SettingsAxis Axis(string field, IReadOnlyList<int> values)
        {
            ArgumentNullException.ThrowIfNull(values);
            var twice = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null) throw new SettingsException(field, $"lists {twice.Key} more than once");
            return new SettingsAxis(field, values.Order().Select(v => (JsonNode?)JsonValue.Create(v)).ToList());
        }
        return new SettingsGrid(new[] { Axis("gamma", gammas), Axis("levels", levels), Axis("k", ks) }, shared, Canonical, RunId);
    }

    /// <summary>The sweep: its grid and its summary steps (the table first, then the mean ± sd over seeds of <paramref name="metrics"/>).</summary>
    public static SweepPlan Plan(JsonObject shared, IReadOnlyList<int> gammas, IReadOnlyList<int> levels, IReadOnlyList<int> ks, IReadOnlyList<string> metrics) =>
        new(shared, Grid(shared, gammas, levels, ks), new ISweepSummary[] { new MsAnnSweepTable(), new SeedSummary(metrics) });

    /// <summary>The report fields the mean ± sd summary of an MsANN sweep shows, the ranking one first.</summary>
    public static IReadOnlyList<string> DefaultMetrics { get; } = new[] { "final_mse", "seconds_to_tenth", "cost_to_tenth", "total_seconds" };

    /// <summary>The depth as the settings reader reads it: missing or null is the default 4; null when it is not a whole number (the reader then names it).</summary>
    private static int? Levels(JsonObject settings) => settings["levels"] is JsonValue v ? Whole(v) : 4;

    private static int Int(JsonObject settings, string field, int fallback) => settings[field] is JsonValue v && Whole(v) is { } n ? n : fallback;

    private static int? Whole(JsonValue v) =>
        v.TryGetValue<int>(out int i) ? i
        : v.TryGetValue<double>(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
        : v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int p) ? p
        : null;
}
