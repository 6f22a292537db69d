using Multiscale.MsAnn.Data;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

/// <summary>
/// The load-robust clock: the training thread's CPU time advances with the thread's own work, not with sleeping, and
/// not with another thread's work; a run's CPU seconds are never more than its wall-clock seconds (one thread cannot
/// use more than one core) and are read on the same axis by the equal-time comparison.
/// </summary>
public class ThreadCpuTimeTests
{
    [Fact]
    public void TheClockIsPerThreadOnLinux() => Assert.Equal(OperatingSystem.IsLinux(), ThreadCpuTime.IsPerThread);

    [Fact]
    public void TheClockAdvancesWithWorkAndNotWithSleep()
    {
        double before = ThreadCpuTime.Seconds;
        Thread.Sleep(400);
        double slept = ThreadCpuTime.Seconds - before;
        Assert.True(slept < 0.05, $"{slept:F3} CPU s over a 0.4 s sleep");

        // Work until the clock has advanced 0.2 s: the loop ends only if the clock follows the work (under any load).
        var wall = System.Diagnostics.Stopwatch.StartNew();
        before = ThreadCpuTime.Seconds;
        using var a = randn(256, 256);
        while (ThreadCpuTime.Seconds - before < 0.2)
        {
            using var b = a.matmul(a);
            Assert.True(wall.Elapsed < TimeSpan.FromMinutes(2), "the CPU clock did not advance with work");
        }
        // ... and never faster than the wall-clock.
        Assert.True(ThreadCpuTime.Seconds - before <= wall.Elapsed.TotalSeconds + 0.02);
    }

    [Fact]
    public void AnotherThreadsWorkDoesNotAdvanceThisThreadsClock()
    {
        if (!ThreadCpuTime.IsPerThread) return;   // the process-clock fallback counts every thread
        // The other thread spins until its own clock shows 0.2 s (however long the load makes that); this one waits.
        double spun = 0;
        var spinner = new Thread(() =>
        {
            double start = ThreadCpuTime.Seconds;
            var wall = System.Diagnostics.Stopwatch.StartNew();
            while (ThreadCpuTime.Seconds - start < 0.2 && wall.Elapsed < TimeSpan.FromMinutes(2)) { }
            spun = ThreadCpuTime.Seconds - start;
        });
        double before = ThreadCpuTime.Seconds, processBefore = ThreadCpuTime.ProcessSeconds;
        spinner.Start();
        spinner.Join();
        double mine = ThreadCpuTime.Seconds - before, process = ThreadCpuTime.ProcessSeconds - processBefore;
        Assert.True(spun >= 0.2, $"the spinning thread got {spun:F3} CPU s in two minutes");
        Assert.True(process >= spun - 0.02, $"process {process:F3} s against the spinner's {spun:F3} s");
        Assert.True(mine < 0.05, $"the sleeping thread's clock advanced {mine:F3} s while another thread spun {spun:F3} s");
    }

    [Fact]
    public void ARunReportsCpuSecondsBesideWallClockAndComparesOnBothAxes()
    {
        using var data = new SyntheticObjectsData(64, 1, 3, CPU);
        var settings = new MsAnnSettings(AutoencoderDataSource.Opened(data), new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions { Budget = 4000, BatchSize = 32, LearningRate = 3e-3, EvaluateEvery = 512, Optimizer = OptimizerFlavor.Adam },
            Seed: 3, CompareDefault: true);
        var record = new MsAnnMethod().Run(settings, RunContext.Cpu());
        var report = record.Report;
        Assert.Equal(ThreadCpuTime.IsPerThread ? "thread" : "process", report["cpu_clock"]!.GetValue<string>());
        foreach (var numbers in new[] { report, report["default"]!.AsObject() })
        {
            double cpu = numbers["cpu_total_seconds"]!.GetValue<double>(), wall = numbers["total_seconds"]!.GetValue<double>();
            Assert.True(cpu > 0, "no CPU time was counted");
            if (ThreadCpuTime.IsPerThread) Assert.True(cpu <= wall * 1.01 + 2e-3, $"CPU {cpu} s > wall {wall} s");
            var split = numbers["cpu_seconds_split"]!.AsObject();
            double parts = split["fine_steps"]!.GetValue<double>() + split["coarse_steps"]!.GetValue<double>() + split["visit_setup"]!.GetValue<double>();
            Assert.True(parts <= cpu + 1e-9 && parts > 0.5 * cpu, $"CPU split {parts} of {cpu}");
            if (numbers["seconds_to_tenth"] is not null) Assert.NotNull(numbers["cpu_seconds_to_tenth"]);
        }
        Assert.True(report.ContainsKey("mse_at_equal_cpu_seconds"));
        if (report["mse_at_equal_cpu_seconds"] is { } equal)
            Assert.Equal(report["default"]!["cpu_seconds_to_tenth"]!.GetValue<double>(), equal["default_cpu_seconds_to_tenth"]!.GetValue<double>());
    }

    [Fact]
    public void TheEqualTimeComparisonReadsTheCpuAxisWhenAsked()
    {
        // Wall-clock doubled against CPU time (a loaded machine): the CPU reading uses the CPU seconds, nothing else.
        static MsAnnResult Curve(params (double Cpu, double Mse)[] points) =>
            new(points[0].Mse, points[^1].Mse, null, 2 * points.First(p => p.Mse <= points[0].Mse / 10).Cpu, 0, 2 * points[^1].Cpu,
                points.Select((p, i) => new MsAnnMetrics(i, 0, i, 2 * p.Cpu, p.Mse, p.Cpu)).ToList(),
                CpuSecondsToTenth: points.First(p => p.Mse <= points[0].Mse / 10).Cpu, CpuTotalSeconds: points[^1].Cpu);
        var @default = Curve((0, 1.0), (1, 0.5), (2, 0.1), (3, 0.08));
        var msann = Curve((0, 1.0), (2, 0.2), (6, 0.05), (10, 0.01));
        var cpu = EqualTime.Compare(msann, @default, cpuClock: true)!;
        var wall = EqualTime.Compare(msann, @default)!;
        Assert.Equal(2, cpu.DefaultSecondsToTenth);
        Assert.Equal(4, wall.DefaultSecondsToTenth);
        Assert.Equal(new[] { 2.0, 4.0, 8.0 }, cpu.Points.Select(p => p.Seconds));
        Assert.Equal(new[] { 0.2, 0.125, 0.03 }, cpu.Points.Select(p => Math.Round(p.MsAnnMse, 12)));
        // The same curves on the doubled wall axis give the same readings at the doubled times.
        Assert.Equal(cpu.Points.Select(p => Math.Round(p.MsAnnMse, 12)), wall.Points.Select(p => Math.Round(p.MsAnnMse, 12)));
        Assert.Equal(0.125, EqualTime.MseAtSeconds(msann, 4, cpuClock: true), 12);
        Assert.Equal(0.2, EqualTime.MseAtSeconds(msann, 4), 12);
        Assert.True(cpu.ToJson().ContainsKey("default_cpu_seconds_to_tenth"));
    }
}
