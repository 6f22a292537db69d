using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Tests.Training;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;
using Xunit;

namespace Multiscale.Mrtl.Tests;

public class MultiresolutionTensorLearningTests
{
    private static readonly MrtlDataset Basketball = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 600 });

    private static MrtlSettings Settings(long seed, params MrtlMethod[] methods) =>
        new(new InMemorySource(Basketball, "basketball"), SmallMrtl.BasketballTraining(epochs: 2) with { CriterionOptions = new(), Seed = seed }, methods);

    private static MrtlSettings Settings(params MrtlMethod[] methods) => Settings(3, methods);

    private sealed class Recorder : IRunReporter
    {
        public List<(string? Run, string Tag)> Points { get; } = new();
        public void Line(string text) { }
        public void Scalar(string? run, string tag, double value, long step, double seconds) => Points.Add((run, tag));
    }

    [Fact]
    public void RunTrainsEachMethodOnOneSplitAndReturnsTheRecordAHostWrites()
    {
        var recorder = new Recorder();
        var method = new MultiresolutionTensorLearning();
        var settings = Settings(MrtlMethod.Mrtl, MrtlMethod.Random);
        var record = method.Run(settings, new RunContext(TorchSharp.torch.CPU, recorder));

        var report = record.Report;
        foreach (var field in new[] { "method", "criterion", "finegrain", "seconds_full", "seconds_low", "seconds_total", "val_loss", "test_f1", "morans_i_mean", "factor_recovery", "resolutions" })
            Assert.True(report.ContainsKey(field), field);
        Assert.Equal("mrtl", report["method"]!.GetValue<string>());
        Assert.Equal(2, report["runs"]!.AsArray().Count);
        // Every epoch row of a run is a curve point of that run: the first method is the main run, the others sub-runs.
        foreach (var (name, run) in new[] { ("mrtl", (string?)null), ("random", "random") })
            Assert.Equal(record.Metrics.Rows.Count(r => (string)r[0]! == name && (int)r[4]! > 0),
                recorder.Points.Count(p => p.Run == run && p.Tag == "loss/validation"));
        Assert.Equal(new[] { "loss", "factors_ball", "factors_defenders" }, record.Figures.Select(f => f.Name));
        // One signed panel per factor; on the defender box (the truth's grid) each is titled with its matched planted factor.
        var defenders = Assert.IsType<HeatmapGridFigure>(record.Figures[2]);
        Assert.Equal(2, defenders.Panels.Count);
        Assert.All(defenders.Panels, p => Assert.Equal((12, 12), (p.Values.GetLength(0), p.Values.GetLength(1))));
        Assert.All(defenders.Panels, p => Assert.Contains("smooth", p.Title));
        var describe = method.Describe(settings);
        Assert.Equal("val-loss", describe["criterion"]!.GetValue<string>());
        Assert.Equal("4x5,6x6;8x10,12x12", describe["full"]!.GetValue<string>());
    }

    [Fact]
    public void SeededRunsRepeatExactlyAndMethodsAreChecked()
    {
        double Loss(long seed) => new MultiresolutionTensorLearning().Run(Settings(seed, MrtlMethod.Mrtl), RunContext.Cpu()).Report["val_loss"]!.GetValue<double>();
        double first = Loss(3);
        Assert.True(double.IsFinite(first));
        Assert.Equal(first, Loss(3));
        Assert.NotEqual(first, Loss(4));  // the seed reaches the split and the initialization
        Assert.Throws<MultiscaleException>(() => new MultiresolutionTensorLearning().Run(Settings(), RunContext.Cpu()));
        Assert.Throws<MultiscaleException>(() => new MultiresolutionTensorLearning().Run(Settings(MrtlMethod.Fixed, MrtlMethod.Fixed), RunContext.Cpu()));
    }
}
