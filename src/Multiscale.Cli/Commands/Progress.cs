using System.Diagnostics;
using System.Globalization;
using Multiscale.Prolongation;

namespace Multiscale.Cli.Commands;

/// <summary>
/// Plain progress lines, at most one per interval (Spectre's live display prints nothing when output is redirected,
/// as in CI, and a solve can take minutes: a line a second tells a user it is alive without flooding a log). At a
/// terminal the solver's iterations go to the live line of <see cref="TerminalProgress"/> instead.
/// </summary>
internal sealed class Progress(TextWriter output, double intervalSeconds = 1.0)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _last = double.NegativeInfinity;
    private string? _lastStart;
    private long _iterationsBefore, _iterationsInStart;

    public void Report(SolverProgress p)
    {
        if (TerminalProgress.Current is { } live)
        {
            if (p.Start != _lastStart) { _iterationsBefore += _iterationsInStart; _lastStart = p.Start; }
            _iterationsInStart = p.Record.Iteration;
            live.Update(string.Create(CultureInfo.InvariantCulture,
                $"start {p.Start}  it {p.Record.Iteration}  E = {p.Record.Cost:G8}  |grad| = {p.Record.GradientNorm:G3}"),
                _iterationsBefore + _iterationsInStart, null, "it");
            return;
        }
        double now = _clock.Elapsed.TotalSeconds;
        bool newStart = p.Start != _lastStart;
        if (!newStart && now - _last < intervalSeconds) return;
        _last = now;
        _lastStart = p.Start;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {p.Start,-10} it {p.Record.Iteration,6}  E = {p.Record.Cost,-14:G8} |grad| = {p.Record.GradientNorm,-10:G3} {p.Record.Seconds,7:F1}s"));
    }

    public void Line(string text)
    {
        output.WriteLine(text);
        TerminalProgress.Current?.Describe(text.Trim());
    }
}

/// <summary>A reporter for runs that keep no folder (benchmarks): lines to a writer, curve points dropped.</summary>
internal sealed class LineReporter(TextWriter output) : Multiscale.Runs.IRunReporter
{
    public void Line(string text) => output.WriteLine(text);

    public void Scalar(string? run, string tag, double value, long step, double seconds) =>
        _live?.Scalar(run, tag, value, step, seconds);

    private readonly LiveRunReporter? _live = TerminalProgress.Current is { } t ? new LiveRunReporter(Silent.Instance, t, "bench", null) : null;

    private sealed class Silent : Multiscale.Runs.IRunReporter
    {
        public static readonly Silent Instance = new();
        public void Line(string text) { }
        public void Scalar(string? run, string tag, double value, long step, double seconds) { }
    }
}
