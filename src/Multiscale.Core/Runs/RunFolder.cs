using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.IO;

namespace Multiscale.Runs;

/// <summary>Draws a <see cref="RunFigure"/> to a PNG file (the host's plotting library; the core has none).</summary>
public interface IFigureRenderer
{
    /// <summary>Writes <paramref name="figure"/> to <paramref name="path"/>, atomically.</summary>
    void Render(RunFigure figure, string path);
}

/// <summary>
/// One run's folder, the layout every hosted method shares: TensorBoard event files while it trains (a sub-run's in
/// <c>&lt;run&gt;/</c>), then <c>metrics.csv</c>, the figures, <c>config.json</c> and <c>report.json</c> — written last, so
/// its presence marks a complete run. Trained arrays go to <c>weights.npz</c> before it. A run that is cancelled or fails before <see cref="Complete"/> adds nothing but
/// its checkpoint (<see cref="CheckpointPath"/>, when the method wrote one, to resume from): its event files are
/// removed, and a folder this run created is removed when nothing else is in it. A completion that
/// fails part-way leaves no <c>report.json</c> (an earlier run's is removed first), so the folder never claims a
/// complete run it does not hold.
/// </summary>
public sealed class RunFolder : IDisposable
{
    private readonly bool _created;
    private readonly bool _tensorBoard;
    private readonly Dictionary<string, (TensorBoardScalars Writer, double Start)> _boards = new();
    private readonly object _gate = new();
    private bool _completed;
    private bool _disposed;

    /// <summary>Opens (creating when missing) <paramref name="directory"/>; with <paramref name="tensorBoard"/> false no event files are written.</summary>
    public RunFolder(string directory, bool tensorBoard = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        if (File.Exists(Directory)) throw new MultiscaleException($"output folder '{Directory}' is a file");
        _created = !System.IO.Directory.Exists(Directory);
        System.IO.Directory.CreateDirectory(Directory);
        _tensorBoard = tensorBoard;
    }

    /// <summary>The folder's full path.</summary>
    public string Directory { get; }

    /// <summary>
    /// Where an unfinished run keeps its checkpoint (<c>checkpoint.zip</c>): written while it trains and when it is
    /// stopped, removed when the run completes.
    /// </summary>
    public string CheckpointPath => Path.Combine(Directory, CheckpointFile);

    /// <summary>The checkpoint's file name inside a run folder.</summary>
    public const string CheckpointFile = "checkpoint.zip";

    /// <summary>The trained arrays' file name inside a run folder (<see cref="RunRecord.Arrays"/>, a NumPy <c>.npz</c>).</summary>
    public const string WeightsFile = "weights.npz";

    /// <summary>The same arrays as <see cref="WeightsFile"/> in the safetensors format (Hugging Face's loaders read it without numpy).</summary>
    public const string SafeWeightsFile = "weights.safetensors";

    /// <summary>The event files this run has written so far.</summary>
    public IReadOnlyList<string> EventFiles
    {
        get { lock (_gate) return _boards.Values.Select(b => b.Writer.FilePath).ToList(); }
    }

    /// <summary>
    /// A reporter that sends lines to <paramref name="lines"/> and curve points to this folder's TensorBoard files.
    /// TensorBoard's relative-time axis then shows the method's training clock.
    /// </summary>
    public IRunReporter Reporter(Action<string>? lines = null) => new FolderReporter(this, lines);

    /// <summary>
    /// Writes the finished run: <c>metrics.csv</c>, <c>weights.npz</c> (the record's arrays; an earlier one is removed when there are none), each figure through <paramref name="renderer"/> (skipped when
    /// null), <c>config.json</c> (<paramref name="config"/>) and <c>report.json</c>. Event files of earlier runs in this
    /// folder and its sub-run folders are then removed, since TensorBoard would draw old and new curves as one run.
    /// </summary>
    public IReadOnlyList<string> Complete(RunRecord record, JsonObject config, IFigureRenderer? renderer)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(config);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var (writer, _) in _boards.Values) writer.Dispose();
            // An earlier run's report would mark this folder complete while the new files are half in place.
            File.Delete(Path.Combine(Directory, "report.json"));
            var written = new List<string>();
            string metrics = Path.Combine(Directory, "metrics.csv");
            AtomicFile.WriteAllText(metrics, record.Metrics.ToCsv());
            written.Add(metrics);
            string weights = Path.Combine(Directory, WeightsFile), safeWeights = Path.Combine(Directory, SafeWeightsFile);
            if (record.Arrays is { Count: > 0 } arrays)
            {
                WriteArrays(weights, safeWeights, arrays);
                written.Add(weights);
                written.Add(safeWeights);
            }
            else
            {
                // An earlier run's weights would pass for this run's.
                File.Delete(weights);
                File.Delete(safeWeights);
            }
            if (renderer is not null)
                foreach (var figure in record.Figures)
                {
                    string png = Path.Combine(Directory, figure.Name + ".png");
                    renderer.Render(figure, png);
                    written.Add(png);
                }
            WriteJson(Path.Combine(Directory, "config.json"), config);
            written.Add(Path.Combine(Directory, "config.json"));
            string report = Path.Combine(Directory, "report.json");
            WriteJson(report, record.Report);
            written.Add(report);
            _completed = true;
            // The run is complete: nothing is left to resume.
            try { File.Delete(CheckpointPath); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            RemoveStaleEvents();
            return written;
        }
    }

    /// <summary>Without a <see cref="Complete"/> before it, removes what this run wrote (its event files, and the folder it created if now empty).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var (writer, _) in _boards.Values) writer.Dispose();
            if (_completed) return;
            foreach (var (run, (writer, _)) in _boards)
            {
                try { File.Delete(writer.FilePath); } catch (IOException) { }
                if (run.Length > 0) RemoveIfEmpty(FolderOf(run));
            }
            if (_created) RemoveIfEmpty(Directory);
        }
    }

    /// <summary>The configuration header every host writes: method, version, the command that ran, and the method's settings.</summary>
    public static JsonObject Config(string method, IEnumerable<string>? arguments, JsonObject settings) => new()
    {
        ["method"] = method,
        ["version"] = Version,
        ["arguments"] = arguments is null ? null : new JsonArray(arguments.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
        ["settings"] = settings.DeepClone(),
    };

    /// <summary>Writes the arrays as one <c>.npz</c> (deflated) and one <c>.safetensors</c>, each atomically.</summary>
    private static void WriteArrays(string path, string safePath, IReadOnlyList<RunArray> arrays)
    {
        var tensors = new Dictionary<string, TorchSharp.torch.Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var a in arrays)
            {
                if (tensors.ContainsKey(a.Name)) throw new ArgumentException($"the run record holds the array '{a.Name}' twice");
                tensors[a.Name] = a.ToTensor();
            }
            Npz.Write(path, tensors);
            SafeTensors.Write(safePath, tensors, new Dictionary<string, string> { ["producer"] = "multiscale " + Version });
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static string Version =>
        typeof(RunFolder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Writes indented JSON atomically.</summary>
    public static void WriteJson(string path, JsonNode node) =>
        AtomicFile.WriteAllText(path, node.ToJsonString(JsonOptions) + "\n");

    // Relaxed escaping keeps paths and versions readable ("1.0.0+abc", not "1.0.0\u002Babc"); the files are never embedded in HTML.
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Removes event files of earlier runs in this folder and in its sub-run folders, best effort: a file another
    /// program holds open stays, and the run is complete either way. A sub-folder counts as a sub-run's only when it
    /// holds nothing but event files, so another run's folder nested under this one is never touched.
    /// </summary>
    private void RemoveStaleEvents()
    {
        var mine = _boards.Values.Select(b => b.Writer.FilePath).ToHashSet();
        var subRuns = System.IO.Directory.GetDirectories(Directory).Where(d =>
            System.IO.Directory.EnumerateFileSystemEntries(d).All(e => File.Exists(e) && Path.GetFileName(e).StartsWith("events.out.tfevents.", StringComparison.Ordinal)));
        foreach (var folder in subRuns.Prepend(Directory).ToList())
        {
            foreach (var stale in System.IO.Directory.GetFiles(folder, "events.out.tfevents.*").Where(f => !mine.Contains(f)))
            {
                try { File.Delete(stale); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            if (folder != Directory && !_boards.ContainsKey(Path.GetFileName(folder))) RemoveIfEmpty(folder);
        }
    }

    private string FolderOf(string run) => run.Length == 0 ? Directory : Path.Combine(Directory, run);

    private static void RemoveIfEmpty(string folder)
    {
        try
        {
            if (System.IO.Directory.Exists(folder) && !System.IO.Directory.EnumerateFileSystemEntries(folder).Any())
                System.IO.Directory.Delete(folder);
        }
        catch (IOException) { }
    }

    private void Add(string? run, string tag, double value, long step, double seconds)
    {
        if (!_tensorBoard) return;
        string key = run ?? "";
        if (key.Length > 0 && (key.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || key is "." or ".."))
            throw new ArgumentException($"sub-run name '{run}' is not a folder name", nameof(run));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_completed) return;
            if (!_boards.TryGetValue(key, out var board))
            {
                // Wall time = the run's start + its training clock, so pauses (evaluation, other sub-runs) do not
                // stretch TensorBoard's relative-time axis.
                board = (new TensorBoardScalars(FolderOf(key)), TensorBoardScalars.UnixNow() - seconds);
                _boards[key] = board;
            }
            board.Writer.Add(tag, value, step, board.Start + seconds);
        }
    }

    private sealed class FolderReporter(RunFolder folder, Action<string>? lines) : IRunReporter
    {
        public void Line(string text) => lines?.Invoke(text);

        public void Scalar(string? run, string tag, double value, long step, double seconds) => folder.Add(run, tag, value, step, seconds);
    }
}
