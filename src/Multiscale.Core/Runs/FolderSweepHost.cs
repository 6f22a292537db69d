using System.Text.Json.Nodes;
using TorchSharp;

namespace Multiscale.Runs;

/// <summary>
/// The plain host of a sweep's runs, for a sweep run from C#: each run a <see cref="RunFolder"/> (config.json,
/// metrics.csv, TensorBoard events, report.json last; no figures), checkpointed every <see cref="Interval"/> and
/// continued from its folder's checkpoint, its progress lines to <paramref name="lines"/>.
/// </summary>
public sealed class FolderSweepHost<TSettings>(torch.Device device, CheckpointInterval interval, CancellationToken cancellation = default,
    Action<string>? lines = null) : ISweepRunHost<TSettings>
{
    /// <summary>How often each run checkpoints.</summary>
    public CheckpointInterval Interval { get; } = interval ?? throw new ArgumentNullException(nameof(interval));

    /// <inheritdoc/>
    public bool Run(IMultiscaleMethod<TSettings> method, TSettings settings, SettingsGridPoint point, string directory)
    {
        ArgumentNullException.ThrowIfNull(method);
        var described = method.Describe(settings);
        var header = new JsonObject { ["method"] = method.Name, ["settings"] = described.DeepClone() };
        string checkpointPath = Path.Combine(Path.GetFullPath(directory), RunFolder.CheckpointFile);
        // The sweep removed a checkpoint of other settings; one left here is this run's.
        var from = File.Exists(checkpointPath) ? Checkpoint.Load(checkpointPath) : null;
        using var checkpoints = new RunCheckpoints(checkpointPath, Interval, header, from);
        using var folder = new RunFolder(directory);
        var record = method.Run(settings, new RunContext(device, folder.Reporter(lines), cancellation, checkpoints));
        if (cancellation.IsCancellationRequested) return false;
        folder.Complete(record, RunFolder.Config(method.Name, arguments: null, described), renderer: null);
        return true;
    }
}
