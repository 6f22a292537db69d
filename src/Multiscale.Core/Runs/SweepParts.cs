using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// The checks every merge of a sharded sweep's part files makes, whatever its rows hold: the parts come from one sweep
/// and one split, name each shard once, and hold each run once. A merge reads each part (<see cref="Read"/>), reports
/// its sweep and shard (<see cref="AddPart"/>) and its runs (<see cref="AddRun"/>); it then checks the grid is covered.
/// </summary>
/// <typeparam name="TKey">What identifies a run across parts (its id or grid index).</typeparam>
public sealed class SweepParts<TKey> where TKey : notnull
{
    private readonly Dictionary<int, string> _shards = new();
    private readonly Dictionary<TKey, string> _runs = new();
    private readonly string _sweeps;
    private string? _sweep;

    /// <summary>Creates the checks; <paramref name="sweeps"/> is how an error names sweeps that differ ("sweeps", "sweep configs").</summary>
    public SweepParts(string sweeps = "sweeps") => _sweeps = sweeps;

    /// <summary>The first part file read: the one the others are compared with.</summary>
    public string? First { get; private set; }

    /// <summary>The number of shards the parts split the sweep into (null before the first part).</summary>
    public int? Count { get; private set; }

    /// <summary>The shard indices seen so far.</summary>
    public IReadOnlyCollection<int> Shards => _shards.Keys;

    /// <summary>True when a part held the run <paramref name="key"/>.</summary>
    public bool Has(TKey key) => _runs.ContainsKey(key);

    /// <summary>The part file that held the run <paramref name="key"/>.</summary>
    public string FileOf(TKey key) => _runs[key];

    /// <summary>
    /// A part file's JSON object, checked to carry the format tag <paramref name="format"/>; <paramref name="kind"/>
    /// names such files in errors ("sweep part file").
    /// </summary>
    public static JsonObject Read(string file, string format, string kind)
    {
        ArgumentNullException.ThrowIfNull(file);
        JsonObject part;
        try { part = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new MultiscaleException($"'{file}' is not a {kind}"); }
        catch (JsonException e) { throw new MultiscaleException($"'{file}' is not a {kind} ({e.Message})"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new MultiscaleException($"cannot read '{file}': {e.Message}"); }
        string? found = part["format"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        if (found != format) throw new MultiscaleException($"'{file}' is not a {kind} (format '{part["format"]}', expected '{format}')");
        return part;
    }

    /// <summary>
    /// Records part <paramref name="file"/>: shard <paramref name="index"/> of <paramref name="count"/> of the sweep
    /// <paramref name="sweep"/> identifies (its configuration as text). Returns true for the first part; a part of
    /// another sweep is an error whose reason <paramref name="difference"/> gives.
    /// </summary>
    public bool AddPart(string file, string sweep, int index, int count, Func<string> difference)
    {
        bool first = _sweep is null;
        if (first) (_sweep, First) = (sweep, file);
        else if (_sweep != sweep)
            throw new MultiscaleException($"'{file}' and '{First}' come from different {_sweeps} ({difference()}); summarize one sweep at a time");
        if (Count is null) Count = count;
        else if (Count != count)
            throw new MultiscaleException($"'{file}' is shard {index}/{count} but other parts split the sweep into {Count}; mix parts of one split only");
        if (!_shards.TryAdd(index, file)) throw new MultiscaleException($"shard {index}/{count} appears twice: '{_shards[index]}' and '{file}'");
        return first;
    }

    /// <summary>Records the run <paramref name="key"/> (named <paramref name="id"/>) of part <paramref name="file"/>; a run in two parts is an error.</summary>
    public void AddRun(TKey key, string id, string file)
    {
        if (!_runs.TryAdd(key, file)) throw new MultiscaleException($"run {id} appears in both '{_runs[key]}' and '{file}' (overlapping parts)");
    }

    /// <summary>The shards of the split no part was given for, as "i/n".</summary>
    public IReadOnlyList<string> AbsentShards() =>
        Count is { } n ? Enumerable.Range(1, n).Where(i => !_shards.ContainsKey(i)).Select(i => $"{i}/{n}").ToList() : Array.Empty<string>();
}
