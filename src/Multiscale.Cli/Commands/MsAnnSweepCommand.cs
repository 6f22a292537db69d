using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.MsAnn;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// <c>multiscale msann sweep</c> (a grid over γ, L, k, or one shard of it) and <c>multiscale msann summarize</c>
/// (merges shards into the paper's Table 1–3 summary).
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
            var grid = SweepGrid.Build(g, l, kk);
            var method = new MsAnnMethod();
            var input = shared.Gather(parse, config, gammas, levels, ks, shard, shardCount, outDir, checkpointEvery);
            // The shared settings are read at the grid's deepest hierarchy, so options that need coarse levels are checked.
            input.Settings["levels"] = l.Max();
            input.Settings["gamma"] = g[0];
            input.Settings["k"] = kk[0];
            var setup = input.Read(method.ReadSettings) with { MapCache = shared.MapCache(parse) };
            // Every depth is checked before anything trains, so a bad grid fails in seconds, not after hours.
            var runs = grid.ToDictionary(r => r.Id, r => RunSettings(setup, r));
            foreach (var r in runs.Values) r.Validate();
            var sweepConfig = SweepGrid.Config(method.Describe(setup), g, l, kk);
            var mine = SweepGrid.Select(grid, index, count);
            var dev = DeviceChoice.Resolve(shared.Device(parse));
            string dir = parse.GetValue(outDir)!.FullName;
            output.WriteLine($"msann sweep {setup.Data.Task}: {grid.Count} runs in the grid, shard {index}/{count} ({shardSource}) has {mine.Count}; layers {string.Join(',', setup.Sizes)}, budget {setup.Training.Budget}, {dev}");

            // Figures are left out: a sweep's runs are compared in the summary, not one by one. Each run's config.json
            // records it as a plain msann command line (for a reader) and holds its own settings, which 'rerun' repeats.
            var points = mine.Select(run => new SweepPoint<MsAnnSettings>(run.Id, runs[run.Id],
                MethodHost.SweepRunArguments(parse, run.Levels, run.Gamma, run.K, Path.Combine(dir, "runs", run.Id)))).ToList();
            var runner = new SweepRunner(dir, dev, interval, Figures: false, parse, output, error);
            var (code, reports) = runner.Run(method, points, "msann sweep", TryReadFinished);
            if (code != 0) return code;
            var rows = mine.Zip(reports, (run, report) => SweepRow.FromReport(report, run, Path.Combine(dir, "runs", run.Id))).ToList();
            string part = Path.Combine(dir, SweepGrid.PartFileName(index, count));
            RunFolder.WriteJson(part, SweepGrid.Part(sweepConfig, index, count, grid.Count, rows));
            output.WriteLine($"wrote {part}");
            if (count == 1)
            {
                var written = SweepGrid.WriteSummary(dir, sweepConfig, rows);
                output.WriteLine($"wrote {string.Join(", ", written)}");
            }
            return 0;
        }));
        return command;
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
            var files = SweepRunner.PartFiles(summaryOut, parse.GetValue(parts)!);
            var (config, rows) = SweepGrid.Merge(files);
            var written = SweepGrid.WriteSummary(parse.GetValue(outPath)!, config, rows);
            output.WriteLine($"merged {files.Count} part(s), {rows.Count} runs; wrote {string.Join(", ", written)}");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// A run's settings: the shared ones with its (γ, L, k); the default run (L = 0) has no coarse levels, so no coarse
    /// model. The grid is not among them, so widening a sweep keeps its finished runs.
    /// </summary>
    private static MsAnnSettings RunSettings(MsAnnSettings shared, SweepRun run) => run.Levels == 0
        ? shared with { Schedule = new CycleSchedule(0, 1, 1), Training = shared.Training with { TauCorrection = null } }
        : shared with { Schedule = new CycleSchedule(run.Levels, run.Gamma!.Value, run.K!.Value) };

    /// <summary>
    /// The report of a run whose report.json exists and whose settings — config.json's, or for a run written before
    /// config.json existed the report's own <c>config</c> — equal <paramref name="runConfig"/>; otherwise null (it trains again).
    /// </summary>
    private static JsonObject? TryReadFinished(string runDir, JsonObject runConfig)
    {
        string report = Path.Combine(runDir, "report.json"), config = Path.Combine(runDir, "config.json");
        if (!File.Exists(report)) return null;
        try
        {
            var reportJson = JsonNode.Parse(File.ReadAllText(report))!.AsObject();
            var settings = File.Exists(config) ? JsonNode.Parse(File.ReadAllText(config))!["settings"] : reportJson["config"];
            if (!SweepGrid.SameConfig(settings, runConfig)) return null;
            // A report the summary cannot read (a run killed while writing it by an older version) trains again.
            _ = SweepRow.FromReport(reportJson, new SweepRun(null, 0, null), runDir);
            return reportJson;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or MultiscaleException or IOException) { return null; }
    }
}
