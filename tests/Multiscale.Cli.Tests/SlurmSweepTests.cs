using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;
using Xunit.Abstractions;

namespace Multiscale.Cli.Tests;

/// <summary>
/// A sharded sweep on a real Slurm cluster (the single node of <c>.ci/slurm-up.sh</c>): a job array of
/// examples/slurm/msann-sweep.sbatch, one task killed with SIGKILL mid-shard and requeued, the parts merged, and the
/// merged summary checked against an unsharded sweep's, which runs as an ordinary (non-array) job of the same script.
/// </summary>
[Trait("Category", "Slurm")]
public class SlurmSweepTests(ITestOutputHelper log)
{
    private const int Shards = 3;

    // 1 default run + 2 γ × 2 L × 2 k = 9 runs, 3 per shard, each ~1–3 s: a task is killed while it still has runs to do.
    private static readonly string[] Sweep =
    {
        "--layers", "16,8,16", "--gammas", "1,2", "--levels", "0,1,2", "--ks", "1,2", "--budget", "20000", "--batch", "16",
    };

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);

    [SlurmFact]
    public void KilledAndRequeuedArrayTaskMergesToTheUnshardedSummary()
    {
        var watch = Stopwatch.StartNew();
        var (code, text) = Run("sinfo", "-h", "-o", "%T");
        Assert.True(code == 0 && text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Any(s => s.Trim() is "idle" or "mixed" or "allocated"),
            $"MULTISCALE_SLURM=1 but Slurm has no usable node (sinfo exit {code}: {text.Trim()}); start it with .ci/slurm-up.sh");

        var root = CliRunner.TempDirectory();
        string sharded = Path.Combine(root.FullName, "sharded"), whole = Path.Combine(root.FullName, "whole"), merged = Path.Combine(root.FullName, "merged");
        string script = Path.Combine(CliRunner.RepoRoot(), "examples", "slurm", "msann-sweep.sbatch");
        var jobs = new List<string>();
        try
        {
            // 0-based task ids: the sweep maps them to shards 1..3 through SLURM_ARRAY_TASK_MIN.
            string array = Submit(root.FullName, $"--array=0-{Shards - 1}", $"--output={root.FullName}/task-%a.out", script, sharded);
            jobs.Add(array);
            string reference = Submit(root.FullName, $"--output={root.FullName}/whole.out", script, whole);
            jobs.Add(reference);
            log.WriteLine($"submitted array {array} and reference job {reference} after {watch.Elapsed.TotalSeconds:F1} s");

            // Shard 1's runs in their order; its task is killed once the first has finished and the last has not.
            var grid = MsAnnSweep.Grid(new JsonObject(), new[] { 1, 2 }, new[] { 0, 1, 2 }, new[] { 1, 2 });
            var mine = grid.Shard(1, Shards).Select(r => Path.Combine(sharded, "runs", r.Id, "report.json")).ToList();
            Assert.Equal(3, mine.Count);
            string task = $"{array}_0";
            // A task that ends before its first run is done has failed: report it now rather than after the patience.
            WaitFor(() => File.Exists(mine[0]) || JobField(task, "JobState") is not (null or "PENDING" or "RUNNING" or "CONFIGURING"),
                $"the first run of task {task} to finish", root.FullName);
            Assert.True(File.Exists(mine[0]), $"task {task} ended {JobField(task, "JobState")} before its first run finished\n{Logs(root.FullName)}");
            Assert.False(File.Exists(mine[^1]), $"task {task} finished its shard before it could be killed; the runs are too short for this test");
            Assert.Equal("RUNNING", JobField(task, "JobState"));
            (code, text) = Run("scancel", "--signal=KILL", "--batch", task);
            Assert.True(code == 0, "scancel: " + text);
            WaitFor(() => JobField(task, "JobState") is "FAILED" or "CANCELLED", $"task {task} to end after SIGKILL", root.FullName);
            Assert.Equal("0:9", JobField(task, "ExitCode"));  // killed by signal 9, not stopped cleanly
            Assert.False(File.Exists(Path.Combine(sharded, SettingsSweep.PartFileName(1, Shards))));
            var finished = mine.Where(File.Exists).ToDictionary(f => f, f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));
            Assert.InRange(finished.Count, 1, mine.Count - 1);
            log.WriteLine($"killed {task} with {finished.Count} of {mine.Count} runs finished after {watch.Elapsed.TotalSeconds:F1} s");

            // A task whose processes are still being cleaned up refuses a requeue for a moment.
            (code, text) = Run("scontrol", "requeue", task);
            for (int attempt = 0; code != 0 && attempt < 20; attempt++)
            {
                Thread.Sleep(500);
                (code, text) = Run("scontrol", "requeue", task);
            }
            Assert.True(code == 0, "scontrol requeue: " + text);
            // Slurm holds a requeued job for about two minutes (Reason=BeginTime); make it eligible now.
            (code, text) = Run("scontrol", "update", $"JobId={task}", "StartTime=now");
            Assert.True(code == 0, "scontrol update StartTime=now: " + text);

            var all = Enumerable.Range(0, Shards).Select(i => $"{array}_{i}").Append(reference).ToList();
            WaitFor(() => all.All(j => JobField(j, "JobState") is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "OUT_OF_MEMORY" or "NODE_FAIL"),
                "the array and the reference job to end", root.FullName);
            foreach (var j in all) Assert.True(JobField(j, "JobState") == "COMPLETED", $"job {j} ended {JobField(j, "JobState")}\n{Logs(root.FullName)}");
            Assert.Equal("1", JobField(task, "Restarts"));
            log.WriteLine($"all jobs completed after {watch.Elapsed.TotalSeconds:F1} s");

            // The runs finished before the kill were kept, not trained again.
            foreach (var (file, (bytes, time)) in finished)
            {
                Assert.Equal(bytes, File.ReadAllBytes(file));
                Assert.Equal(time, File.GetLastWriteTimeUtc(file));
            }
            for (int i = 1; i <= Shards; i++) Assert.True(File.Exists(Path.Combine(sharded, SettingsSweep.PartFileName(i, Shards))), $"part {i}/{Shards}\n{Logs(root.FullName)}");
            Assert.False(File.Exists(Path.Combine(sharded, "summary.json")));

            var (status, output, error) = CliRunner.Run("msann", "summarize", sharded, "--out", merged);
            Assert.True(status == 0, error + output);
            var expected = WithoutTimings(JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "summary.json"))));
            var actual = WithoutTimings(JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "summary.json"))));
            Assert.Equal(9, expected["runs"]!.GetValue<int>());
            Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
        }
        finally
        {
            foreach (var j in jobs) Run("scancel", j);
            root.Delete(recursive: true);
        }
    }

    /// <summary>Submits the sweep script with <c>sbatch</c>; the job runs this build's CLI on one thread.</summary>
    private string Submit(string workDir, params string[] args)
    {
        string outDir = args[^1];
        var sbatch = new List<string> { "--parsable", "--job-name=multiscale-test", $"--chdir={workDir}" };
        sbatch.AddRange(args[..^1]);
        sbatch.AddRange(Sweep);
        sbatch.Add("--out");
        sbatch.Add(outDir);
        var environment = new Dictionary<string, string>
        {
            ["MULTISCALE"] = $"{DotnetHost()} {Path.Combine(AppContext.BaseDirectory, "multiscale.dll")}",
        };
        var (code, text) = Run("sbatch", environment, sbatch.ToArray());
        Assert.True(code == 0, "sbatch: " + text);
        string id = text.Trim().Split(';')[0];
        Assert.Matches("^[0-9]+$", id);
        return id;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>A field of <c>scontrol show job -o</c> (e.g. JobState, ExitCode, Restarts); null when Slurm does not know the job.</summary>
    private static string? JobField(string job, string field)
    {
        var (code, text) = Run("scontrol", "show", "job", "-o", job);
        if (code != 0) return null;
        string prefix = field + "=";
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(t => t.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }

    private static void WaitFor(Func<bool> condition, string what, string logDir)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out after {Patience.TotalMinutes} min waiting for {what}\n{Run("squeue", "-a").Text}\n{Logs(logDir)}");
            Thread.Sleep(100);
        }
    }

    private static string Logs(string dir) =>
        string.Join("\n", Directory.GetFiles(dir, "*.out").Order(StringComparer.Ordinal).Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    /// <summary>The summary without its wall-clock fields (seconds and their ratios), which differ from run to run.</summary>
    private static JsonNode WithoutTimings(JsonNode? node)
    {
        Assert.NotNull(node);
        Strip(node);
        return node;

        static void Strip(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                foreach (var key in o.Select(p => p.Key).Where(k => k.Contains("seconds", StringComparison.Ordinal)).ToList()) o.Remove(key);
                foreach (var p in o) Strip(p.Value);
            }
            else if (n is JsonArray a)
                foreach (var item in a) Strip(item);
        }
    }

    private static (int Code, string Text) Run(string file, params string[] args) => Run(file, new Dictionary<string, string>(), args);

    private static (int Code, string Text) Run(string file, Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        Process p;
        try { p = Process.Start(info)!; }
        catch (Win32Exception e) { return (-1, $"cannot start {file}: {e.Message}"); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(60_000))
            {
                p.Kill(entireProcessTree: true);
                return (-1, $"{file} did not answer within 60 s");
            }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
