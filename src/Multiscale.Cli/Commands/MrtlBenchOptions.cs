using System.CommandLine;
using Multiscale.Benchmarks.Mrtl;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale mrtl bench</c>: the options of <see cref="MrtlBench"/> (docs/mrtl.md's evidence), read into its
/// settings; the bench itself lives in Multiscale.Benchmarks.
/// </summary>
internal static class MrtlBenchOptions
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outFile = new Option<FileInfo>("--out") { Description = "Markdown file to write.", DefaultValueFactory = _ => new FileInfo("docs/mrtl-benchmarks.md") };
        var quick = new Option<bool>("--quick") { Description = "Small data and one seed (seconds; what the test suite runs)." };
        var only = new Option<string[]>("--only") { Description = "Run only these sections: " + string.Join(", ", MrtlBench.Sections) + ".", AllowMultipleArgumentsPerToken = true };
        var seeds = new Option<int>("--seeds") { Description = "Seeds (data, split and initialization) per configuration.", DefaultValueFactory = _ => 3 };
        var tasks = new Option<string>("--tasks") { Description = "basketball, climate or both.", DefaultValueFactory = _ => "basketball,climate" };
        var device = CommonOptions.Device();
        var command = new Command("bench", "Measure MRTL against fixed resolution and random initialization, the finegraining maps and the criteria; write Markdown.")
        {
            outFile, quick, only, seeds, tasks, device,
        };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.File(parse.GetValue(outFile)!.FullName);
            var taskList = parse.GetValue(tasks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var dev = DeviceChoice.Resolve(parse.GetValue(device));
            var settings = new MrtlBenchSettings(parse.GetValue(quick), BenchOutput.Sections(parse.GetValue(only)), parse.GetValue(seeds), taskList, dev);
            BenchOutput.Refuse(settings.Problem(), new Dictionary<string, string> { ["only"] = "--only", ["seeds"] = "--seeds", ["tasks"] = "--tasks" });
            return BenchOutput.Run(parse.GetValue(outFile)!, output, error, context => MrtlBench.Run(settings, context));
        }));
        return command;
    }
}
