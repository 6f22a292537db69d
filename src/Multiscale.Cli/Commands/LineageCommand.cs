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
        var command = new Command("lineage", "Compute, compose and cache the maps of a graph lineage G0 (finest) … GL.")
        {
            graph, graphs, levels, coarsen, source, s, cache, noCache, outDir, format,
        };
        foreach (var o in solver.All) command.Options.Add(o);
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            using var cancel = CancelOnCtrlC.Create();
            var g = parse.GetValue(graph);
            var list = parse.GetValue(graphs);
            if ((g is null) == (list is null)) throw new MultiscaleException("give exactly one of --graph (halving lineage) and --graphs (explicit list)");
            var coarsenName = parse.GetValue(coarsen);
            if (coarsenName is not null && g is null) throw new MultiscaleException("--coarsen needs --graph (the finest graph), not --graphs");
            double sValue = parse.GetValue(s);
            if (!(sValue >= 0 && sValue <= 1)) throw new MultiscaleException($"--s must be in [0, 1] (got {sValue})");
            var device = DeviceChoice.Resolve(parse.GetValue(solver.Device));
            var options = solver.Read(parse, sValue, device);
            var mapSource = parse.GetValue(source) switch
            {
                "kronecker" => MapSource.Kronecker,
                "aggregation" => MapSource.Aggregation,
                "interpolation" => MapSource.Interpolation,
                _ => MapSource.Optimized,
            };
            string? cacheDir = CommonOptions.CacheDirectory(parse, cache, noCache);
            var progress = new Progress(output);
            Lineage built;
            if (coarsenName is not null)
            {
                var method = coarsenName == "aggregation" ? CoarseningMethod.Aggregation : CoarseningMethod.HeavyEdge;
                var finest = GraphSpec.Parse(g!);
                progress.Line($"lineage {g} coarsened {parse.GetValue(levels)} times by {coarsenName} ({mapSource.ToString().ToLowerInvariant()}, s = {sValue.ToString(CultureInfo.InvariantCulture)}){(cacheDir is null ? "" : $", cache {cacheDir}")}");
                built = Lineage.Coarsen(finest, method, parse.GetValue(levels), mapSource, options, cacheDir, progress.Line, cancel.Token);
            }
            else
            {
                var specs = g is not null
                    ? Lineage.HalvingSpecs(g, parse.GetValue(levels))
                    : list!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                progress.Line($"lineage {string.Join(" → ", specs)} ({mapSource.ToString().ToLowerInvariant()}, s = {sValue.ToString(CultureInfo.InvariantCulture)}){(cacheDir is null ? "" : $", cache {cacheDir}")}");
                built = Lineage.Build(specs, mapSource, options, cacheDir, progress.Line, cancel.Token);
            }
            using var lineage = built;
            if (cancel.Token.IsCancellationRequested)
            {
                error.WriteLine("cancelled: nothing was written");
                return 130;
            }
            var dir = parse.GetValue(outDir)!.FullName;
            var fileFormat = MatrixFiles.Parse(parse.GetValue(format)!);
            CommandRecord.Begin(dir);
            var solverSettings = CommandRecord.Describe(options);
            CommandRecord.WriteConfig(dir, "lineage", parse, new JsonObject
            {
                ["graph"] = g,
                ["graphs"] = list,
                ["levels"] = g is null ? null : parse.GetValue(levels),
                ["coarsen"] = coarsenName,
                ["source"] = mapSource.ToString().ToLowerInvariant(),
                ["format"] = fileFormat.ToString().ToLowerInvariant(),
                ["solver"] = solverSettings,
            });
            lineage.Save(dir, fileFormat);
            RunFolder.WriteJson(Path.Combine(dir, "report.json"), Report(lineage.Levels));
            foreach (var line in Table(lineage.Levels)) progress.Line(line);
            progress.Line($"wrote {dir}");
            return 0;
        }));
        return command;
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
