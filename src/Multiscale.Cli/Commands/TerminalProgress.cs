using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Multiscale.Cli.Commands;

/// <summary>
/// The live progress display at a terminal (Spectre.Console): one task line with what runs (start, level, run),
/// the current objective or loss, a bar and ETA when the amount of work is known, the rate, and the elapsed time; and
/// for commands made of many pieces (a sweep's runs, a bench's sections) an overall line above it with their count,
/// bar and ETA.
/// Every line a command prints goes through <see cref="Output"/>, which Spectre renders above the live line.
/// Only <c>Program</c> starts it, and only when stdout is a terminal; redirected output (tests, CI, logs) keeps the
/// plain lines of <see cref="Progress"/>, since Spectre's display would print nothing there.
/// </summary>
internal sealed class TerminalProgress : IDisposable
{
    private readonly IAnsiConsole _console;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private Task? _display;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private ProgressTask? _overall;
    private double? _total;
    private string _unit = "it";
    private string _overallUnit = "";

    /// <summary>The display of this process, or null when output is not a terminal.</summary>
    public static TerminalProgress? Current { get; private set; }

    private TerminalProgress(IAnsiConsole console)
    {
        _console = console;
        Output = new LineWriter(this);
    }

    /// <summary>Starts the display when stdout is an interactive terminal; null otherwise.</summary>
    public static TerminalProgress? StartIfTerminal()
    {
        if (Console.IsOutputRedirected || Environment.GetEnvironmentVariable("TERM") is "dumb") return null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (!console.Profile.Capabilities.Interactive || !console.Profile.Capabilities.Ansi) return null;
        return Current = new TerminalProgress(console);
    }

    /// <summary>Where commands write their lines while the display runs.</summary>
    public TextWriter Output { get; }

    /// <summary>
    /// Shows <paramref name="what"/> on the live line, with <paramref name="done"/> of <paramref name="total"/>
    /// <paramref name="unit"/>s (no total: no bar and no ETA, the rate and elapsed time only).
    /// </summary>
    public void Update(string what, double done, double? total, string unit)
    {
        lock (_gate)
        {
            // Work that starts over (another start, run, level or section) gets a fresh task: its own rate and ETA.
            string description = Label(what);
            if (_task is null || _unit != unit || _total != total || done < _task.Value) NewTask(description);
            var task = _task!;
            _unit = unit;
            _total = total;
            task.Description = description;
            task.IsIndeterminate = total is null;
            task.MaxValue = total is > 0 ? total.Value : Math.Max(done, 1);
            task.Value = Math.Min(done, task.MaxValue);
        }
    }

    /// <summary>
    /// Shows the overall line: <paramref name="done"/> of <paramref name="total"/> pieces (runs, sections) finished,
    /// with <paramref name="what"/> naming the one under way; its bar and ETA follow the pieces, not the work inside one.
    /// </summary>
    public void Overall(string what, double done, double total, string unit)
    {
        lock (_gate)
        {
            if (_overall is null)
            {
                EnsureDisplay();
                _overall = _task is null ? _context!.AddTask(Label(what), maxValue: Math.Max(total, 1)) : _context!.AddTaskBefore(Label(what), new ProgressTaskSettings { MaxValue = Math.Max(total, 1) }, _task);
            }
            _overallUnit = unit;
            _overall.Description = Label(what);
            _overall.MaxValue = Math.Max(total, 1);
            _overall.Value = Math.Min(done, _overall.MaxValue);
        }
    }

    /// <summary>Shows <paramref name="what"/> as a new phase of unknown size (no bar, no rate, its elapsed time).</summary>
    public void Describe(string what)
    {
        lock (_gate)
        {
            NewTask(Label(what));
            _unit = "";
            _total = null;
            _task!.IsIndeterminate = true;
        }
    }

    /// <summary>Spectre refuses an empty task name and reads brackets as markup.</summary>
    private static string Label(string what) => what.Length == 0 ? "…" : Markup.Escape(what);

    private void NewTask(string description)
    {
        EnsureDisplay();
        _task?.StopTask();
        _task = _context!.AddTask(description, maxValue: 1);
    }

    private void EnsureDisplay()
    {
        if (_context is null)
        {
            var ready = new TaskCompletionSource<ProgressContext>();
            _display = _console.Progress()
                .AutoClear(true)
                .HideCompleted(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new WhenDeterminate(new PercentageColumn()),
                    new RateColumn(task => task == _overall ? _overallUnit : _unit), new WhenDeterminate(new RemainingTimeColumn()), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    ready.SetResult(context);
                    await _finished.Task;
                });
            _context = ready.Task.Result;
        }
    }

    private void WriteLine(string text)
    {
        lock (_gate) _console.WriteLine(text);
    }

    /// <summary>Stops the live line (the lines printed stay) and hands the terminal back.</summary>
    public void Dispose()
    {
        _finished.TrySetResult();
        try { _display?.Wait(); }
        catch (AggregateException) { }
        Current = null;
    }

    /// <summary>Rate in the unit of the current work (iterations, cost units, epochs) per second.</summary>
    private sealed class RateColumn(Func<ProgressTask, string> unitOf) : ProgressColumn
    {
        // A rate without its unit would be misread: on a narrow terminal the description gives way, not this.
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            double? speed = task.Speed;
            string unit = unitOf(task);
            return new Text(speed is null || unit.Length == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{(speed.Value >= 100 ? speed.Value.ToString("N0", CultureInfo.InvariantCulture) : speed.Value.ToString("G3", CultureInfo.InvariantCulture))} {unit}/s"));
        }
    }

    /// <summary>A column shown only when the total is known (a percentage or ETA of unknown work would be made up).</summary>
    private sealed class WhenDeterminate(ProgressColumn inner) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.IsIndeterminate ? new Text("") : inner.Render(options, task, deltaTime);
    }

    /// <summary>A writer that hands each complete line to the display (partial writes wait for their newline).</summary>
    private sealed class LineWriter(TerminalProgress owner) : TextWriter
    {
        private readonly StringBuilder _pending = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                string line = _pending.ToString().TrimEnd('\r');
                _pending.Clear();
                owner.WriteLine(line);
            }
            else _pending.Append(value);
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            foreach (char c in value) Write(c);
        }

        public override void WriteLine(string? value)
        {
            Write(value);
            Write('\n');
        }

        public override void Flush()
        {
            if (_pending.Length > 0) Write('\n');
        }
    }
}
