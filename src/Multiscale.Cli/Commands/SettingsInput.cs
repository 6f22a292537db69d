using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// A method's settings JSON as a command gathers it: the fields of a <c>--config</c> file (a run's
/// <c>config.json</c>, or a JSON object of settings), then every option given on the command line, each setting the
/// field of its name (<c>--coarse-model tau</c> → <c>"coarse_model": "tau"</c>). Options left at their defaults set
/// nothing, so the file's fields stand and the method's defaults fill the rest. Errors the method reports for a field
/// are turned back into the user's terms: the option, or the file's field.
/// </summary>
internal sealed class SettingsInput
{
    private readonly HashSet<string> _fromCommandLine = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fromFile = new(StringComparer.Ordinal);

    private SettingsInput(JsonObject settings, string? file)
    {
        Settings = settings;
        File = file;
    }

    /// <summary>The gathered settings (the method reads them; missing fields take its defaults).</summary>
    public JsonObject Settings { get; }

    /// <summary>The settings file given with --config, or null.</summary>
    public string? File { get; }

    /// <summary>The <c>--config FILE</c> option.</summary>
    public static Option<FileInfo?> ConfigOption(string command) => new("--config")
    {
        Description = $"Settings file: a run folder's config.json or a JSON object of {command} settings (each field named as an option, without dashes: \"coarse_model\": \"tau\"). Options given on the command line replace its fields.",
    };

    /// <summary>The settings field an option sets: its name without dashes, '-' as '_'.</summary>
    public static string FieldName(string option) => option.TrimStart('-').Replace('-', '_');

    /// <summary>
    /// Gathers the settings of <paramref name="method"/>: the <paramref name="config"/> file's, then the options of
    /// the parsed command given explicitly, except <paramref name="notSettings"/> (output, device, caches, checkpoints).
    /// </summary>
    public static SettingsInput Gather(ParseResult parse, string method, Option<FileInfo?> config, IEnumerable<Option> notSettings)
    {
        var skip = new HashSet<Option>(notSettings) { config };
        string? file = parse.GetValue(config)?.FullName;
        var input = new SettingsInput(file is null ? new JsonObject() : ReadFile(file, method), file);
        foreach (var p in input.Settings) input._fromFile.Add(p.Key);
        if (file is not null) input.ResolvePaths(parse.CommandResult.Command.Options, Path.GetDirectoryName(file)!);
        foreach (var result in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (result.Implicit || skip.Contains(result.Option)) continue;
            input.Set(FieldName(result.Option.Name), ToJson(result));
        }
        return input;
    }

    /// <summary>
    /// A file's relative paths in the fields of file and folder options (<c>data</c>, <c>positions</c>, …) are taken
    /// from the file's folder, as a settings file is read wherever it is started from.
    /// </summary>
    private void ResolvePaths(IEnumerable<Option> options, string folder)
    {
        foreach (var option in options.Where(o => typeof(FileSystemInfo).IsAssignableFrom(Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType)))
        {
            string field = FieldName(option.Name);
            if (Settings[field] is JsonValue v && v.TryGetValue<string>(out var path) && path.Length > 0 && !Path.IsPathRooted(path))
                Settings[field] = Path.GetFullPath(Path.Combine(folder, path));
        }
    }

    /// <summary>Sets a field as the command line gave it (an option that is spelt differently from its field).</summary>
    public void Set(string field, JsonNode? value)
    {
        Settings[field] = value;
        _fromCommandLine.Add(field);
    }

    /// <summary>True when the command line gave <paramref name="field"/>.</summary>
    public bool FromCommandLine(string field) => _fromCommandLine.Contains(field);

    /// <summary>True when the field has a value, from either source.</summary>
    public bool Has(string field) => Settings.TryGetPropertyValue(field, out var node) && node is not null;

    /// <summary>Runs <paramref name="read"/> (the method's settings reader), naming a bad field as the user gave it.</summary>
    public T Read<T>(Func<JsonObject, T> read)
    {
        try { return read(Settings); }
        catch (SettingsException e) when (_fromCommandLine.Contains(e.Field))
        {
            throw new MultiscaleException($"{OptionName(e.Field)} {SettingsException.Render(e.Problem, OptionName)}", e);
        }
        catch (SettingsException e) when (File is not null && _fromFile.Contains(e.Field))
        {
            throw new MultiscaleException($"'{e.Field}' in {File} {SettingsException.Render(e.Problem, f => $"'{f}'")}", e);
        }
    }

    /// <summary>The option that sets a field (<c>coarse_model</c> → <c>--coarse-model</c>).</summary>
    public static string OptionName(string field) => "--" + field.Replace('_', '-');

    /// <summary>The settings of a JSON file: a run's <c>config.json</c> (its <c>settings</c>, for the same method) or a plain object.</summary>
    public static JsonObject ReadFile(string path, string method)
    {
        if (!System.IO.File.Exists(path)) throw new MultiscaleException($"settings file '{path}' does not exist");
        JsonNode? node;
        try { node = JsonNode.Parse(System.IO.File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new MultiscaleException($"settings file '{path}' is not valid JSON ({e.Message})"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new MultiscaleException($"cannot read settings file '{path}': {e.Message}"); }
        catch (ArgumentException e) { throw new MultiscaleException($"settings file '{path}' is not a settings object ({e.Message})"); }
        if (node is not JsonObject o) throw new MultiscaleException($"settings file '{path}' must hold a JSON object (got {node?.GetValueKind().ToString().ToLowerInvariant() ?? "null"})");
        try
        {
            if (o.ContainsKey("settings") && o.ContainsKey("method"))
            {
                string recorded = o["method"] is JsonValue v && v.TryGetValue<string>(out var m) ? m : "?";
                if (recorded != method)
                    throw new MultiscaleException($"'{path}' holds the settings of a {recorded} run, not of {method}");
                return o["settings"] as JsonObject is { } settings
                    ? (JsonObject)settings.DeepClone()
                    : throw new MultiscaleException($"'{path}': its 'settings' must be a JSON object");
            }
            return (JsonObject)o.DeepClone();
        }
        catch (ArgumentException e) { throw new MultiscaleException($"settings file '{path}' is not a settings object ({e.Message})"); }
    }

    /// <summary>An option's parsed value as JSON: numbers, booleans and strings as they are, files and folders as absolute paths.</summary>
    private static JsonNode? ToJson(OptionResult result)
    {
        object? value = result.GetValueOrDefault<object?>();
        return value switch
        {
            null => null,
            FileSystemInfo f => JsonValue.Create(Path.GetFullPath(f.FullName)),
            bool b => JsonValue.Create(b),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            string s => JsonValue.Create(s),
            _ => JsonValue.Create(value.ToString()),
        };
    }
}
