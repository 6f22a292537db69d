using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// A grid over settings fields, for a sweep of any method: each axis is a field and its values, and each point of the
/// Cartesian product (the last axis varying fastest) sets those fields on top of shared settings. A point's id names
/// its values, so a run folder is found again when the sweep is repeated, widened or split into shards.
/// </summary>
public sealed class SettingsGrid
{
    private readonly List<SettingsGridPoint> _points = new();

    /// <summary>Builds the grid; every field appears once and has at least one value.</summary>
    public SettingsGrid(IReadOnlyList<SettingsAxis> axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Count == 0) throw new MultiscaleException("a sweep needs at least one grid axis (FIELD=VALUE,VALUE,…)");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in axes)
        {
            if (!seen.Add(a.Field)) throw new MultiscaleException($"the grid names the field '{a.Field}' twice; give all its values in one axis");
            if (a.Values.Count == 0) throw new MultiscaleException($"the grid axis '{a.Field}' has no values");
            var ids = a.Values.Select(ValueText).ToList();
            if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count) throw new MultiscaleException($"the grid axis '{a.Field}' repeats a value");
        }
        Axes = axes;
        long size = axes.Aggregate(1L, (n, a) => n * a.Values.Count);
        if (size > 100_000) throw new MultiscaleException($"the grid has {size} points; a sweep is limited to 100,000 runs");
        var index = new int[axes.Count];
        for (int p = 0; p < size; p++)
        {
            var assignment = new JsonObject();
            var id = new StringBuilder();
            for (int a = 0; a < axes.Count; a++)
            {
                var value = axes[a].Values[index[a]];
                assignment[axes[a].Field] = value?.DeepClone();
                if (a > 0) id.Append('_');
                id.Append(Safe(axes[a].Field)).Append('=').Append(Safe(ValueText(value)));
            }
            _points.Add(new SettingsGridPoint(p, id.ToString(), assignment));
            for (int a = axes.Count - 1; a >= 0; a--)
            {
                if (++index[a] < axes[a].Values.Count) break;
                index[a] = 0;
            }
        }
        if (_points.Select(q => q.Id).Distinct(StringComparer.Ordinal).Count() != _points.Count)
            throw new MultiscaleException("two grid points share a folder name (their values differ only in characters a folder name cannot hold); rename a value");
    }

    /// <summary>The axes, in order.</summary>
    public IReadOnlyList<SettingsAxis> Axes { get; }

    /// <summary>Every point, in grid order.</summary>
    public IReadOnlyList<SettingsGridPoint> Points => _points;

    /// <summary>
    /// Parses an axis written <c>FIELD=V1,V2,…</c>; each value is read as JSON when it is a JSON number, true, false,
    /// null or a quoted string, else as a plain string. Values that hold commas are written as a JSON array:
    /// <c>layers=["64,16,64","128,32,128"]</c>.
    /// </summary>
    public static SettingsAxis ParseAxis(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1) throw new MultiscaleException($"grid axis '{text}' is not FIELD=VALUE,VALUE,…");
        string field = text[..eq].Trim(), values = text[(eq + 1)..].Trim();
        if (field.Length == 0) throw new MultiscaleException($"grid axis '{text}' names no field");
        if (values.StartsWith('['))
        {
            JsonNode? node;
            try { node = JsonNode.Parse(values); }
            catch (JsonException e) { throw new MultiscaleException($"grid axis '{field}': its values are not a valid JSON array ({e.Message})"); }
            return new SettingsAxis(field, (node as JsonArray ?? throw new MultiscaleException($"grid axis '{field}': its values must be a JSON array"))
                .Select(v => v?.DeepClone()).ToList());
        }
        return new SettingsAxis(field, values.Split(',', StringSplitOptions.TrimEntries).Select(v =>
            v.Length == 0 ? throw new MultiscaleException($"grid axis '{field}' has an empty value") : ParseValue(v)).ToList());
    }

    /// <summary>A value as a command line gives it: JSON when it parses as JSON (a number, true, a quoted string, an array), else the text as a string.</summary>
    public static JsonNode? ParseValue(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "null") return null;
        try
        {
            var node = JsonNode.Parse(text);
            if (node is not null) return node;
        }
        catch (JsonException) { }
        return JsonValue.Create(text);
    }

    /// <summary>Shard <paramref name="index"/> of <paramref name="count"/> (1-based): the points at positions p with p mod count = index − 1.</summary>
    public IReadOnlyList<SettingsGridPoint> Shard(int index, int count)
    {
        if (count < 1 || index < 1 || index > count) throw new ArgumentOutOfRangeException(nameof(index), $"shard {index}/{count}");
        return _points.Where(p => p.Index % count == index - 1).ToList();
    }

    /// <summary>The grid as JSON (<c>[{"field": …, "values": […]}, …]</c>), for part files.</summary>
    public JsonArray ToJson() => new(Axes.Select(a => (JsonNode)new JsonObject
    {
        ["field"] = a.Field,
        ["values"] = new JsonArray(a.Values.Select(v => v?.DeepClone()).ToArray()),
    }).ToArray());

    /// <summary>The grid <see cref="ToJson"/> wrote.</summary>
    public static SettingsGrid FromJson(JsonNode? node)
    {
        if (node is not JsonArray axes) throw new MultiscaleException("the sweep's grid is missing");
        return new SettingsGrid(axes.Select(a => new SettingsAxis(
            a?["field"]?.GetValue<string>() ?? throw new MultiscaleException("a grid axis has no field"),
            (a["values"] as JsonArray ?? throw new MultiscaleException("a grid axis has no values")).Select(v => v?.DeepClone()).ToList())).ToList());
    }

    private static string ValueText(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToJsonString(),
    };

    /// <summary>Letters, digits and <c>.+-</c> as they are; anything else a folder name might not hold as '-'.</summary>
    private static string Safe(string text)
    {
        var s = new StringBuilder(text.Length);
        foreach (char c in text) s.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '+' or '-' ? c : '-');
        return s.Length > 60 ? s.ToString(0, 60) : s.ToString();
    }
}

/// <summary>One axis of a <see cref="SettingsGrid"/>: a settings field and the values it takes.</summary>
public sealed record SettingsAxis(string Field, IReadOnlyList<JsonNode?> Values);

/// <summary>One point of a <see cref="SettingsGrid"/>: its position, its folder name and the fields it sets.</summary>
public sealed record SettingsGridPoint(int Index, string Id, JsonObject Assignment)
{
    /// <summary>The shared settings with this point's fields set.</summary>
    public JsonObject Apply(JsonObject shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        var settings = (JsonObject)shared.DeepClone();
        foreach (var (field, value) in Assignment) settings[field] = value?.DeepClone();
        return settings;
    }
}
