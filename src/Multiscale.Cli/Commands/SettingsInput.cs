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
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

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
    /// An option in <paramref name="fields"/> sets the field it names there (a dotted path into nested settings, its
    /// value converted), the others the field of their own name.
    /// </summary>
    public static SettingsInput Gather(ParseResult parse, string method, Option<FileInfo?> config, IEnumerable<Option> notSettings,
        IReadOnlyDictionary<Option, OptionField>? fields = null)
    {
        var skip = new HashSet<Option>(notSettings) { config };
        string? file = parse.GetValue(config)?.FullName;
        var input = new SettingsInput(file is null ? new JsonObject() : ReadFile(file, method), file);
        foreach (var (option, field) in fields ?? new Dictionary<Option, OptionField>()) input._options[field.Path] = option.Name;
        foreach (var p in input.Settings) input._fromFile.Add(p.Key);
        if (file is not null) input.ResolvePaths(parse.CommandResult.Command.Options, Path.GetDirectoryName(file)!);
        foreach (var result in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (skip.Contains(result.Option)) continue;
            if (fields is not null && fields.TryGetValue(result.Option, out var field))
            {
                if (!result.Implicit) input.Set(field.Path, field.Value is null ? ToJson(result) : field.Value(result.GetValueOrDefault<object?>()));
                continue;
            }
            if (!result.Implicit) input.Set(FieldName(result.Option.Name), ToJson(result));
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

    /// <summary>
    /// Sets a field as the command line gave it (an option that is spelt differently from its field); a dotted path
    /// (<c>solver.seed</c>) sets a field of a nested object, made when missing.
    /// </summary>
    public void Set(string field, JsonNode? value)
    {
        var parts = field.Split('.');
        var target = Settings;
        foreach (var part in parts[..^1])
        {
            if (target[part] is not JsonObject inner)
            {
                inner = new JsonObject();
                target[part] = inner;
            }
            target = inner;
        }
        target[parts[^1]] = value;
        _fromCommandLine.Add(field);
    }

    /// <summary>True when the command line gave <paramref name="field"/>.</summary>
    public bool FromCommandLine(string field) => _fromCommandLine.Contains(field);

    /// <summary>True when the field has a value, from either source.</summary>
    public bool Has(string field) => Settings.TryGetPropertyValue(field, out var node) && node is not null;

    /// <summary>
    /// Runs <paramref name="read"/> (the method's settings reader), naming a bad field as the user gave it: the file's
    /// field when it came from the <c>--config</c> file, else the option (given, or to give when the field is missing).
    /// Other fields the problem mentions are named the same way.
    /// </summary>
    public T Read<T>(Func<JsonObject, T> read)
    {
        try { return read(Settings); }
        catch (SettingsException e)
        {
            string Name(string field) => InFile(field) ? $"'{field}'" : OptionName(field);
            string where = InFile(e.Field) ? $"{Name(e.Field)} in {File}" : OptionName(e.Field);
            throw new MultiscaleException($"{where} {SettingsException.Render(e.Problem, Name)}", e);
        }
    }

    private bool InFile(string field) => File is not null && !_fromCommandLine.Contains(field) && _fromFile.Contains(TopField(field));

    private static string TopField(string field) => field.Split('.')[0];

    /// <summary>The option that sets a field (<c>coarse_model</c> → <c>--coarse-model</c>, or the option mapped to it).</summary>
    public string OptionName(string field) => _options.TryGetValue(field, out var option) ? option : "--" + field.Replace('_', '-');

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

    /// <summary>The settings field an option sets when it is not the field of its own name, and how its value is written.</summary>
    /// <param name="Path">The field, dotted into nested settings (<c>solver.max_iterations</c>).</param>
    /// <param name="Value">The parsed value as JSON; null: as the option gives it.</param>
    public sealed record OptionField(string Path, Func<object?, JsonNode?>? Value = null);

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
