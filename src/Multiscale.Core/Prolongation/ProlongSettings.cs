using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.IO;
using Multiscale.Runs;

namespace Multiscale.Prolongation;

/// <summary>
/// Everything that decides a <c>prolong</c> run: the optimal map between a coarse and a fine graph (paper 004, eq. 3.3)
/// for one value of s, or one map per value of a sweep over s. Plain data (graphs as specs), written to a run's
/// <c>config.json</c> by <see cref="Describe"/> and read back by <see cref="Read"/>.
/// </summary>
/// <param name="Coarse">Coarse graph G1 as a <see cref="Graphs.GraphSpec"/>.</param>
/// <param name="Fine">Fine graph G2 (at least as many vertices).</param>
/// <param name="S">The locality weights, each in [0, 1], distinct; more than one is a sweep.</param>
/// <param name="Format">How the maps are written.</param>
/// <param name="Solver">The solver's options (its s is the first value; each value gets its own copy).</param>
public sealed record ProlongSettings(string Coarse, string Fine, IReadOnlyList<double> S, MatrixFileFormat Format, ProlongationOptions Solver)
{
    /// <summary>The options of each value of s, in order.</summary>
    public IReadOnlyList<ProlongationOptions> PerS => S.Select(s => Solver with { S = s }).ToList();

    /// <summary>The settings as JSON: <c>coarse</c>, <c>fine</c>, <c>s</c> (a list), <c>format</c> and the <c>solver</c> object.</summary>
    public JsonObject Describe() => new()
    {
        ["coarse"] = Coarse,
        ["fine"] = Fine,
        ["s"] = new JsonArray(S.Select(v => (JsonNode)v).ToArray()),
        ["format"] = MatrixFiles.Formats.Name(Format),
        ["solver"] = ProlongationOptionsJson.Describe(Solver, withS: false),
    };

    /// <summary>The inverse of <see cref="Describe"/>; <c>s</c> may also be one number or a comma list ("0,0.5,1"); default 0.5.</summary>
    public static ProlongSettings Read(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var r = new SettingsReader(settings);
        string coarse = r.OptionalString("coarse") ?? throw new SettingsException("coarse", "is required (the coarse graph, e.g. path:8)");
        string fine = r.OptionalString("fine") ?? throw new SettingsException("fine", "is required (the fine graph, e.g. path:16)");
        var s = ReadS(r.OptionalNode("s"));
        var format = r.Choice("format", MatrixFileFormat.Npy, MatrixFiles.Formats);
        var solver = ProlongationOptionsJson.Read(r.OptionalObject("solver"), fixedS: s[0], prefix: "solver.");
        r.Finish();
        return new ProlongSettings(coarse, fine, s, format, solver);
    }

    /// <summary>Parses s as a list of distinct numbers in [0, 1]: a JSON array, a number, or a comma list.</summary>
    public static double[] ReadS(JsonNode? node)
    {
        if (node is null) return new[] { 0.5 };
        var texts = node switch
        {
            JsonArray a => a.Select(n => n?.ToJsonString() ?? "null").ToArray(),
            JsonValue v when v.TryGetValue<string>(out var text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _ => new[] { node.ToJsonString() },
        };
        var values = texts.Select(t =>
            double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && v <= 1
                ? v
                : throw new SettingsException("s", $"values must be numbers in [0, 1] (got '{t}')")).ToArray();
        if (values.Length == 0) throw new SettingsException("s", "needs at least one value");
        if (values.Distinct().Count() != values.Length) throw new SettingsException("s", $"lists a value twice ({node.ToJsonString()})");
        return values;
    }
}
