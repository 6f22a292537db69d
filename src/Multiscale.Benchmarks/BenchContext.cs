using Multiscale.Runs;

namespace Multiscale.Benchmarks;

/// <summary>What a bench reports to and is stopped by; the Markdown it measures is its return value.</summary>
/// <param name="Log">Plain progress lines (a section's start, each run's settings and results).</param>
/// <param name="Cancellation">Stops a bench between sections and inside its runs and solves; a cancelled bench's Markdown is incomplete.</param>
public sealed record BenchContext(TextWriter Log, CancellationToken Cancellation = default)
{
    /// <summary>Receives the training runs' lines and curve points (null: the lines go to <see cref="Log"/>).</summary>
    public IRunReporter? Reporter { get; init; }

    /// <summary>Shown the sections' progress (null: nothing but <see cref="Log"/>).</summary>
    public IBenchProgress? Progress { get; init; }

    /// <summary>The reporter the runs use: <see cref="Reporter"/>, or lines to <see cref="Log"/>.</summary>
    internal IRunReporter RunReporter => Reporter ?? new LogReporter(Log);

    private sealed class LogReporter(TextWriter log) : IRunReporter
    {
        public void Line(string text) => log.WriteLine(text);

        public void Scalar(string? run, string tag, double value, long step, double seconds) { }
    }
}
