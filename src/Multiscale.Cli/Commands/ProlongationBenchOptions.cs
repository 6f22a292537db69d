using System.CommandLine;
using Multiscale.Benchmarks;
using Multiscale.Benchmarks.Prolongation;
using Multiscale.IO;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale bench</c>: the options of <see cref="ProlongationBench"/> (docs/benchmarks.md and docs/prolongation.md),
/// read into its settings; the bench itself lives in Multiscale.Benchmarks.
/// </summary>
internal static class ProlongationBenchOptions
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outFile = new Option<FileInfo>("--out") { Description = "Markdown file to write.", DefaultValueFactory = _ => new FileInfo("docs/benchmarks.md") };
        var quick = new Option<bool>("--quick") { Description = "Small sizes only (seconds; what the test suite runs)." };
        var only = new Option<string[]>("--only") { Description = "Run only these sections: " + string.Join(", ", ProlongationBench.Sections) + ".", AllowMultipleArgumentsPerToken = true };
        var command = new Command("bench", "Run the prolongation-core benchmarks and write them as Markdown.") { outFile, quick, only };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.File(parse.GetValue(outFile)!.FullName);
            var settings = new ProlongationBenchSettings(parse.GetValue(quick), BenchOutput.Sections(parse.GetValue(only)));
            BenchOutput.Refuse(settings.Problem(), new Dictionary<string, string> { ["only"] = "--only" });
            return BenchOutput.Run(parse.GetValue(outFile)!, output, error, context => ProlongationBench.Run(settings, context));
        }));
        return command;
    }
}
