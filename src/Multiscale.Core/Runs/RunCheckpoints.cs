using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// Where and when one run checkpoints, and the checkpoint it continues from. A hosted method asks
/// <see cref="Due"/> after every step, writes its whole state with <see cref="Save"/> when it is due and when the run is
/// cancelled, and starts from <see cref="Resume"/> when one is given. Every saved checkpoint carries the method's name
/// and settings (<see cref="Header"/>), so a host can tell whether a folder's unfinished run is the one it is asked for.
/// </summary>
public sealed class RunCheckpoints : IDisposable
{
    private readonly Stopwatch _sinceSave = Stopwatch.StartNew();
    private int _units;

    /// <summary>
    /// Checkpoints to <paramref name="path"/> every <paramref name="interval"/>; <paramref name="header"/> (method and
    /// settings) is stored in each; <paramref name="resume"/> is the state to continue from (null: a fresh start), owned
    /// by this object from now on.
    /// </summary>
    public RunCheckpoints(string path, CheckpointInterval interval, JsonObject header, Checkpoint? resume = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(interval);
        ArgumentNullException.ThrowIfNull(header);
        Path = System.IO.Path.GetFullPath(path);
        Interval = interval;
        Header = header;
        Resume = resume;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>How often periodic checkpoints are written.</summary>
    public CheckpointInterval Interval { get; }

    /// <summary>What every checkpoint records about its run (<c>method</c>, <c>settings</c>).</summary>
    public JsonObject Header { get; }

    /// <summary>The state to continue from, or null for a fresh start.</summary>
    public Checkpoint? Resume { get; }

    /// <summary>Checkpoints written so far.</summary>
    public int Saved { get; private set; }

    /// <summary>
    /// Whether a periodic checkpoint is due now; <paramref name="unitEnded"/> is true when a step ends one of the
    /// method's units (an epoch, an evaluation; counted for unit intervals), false after any other step (timed intervals are checked after every step).
    /// </summary>
    public bool Due(bool unitEnded)
    {
        if (unitEnded) _units++;
        return Interval.Time is { } time ? _sinceSave.Elapsed >= time
            : Interval.Units is { } units && unitEnded && _units >= units;
    }

    /// <summary>Writes <paramref name="checkpoint"/> (with the header) atomically and restarts the interval.</summary>
    public void Save(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        checkpoint.State["run"] = Header.DeepClone();
        checkpoint.Save(Path);
        Saved++;
        _units = 0;
        _sinceSave.Restart();
    }

    /// <summary>The header of the checkpoint at <paramref name="path"/> (its state.json's <c>run</c>), or null when there is none or it is unreadable.</summary>
    public static JsonObject? ReadHeader(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry("state.json");
            if (entry is null) return null;
            using var s = entry.Open();
            return (JsonNode.Parse(s) as JsonObject)?["run"]?.DeepClone() as JsonObject;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException or InvalidOperationException) { return null; }
    }

    /// <summary>Releases the resumed state.</summary>
    public void Dispose() => Resume?.Dispose();
}
