using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json.Nodes;
using Multiscale.Cli.Plots;
using Multiscale.Runs;
using TorchSharp;

namespace Multiscale.Cli.Commands;

/// <summary>
/// Hosts a plugin method for a command: one run folder, a context on the chosen device with progress lines to the
/// console, curves to TensorBoard and checkpoints to <c>checkpoint.zip</c>, and either the complete folder
/// (config.json, metrics.csv, figures, report.json) or, on Ctrl-C or SIGTERM, nothing new but the checkpoint.
/// </summary>
internal static class MethodHost
{
    public static int Run<TSettings>(IMultiscaleMethod<TSettings> method, TSettings settings, ParseResult parse, string directory,
        torch.Device device, TextWriter output, TextWriter error, CancellationToken cancel, (CheckpointInterval Interval, bool Resume) checkpointing,
        bool figures = true, bool announced = false, IReadOnlyList<string>? arguments = null)
    {
        var header = new JsonObject { ["method"] = method.Name, ["settings"] = method.Describe(settings) };
        string checkpointPath = Path.Combine(Path.GetFullPath(directory), RunFolder.CheckpointFile);
        var from = Resumable(checkpointPath, header, checkpointing.Resume, announced ? TextWriter.Null : output);
        using var checkpoints = new RunCheckpoints(checkpointPath, checkpointing.Interval, header, from);
        using var folder = Open(directory);
        var context = new RunContext(device, LiveRunReporter.Wrap(folder.Reporter(output.WriteLine), method.Name, method.Describe(settings)), cancel, checkpoints);
        var record = method.Run(settings, context);
        if (cancel.IsCancellationRequested)
        {
            error.WriteLine(File.Exists(checkpointPath)
                ? $"cancelled: the run's state is in {checkpointPath}; the same command with --resume continues it"
                : "cancelled: nothing was written");
            return 130;
        }
        Complete(folder, record, RunFolder.Config(method.Name, arguments ?? Arguments(parse), method.Describe(settings)), figures ? FigureRenderer.Instance : null);
        output.WriteLine($"wrote {folder.Directory}");
        return 0;
    }

    /// <summary>
    /// The checkpoint to continue from: the folder's unfinished run when it has these settings and --resume was given,
    /// else null; an unfinished run that --resume would lose, or one of other settings, is an error.
    /// </summary>
    private static Checkpoint? Resumable(string path, JsonObject header, bool resume, TextWriter output)
    {
        if (!File.Exists(path))
        {
            if (resume) output.WriteLine($"no checkpoint in {Path.GetDirectoryName(path)}: starting from the beginning");
            return null;
        }
        var found = RunCheckpoints.ReadHeader(path)
            ?? throw new MultiscaleException($"'{path}' is not a readable checkpoint; delete it to start the run over");
        string method = found["method"]?.ToString() ?? "?";
        if (method != header["method"]!.ToString() || !JsonNode.DeepEquals(found["settings"], header["settings"]))
            throw new MultiscaleException($"'{Path.GetDirectoryName(path)}' holds an unfinished {method} run with other settings ({Difference(found, header)}); choose another --out, or delete its {RunFolder.CheckpointFile} to start over");
        if (!resume)
            throw new MultiscaleException($"'{Path.GetDirectoryName(path)}' holds an unfinished run with these settings: add --resume to continue it, or delete its {RunFolder.CheckpointFile} to start over");
        output.WriteLine($"resuming the unfinished run from {path}");
        return Checkpoint.Load(path);
    }

    /// <summary>The first setting that differs, as "name: there → here".</summary>
    private static string Difference(JsonObject there, JsonObject here)
    {
        if (there["method"]?.ToString() != here["method"]?.ToString()) return $"method: {there["method"]} there, {here["method"]} here";
        var a = there["settings"] as JsonObject ?? new JsonObject();
        var b = here["settings"] as JsonObject ?? new JsonObject();
        foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
            if (!JsonNode.DeepEquals(a[key], b[key]))
                return $"{key}: {a[key]?.ToJsonString() ?? "none"} there, {b[key]?.ToJsonString() ?? "none"} here";
        return "the settings differ";
    }

    /// <summary>Opens a run folder, reporting a folder that cannot be made as one error line.</summary>
    public static RunFolder Open(string directory)
    {
        try { return new RunFolder(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MultiscaleException($"cannot create the output folder '{directory}': {e.Message}");
        }
    }

    /// <summary>Completes a run folder, reporting a file that cannot be written as one error line.</summary>
    public static void Complete(RunFolder folder, RunRecord record, System.Text.Json.Nodes.JsonObject config, IFigureRenderer? renderer)
    {
        try { folder.Complete(record, config, renderer); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MultiscaleException($"cannot write the run into '{folder.Directory}': {e.Message}");
        }
    }

    /// <summary>
    /// The command line as given (command names included), with the values of file and folder options made absolute,
    /// so <c>multiscale rerun</c> repeats it from any working directory.
    /// </summary>
    public static List<string> Arguments(ParseResult parse)
    {
        var absolute = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        foreach (var option in parse.CommandResult.Children.OfType<OptionResult>())
        {
            var type = option.Option.ValueType;
            bool isPath = typeof(FileSystemInfo).IsAssignableFrom(type) || PathOptions.Contains(option.Option.Name);
            if (isPath) foreach (var token in option.Tokens) absolute.Add(token);
        }
        return parse.Tokens.Select(t => absolute.Contains(t) ? Path.GetFullPath(t.Value) : t.Value).ToList();
    }

    /// <summary>String-typed options whose values are paths.</summary>
    private static readonly HashSet<string> PathOptions = new(StringComparer.Ordinal) { "--cache" };

    /// <summary>
    /// The command line of one sweep run as a plain <c>msann</c> command: the sweep's shared options, the run's
    /// (γ, L, k) and its folder, without the grid, the shard or the sweep's own folder.
    /// </summary>
    public static List<string> SweepRunArguments(ParseResult parse, int levels, int? gamma, int? k, string runDirectory)
    {
        var all = Arguments(parse);
        var sweepOnly = new HashSet<string>(StringComparer.Ordinal) { "--gammas", "--levels", "--ks", "--shard", "--out" };
        // The default run (L = 0) has no coarse levels: options about them would make its command line an error.
        if (levels == 0) sweepOnly.UnionWith(MsAnnOptions.HierarchyOnly);
        var result = new List<string> { "msann" };
        int i = all.Count >= 2 && all[0] == "msann" && all[1] == "sweep" ? 2 : 0;
        for (; i < all.Count; i++)
        {
            string a = all[i];
            int eq = a.IndexOfAny(new[] { '=', ':' });
            string name = eq > 0 && a.StartsWith("--", StringComparison.Ordinal) ? a[..eq] : a;
            if (sweepOnly.Contains(name))
            {
                if (eq < 0 || name == a) i++;  // the value is the next token
                continue;
            }
            result.Add(a);
        }
        result.AddRange(new[] { "--levels", levels.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (gamma is { } g) result.AddRange(new[] { "--gamma", g.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (k is { } kk) result.AddRange(new[] { "--k", kk.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        result.AddRange(new[] { "--out", Path.GetFullPath(runDirectory) });
        return result;
    }
}
