using System.CommandLine;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale quickstart</c>: the README's main command — a short tour on built-in data: a graph and its spectrum,
/// an optimal map with its trade-off sweep, and a cached lineage. Each step is the real command with small sizes.
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder for every step's outputs.", DefaultValueFactory = _ => new DirectoryInfo("runs/quickstart") };
        var command = new Command("quickstart", "Run a short tour of Multiscale on built-in data (graph, prolong with an s sweep, lineage, a small MsANN run).") { outDir };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            var root = parse.GetValue(outDir)!.FullName;
            OutputCheck.Folder(root);
            string[][] steps =
            {
                new[] { "graph", "grid:16x16", "--out", Path.Combine(root, "graph"), "--matrices", "laplacian,distances" },
                new[] { "prolong", "--coarse", "cycle:32", "--fine", "cycle:64", "--s", "0,0.25,0.5,0.75,1", "--alpha", "1", "--out", Path.Combine(root, "prolong") },
                new[] { "prolong", "--coarse", "grid:4x4", "--fine", "grid:8x8", "--s", "1", "--out", Path.Combine(root, "prolong-grid") },
                new[] { "lineage", "--graph", "path:128", "--levels", "3", "--s", "1", "--no-cache", "--out", Path.Combine(root, "lineage") },
                new[] { "msann", "--task", "one-object", "--layers", "256,64,32,64,256", "--levels", "3", "--gamma", "2", "--k", "4", "--budget", "32000", "--compare-default", "--out", Path.Combine(root, "msann") },
                new[] { "mrtl", "--task", "basketball", "--size", "small", "--method", "all", "--out", Path.Combine(root, "mrtl") },
            };
            foreach (var step in steps)
            {
                output.WriteLine();
                output.WriteLine($"$ multiscale {string.Join(' ', step)}");
                int code = MultiscaleCli.Run(step, output, error);
                if (code != 0) return code;
            }
            output.WriteLine();
            output.WriteLine($"quickstart done: see {root} (report.json, P.png, tradeoff.png, lineage.json, msann/loss_vs_cost.png, mrtl/factors_*.png)");
            return 0;
        }));
        return command;
    }
}
