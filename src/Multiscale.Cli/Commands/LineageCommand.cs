using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.IO;
using Multiscale.Graphs;
using Multiscale.Graphs.Coarsening;
using Multiscale.Prolongation;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary><c>multiscale lineage</c>: the maps between consecutive members of a graph lineage, composed and cached.</summary>
internal static class LineageCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var graph = new Option<string?>("--graph") { Description = "Finest graph: of a halving lineage (path:N, cycle:N, grid:AxB…, torus:AxB…), or any connected graph spec with --coarsen." };
        var graphs = new Option<string?>("--graphs") { Description = "Explicit lineage, finest first, specs separated by ';'." };
        var levels = new Option<int>("--levels") { Description = "Number of halvings or coarsenings (with --graph).", DefaultValueFactory = _ => 3 };
        var coarsen = new Option<string?>("--coarsen")
        {
            Description = "Coarsen --graph automatically instead of halving its spec: heavy-edge (matching, seeded by --seed) or aggregation (algebraic-multigrid standard aggregation).",
        };
        coarsen.AcceptOnlyFromAmong("heavy-edge", "aggregation");
        var source = new Option<string>("--source")
        {
            Description = "Map between consecutive members: optimized, kronecker (per-axis optimized, combined), aggregation (with --coarsen: the coarsening's aggregates), interpolation.",
            DefaultValueFactory = _ => "optimized",
        };
        source.AcceptOnlyFromAmong("optimized", "kronecker", "aggregation", "interpolation");
        var s = new Option<double>("--s") { Description = "Locality weight s (1 = fully local, the paper's choice for MsANN).", DefaultValueFactory = _ => 1.0 };
        var cache = CommonOptions.Cache("the lineage's maps");
        var noCache = CommonOptions.NoCache();
        var outDir = CommonOptions.Out("Output folder (P_k.npy, Pro_k_to_0.npy, lineage.json).");
        outDir.Required = true;
        var format = CommonOptions.MatrixFormat("the maps");
        var solver = new ProlongationCliOptions();
        var config = SettingsInput.ConfigOption("lineage");
        var command = new Command("lineage", "Compute, compose and cache the maps of a graph lineage G0 (finest) … GL.")
        {
            graph, graphs, levels, coarsen, source, s, cache, noCache, outDir, format, config,
        };
        foreach (var o in solver.All) command.Options.Add(o);
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            var fields = new Dictionary<Option, SettingsInput.OptionField>(solver.Fields()) { [s] = new("solver.s") };
            var input = SettingsInput.Gather(parse, "lineage", config, new Option[] { cache, noCache, outDir, solver.Device }, fields);
            var settings = input.Read(LineageSettings.Read);
            using var cancel = CancelOnCtrlC.Create();
            return Run(settings, parse, parse.GetValue(outDir)!.FullName, parse.GetValue(solver.Device)!,
                CommonOptions.CacheDirectory(parse, cache, noCache), output, error, cancel.Token);
        }));
        return command;
    }

    /// <summary>Runs <paramref name="settings"/> into <paramref name="directory"/> (also what <c>rerun</c> calls).</summary>
    public static int Run(LineageSettings settings, ParseResult parse, string directory, string deviceName, string? cacheDir,
        TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        OutputCheck.Folder(directory);
        var device = DeviceChoice.Resolve(deviceName);
        var options = settings.Solver with { Device = device };
        var mapSource = settings.Source;
        string sText = options.S.ToString(CultureInfo.InvariantCulture);
        string sourceName = LineageSettings.SourceNames.Name(mapSource);
        var progress = new Progress(output);
        Lineage built;
        try
        {
            if (settings.Coarsen is { } method)
            {
                var finest = GraphSpec.Parse(settings.Graph!);
                progress.Line($"lineage {settings.Graph} coarsened {settings.Levels} times by {LineageSettings.CoarsenNames.Name(method)} ({sourceName}, s = {sText}){(cacheDir is null ? "" : $", cache {cacheDir}")}");
                built = Lineage.Coarsen(finest, method, settings.Levels, mapSource, options, cacheDir, progress.Line, cancellation);
            }
            else
            {
                var specs = settings.Specs!;
                progress.Line($"lineage {string.Join(" → ", specs)} ({sourceName}, s = {sText}){(cacheDir is null ? "" : $", cache {cacheDir}")}");
                built = Lineage.Build(specs, mapSource, options, cacheDir, progress.Line, cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Cancelled inside a map's first start: no lineage exists (maps already solved stay in the cache).
            error.WriteLine("cancelled: nothing was written");
            return 130;
        }
        using var lineage = built;
        if (cancellation.IsCancellationRequested)
        {
            error.WriteLine("cancelled: nothing was written");
            return 130;
        }
        CommandRecord.Begin(directory);
        CommandRecord.WriteConfig(directory, "lineage", parse, settings.Describe());
        lineage.Save(directory, settings.Format);
        RunFolder.WriteJson(Path.Combine(directory, "report.json"), Report(lineage.Levels));
        foreach (var line in Table(lineage.Levels)) progress.Line(line);
        progress.Line($"wrote {directory}");
        return 0;
    }

    /// <summary>The lineage's report.json: one entry per level (what the table prints), written after every map.</summary>
    internal static JsonObject Report(IReadOnlyList<LineageLevel> levels)
    {
        static JsonNode? N(double? x) => x is { } v && double.IsFinite(v) ? v : null;
        return new JsonObject
        {
            ["levels"] = new JsonArray(levels.Select(l => (JsonNode)new JsonObject
            {
                ["level"] = l.Level,
                ["graph"] = l.Graph,
                ["vertices"] = l.Vertices,
                ["edges"] = l.Edges,
                ["map"] = l.Method,
                ["from_cache"] = l.Level == 0 ? null : l.FromCache,
                ["seconds"] = l.Level == 0 ? null : N(l.Seconds),
                ["coarsening_seconds"] = N(l.CoarseningSeconds),
                ["objective"] = l.Level == 0 ? null : N(l.Objective),
                ["diffusion"] = l.Level == 0 ? null : N(l.Diffusion),
                ["locality"] = l.Level == 0 ? null : N(l.Locality),
                ["aggregation_objective"] = N(l.AggregationTerms?.Objective),
            }).ToArray()),
        };
    }

    /// <summary>One row per level: sizes, times, eq. (3.3) and its norms at the map, and at the implied aggregation map when the lineage was coarsened.</summary>
    internal static IEnumerable<string> Table(IReadOnlyList<LineageLevel> levels)
    {
        bool coarsened = levels.Skip(1).Any(l => l.CoarseningSeconds is not null);
        string F(double? x) => x is { } v ? v.ToString("G8", CultureInfo.InvariantCulture) : "-";
        string T(double? x) => x is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "-";
        var header = new List<string> { "level", "vertices", "edges" };
        if (coarsened) header.Add("coarsen s");
        header.AddRange(new[] { "map s", "E", "diffusion", "locality" });
        if (coarsened) header.AddRange(new[] { "E aggregates", "diffusion", "locality" });
        header.AddRange(new[] { "map", "graph" });
        var rows = new List<string[]> { header.ToArray() };
        foreach (var l in levels)
        {
            var row = new List<string> { l.Level.ToString(CultureInfo.InvariantCulture), l.Vertices.ToString(CultureInfo.InvariantCulture), l.Edges.ToString(CultureInfo.InvariantCulture) };
            bool top = l.Level == 0;
            if (coarsened) row.Add(top ? "" : T(l.CoarseningSeconds));
            row.AddRange(top ? new[] { "", "", "", "" } : new[] { T(l.Seconds), F(l.Objective), F(l.Diffusion), F(l.Locality) });
            if (coarsened)
                row.AddRange(top ? new[] { "", "", "" } : new[] { F(l.AggregationTerms?.Objective), F(l.AggregationTerms?.Diffusion), F(l.AggregationTerms?.Locality) });
            row.Add(top ? "" : (l.Method ?? "") + (l.FromCache ? " (cached)" : ""));
            row.Add(l.Graph);
            rows.Add(row.ToArray());
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(r => r[c].Length)).ToArray();
        return rows.Select(r => "  " + string.Join("  ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadLeft(widths[c]))).TrimEnd());
    }
}
