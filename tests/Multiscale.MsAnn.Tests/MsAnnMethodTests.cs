using Multiscale.MsAnn.Data;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

public class MsAnnMethodTests
{
    private sealed class Recorder : IRunReporter
    {
        public List<(string? Run, string Tag, long Step)> Points { get; } = new();
        public int Lines { get; private set; }
        public void Line(string text) => Lines++;
        public void Scalar(string? run, string tag, double value, long step, double seconds) => Points.Add((run, tag, step));
    }

    private static MsAnnSettings Settings(IAutoencoderData data, bool compare, long seed = 3) =>
        new(AutoencoderDataSource.Opened(data), new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions { Budget = 4000, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 512 }, Seed: seed, CompareDefault: compare);

    [Fact]
    public void RunReportsEveryEvaluationAndReturnsTheRecordAHostWrites()
    {
        using var data = new SyntheticObjectsData(64, 1, 3, CPU);
        var recorder = new Recorder();
        var method = new MsAnnMethod();
        var record = method.Run(Settings(data, compare: true), new RunContext(CPU, recorder));

        var rows = record.Metrics.Rows;
        Assert.Equal(new[] { "run", "step", "level", "cost", "seconds", "validation_mse" }, record.Metrics.Columns);
        Assert.Contains(rows, r => (string)r[0]! == "default");
        // Every evaluation is a table row and a curve point of its run (the main run is unnamed, the baseline "default").
        foreach (var run in new[] { "msann", "default" })
            Assert.Equal(rows.Count(r => (string)r[0]! == run),
                recorder.Points.Count(p => p.Tag == "validation_mse/by_cost" && p.Run == (run == "msann" ? null : run)));
        Assert.True(recorder.Lines > 0);
        var report = record.Report;
        Assert.Equal("one-object", report["task"]!.GetValue<string>());
        Assert.True(report["final_mse"]!.GetValue<double>() < report["initial_mse"]!.GetValue<double>());
        Assert.NotNull(report["default"]);
        Assert.Equal("rmsprop-tf1", report["optimizer"]!.GetValue<string>());
        // Wall-clock is reported with its split; the parts add up to the training seconds (one stopwatch around them all).
        foreach (var numbers in new[] { report, report["default"]!.AsObject() })
        {
            var split = numbers["seconds_split"]!.AsObject();
            double parts = split["fine_steps"]!.GetValue<double>() + split["coarse_steps"]!.GetValue<double>() + split["visit_setup"]!.GetValue<double>();
            Assert.Equal(numbers["total_seconds"]!.GetValue<double>(), parts, 1e-2 * numbers["total_seconds"]!.GetValue<double>() + 1e-3);
            Assert.True(numbers.ContainsKey("seconds_to_tenth"));
        }
        Assert.True(report["seconds_split"]!["coarse_steps"]!.GetValue<double>() > 0);
        Assert.Equal(0, report["default"]!["seconds_split"]!["coarse_steps"]!.GetValue<double>());
        Assert.True(report.ContainsKey("mse_at_equal_seconds"));   // null when default training never reached 1/10
        if (report["mse_at_equal_seconds"] is { } equal) Assert.Equal(3, equal["points"]!.AsArray().Count);
        Assert.Equal(new[] { "loss_vs_cost", "loss_vs_time" }, record.Figures.Select(f => f.Name));
        Assert.Equal(new[] { "msann", "default" }, ((LineFigure)record.Figures[1]).Series.Select(s => s.Label));
        Assert.Equal(2, method.Describe(Settings(data, compare: true))["levels"]!.GetValue<int>());
    }

    [Fact]
    public void SeededRunsRepeatExactly()
    {
        double Final(long seed)
        {
            using var data = new SyntheticObjectsData(64, 1, seed, CPU);
            return new MsAnnMethod().Run(Settings(data, compare: false, seed), RunContext.Cpu()).Report["final_mse"]!.GetValue<double>();
        }
        double first = Final(3);
        Assert.True(double.IsFinite(first) && first > 0);
        Assert.Equal(first, Final(3));
        Assert.NotEqual(first, Final(4));  // the seed reaches the data, the maps' initialization and the batches
    }

    [Fact]
    public void ACancelledRunStopsEarly()
    {
        using var data = new SyntheticObjectsData(64, 1, 3, CPU);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var record = new MsAnnMethod().Run(Settings(data, compare: true), new RunContext(CPU, cancellation: cancel.Token));
        Assert.DoesNotContain(record.Metrics.Rows, r => (string)r[0]! == "default");
        Assert.True(record.Report["total_cost"]!.GetValue<double>() < 4000);
    }
}
