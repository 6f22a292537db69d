using Multiscale.MsAnn.Data;
using Multiscale.Tests.Shared;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.MsAnn.Tests;

/// <summary>
/// A run stopped at a random batch and continued from its checkpoint — possibly several times — ends with exactly the
/// numbers of the run never stopped: every metrics row but the timing column, the report but its seconds, the
/// loss-against-cost curves.
/// </summary>
public class MsAnnResumeTests
{
    /// <summary>Batches from an inner source; the token is cancelled once the given number of batches has been drawn.</summary>
    private sealed class StopAfter(IAutoencoderData inner, int batches, CancellationTokenSource stop) : IAutoencoderData
    {
        private int _drawn;
        public string Task => inner.Task;
        public string? Source => inner.Source;
        public (Tensor Input, Tensor Target) Validation => inner.Validation;
        public Func<int, (Tensor Input, Tensor Target)> Batches(Generator generator)
        {
            var draw = inner.Batches(generator);
            return size =>
            {
                if (++_drawn == batches) stop.Cancel();
                return draw(size);
            };
        }
        public void Dispose() { }
    }

    public static readonly TheoryData<string> Configurations = new() { "w-cycle+default", "v-cycle-coarse-steps", "all-together", "tau+default", "tau-average", "adam-w-cycle+default", "tau-coarse-until+default", "coarse-until" };

    private static MsAnnSettings Settings(IAutoencoderData opened, string configuration) { var data = AutoencoderDataSource.Opened(opened); return configuration switch
    {
        "w-cycle+default" => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions { Budget = 1500, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 256 }, Seed: 5, CompareDefault: true),
        "v-cycle-coarse-steps" => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 1, 3), LayerMapStrategy.Aggregation,
            new MsAnnTrainingOptions { Budget = 1500, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 256, CoarseSteps = true, Optimizer = OptimizerFlavor.RmsPropPyTorch }, Seed: 6),
        "tau+default" => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions
            {
                Budget = 1500, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 256, Optimizer = OptimizerFlavor.RmsPropPyTorch,
                TauCorrection = new TauCorrectionOptions { Batches = 2 },
            }, Seed: 8, CompareDefault: true),
        // The running average lives across entries, active or not: a checkpoint must carry m and t of every level.
        "tau-average" => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions
            {
                Budget = 1500, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 256, Optimizer = OptimizerFlavor.Adam,
                TauCorrection = new TauCorrectionOptions { Acceptance = false, Average = 0.7 },
            }, Seed: 9),
        // The early phase ends inside the run: stops before and after the cut-off, and (τ) the corrections still active
        // at the cut-off return at the next level-0 visit.
        "tau-coarse-until+default" => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions
            {
                Budget = 1500, BatchSize = 32, LearningRate = 3e-3, EvaluateEvery = 256, Optimizer = OptimizerFlavor.Adam,
                TauCorrection = new TauCorrectionOptions { Acceptance = false, Average = 0.8 }, CoarseUntil = 500,
            }, Seed: 10, CompareDefault: true),
        "coarse-until" => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 1), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions { Budget = 1500, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 256, CoarseUntil = 600, ZeroCoarseInit = true }, Seed: 11),
        "adam-w-cycle+default" => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 1), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions { Budget = 1500, BatchSize = 32, LearningRate = 3e-3, EvaluateEvery = 256, Optimizer = OptimizerFlavor.Adam }, Seed: 8, CompareDefault: true),
        _ => new(data, new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Interpolation,
            new MsAnnTrainingOptions { Budget = 1500, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 256, AllTogether = true }, Seed: 7),
    }; }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void RunsStoppedAtRandomBatchesAndResumedEndAsTheUninterruptedRun(string configuration)
    {
        using var data = new SyntheticObjectsData(64, 1, 5, CPU);
        var method = new MsAnnMethod();
        var settings = Settings(data, configuration);
        var straight = method.Run(settings, RunContext.Cpu());
        int total = straight.Metrics.Rows.Where(r => (string)r[0]! != "default").Max(r => Convert.ToInt32(r[1]))
            + straight.Metrics.Rows.Where(r => (string)r[0]! == "default").Select(r => Convert.ToInt32(r[1])).DefaultIfEmpty(0).Max();

        var random = new Random(configuration.Length);   // seeded: the same stops every time
        var dir = Directory.CreateTempSubdirectory("msann-resume-");
        try
        {
            string path = Path.Combine(dir.FullName, RunFolder.CheckpointFile);
            var header = new System.Text.Json.Nodes.JsonObject { ["method"] = method.Name, ["settings"] = method.Describe(settings) };
            RunRecord? record = null;
            int stops = 0;
            // Two or three stops at random batches (each counted from its resume), then a run to the end.
            int planned = 2 + random.Next(2);
            while (record is null)
            {
                using var stop = new CancellationTokenSource();
                bool last = stops == planned;
                using var source = new StopAfter(data, last ? int.MaxValue : 1 + random.Next(total / 3), stop);
                var resume = File.Exists(path) ? Checkpoint.Load(path) : null;
                using var checkpoints = new RunCheckpoints(path, CheckpointInterval.Off, header, resume);
                var result = method.Run(settings with { Data = AutoencoderDataSource.Opened(source) }, new RunContext(CPU, null, stop.Token, checkpoints));
                if (stop.IsCancellationRequested)
                {
                    Assert.Equal(1, checkpoints.Saved);
                    stops++;
                }
                else record = result;
            }
            Assert.Equal(planned, stops);
            AssertSameNumbers(straight, record);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void PeriodicCheckpointsLeaveTheNumbersUnchanged()
    {
        using var data = new SyntheticObjectsData(64, 1, 5, CPU);
        var method = new MsAnnMethod();
        var settings = Settings(data, "w-cycle+default");
        var straight = method.Run(settings, RunContext.Cpu());
        var dir = Directory.CreateTempSubdirectory("msann-periodic-");
        try
        {
            string path = Path.Combine(dir.FullName, RunFolder.CheckpointFile);
            using var checkpoints = new RunCheckpoints(path, CheckpointInterval.EveryUnits(1), new System.Text.Json.Nodes.JsonObject());
            var record = method.Run(settings, new RunContext(CPU, null, default, checkpoints));
            Assert.True(checkpoints.Saved > 3, $"{checkpoints.Saved} checkpoints");
            AssertSameNumbers(straight, record);
            // The last periodic checkpoint continues to the same end as well.
            using var again = new RunCheckpoints(path, CheckpointInterval.Off, new System.Text.Json.Nodes.JsonObject(), Checkpoint.Load(path));
            AssertSameNumbers(straight, method.Run(settings, new RunContext(CPU, null, default, again)));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ACheckpointOfAnotherScheduleIsRefused()
    {
        using var data = new SyntheticObjectsData(64, 1, 5, CPU);
        var method = new MsAnnMethod();
        var settings = Settings(data, "w-cycle+default");
        var dir = Directory.CreateTempSubdirectory("msann-other-");
        try
        {
            string path = Path.Combine(dir.FullName, RunFolder.CheckpointFile);
            using (var stop = new CancellationTokenSource())
            using (var source = new StopAfter(data, 20, stop))
            using (var checkpoints = new RunCheckpoints(path, CheckpointInterval.Off, new System.Text.Json.Nodes.JsonObject()))
                method.Run(settings with { Data = AutoencoderDataSource.Opened(source) }, new RunContext(CPU, null, stop.Token, checkpoints));
            using var other = new RunCheckpoints(path, CheckpointInterval.Off, new System.Text.Json.Nodes.JsonObject(), Checkpoint.Load(path));
            var e = Assert.Throws<MultiscaleException>(() =>
                method.Run(settings with { Schedule = new CycleSchedule(2, 1, 2) }, new RunContext(CPU, null, default, other)));
            Assert.Contains("another cycle schedule", e.Message);
        }
        finally { dir.Delete(true); }
    }

    internal static void AssertSameNumbers(RunRecord expected, RunRecord actual)
    {
        int seconds = expected.Metrics.Columns.ToList().IndexOf("seconds");
        Assert.Equal(expected.Metrics.Columns, actual.Metrics.Columns);
        Assert.Equal(expected.Metrics.Rows.Count, actual.Metrics.Rows.Count);
        for (int i = 0; i < expected.Metrics.Rows.Count; i++)
            for (int c = 0; c < expected.Metrics.Columns.Count; c++)
                if (c != seconds) Assert.True(Equals(expected.Metrics.Rows[i][c], actual.Metrics.Rows[i][c]),
                    $"row {i} column {expected.Metrics.Columns[c]}: {expected.Metrics.Rows[i][c]} vs {actual.Metrics.Rows[i][c]}");
        Assert.Equal(RunComparison.WithoutSeconds(expected.Report), RunComparison.WithoutSeconds(actual.Report));
        var cost = (LineFigure)expected.Figures.Single(f => f.Name == "loss_vs_cost");
        var cost2 = (LineFigure)actual.Figures.Single(f => f.Name == "loss_vs_cost");
        Assert.Equal(cost.Series.Select(s => (s.Label, s.X, s.Y)), cost2.Series.Select(s => (s.Label, s.X, s.Y)));
    }
}
