using System.CommandLine;
using System.Globalization;
using Multiscale.Prolongation;
using Multiscale.Training;

namespace Multiscale.Cli.Commands;

/// <summary><c>multiscale lineage</c>: the maps between consecutive members of a graph lineage, composed and cached.</summary>
internal static class LineageCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var graph = new Option<string?>("--graph") { Description = "Finest graph of a halving lineage: path:N, cycle:N, grid:AxB…, torus:AxB…" };
        var graphs = new Option<string?>("--graphs") { Description = "Explicit lineage, finest first, specs separated by ';'." };
        var levels = new Option<int>("--levels") { Description = "Number of halvings (with --graph).", DefaultValueFactory = _ => 3 };
        var source = new Option<string>("--source")
        {
            Description = "Map between consecutive members: optimized, kronecker (per-axis optimized, combined), aggregation, interpolation.",
            DefaultValueFactory = _ => "optimized",
        };
        source.AcceptOnlyFromAmong("optimized", "kronecker", "aggregation", "interpolation");
        var s = new Option<double>("--s") { Description = "Locality weight s (1 = fully local, the paper's choice for MsANN).", DefaultValueFactory = _ => 1.0 };
        var cache = CommonOptions.Cache("the lineage's maps");
        var noCache = CommonOptions.NoCache();
        var outDir = CommonOptions.Out("Output folder (P_k.npy, Pro_k_to_0.npy, lineage.json).");
        outDir.Required = true;
        var solver = new ProlongationCliOptions();
        var command = new Command("lineage", "Compute, compose and cache the maps of a graph lineage G0 (finest) … GL.")
        {
            graph, graphs, levels, source, s, cache, noCache, outDir,
        };
        foreach (var o in solver.All) command.Options.Add(o);
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            using var cancel = CancelOnCtrlC.Create();
            var g = parse.GetValue(graph);
            var list = parse.GetValue(graphs);
            if ((g is null) == (list is null)) throw new MultiscaleException("give exactly one of --graph (halving lineage) and --graphs (explicit list)");
            var specs = g is not null
                ? Lineage.HalvingSpecs(g, parse.GetValue(levels))
                : list!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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
            progress.Line($"lineage {string.Join(" → ", specs)} ({mapSource.ToString().ToLowerInvariant()}, s = {sValue.ToString(CultureInfo.InvariantCulture)}){(cacheDir is null ? "" : $", cache {cacheDir}")}");
            using var lineage = Lineage.Build(specs, mapSource, options, cacheDir, progress.Line, cancel.Token);
            if (cancel.Token.IsCancellationRequested)
            {
                error.WriteLine("cancelled: nothing was written");
                return 130;
            }
            var dir = parse.GetValue(outDir)!.FullName;
            lineage.Save(dir);
            foreach (var l in lineage.Levels.Skip(1))
                progress.Line(string.Create(CultureInfo.InvariantCulture,
                    $"  level {l.Level}: {l.Graph} ({l.Vertices}) {l.Method}{(l.Objective is { } e ? $", E = {e:G8}" : "")}, {l.Seconds:F2} s{(l.FromCache ? " (cached)" : "")}"));
            progress.Line($"wrote {dir}");
            return 0;
        }));
        return command;
    }
}
