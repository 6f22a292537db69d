using System.CommandLine;
using Multiscale.Cli.Commands;

namespace Multiscale.Cli;

/// <summary>The <c>multiscale</c> command: builds the command tree and turns user errors into one line and exit code 1.</summary>
public static class MultiscaleCli
{
    /// <summary>Exit code for bad input (a spec, a file, an option value).</summary>
    public const int UserError = 1;

    /// <summary>Parses and runs <paramref name="args"/>, writing to the given streams; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = BuildRoot(output, error);
        var parse = root.Parse(args);
        // A command line that does not parse (a value of the wrong type, an unknown option or choice) is bad input like
        // any other: one error line and exit code 1, not the help text. Without arguments the help is what is wanted.
        if (parse.Errors.Count > 0 && args.Length > 0)
        {
            var command = string.Join(' ', Path(parse.CommandResult));
            // The token that is wrong says more than the missing subcommand it leaves behind.
            var first = parse.Errors.OrderBy(e => e.Message.StartsWith("Required command", StringComparison.Ordinal)).First();
            string message = System.Text.RegularExpressions.Regex.Replace(first.Message, @"\s+", " ").Trim().TrimEnd('.');
            error.WriteLine($"error: {message}" + (parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more)" : "") + $"; see '{command} --help'");
            return UserError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The names from the root to the parsed command ("multiscale msann sweep").</summary>
    private static IEnumerable<string> Path(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is System.CommandLine.Parsing.CommandResult c) names.Add(c.Parent is null ? "multiscale" : c.Command.Name);
        names.Reverse();
        return names;
    }

    /// <summary>The command tree.</summary>
    public static RootCommand BuildRoot(TextWriter output, TextWriter error)
    {
        var root = new RootCommand(
            "Multiscale: optimal prolongation maps between graphs, and the multiscale training methods built on them " +
            "(MsANN, MRTL).");
        root.Subcommands.Add(QuickstartCommand.Create(output, error));
        root.Subcommands.Add(GraphCommand.Create(output, error));
        root.Subcommands.Add(ProlongCommand.Create(output, error));
        root.Subcommands.Add(LineageCommand.Create(output, error));
        root.Subcommands.Add(MsAnnCommand.Create(output, error));
        root.Subcommands.Add(MrtlCommand.Create(output, error));
        root.Subcommands.Add(SweepCommand.Create(output, error));
        root.Subcommands.Add(RerunCommand.Create(output, error));
        root.Subcommands.Add(DataCommand.Create(output, error));
        root.Subcommands.Add(ProlongationBenchOptions.Create(output, error));
        return root;
    }

    /// <summary>Runs a command body, reporting <see cref="MultiscaleException"/> as one line on stderr.</summary>
    internal static int Guard(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (MultiscaleException e)
        {
            error.WriteLine($"error: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file or folder the checks before the run could not foresee (removed, filled, made read-only meanwhile).
            error.WriteLine($"error: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (OutOfMemory(e) is { } what)
        {
            // Sizes the checks before the run do not model (a batch, a rank) can still ask for more than the machine has.
            error.WriteLine($"error: out of memory: {what}; choose smaller sizes (batch, layers, rank, grids)");
            return UserError;
        }
    }

    /// <summary>What an allocation failure asked for (libtorch's "you tried to allocate N bytes", or .NET's), or null.</summary>
    internal static string? OutOfMemory(Exception e)
    {
        if (e is OutOfMemoryException) return "the .NET heap is exhausted";
        if (e is not System.Runtime.InteropServices.ExternalException || !e.Message.Contains("allocate", StringComparison.Ordinal)) return null;
        var m = System.Text.RegularExpressions.Regex.Match(e.Message, @"allocate (\d+) bytes");
        return m.Success && long.TryParse(m.Groups[1].Value, out long bytes)
            ? $"a tensor of {Multiscale.Graphs.SizeLimits.Bytes(bytes)} could not be allocated"
            : "a tensor could not be allocated";
    }
}
