using System.CommandLine;
using Multiscale.Benchmarks.MsAnn;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale msann bench</c>: the options of <see cref="MsAnnBench"/> (docs/msann.md's evidence), read into its
/// settings; the bench itself lives in Multiscale.Benchmarks.
/// </summary>
internal static class MsAnnBenchOptions
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outFile = new Option<FileInfo>("--out") { Description = "Markdown file to write.", DefaultValueFactory = _ => new FileInfo("docs/msann-benchmarks.md") };
        var quick = new Option<bool>("--quick") { Description = "Tiny networks and budgets (seconds; what the test suite runs)." };
        var only = new Option<string[]>("--only") { Description = "Run only these sections: " + string.Join(", ", MsAnnBench.Sections) + ".", AllowMultipleArgumentsPerToken = true };
        var mnist = new Option<DirectoryInfo?>("--mnist") { Description = "MNIST folder for the mnist section (see 'multiscale data mnist'); without it the section says how to get the data." };
        var budget = new Option<double>("--budget") { Description = "Cost budget of every MsANN run (default training runs to 256,000 or 8× this, to measure its cost to 1/10).", DefaultValueFactory = _ => 32_000 };
        var command = new Command("bench", "Measure MsANN against default training (Tables 1–3), the map strategies (§4.4) and memory over a long run; write Markdown.")
        {
            outFile, quick, only, mnist, budget,
        };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.File(parse.GetValue(outFile)!.FullName);
            var settings = new MsAnnBenchSettings(parse.GetValue(quick), BenchOutput.Sections(parse.GetValue(only)), parse.GetValue(mnist)?.FullName,
                parse.GetValue(budget), CommonOptions.DefaultCache())
            {
                MnistHowToGet = DataCommand.MnistHowToGet,
            };
            BenchOutput.Refuse(settings.Problem(), new Dictionary<string, string> { ["only"] = "--only", ["budget"] = "--budget", ["mnist_folder"] = "--mnist" });
            return BenchOutput.Run(parse.GetValue(outFile)!, output, error, context => MsAnnBench.Run(settings, context));
        }));
        return command;
    }
}
