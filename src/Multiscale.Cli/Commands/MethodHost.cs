using System.CommandLine;
using Multiscale.Cli.Plots;
using Multiscale.Training;
using TorchSharp;

namespace Multiscale.Cli.Commands;

/// <summary>
/// Hosts a plugin method for a command: one run folder, a context on the chosen device with progress lines to the
/// console and curves to TensorBoard, and either the complete folder (config.json, metrics.csv, figures,
/// report.json) or, on Ctrl-C, nothing new at all.
/// </summary>
internal static class MethodHost
{
    public static int Run<TSettings>(IMultiscaleMethod<TSettings> method, TSettings settings, ParseResult parse, string directory,
        torch.Device device, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        using var folder = new RunFolder(directory);
        var context = new RunContext(device, folder.Reporter(output.WriteLine), cancel);
        var record = method.Run(settings, context);
        if (cancel.IsCancellationRequested)
        {
            error.WriteLine("cancelled: nothing was written");
            return 130;
        }
        folder.Complete(record, RunFolder.Config(method.Name, Arguments(parse), method.Describe(settings)), FigureRenderer.Instance);
        output.WriteLine($"wrote {folder.Directory}");
        return 0;
    }

    /// <summary>The command line as given (after the program name), so <c>multiscale rerun</c> can repeat it.</summary>
    public static IEnumerable<string> Arguments(ParseResult parse)
    {
        var tokens = parse.Tokens.Select(t => t.Value).ToList();
        // The leading command names are tokens too; keep them so the list is a complete command line.
        return tokens;
    }
}
