using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// Typed reading of a method's settings JSON (the <c>settings</c> of <c>config.json</c>, or a settings file): a field
/// that is missing or null takes its default, a number may also be written as a string ("1e6"), and a field the method
/// never asked for is an error, so a misspelt field is not silently ignored. Every error is a
/// <see cref="SettingsException"/> naming the field.
/// </summary>
public sealed class SettingsReader
{
    private readonly JsonObject _settings;
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="settings"/> (not modified).</summary>
    public SettingsReader(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    /// <summary>True when <paramref name="field"/> is present and not null.</summary>
    public bool Has(string field)
    {
        _asked.Add(field);
        return _settings.TryGetPropertyValue(field, out var node) && node is not null;
    }

    /// <summary>The string value of <paramref name="field"/>, or <paramref name="fallback"/>.</summary>
    public string String(string field, string fallback) => OptionalString(field) ?? fallback;

    /// <summary>The string value of <paramref name="field"/>, or null when it is missing or null.</summary>
    public string? OptionalString(string field)
    {
        if (Node(field) is not { } node) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var text)) return text;
        throw new SettingsException(field, $"must be a string (got {Show(node)})");
    }

    /// <summary>One of <paramref name="choices"/> (exact spelling), or <paramref name="fallback"/>.</summary>
    public string Choice(string field, string fallback, params string[] choices)
    {
        string value = String(field, fallback);
        return choices.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new SettingsException(field, $"must be one of {string.Join(", ", choices)} (got '{value}')");
    }

    /// <summary>One of the choices <paramref name="names"/> spells (any case), or <paramref name="fallback"/>.</summary>
    public T Choice<T>(string field, T fallback, ChoiceNames<T> names) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(names);
        if (OptionalString(field) is not { } text) return fallback;
        return names.TryParse(text, out var value) ? value : throw new SettingsException(field, $"must be {names.Expected} (got '{text}')");
    }

    /// <summary>An integer ≥ <paramref name="min"/>, or <paramref name="fallback"/>.</summary>
    public int Int(string field, int fallback, int min = int.MinValue) => OptionalInt(field, min) ?? fallback;

    /// <summary>An integer ≥ <paramref name="min"/>, or null when missing.</summary>
    public int? OptionalInt(string field, int min = int.MinValue)
    {
        if (OptionalLong(field) is not { } value) return null;
        if (value < min || value > int.MaxValue)
            throw new SettingsException(field, min == int.MinValue ? $"must be a 32-bit integer (got {value})" : $"must be an integer ≥ {min} (got {value})");
        return (int)value;
    }

    /// <summary>A 64-bit integer, or <paramref name="fallback"/>.</summary>
    public long Long(string field, long fallback) => OptionalLong(field) ?? fallback;

    private long? OptionalLong(string field)
    {
        if (Node(field) is not { } node) return null;
        if (node is JsonValue v)
        {
            // A number's text, whatever .NET type holds it (a value built in code keeps its int or double).
            string? text = v.GetValueKind() == JsonValueKind.Number ? Show(v) : v.TryGetValue<string>(out var s) ? s : null;
            if (text is not null)
            {
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m)
                    && m == decimal.Truncate(m) && m >= long.MinValue && m <= long.MaxValue) return (long)m;
            }
        }
        throw new SettingsException(field, $"must be an integer (got {Show(node)})");
    }

    /// <summary>A finite number, or <paramref name="fallback"/>.</summary>
    public double Double(string field, double fallback) => OptionalDouble(field) ?? fallback;

    /// <summary>A finite number, or null when missing.</summary>
    public double? OptionalDouble(string field)
    {
        if (Node(field) is not { } node) return null;
        double value = double.NaN;
        string? text = node is JsonValue v ? v.GetValueKind() == JsonValueKind.Number ? Show(v) : v.TryGetValue<string>(out var s) ? s : null : null;
        bool read = text is not null && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        if (!read || !double.IsFinite(value)) throw new SettingsException(field, $"must be a finite number (got {Show(node)})");
        return value;
    }

    /// <summary>true or false (also the strings "true" and "false"), or <paramref name="fallback"/>.</summary>
    public bool Bool(string field, bool fallback)
    {
        if (Node(field) is not { } node) return fallback;
        if (node is JsonValue v)
        {
            if (v.TryGetValue<bool>(out var b)) return b;
            if (v.TryGetValue<string>(out var s) && bool.TryParse(s, out b)) return b;
        }
        throw new SettingsException(field, $"must be true or false (got {Show(node)})");
    }

    /// <summary>The JSON object of <paramref name="field"/> (nested settings, read by a reader of their own), or null when missing.</summary>
    public JsonObject? OptionalObject(string field)
    {
        if (Node(field) is not { } node) return null;
        return node as JsonObject ?? throw new SettingsException(field, $"must be a JSON object (got {Show(node)})");
    }

    /// <summary>The value of <paramref name="field"/> as it is (an array, a string, …), or null when missing or null.</summary>
    public JsonNode? OptionalNode(string field) => Node(field);

    /// <summary>Throws for the first field of the settings that no read asked for (a misspelling or a field of another method).</summary>
    public void Finish()
    {
        var unknown = _settings.Select(p => p.Key).Where(k => !_asked.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new SettingsException(unknown[0], $"is not a setting of this method (its settings: {string.Join(", ", _asked.Order(StringComparer.Ordinal))})");
    }

    /// <summary>A value as an error shows it; a value built in code may hold a non-finite double, which has no JSON text.</summary>
    private static string Show(JsonNode node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) && !double.IsFinite(d) ? d.ToString(CultureInfo.InvariantCulture) : node.ToJsonString();

    private JsonNode? Node(string field)
    {
        _asked.Add(field);
        return _settings.TryGetPropertyValue(field, out var node) ? node : null;
    }
}
