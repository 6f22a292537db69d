using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.Mrtl;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale sweep --method M --grid FIELD=V,V …</c>: a grid over any settings fields of a method (msann, mrtl),
/// or one shard of it, each run a complete run folder under <c>runs/&lt;id&gt;/</c>; finished runs are kept and stopped
/// ones continue from their checkpoints when the sweep runs again. <c>multiscale sweep summarize</c> merges the shards'
/// part files into one summary: runs grouped by all but the seed, mean ± sd over seeds.
/// </summary>
internal static class SweepCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var method = new Option<string>("--method") { Description = "The method whose settings are swept: msann or mrtl.", Required = true };
        var grid = new Option<string[]>("--grid")
        {
            Description = "A grid axis FIELD=V1,V2,… over a settings field (as config.json names it: seed, l2, lr_full, coarse_model, …); repeat for more axes. Values holding commas go in a JSON array: layers=[\"64,16,64\",\"128,32,128\"].",
            Required = true,
        };
        var set = new Option<string[]>("--set") { Description = "A setting FIELD=VALUE shared by every run (replaces the --config file's field); repeatable." };
        var config = new Option<FileInfo?>("--config") { Description = "Shared settings: a run folder's config.json or a JSON object of the method's settings." };
        var shard = new Option<string?>("--shard") { Description = "Run only part i of n (1-based, e.g. 3/8); merge the parts with 'multiscale sweep summarize'. Without it, a Slurm array task or a Kubernetes indexed Job picks its shard (as 'msann sweep' does)." };
        var shardCount = new Option<int?>("--shard-count") { Description = "Number of shards when the index comes from a Kubernetes indexed Job (JOB_COMPLETION_INDEX)." };
        var metrics = new Option<string?>("--metrics") { Description = "Report fields the summary shows, comma-separated, the ranking one first (lower is better); default for msann final_mse,seconds_to_tenth,cost_to_tenth,total_seconds, for mrtl val_loss,test_f1,test_mse,seconds_total." };
        var figures = new Option<bool>("--figures") { Description = "Render each run's figures (off by default: a sweep's runs are compared in its summary)." };
        var device = CommonOptions.Device();
        var cache = CommonOptions.Cache("optimized maps");
        var noCache = CommonOptions.NoCache();
        var checkpointEvery = new CheckpointOptions("evaluations or epochs").Every;
        var outDir = CommonOptions.Out("Sweep folder: runs/<id>/ (complete run folders), sweep-part-<i>-of-<n>.json, and for an unsplit sweep the summary (summary.json, summary.md, summary-runs.csv).");
        outDir.Required = true;
        var command = new Command("sweep", "Train every point of a grid over settings fields of msann or mrtl (or one shard of it) and summarize over seeds; finished runs are skipped, so an interrupted sweep resumes.")
        {
            method, grid, set, config, shard, shardCount, metrics, figures, device, cache, noCache, checkpointEvery, outDir,
        };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            var interval = CheckpointInterval.Parse(parse.GetValue(checkpointEvery)!);
            string name = parse.GetValue(method)!;
            // Checked here, not by the parser's choice list, so a wrong name is one error line like every other bad value.
            if (name is not ("msann" or "mrtl")) throw new MultiscaleException($"--method must be msann or mrtl (got '{name}')");
            var (index, count, source) = SweepShard.Resolve(parse.GetValue(shard), parse.GetValue(shardCount), Environment.GetEnvironmentVariable);
            var axes = parse.GetValue(grid)!.Select(SettingsGrid.ParseAxis).ToList();
            var shared = parse.GetValue(config) is { } file ? SettingsInput.ReadFile(file.FullName, name) : new JsonObject();
            foreach (var s in parse.GetValue(set) ?? Array.Empty<string>())
            {
                int eq = s.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) throw new MultiscaleException($"--set '{s}' is not FIELD=VALUE");
                shared[s[..eq].Trim()] = SettingsGrid.ParseValue(s[(eq + 1)..].Trim());
            }
            // MsANN's points with L = 0 are one default run whatever γ and k: the grid keeps the first of them.
            var settingsGrid = name == "msann" ? new SettingsGrid(axes, shared, MsAnnSweep.Canonical) : new SettingsGrid(axes);
            var shown = parse.GetValue(metrics) is { } m
                ? m.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : SweepFiles.DefaultMetrics[name];
            var dev = DeviceChoice.Resolve(parse.GetValue(device)!);
            string? mapCache = CommonOptions.CacheDirectory(parse, cache, noCache);
            string dir = parse.GetValue(outDir)!.FullName;
            output.WriteLine($"sweep {name}: {settingsGrid.Points.Count} runs in the grid ({string.Join(" × ", settingsGrid.Axes.Select(a => $"{a.Field} {a.Values.Count}"))}), shard {index}/{count} ({source})");
            var plan = new SweepPlan(shared, settingsGrid, SweepFiles.Summaries(name, null, shown));
            using var cancel = CancelOnCtrlC.Create();
            return name == "msann"
                ? Run(new MsAnnMethod(), plan, s => s with { MapCache = mapCache })
                : Run(new MultiresolutionTensorLearning(), plan, s => s with { Options = s.Options with { CacheDirectory = mapCache } });

            int Run<TSettings>(IMultiscaleMethod<TSettings> m, SweepPlan p, Func<TSettings, TSettings> host)
            {
                var settings = Multiscale.Runs.SweepRunner.ReadPoints(m, p, host);
                return new CliSweepHost<TSettings>($"sweep {m.Name}", dev, interval, parse.GetValue(figures), parse, output, error, cancel.Token)
                    .RunShard(m, p, settings, index, count, dir);
            }
        }));
        command.Subcommands.Add(CreateSummarize(output, error));
        return command;
    }

    private static Command CreateSummarize(TextWriter output, TextWriter error)
    {
        var parts = new Argument<string[]>("parts") { Description = "Sweep folders (their sweep-part-*-of-*.json) or part files.", Arity = ArgumentArity.OneOrMore };
        var metrics = new Option<string?>("--metrics") { Description = "Report fields to show, comma-separated, the ranking one first (default: the method's)." };
        var outPath = new Option<string>("--out") { Description = "Output folder (summary.json, summary.md, summary-runs.csv), or a .json file path (the .md and -runs.csv beside it).", Required = true };
        var command = new Command("summarize", "Merge the part files of a sharded settings sweep into one summary (mean ± sd over seeds).") { parts, metrics, outPath };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            string summaryOut = parse.GetValue(outPath)!;
            var files = SweepFiles.PartFiles(summaryOut, parse.GetValue(parts)!);
            var shown = parse.GetValue(metrics) is { } m ? m.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null;
            output.WriteLine(SweepFiles.Summarize(files, summaryOut, shown, SweepFiles.Merge()));
            return 0;
        }));
        return command;
    }
}
