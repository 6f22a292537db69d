using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale msann sweep</c> (a grid over γ, L, k, or one shard of it: the <see cref="MsAnnSweep"/> preset of the
/// generic sweep) and <c>multiscale msann summarize</c> (merges shards into the paper's Table 1–3 summary and the mean ±
/// sd over seeds). Options become settings here; the sweep itself runs in <see cref="Multiscale.Runs.SweepRunner"/>.
/// </summary>
internal static class MsAnnSweepCommand
{
    public static Command CreateSweep(TextWriter output, TextWriter error)
    {
        var shared = new MsAnnOptions();
        var config = SettingsInput.ConfigOption("msann");
        var gammas = new Option<string>("--gammas") { Description = "γ values to try (recursive calls per visit).", DefaultValueFactory = _ => "1,2,3" };
        var levels = new Option<string>("--levels") { Description = "Hierarchy depths L to try; 0 is default training, run once whatever γ and k.", DefaultValueFactory = _ => "0,1,2,3,4,5,6" };
        var ks = new Option<string>("--ks") { Description = "k values to try (batches per visit).", DefaultValueFactory = _ => "1,2,4,8,16,32,64,128" };
        var shard = new Option<string?>("--shard") { Description = "Run only part i of n (1-based, e.g. 3/8) of the grid; merge the parts with 'msann summarize'. Without it, a Slurm array task runs the shard of its position in the array (SLURM_ARRAY_TASK_ID within SLURM_ARRAY_TASK_MIN..MAX) and a Kubernetes indexed Job the shard JOB_COMPLETION_INDEX + 1 of --shard-count." };
        var shardCount = new Option<int?>("--shard-count") { Description = "Number of shards n when the shard index comes from a Kubernetes indexed Job (JOB_COMPLETION_INDEX, 0-based): the Job's completions." };
        var outDir = CommonOptions.Out("Sweep folder: runs/<id>/ (config.json, report.json, metrics.csv, TensorBoard events), sweep-part-<i>-of-<n>.json, and for an unsplit sweep (shard 1/1) the summary.");
        outDir.Required = true;
        var command = new Command("sweep", "Train every (γ, L, k) of a grid, or one shard of it, and write the Table 1–3 summary (paper 004, §4). Finished runs are skipped, so an interrupted sweep resumes.")
        {
            gammas, levels, ks, shard, shardCount, config, outDir,
        };
        shared.AddTo(command);
        var checkpointEvery = new CheckpointOptions("evaluations").Every;
        command.Options.Add(checkpointEvery);
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            OutputCheck.Folder(parse.GetValue(outDir)!.FullName);
            var interval = CheckpointInterval.Parse(parse.GetValue(checkpointEvery)!);
            var (index, count, shardSource) = SweepShard.Resolve(parse.GetValue(shard), parse.GetValue(shardCount), Environment.GetEnvironmentVariable);
            var g = MsAnnOptions.ParseList(parse.GetValue(gammas)!, "--gammas", min: 1);
            var l = MsAnnOptions.ParseList(parse.GetValue(levels)!, "--levels", min: 0);
            var kk = MsAnnOptions.ParseList(parse.GetValue(ks)!, "--ks", min: 1);
            RejectDuplicates(g, "--gammas");
            RejectDuplicates(l, "--levels");
            RejectDuplicates(kk, "--ks");
            var method = new MsAnnMethod();
            var input = shared.Gather(parse, config, gammas, levels, ks, shard, shardCount, outDir, checkpointEvery);
            // The shared settings are read at the grid's deepest hierarchy, so options that need coarse levels are
            // checked (and named as options) before the grid is; the grid's points then set γ, L and k on top of them.
            input.Settings["levels"] = l.Max();
            input.Settings["gamma"] = g[0];
            input.Settings["k"] = kk[0];
            var setup = input.Read(method.ReadSettings);
            var plan = MsAnnSweep.Plan(method.Describe(setup), g, l, kk, MsAnnSweep.DefaultMetrics);
            string? mapCache = shared.MapCache(parse);
            // Every point is read and checked before anything trains, so a bad grid fails in seconds, not after hours.
            var settings = Multiscale.Runs.SweepRunner.ReadPoints(method, plan, s => s with { MapCache = mapCache });
            var mine = plan.Grid.Shard(index, count);
            var dev = DeviceChoice.Resolve(shared.Device(parse));
            string dir = parse.GetValue(outDir)!.FullName;
            output.WriteLine($"msann sweep {setup.Data.Task}: {plan.Grid.Points.Count} runs in the grid, shard {index}/{count} ({shardSource}) has {mine.Count}; layers {string.Join(',', setup.Sizes)}, budget {setup.Training.Budget}, {dev}");

            // Figures are left out: a sweep's runs are compared in the summary, not one by one. Each run's config.json
            // records it as a plain msann command line (for a reader) and holds its own settings, which 'rerun' repeats.
            using var cancel = CancelOnCtrlC.Create();
            var host = new CliSweepHost<MsAnnSettings>("msann sweep", dev, interval, figures: false, parse, output, error, cancel.Token,
                (point, runDir) =>
                {
                    int depth = point.Assignment["levels"]!.GetValue<int>();
                    return MethodHost.SweepRunArguments(parse, depth, depth == 0 ? null : point.Assignment["gamma"]!.GetValue<int>(),
                        depth == 0 ? null : point.Assignment["k"]!.GetValue<int>(), runDir);
                });
            return host.RunShard(method, plan, settings, index, count, dir);
        }));
        return command;
    }

    private static void RejectDuplicates(IReadOnlyList<int> values, string option)
    {
        var twice = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new MultiscaleException($"{option} lists {twice.Key} more than once");
    }

    public static Command CreateSummarize(TextWriter output, TextWriter error)
    {
        var parts = new Argument<string[]>("parts") { Description = "Sweep folders (their sweep-part-*-of-*.json) or part files.", Arity = ArgumentArity.OneOrMore };
        var outPath = new Option<string>("--out") { Description = "Output folder (summary.json, summary.md, summary-runs.csv), or a .json file path (the .md and -runs.csv beside it).", Required = true };
        var command = new Command("summarize", "Merge the part files of a sharded sweep into the Table 1–3 summary (one sweep configuration at a time).")
        {
            parts, outPath,
        };
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            string summaryOut = parse.GetValue(outPath)!;
            var files = SweepFiles.PartFiles(summaryOut, parse.GetValue(parts)!);
            output.WriteLine(SweepFiles.Summarize(files, summaryOut, metrics: null, SweepFiles.Merge("sweep part file", "sweep configs")));
            return 0;
        }));
        return command;
    }
}
