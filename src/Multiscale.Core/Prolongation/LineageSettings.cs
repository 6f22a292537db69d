using System.Text.Json.Nodes;
using Multiscale.Graphs.Coarsening;
using Multiscale.IO;
using Multiscale.Runs;

namespace Multiscale.Prolongation;

/// <summary>
/// Everything that decides a <c>lineage</c> run: a lineage G0 (finest) … GL — a halving lineage of one graph spec, an
/// explicit list of specs, or a graph coarsened automatically — and how the map between consecutive members is made.
/// Plain data, written to a run's <c>config.json</c> by <see cref="Describe"/> and read back by <see cref="Read"/>.
/// The map cache is not a setting: it changes where maps come from, not what they are.
/// </summary>
/// <param name="Graph">Finest graph of a halving lineage (or the graph to coarsen), or null with <paramref name="Graphs"/>.</param>
/// <param name="Graphs">Explicit lineage, finest first, or null with <paramref name="Graph"/>.</param>
/// <param name="Levels">Halvings or coarsenings (with <paramref name="Graph"/>).</param>
/// <param name="Coarsen">Automatic coarsening of <paramref name="Graph"/>, or null for halving its spec.</param>
/// <param name="Source">How each consecutive pair's map is made.</param>
/// <param name="Format">How the maps are written.</param>
/// <param name="Solver">The solver's options, s included (1 = fully local by default).</param>
public sealed record LineageSettings(string? Graph, IReadOnlyList<string>? Graphs, int Levels, CoarseningMethod? Coarsen,
    MapSource Source, MatrixFileFormat Format, ProlongationOptions Solver)
{
    /// <summary>How an automatic coarsening is spelled: heavy-edge, aggregation.</summary>
    public static ChoiceNames<CoarseningMethod> CoarsenNames { get; } = new("coarsening",
        ("heavy-edge", CoarseningMethod.HeavyEdge), ("aggregation", CoarseningMethod.Aggregation));

    /// <summary>How a map source is spelled: optimized, kronecker, aggregation, interpolation.</summary>
    public static ChoiceNames<MapSource> SourceNames { get; } = new("map source",
        ("optimized", MapSource.Optimized), ("kronecker", MapSource.Kronecker), ("aggregation", MapSource.Aggregation), ("interpolation", MapSource.Interpolation));

    /// <summary>The default locality weight of a lineage's maps (fully local, the paper's choice for MsANN).</summary>
    public const double DefaultS = 1.0;

    /// <summary>The members' specs, finest first (null for a coarsened lineage, whose members are found by coarsening).</summary>
    public IReadOnlyList<string>? Specs => Coarsen is not null ? null : Graphs ?? Lineage.HalvingSpecs(Graph!, Levels);

    /// <summary>The settings as JSON (<c>levels</c> null for an explicit list; <c>graphs</c> as the ';'-separated list).</summary>
    public JsonObject Describe() => new()
    {
        ["graph"] = Graph,
        ["graphs"] = Graphs is null ? null : string.Join(";", Graphs),
        ["levels"] = Graph is null ? null : Levels,
        ["coarsen"] = Coarsen is { } c ? CoarsenNames.Name(c) : null,
        ["source"] = SourceNames.Name(Source),
        ["format"] = MatrixFiles.Formats.Name(Format),
        ["solver"] = ProlongationOptionsJson.Describe(Solver),
    };

    /// <summary>The inverse of <see cref="Describe"/>; <c>graphs</c> may also be a JSON array of specs.</summary>
    public static LineageSettings Read(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var r = new SettingsReader(settings);
        string? graph = r.OptionalString("graph");
        var graphs = ReadGraphs(r.OptionalNode("graphs"));
        if (graph is not null && graphs is not null)
            throw new SettingsException("graph", "and `graphs` were both given: give exactly one of `graph` (halving lineage) and `graphs` (explicit list)");
        if (graph is null && graphs is null)
            throw new SettingsException("graph", "or `graphs` is required: give exactly one of `graph` (halving lineage) and `graphs` (explicit list)");
        int levels = r.Int("levels", 3, min: 1);
        CoarseningMethod? coarsen = r.OptionalString("coarsen") is { } name
            ? CoarsenNames.TryParse(name, out var m) ? m : throw new SettingsException("coarsen", $"must be {CoarsenNames.Expected} (got '{name}')")
            : null;
        if (coarsen is not null && graph is null) throw new SettingsException("coarsen", "needs `graph` (the finest graph), not `graphs`");
        var source = r.Choice("source", MapSource.Optimized, SourceNames);
        var format = r.Choice("format", MatrixFileFormat.Npy, MatrixFiles.Formats);
        var solver = ProlongationOptionsJson.Read(r.OptionalObject("solver"), defaultS: DefaultS, prefix: "solver.");
        r.Finish();
        return new LineageSettings(graph, graphs, levels, coarsen, source, format, solver);
    }

    private static IReadOnlyList<string>? ReadGraphs(JsonNode? node)
    {
        if (node is null) return null;
        string[] specs = node switch
        {
            JsonValue v when v.TryGetValue<string>(out var text) => text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            JsonArray a => a.Select(n => n is JsonValue e && e.TryGetValue<string>(out var spec) ? spec.Trim()
                : throw new SettingsException("graphs", $"must be graph specs (got {n?.ToJsonString() ?? "null"})")).ToArray(),
            _ => throw new SettingsException("graphs", $"must be a ';'-separated list of graph specs or an array of them (got {node.ToJsonString()})"),
        };
        if (specs.Length < 2) throw new SettingsException("graphs", $"needs at least two graphs, finest first (got {specs.Length})");
        return specs;
    }
}
