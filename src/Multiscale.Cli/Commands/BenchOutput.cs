using Multiscale.Benchmarks;
using Multiscale.IO;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>What the plugins' <c>bench</c> commands share: <c>--only</c> sections and the all-or-nothing Markdown write.</summary>
internal static class BenchOutput
{
    /// <summary>The sections named by <c>--only</c> (comma or space separated); the bench's settings check them.</summary>
    public static HashSet<string> Sections(string[]? only) =>
        (only ?? Array.Empty<string>()).SelectMany(x => x.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet();

    /// <summary>
    /// Refuses a bench's settings before any work when their own check finds a problem, naming the field by the
    /// option that set it (<paramref name="options"/>: settings field → option, e.g. <c>seeds</c> → <c>--seeds</c>):
    /// the checks live once, in the bench library, and the user still reads the flag they typed.
    /// </summary>
    public static void Refuse(SettingsException? problem, IReadOnlyDictionary<string, string> options)
    {
        if (problem is null) return;
        string Name(string field) => options.TryGetValue(field, out var option) ? option : $"'{field}'";
        throw new MultiscaleException($"{Name(problem.Field)} {SettingsException.Render(problem.Problem, Name)}", problem);
    }

    /// <summary>The benches' context at this console: log lines to <paramref name="output"/>, and at a terminal the live lines of <see cref="TerminalProgress"/>.</summary>
    public static BenchContext Context(TextWriter output, CancellationToken cancel = default) =>
        new(output, cancel) { Reporter = new LineReporter(output), Progress = new TerminalBenchProgress() };

    /// <summary>A bench's sections on <see cref="TerminalProgress"/>'s overall and live lines (nothing when none runs).</summary>
    private sealed class TerminalBenchProgress : IBenchProgress
    {
        public void Describe(string text) => TerminalProgress.Current?.Describe(text);

        public void Overall(string text, int done, int total) => TerminalProgress.Current?.Overall(text, done, total, "sections");
    }

    /// <summary>
    /// Runs a bench with Ctrl-C and SIGTERM as its cancellation, and writes its Markdown to <paramref name="file"/>, or
    /// nothing when it was cancelled (exit code 130) — the same semantics as every run.
    /// </summary>
    public static int Run(FileInfo file, TextWriter output, TextWriter error, Func<BenchContext, string> bench)
    {
        using var cancel = CancelOnCtrlC.Create();
        string markdown;
        try { markdown = bench(Context(output, cancel.Token)); }
        catch (OperationCanceledException) when (cancel.Token.IsCancellationRequested) { markdown = ""; }
        return Write(markdown, cancel.Token.IsCancellationRequested, file, output, error);
    }

    /// <summary>Writes the report atomically, or nothing when the run was cancelled (exit code 130).</summary>
    public static int Write(string markdown, bool cancelled, FileInfo file, TextWriter output, TextWriter error)
    {
        if (cancelled)
        {
            error.WriteLine("cancelled: nothing was written");
            return 130;
        }
        AtomicFile.WriteAllText(file.FullName, markdown);
        output.WriteLine($"wrote {file.FullName}");
        return 0;
    }
}
