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
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
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
    }
}
