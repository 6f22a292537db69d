using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale rerun DIR --out NEW</c>: repeats a run into a new folder from the settings in its <c>config.json</c>:
/// a method's run (msann, mrtl, whether the command line, a sweep or a C# program started it) or a map command's
/// (prolong, lineage). Folders written before their settings were complete are repeated from the command line they
/// record. Seeded CPU runs give the same numbers; only timings differ.
/// </summary>
internal static class RerunCommand
{
    /// <summary>Commands whose folders can be repeated: the hosted methods' run folders, and the maps' (<see cref="CommandRecord"/>).</summary>
    private static readonly string[] Methods = { "mrtl", "msann", "prolong", "lineage", "graph" };

    /// <summary>Commands whose folders of an older layout (a command line, no settings) are repeated from that line.</summary>
    private static readonly string[] CommandLines = { "mrtl", "msann", "prolong", "lineage" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "A folder written by 'multiscale mrtl', 'msann', 'prolong', 'lineage' or 'graph' (it holds config.json)." };
        var outDir = CommonOptions.Out("Folder for the repeated run (must differ from the original, which is left untouched).");
        outDir.Required = true;
        var device = new Option<string?>("--device") { Description = $"Device to run on ({DeviceChoice.Choices}; default auto)." };
        var command = new Command("rerun", "Repeat a run from its config.json into a new folder (same settings, new --out).") { run, outDir, device };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            var source = parse.GetValue(run)!;
            var target = parse.GetValue(outDir)!;
            if (Path.GetFullPath(target.FullName).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(source.FullName).TrimEnd(Path.DirectorySeparatorChar))
                throw new MultiscaleException("--out must differ from the run being repeated (its results would be replaced)");
            var (method, settings) = ReadSettings(source.FullName);
            string configPath = Path.Combine(source.FullName, "config.json");
            using var cancel = CancelOnCtrlC.Create();
            var checkpoints = (CheckpointInterval.Parse("5m"), false);
            string dev = parse.GetValue(device) ?? "auto";
            switch (settings is null ? null : method)
            {
                case "msann":
                {
                    var msann = Translate(configPath, () => new MsAnn.MsAnnMethod().ReadSettings(settings!)) with { MapCache = CommonOptions.DefaultCache() };
                    output.WriteLine($"repeating the msann run of {configPath}");
                    return MsAnnCommand.Run(msann, parse, target.FullName, dev, output, error, cancel.Token, checkpoints);
                }
                case "mrtl":
                {
                    var mrtl = Translate(configPath, () => new Mrtl.MultiresolutionTensorLearning().ReadSettings(settings!));
                    mrtl = mrtl with { Options = mrtl.Options with { CacheDirectory = CommonOptions.DefaultCache() } };
                    output.WriteLine($"repeating the mrtl run of {configPath}");
                    return MrtlCommand.Run(mrtl, parse, target.FullName, dev, output, error, cancel.Token, checkpoints);
                }
                case "prolong":
                {
                    var prolong = Translate(configPath, () => Prolongation.ProlongSettings.Read(settings!));
                    output.WriteLine($"repeating the prolong run of {configPath}");
                    return ProlongCommand.Run(prolong, parse, target.FullName, dev, output, error, cancel.Token);
                }
                case "lineage":
                {
                    var lineage = Translate(configPath, () => Prolongation.LineageSettings.Read(settings!));
                    output.WriteLine($"repeating the lineage run of {configPath}");
                    return LineageCommand.Run(lineage, parse, target.FullName, dev, CommonOptions.DefaultCache(), output, error, cancel.Token);
                }
                case "graph":
                    output.WriteLine($"repeating the graph of {configPath}");
                    return GraphCommand.Rerun(settings!, configPath, target, dev, parse, output);
                default:
                {
                    // Folders written before settings were complete record only the command line they ran: it is repeated with the new folder.
                    var args = ReadArguments(source.FullName);
                    args = Replace(args, "--out", target.FullName);
                    if (parse.GetValue(device) is { } d) args = Replace(args, "--device", d);
                    output.WriteLine($"$ multiscale {string.Join(' ', args)}");
                    return MultiscaleCli.Run(args.ToArray(), output, error);
                }
            }
        }));
        return command;
    }

    /// <summary>
    /// The method and settings recorded in <c>DIR/config.json</c>; null settings when the folder holds none and is
    /// repeated from its recorded command line (folders written before settings were complete).
    /// </summary>
    internal static (string Method, JsonObject? Settings) ReadSettings(string directory)
    {
        var config = ReadConfig(directory, out string path);
        try
        {
            if (config["method"] is JsonValue v && v.TryGetValue<string>(out var method) && Methods.Contains(method) && config["settings"] is JsonObject settings)
                return (method, (JsonObject)settings.DeepClone());
        }
        catch (ArgumentException e) { throw new MultiscaleException($"'{path}' is not a run configuration ({e.Message})"); }
        return (ReadArguments(directory)[0], null);
    }

    /// <summary>A settings error of a recorded run, named as a field of its config.json.</summary>
    private static T Translate<T>(string path, Func<T> read)
    {
        try { return read(); }
        catch (SettingsException e) { throw new MultiscaleException($"'{e.Field}' in {path} {SettingsException.Render(e.Problem, f => $"'{f}'")}", e); }
    }

    private static JsonObject ReadConfig(string directory, out string path)
    {
        path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) throw new MultiscaleException($"'{directory}' has no config.json (is it a folder written by 'multiscale mrtl', 'msann', 'prolong', 'lineage' or 'graph'?)");
        JsonNode? config;
        try { config = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new MultiscaleException($"'{path}' is not valid JSON ({e.Message})"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new MultiscaleException($"cannot read '{path}': {e.Message}"); }
        return config as JsonObject ?? throw new MultiscaleException($"'{path}' is not a run configuration (expected a JSON object)");
    }

    /// <summary>The command line stored in <c>DIR/config.json</c>, checked to name a single hosted run.</summary>
    internal static List<string> ReadArguments(string directory)
    {
        var o = ReadConfig(directory, out string path);
        JsonNode? arguments;
        try { arguments = o["arguments"]; }
        catch (ArgumentException e) { throw new MultiscaleException($"'{path}' is not a run configuration ({e.Message})"); }
        if (arguments is not JsonArray array || array.Count == 0)
            throw new MultiscaleException($"'{path}' holds no command line ('arguments')");
        var args = new List<string>();
        foreach (var a in array)
        {
            if (a is not JsonValue v || !v.TryGetValue<string>(out var text))
                throw new MultiscaleException($"'{path}': every entry of 'arguments' must be a string");
            args.Add(text);
        }
        if (!CommandLines.Contains(args[0]))
            throw new MultiscaleException($"'{path}' records the command '{args[0]}', which is not a run that can be repeated from its command line ({string.Join(", ", CommandLines)}; a folder with settings also: graph)");
        // A sweep, a summary or a benchmark is not one run: repeating it from here would redo the whole job.
        if (args.Count > 1 && !args[1].StartsWith('-'))
            throw new MultiscaleException($"'{path}' records 'multiscale {args[0]} {args[1]}', which is not a single run that can be repeated");
        return args;
    }

    /// <summary>Sets an option's value: replaces <c>--name value</c> or <c>--name=value</c> / <c>--name:value</c>, or appends it.</summary>
    internal static List<string> Replace(List<string> args, string option, string value)
    {
        var result = new List<string>(args.Count + 2);
        bool replaced = false;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == option && i + 1 < args.Count)
            {
                result.Add(option);
                result.Add(value);
                i++;
                replaced = true;
            }
            else if (args[i].StartsWith(option + "=", StringComparison.Ordinal) || args[i].StartsWith(option + ":", StringComparison.Ordinal))
            {
                result.Add(option);
                result.Add(value);
                replaced = true;
            }
            else result.Add(args[i]);
        }
        if (!replaced) { result.Add(option); result.Add(value); }
        return result;
    }
}
