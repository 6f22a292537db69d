using System.CommandLine;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// The command line's host of a sweep's runs (<see cref="Multiscale.Runs.SweepRunner"/> does the sweep): each run through
/// <see cref="MethodHost"/> (progress lines, TensorBoard, figures when asked, the run's config.json), the sweep's lines
/// to the console and its position to the terminal's overall line.
/// </summary>
internal sealed class CliSweepHost<TSettings>(string what, TorchSharp.torch.Device device, CheckpointInterval interval, bool figures,
    ParseResult parse, TextWriter output, TextWriter error, CancellationToken cancel,
    Func<SettingsGridPoint, string, IReadOnlyList<string>?>? arguments = null) : ISweepRunHost<TSettings>, ISweepProgress
{
    public bool Run(IMultiscaleMethod<TSettings> method, TSettings settings, SettingsGridPoint point, string directory) =>
        // The sweep says whether the run continues; the host need not say it again.
        MethodHost.Run(method, settings, parse, directory, device, output, error, cancel, (interval, Resume: true), figures,
            announced: true, arguments: arguments?.Invoke(point, directory)) == 0;

    public void Line(string text) => output.WriteLine(text);

    public void Run(int done, int total, string id) => TerminalProgress.Current?.Overall($"{what}: run {done + 1} of {total}, {id}", done, total, "runs");

    /// <summary>Runs the shard and says how it ended: 0, or 130 with the line that tells how to continue.</summary>
    public int RunShard(IMultiscaleMethod<TSettings> method, SweepPlan plan, IReadOnlyList<TSettings> settings, int index, int count, string directory)
    {
        var result = Multiscale.Runs.SweepRunner.RunShard(method, plan, settings, index, count, directory, this, this);
        if (result.Complete) return 0;
        error.WriteLine($"the sweep stopped at run {result.StoppedAt}: {result.Done} run(s) of this shard are complete under {Path.Combine(directory, "runs")}; run the same command again to continue");
        return 130;
    }
}
