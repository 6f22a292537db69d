using System.Diagnostics;
using System.Text.Json.Nodes;
using Multiscale.Tests.Shared;

namespace Multiscale.Cli.Tests;

/// <summary>
/// The real process, stopped the hard way: SIGKILL at a random moment after a checkpoint was written, or SIGTERM
/// (what Slurm and Kubernetes send) mid-run; then the same command with <c>--resume</c> in the same folder. The
/// resumed folder's metrics.csv and report.json equal an uninterrupted run's but for timings.
/// </summary>
public class KillAndResumeTests
{
    private static readonly string[] MsAnn = { "msann", "--layers", "64,16,64", "--levels", "2", "--gamma", "2", "--k", "2", "--budget", "8000", "--batch", "32", "--compare-default" };
    private static readonly string[] Mrtl = { "mrtl", "--size", "small", "--samples", "400", "--method", "all", "--epochs-full", "2", "--epochs-low", "2", "--rank", "2", "--cp-iterations", "20" };

    // The early-phase schedule: τ-corrected visits until cost 2,500, then the finest level only (the kill may land on either side).
    private static readonly string[] MsAnnCoarseUntil = MsAnn.Concat(new[] { "--coarse-model", "tau", "--tau-acceptance", "off", "--optimizer", "adam", "--coarse-until", "2500" }).ToArray();

    public static readonly TheoryData<string> Methods = new() { "msann", "mrtl", "msann-coarse-until" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void ARunKilledAfterACheckpointAndResumedEqualsTheUninterruptedRun(string method)
    {
        var args = method switch { "msann" => MsAnn, "msann-coarse-until" => MsAnnCoarseUntil, _ => Mrtl };
        var dir = CliRunner.TempDirectory();
        try
        {
            string straight = Path.Combine(dir.FullName, "straight"), killed = Path.Combine(dir.FullName, "killed");
            Assert.Equal(0, Finish(args, straight, "--checkpoint-every", "off"));

            var checkpoint = Path.Combine(killed, "checkpoint.zip");
            using (var p = Start(args.Concat(new[] { "--out", killed, "--checkpoint-every", "1" })))
            {
                var clock = Stopwatch.StartNew();
                while (!File.Exists(checkpoint) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(10);
                Assert.True(File.Exists(checkpoint), $"no checkpoint appeared (exited: {p.HasExited})");
                Thread.Sleep(new Random(method.Length).Next(400));   // an arbitrary moment after it, seeded
                Assert.False(p.HasExited, "the run finished before it could be killed; make it longer");
                p.Kill();   // SIGKILL: no handler runs
                p.WaitForExit();
            }
            Assert.False(File.Exists(Path.Combine(killed, "report.json")));
            Assert.True(File.Exists(checkpoint));

            // Without --resume the folder's unfinished run is one error, and nothing is touched.
            var (code, _, error) = CliRunner.Run(args.Concat(new[] { "--out", killed }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("add --resume to continue it", error);
            // With other settings it is refused even with --resume.
            (code, _, error) = CliRunner.Run(args.Concat(new[] { "--out", killed, "--resume", "--seed", "9" }).ToArray());
            Assert.Equal(MultiscaleCli.UserError, code);
            Assert.Contains("other settings (seed: 0 there, 9 here)", error);

            var lines = new List<string>();
            Assert.Equal(0, Finish(args, killed, lines, "--resume", "--checkpoint-every", "1"));
            Assert.Contains(lines, l => l.StartsWith("resuming the unfinished run from", StringComparison.Ordinal));
            Assert.False(File.Exists(checkpoint));
            AssertSameRun(straight, killed);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void SigtermStopsARunWithACheckpointAndANonZeroExitAndResumeFinishesIt()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string straight = Path.Combine(dir.FullName, "straight"), stopped = Path.Combine(dir.FullName, "stopped");
            Assert.Equal(0, Finish(MsAnn, straight, "--checkpoint-every", "off"));
            var lines = new List<string>();
            string stderr;
            int exit;
            using (var p = Start(MsAnn.Concat(new[] { "--out", stopped, "--checkpoint-every", "off" }), lines))
            {
                var clock = Stopwatch.StartNew();
                // Training has begun once a curve point was reported (its event file exists).
                while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3) &&
                       !(Directory.Exists(stopped) && Directory.GetFiles(stopped, "events.out.tfevents.*").Length > 0)) Thread.Sleep(10);
                Assert.False(p.HasExited, "the run ended before SIGTERM could be sent");
                using (var kill = Process.Start("kill", new[] { "-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })) kill.WaitForExit();
                p.WaitForExit();
                exit = p.ExitCode;
                stderr = p.StandardError.ReadToEnd();
            }
            Assert.True(exit == 130, $"exit {exit}: {stderr}");
            Assert.Contains("the same command with --resume continues it", stderr);
            Assert.True(File.Exists(Path.Combine(stopped, "checkpoint.zip")));
            Assert.False(File.Exists(Path.Combine(stopped, "report.json")));
            Assert.Empty(Directory.GetFiles(stopped, "events.out.tfevents.*", SearchOption.AllDirectories));   // no partial TensorBoard file
            Assert.Equal(0, Finish(MsAnn, stopped, "--resume", "--checkpoint-every", "off"));
            AssertSameRun(straight, stopped);
        }
        finally { dir.Delete(true); }
    }

    /// <summary>The map commands and the benches stop on SIGTERM as the methods do: exit 130, nothing written.</summary>
    [Theory]
    [InlineData("prolong --coarse grid:16x16 --fine grid:32x32 --s 0.5 --device cpu --out OUT", "prolong grid")]
    [InlineData("lineage --graph grid:32x32 --levels 2 --s 0.5 --no-cache --device cpu --out OUT", "lineage grid")]
    [InlineData("bench --only large nonseparable --out OUT.md", "== ")]
    public void SigtermStopsAMapCommandOrABenchWithNothingWritten(string command, string started)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string target = Path.Combine(dir.FullName, "out");
            var args = command.Split(' ').Select(a => a.Replace("OUT", target, StringComparison.Ordinal)).ToArray();
            var lines = new List<string>();
            int exit;
            string stderr;
            using (var p = Start(args, lines))
            {
                var clock = Stopwatch.StartNew();
                bool Began() { lock (lines) return lines.Any(l => l.Contains(started, StringComparison.Ordinal)); }
                while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2) && !Began()) Thread.Sleep(10);
                Thread.Sleep(300);   // inside the solve, past the setup
                Assert.False(p.HasExited, $"'{command}' ended before SIGTERM could be sent");
                using (var kill = Process.Start("kill", new[] { "-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })) kill.WaitForExit();
                Assert.True(p.WaitForExit(60_000), $"'{command}' did not stop within a minute of SIGTERM");
                exit = p.ExitCode;
                stderr = p.StandardError.ReadToEnd();
            }
            Assert.True(exit == 130, $"exit {exit}: {stderr}");
            Assert.Contains("cancelled: nothing was written", stderr);
            Assert.False(File.Exists(target + ".md"));
            Assert.False(File.Exists(Path.Combine(target, "report.json")));
            Assert.False(File.Exists(Path.Combine(target, "config.json")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AKilledSweepContinuesItsStoppedRunFromTheCheckpoint() =>
        KillASweepAndContinueIt(new[] { "msann", "sweep", "--layers", "64,16,64", "--levels", "0,2", "--gammas", "2", "--ks", "2", "--budget", "8000", "--batch", "32" });

    [Fact]
    public void AKilledSettingsSweepContinuesItsStoppedRunFromTheCheckpoint() =>
        KillASweepAndContinueIt(new[]
        {
            "sweep", "--method", "mrtl", "--set", "size=small", "--set", "samples=400", "--set", "method=all", "--set", "epochs_full=2",
            "--set", "epochs_low=2", "--set", "rank=2", "--set", "cp_iterations=20", "--grid", "seed=0,1",
        });

    /// <summary>
    /// Kills the sweep's process once a run has checkpointed, runs the same command again and checks that it resumes
    /// from the stopped checkpoint and that every run equals the uninterrupted sweep's.
    /// </summary>
    private static void KillASweepAndContinueIt(string[] sweep)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string straight = Path.Combine(dir.FullName, "straight"), killed = Path.Combine(dir.FullName, "killed");
            Assert.Equal(0, Finish(sweep, straight, "--checkpoint-every", "off"));
            using (var p = Start(sweep.Concat(new[] { "--out", killed, "--checkpoint-every", "1" })))
            {
                var clock = Stopwatch.StartNew();
                string runs = Path.Combine(killed, "runs");
                while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3) &&
                       !(Directory.Exists(runs) && Directory.GetFiles(runs, "checkpoint.zip", SearchOption.AllDirectories).Length > 0)) Thread.Sleep(10);
                Assert.False(p.HasExited, "the sweep finished before it could be killed");
                p.Kill();
                p.WaitForExit();
            }
            var stopped = Directory.GetFiles(Path.Combine(killed, "runs"), "checkpoint.zip", SearchOption.AllDirectories);
            Assert.Single(stopped);
            var lines = new List<string>();
            Assert.Equal(0, Finish(sweep, killed, lines, "--checkpoint-every", "1"));
            Assert.Contains(lines, l => l.Contains("resuming from " + stopped[0], StringComparison.Ordinal));
            Assert.Empty(Directory.GetFiles(killed, "checkpoint.zip", SearchOption.AllDirectories));
            foreach (var run in Directory.GetDirectories(Path.Combine(straight, "runs")))
                AssertSameRun(run, Path.Combine(killed, "runs", Path.GetFileName(run)));
        }
        finally { dir.Delete(true); }
    }

    /// <summary>The command as its own process (one thread, as every run here, so all three runs compute alike).</summary>
    private static Process Start(IEnumerable<string> args, List<string>? lines = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "multiscale.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = "1";
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null && lines is not null) lock (lines) lines.Add(e.Data); };
        p.BeginOutputReadLine();
        return p;
    }

    private static int Finish(string[] args, string outDir, params string[] extra) => Finish(args, outDir, new List<string>(), extra);

    private static int Finish(string[] args, string outDir, List<string> lines, params string[] extra)
    {
        using var p = Start(args.Concat(new[] { "--out", outDir }).Concat(extra), lines);
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, error);
        return p.ExitCode;
    }

    private static void AssertSameRun(string expected, string actual)
    {
        string[] Metrics(string d)
        {
            var lines = File.ReadAllLines(Path.Combine(d, "metrics.csv"));
            var timing = RunComparison.CsvFields(lines[0]).Select((c, i) => (c, i)).Where(t => t.c.Contains("seconds", StringComparison.Ordinal)).Select(t => t.i).ToHashSet();
            return lines.Select(l => string.Join('|', RunComparison.CsvFields(l).Where((_, i) => !timing.Contains(i)))).ToArray();
        }
        Assert.Equal(Metrics(expected), Metrics(actual));
        string Report(string d) => RunComparison.WithoutSeconds(JsonNode.Parse(File.ReadAllText(Path.Combine(d, "report.json")))!);
        Assert.Equal(Report(expected), Report(actual));
        // The trained weights too, bit for bit (a finished sub-run's come back from the checkpoint).
        var want = Multiscale.IO.Npz.Read(Path.Combine(expected, "weights.npz"));
        var got = Multiscale.IO.Npz.Read(Path.Combine(actual, "weights.npz"));
        try
        {
            Assert.NotEmpty(want);
            Assert.Equal(want.Keys, got.Keys);
            foreach (var (name, tensor) in want)
            {
                Assert.Equal(tensor.shape, got[name].shape);
                Assert.True(tensor.eq(got[name]).all().item<bool>(), name);
            }
        }
        finally
        {
            foreach (var t in want.Values.Concat(got.Values)) t.Dispose();
        }
    }
}
