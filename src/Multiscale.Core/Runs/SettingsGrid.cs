using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// A grid over settings fields, for a sweep of any method: each axis is a field and its values, and each point of the
/// Cartesian product (the last axis varying fastest) sets those fields on top of shared settings. A point's id names
/// its values, so a run folder is found again when the sweep is repeated, widened or split into shards. Built with a
/// method's canonical rule, points that are the same run (MsANN's L = 0 whatever γ and k) are one point.
/// </summary>
public sealed class SettingsGrid
{
    private readonly List<SettingsGridPoint> _points = new();

    /// <summary>Builds the grid; every field appears once and has at least one value.</summary>
    public SettingsGrid(IReadOnlyList<SettingsAxis> axes) : this(axes, (Collapse?)null) { }

    /// <summary>
    /// Builds the grid of the points that are different runs: each point of the product, set on top of
    /// <paramref name="shared"/>, is mapped by <paramref name="canonical"/> (the method's rule for settings that run alike,
    /// e.g. MsANN's L = 0 whatever γ and k) to its canonical settings, and points with equal canonical settings are one
    /// point, kept where it first appears in the product. The points are numbered 0, 1, … in that order, so shards of the
    /// collapsed grid stay balanced and the same for every machine. A point's <see cref="SettingsGridPoint.Assignment"/>
    /// holds the canonical values of the grid fields and every other field the canonical settings change, so
    /// <see cref="SettingsGridPoint.Apply"/> on <paramref name="shared"/> gives the canonical settings; its id is
    /// <paramref name="name"/> of the canonical settings when given, else made from the canonical values of the grid fields.
    /// </summary>
    public SettingsGrid(IReadOnlyList<SettingsAxis> axes, JsonObject shared, Func<JsonObject, JsonObject> canonical, Func<JsonObject, string>? name = null)
        : this(axes, new Collapse(shared ?? throw new ArgumentNullException(nameof(shared)), canonical ?? throw new ArgumentNullException(nameof(canonical)), name)) { }

    private sealed record Collapse(JsonObject Shared, Func<JsonObject, JsonObject> Canonical, Func<JsonObject, string>? Name);

    private SettingsGrid(IReadOnlyList<SettingsAxis> axes, Collapse? collapse)
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
        var seenSettings = new HashSet<string>(StringComparer.Ordinal);
        for (int p = 0; p < size; p++)
        {
            var assignment = new JsonObject();
            for (int a = 0; a < axes.Count; a++) assignment[axes[a].Field] = axes[a].Values[index[a]]?.DeepClone();
            for (int a = axes.Count - 1; a >= 0; a--)
            {
                if (++index[a] < axes[a].Values.Count) break;
                index[a] = 0;
            }
            if (collapse is null)
            {
                _points.Add(new SettingsGridPoint(p, DefaultId(assignment), assignment));
                continue;
            }
            var settings = collapse.Canonical(new SettingsGridPoint(p, "", assignment).Apply(collapse.Shared))
                ?? throw new InvalidOperationException("the canonical settings of a grid point are null");
            if (!seenSettings.Add(SortedJson(settings))) continue;   // the same run as an earlier point
            var kept = new JsonObject();
            foreach (var a in axes) kept[a.Field] = settings[a.Field]?.DeepClone();
            foreach (var (field, value) in settings)
                if (!kept.ContainsKey(field) && !JsonNode.DeepEquals(value, collapse.Shared[field])) kept[field] = value?.DeepClone();
            foreach (var (field, _) in collapse.Shared)
                if (!settings.ContainsKey(field) && !kept.ContainsKey(field)) kept[field] = null;
            string id = collapse.Name is { } name ? name(settings) : DefaultId(kept);
            _points.Add(new SettingsGridPoint(_points.Count, id, kept));
        }
        Collapsed = collapse is not null;
        CheckIds();
    }

    /// <summary>A grid read back from its JSON with its points listed (a collapsed grid).</summary>
    private SettingsGrid(IReadOnlyList<SettingsAxis> axes, IEnumerable<SettingsGridPoint> points)
    {
        Axes = axes;
        _points.AddRange(points);
        Collapsed = true;
        if (_points.Select((q, i) => q.Index == i).Any(ok => !ok)) throw new MultiscaleException("the grid's points are not numbered 0, 1, … in order");
        CheckIds();
    }

    private void CheckIds()
    {
        if (_points.Select(q => q.Id).Distinct(StringComparer.Ordinal).Count() != _points.Count)
            throw new MultiscaleException("two grid points share a folder name (their values differ only in characters a folder name cannot hold); rename a value");
    }

    /// <summary>True when points that are the same run were collapsed into one (the grid was built with a canonical rule).</summary>
    public bool Collapsed { get; }

    private string DefaultId(JsonObject assignment)
    {
        var id = new StringBuilder();
        for (int a = 0; a < Axes.Count; a++)
        {
            if (a > 0) id.Append('_');
            id.Append(Safe(Axes[a].Field)).Append('=').Append(Safe(ValueText(assignment[Axes[a].Field])));
        }
        return id.ToString();
    }

    /// <summary>JSON text with every object's keys in ordinal order, so equal settings compare equal however they were built.</summary>
    internal static string SortedJson(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => JsonValue.Create(p.Key)!.ToJsonString() + ":" + SortedJson(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(SortedJson)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };

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

    /// <summary>
    /// The grid as JSON, for part files: its axes (<c>[{"field": …, "values": […]}, …]</c>), or for a collapsed grid
    /// <c>{"axes": […], "points": [{"id": …, "assignment": {…}}, …]}</c>, whose points a merge reads back without the
    /// method's canonical rule.
    /// </summary>
    public JsonNode ToJson()
    {
        var axes = new JsonArray(Axes.Select(a => (JsonNode)new JsonObject
        {
            ["field"] = a.Field,
            ["values"] = new JsonArray(a.Values.Select(v => v?.DeepClone()).ToArray()),
        }).ToArray());
        if (!Collapsed) return axes;
        return new JsonObject
        {
            ["axes"] = axes,
            ["points"] = new JsonArray(_points.Select(p => (JsonNode)new JsonObject { ["id"] = p.Id, ["assignment"] = p.Assignment.DeepClone() }).ToArray()),
        };
    }

    /// <summary>The grid <see cref="ToJson"/> wrote.</summary>
    public static SettingsGrid FromJson(JsonNode? node)
    {
        if (node is JsonObject collapsed)
        {
            var listed = collapsed["points"] as JsonArray ?? throw new MultiscaleException("the sweep's collapsed grid lists no points");
            return new SettingsGrid(ReadAxes(collapsed["axes"]), listed.Select((p, i) => new SettingsGridPoint(i,
                p?["id"]?.GetValue<string>() ?? throw new MultiscaleException("a grid point has no id"),
                p["assignment"] as JsonObject is { } a ? (JsonObject)a.DeepClone() : throw new MultiscaleException("a grid point has no assignment"))));
        }
        return new SettingsGrid(ReadAxes(node));
    }

    private static List<SettingsAxis> ReadAxes(JsonNode? node)
    {
        if (node is not JsonArray axes) throw new MultiscaleException("the sweep's grid is missing");
        var list = axes.Select(a => new SettingsAxis(
            a?["field"]?.GetValue<string>() ?? throw new MultiscaleException("a grid axis has no field"),
            (a["values"] as JsonArray ?? throw new MultiscaleException("a grid axis has no values")).Select(v => v?.DeepClone()).ToList())).ToList();
        _ = new SettingsGrid(list);   // the same checks as when it was built
        return list;
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
