using System.Text.Json.Nodes;
using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Training;
using Multiscale.Tests.Shared;
using Multiscale.Runs;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Training;

/// <summary>
/// A run stopped at random steps (inside an epoch, at an epoch's end, between methods) and continued from its
/// checkpoint ends with exactly the numbers of the run never stopped: every epoch record but its clocks, the
/// finegraining events, the final model, the report but its seconds.
/// </summary>
public class MrtlResumeTests
{
    public static readonly TheoryData<string> Configurations = new() { "mrtl-val-loss", "mrtl-grad-var-bilinear", "mrtl-spatial-entropy", "mrtl-loss-convergence", "mrtl-mu-sigma-threshold", "fixed", "random", "mrtl-low-rank-sparse", "random-low-rank-sparse", "mrtl-low-rank-sparse-gradient" };

    private static MrtlTrainerOptions Options(string configuration) => configuration switch
    {
        "mrtl-grad-var-bilinear" => SmallMrtl.BasketballTraining(2) with { Criterion = CriterionKind.GradientVariance, Finegrain = FinegrainMethod.Bilinear, Seed = 4 },
        "mrtl-spatial-entropy" => SmallMrtl.BasketballTraining(2) with { Criterion = CriterionKind.SpatialEntropy, CriterionOptions = new() { Window = 4 } },
        "mrtl-loss-convergence" => SmallMrtl.BasketballTraining(2) with { Criterion = CriterionKind.LossConvergence, CriterionOptions = new() { Thresholds = new() { Loss = 0.05 } } },
        "mrtl-mu-sigma-threshold" => SmallMrtl.BasketballTraining(2) with { Criterion = CriterionKind.MuSigmaThreshold, CriterionOptions = new() { Window = 4 } },
        "fixed" => SmallMrtl.BasketballTraining(2) with { Method = MrtlMethod.Fixed },
        "random" => SmallMrtl.BasketballTraining(2) with { Method = MrtlMethod.Random },
        "mrtl-low-rank-sparse" => SmallMrtl.BasketballTraining(2) with { Rank = 4, Model = MrtlModelKind.LowRankSparse, LambdaSparse = 0.3 },
        "mrtl-low-rank-sparse-gradient" => SmallMrtl.BasketballTraining(2) with { Rank = 4, Model = MrtlModelKind.LowRankSparse, SparseStart = SparseStart.Gradient, SparseStartStep = 1, LambdaSparse = 0.3 },
        "random-low-rank-sparse" => SmallMrtl.BasketballTraining(2) with { Method = MrtlMethod.Random, Rank = 3, Model = MrtlModelKind.LowRankSparse, SparseRank = 1, LambdaSparse = 0.3 },
        _ => SmallMrtl.BasketballTraining(2),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ATrainerStoppedAtRandomStepsAndResumedEndsAsTheUninterruptedRun(string configuration)
    {
        var options = Options(configuration);
        var split = SmallMrtl.Basketball;
        var straight = MrtlTrainer.Train(split, options);
        // Steps per run: every epoch row but the arrival evaluations, each of ⌈n/batch⌉ steps.
        int steps = straight.Epochs.Count(e => e.Epoch > 0) * (int)Math.Ceiling(split.Train.Count / 128.0);
        var random = new Random(configuration.GetHashCode(StringComparison.Ordinal) & 0xffff);
        var dir = Directory.CreateTempSubdirectory("mrtl-resume-");
        try
        {
            string path = Path.Combine(dir.FullName, RunFolder.CheckpointFile);
            MrtlResult? resumed = null;
            int stops = 0, planned = 2 + random.Next(2);
            while (resumed is null)
            {
                using var stop = new CancellationTokenSource();
                int at = stops == planned ? int.MaxValue : 1 + random.Next(steps / 3), seen = 0;
                using var resume = File.Exists(path) ? Checkpoint.Load(path) : null;
                int saved = 0;
                var checkpointing = new MrtlCheckpointing(resume, _ =>
                {
                    if (++seen == at) stop.Cancel();
                    return false;
                }, c => { c.Save(path); saved++; });
                var result = MrtlTrainer.Train(split, options, null, stop.Token, checkpointing);
                if (stop.IsCancellationRequested)
                {
                    Assert.True(result.Stopped);
                    Assert.Equal(1, saved);
                    result.Model.Dispose();
                    stops++;
                }
                else resumed = result;
            }
            using (straight.Model)
            using (resumed.Model)
                AssertSameRun(straight, resumed);
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AHostedRunOfThreeMethodsStoppedAtEpochEndsAndBetweenMethodsResumesExactly(bool lowRankSparse)
    {
        var data = Multiscale.Mrtl.Data.BasketballSynthetic.Generate(Multiscale.Mrtl.Data.BasketballOptions.Small with { Samples = 600 });
        var options = lowRankSparse
            ? SmallMrtl.BasketballTraining(2) with { Rank = 3, Model = MrtlModelKind.LowRankSparse, SparseRank = 1, LambdaSparse = 0.3 }
            : SmallMrtl.BasketballTraining(2);
        var settings = new MrtlSettings(new Multiscale.Mrtl.Data.InMemorySource(data, "basketball"), options, new[] { MrtlMethod.Mrtl, MrtlMethod.Fixed, MrtlMethod.Random });
        var method = new MultiresolutionTensorLearning();
        var straight = method.Run(settings, RunContext.Cpu());
        int epochs = straight.Metrics.Rows.Count(r => (int)r[4]! > 0);
        var dir = Directory.CreateTempSubdirectory("mrtl-hosted-");
        try
        {
            string path = Path.Combine(dir.FullName, RunFolder.CheckpointFile);
            var random = new Random(11);
            RunRecord? record = null;
            int stops = 0;
            // Stops at epoch counts spread over the whole run, so some land in the second and third methods.
            var stopsAt = new Queue<int>(new[] { 1 + random.Next(epochs / 4), epochs / 3 + random.Next(epochs / 4), 2 * epochs / 3 });
            int total = 0;
            while (record is null)
            {
                using var stop = new CancellationTokenSource();
                int at = stopsAt.Count > 0 ? stopsAt.Peek() : int.MaxValue;
                var reporter = new EpochCounter(() => { if (++total == at) stop.Cancel(); });
                var resume = File.Exists(path) ? Checkpoint.Load(path) : null;
                using var checkpoints = new RunCheckpoints(path, CheckpointInterval.Off, new JsonObject(), resume);
                var result = method.Run(settings, new RunContext(CPU, reporter, stop.Token, checkpoints));
                if (stop.IsCancellationRequested)
                {
                    Assert.Equal(1, checkpoints.Saved);
                    stopsAt.Dequeue();
                    stops++;
                    // The resumed run reports the curve so far again: count only its new epochs from here.
                    total = 0;
                    stopsAt = new Queue<int>(stopsAt.Select(s => s - at));
                }
                else record = result;
            }
            Assert.Equal(3, stops);
            var seconds = new[] { "stage_seconds", "total_seconds" }.Select(c => straight.Metrics.Columns.ToList().IndexOf(c)).ToHashSet();
            Assert.Equal(straight.Metrics.Rows.Count, record.Metrics.Rows.Count);
            for (int i = 0; i < straight.Metrics.Rows.Count; i++)
                for (int c = 0; c < straight.Metrics.Columns.Count; c++)
                    if (!seconds.Contains(c)) Assert.True(Equals(straight.Metrics.Rows[i][c], record.Metrics.Rows[i][c]), $"row {i} column {straight.Metrics.Columns[c]}");
            Assert.Equal(RunComparison.WithoutSeconds(straight.Report), RunComparison.WithoutSeconds(record.Report));
            foreach (var (a, b) in straight.Figures.OfType<HeatmapFigure>().Zip(record.Figures.OfType<HeatmapFigure>()))
                Assert.Equal(a.Values.Cast<double>(), b.Values.Cast<double>());
            // The factor panels (both terms' columns for the low-rank + sparse model) and the arrays of weights.npz.
            var grids = straight.Figures.OfType<HeatmapGridFigure>().ToArray();
            Assert.Equal(2, grids.Length);
            foreach (var (a, b) in grids.Zip(record.Figures.OfType<HeatmapGridFigure>()))
            {
                Assert.Equal(a.Panels.Select(p => p.Title), b.Panels.Select(p => p.Title));
                foreach (var (pa, pb) in a.Panels.Zip(b.Panels)) Assert.Equal(pa.Values.Cast<double>(), pb.Values.Cast<double>());
            }
            Assert.NotNull(straight.Arrays);
            Assert.NotNull(record.Arrays);
            Assert.Equal(straight.Arrays.Select(x => x.Name), record.Arrays.Select(x => x.Name));
            if (lowRankSparse) Assert.Contains(record.Arrays, x => x.Name == "fixed.sparse_factor1");
            foreach (var (a, b) in straight.Arrays.Zip(record.Arrays))
            {
                Assert.Equal(a.Shape, b.Shape);
                Assert.Equal(a.Values.Cast<object>(), b.Values.Cast<object>());
            }
        }
        finally { dir.Delete(true); }
    }

    /// <summary>Calls back on every epoch's validation point that the run reports (resumed runs report earlier ones again first).</summary>
    private sealed class EpochCounter(Action epoch) : IRunReporter
    {
        public void Line(string text) { }
        public void Scalar(string? run, string tag, double value, long step, double seconds)
        {
            if (tag == "loss/validation") epoch();
        }
    }

    private static void AssertSameRun(MrtlResult expected, MrtlResult actual)
    {
        Assert.Equal(expected.Epochs.Select(e => e with { StageSeconds = 0, TotalSeconds = 0 }), actual.Epochs.Select(e => e with { StageSeconds = 0, TotalSeconds = 0 }));
        Assert.Equal(expected.Finegrains.Select(e => e with { TotalSeconds = 0 }), actual.Finegrains.Select(e => e with { TotalSeconds = 0 }));
        Assert.Equal(expected.ValidationLoss, actual.ValidationLoss);
        Assert.Equal(expected.TestLoss, actual.TestLoss);
        Assert.Equal(expected.TestF1, actual.TestF1);
        Assert.Equal(expected.CpFit, actual.CpFit);
        Assert.Equal(expected.FullValidationLoss, actual.FullValidationLoss);
        Assert.Equal(expected.SparseStartFit, actual.SparseStartFit);
        Assert.Equal(expected.SparseStartScale, actual.SparseStartScale);
        for (int k = 0; k < expected.Model.Parameters.Count; k++)
            Assert.True(expected.Model.Parameters[k].equal(actual.Model.Parameters[k]).all().item<bool>(), $"parameter {k} differs");
    }
}
