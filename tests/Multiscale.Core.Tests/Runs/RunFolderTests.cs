using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Tests.Runs;

public class RunFolderTests
{
    private static RunRecord Record(params RunFigure[] figures)
    {
        var metrics = new MetricsTable("run", "step", "loss", "note");
        metrics.Add("main", 0L, 0.5, "start");
        metrics.Add("main", 1L, 0.25, "a, \"quoted\" note");
        return new RunRecord(new JsonObject { ["loss"] = 0.25 }, metrics, figures);
    }

    private sealed class ListRenderer(bool fail = false) : IFigureRenderer
    {
        public List<string> Paths { get; } = new();

        public void Render(RunFigure figure, string path)
        {
            if (fail) throw new MultiscaleException($"cannot draw {figure.Name}");
            File.WriteAllText(path, figure.Title);
            Paths.Add(path);
        }
    }

    [Fact]
    public void CompleteWritesMetricsFiguresConfigAndReport()
    {
        var dir = Directory.CreateTempSubdirectory("runfolder-");
        try
        {
            var renderer = new ListRenderer();
            using (var folder = new RunFolder(dir.FullName))
            {
                folder.Reporter().Scalar(null, "loss", 0.5, 0, 0.0);
                folder.Reporter().Scalar("baseline", "loss", 0.7, 0, 0.0);
                var settings = RunFolder.Config("test", new[] { "test", "--seed", "1" }, new JsonObject { ["seed"] = 1 });
                folder.Complete(Record(new LineFigure("loss", "loss", "x", "y", new[] { new FigureSeries("a", new[] { 0.0 }, new[] { 1.0 }) })), settings, renderer);
            }
            Assert.Equal("run,step,loss,note\nmain,0,0.5,start\nmain,1,0.25,\"a, \"\"quoted\"\" note\"\n", File.ReadAllText(Path.Combine(dir.FullName, "metrics.csv")));
            Assert.Equal(new[] { Path.Combine(dir.FullName, "loss.png") }, renderer.Paths);
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.FullName, "config.json")))!;
            Assert.Equal("test", config["method"]!.GetValue<string>());
            Assert.Equal(new[] { "test", "--seed", "1" }, config["arguments"]!.AsArray().Select(a => a!.GetValue<string>()));
            Assert.Equal(1, config["settings"]!["seed"]!.GetValue<int>());
            Assert.Equal(0.25, JsonNode.Parse(File.ReadAllText(Path.Combine(dir.FullName, "report.json")))!["loss"]!.GetValue<double>());
            // One event file for the main run, one in the sub-run's folder; nothing temporary left.
            Assert.Single(Directory.GetFiles(dir.FullName, "events.out.tfevents.*"));
            Assert.Single(Directory.GetFiles(Path.Combine(dir.FullName, "baseline"), "events.out.tfevents.*"));
            Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp", SearchOption.AllDirectories));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ArraysAreWrittenAsNpzAndSafeTensorsAndARunWithoutArraysRemovesOldOnes()
    {
        var dir = Directory.CreateTempSubdirectory("runfolder-");
        try
        {
            var settings = RunFolder.Config("test", null, new JsonObject());
            string weights = Path.Combine(dir.FullName, RunFolder.WeightsFile);
            var arrays = new[]
            {
                new RunArray("fine.layer0.weight", new long[] { 2, 3 }, new float[] { 1, 2, 3, 4, 5, -6.5f }),
                new RunArray("map", new long[] { 3 }, new[] { 0.1, 1e-300, double.MaxValue }),
            };
            using (var folder = new RunFolder(dir.FullName, tensorBoard: false))
                Assert.Contains(weights, folder.Complete(Record() with { Arrays = arrays }, settings, null));
            var read = Multiscale.IO.Npz.Read(weights);
            try
            {
                Assert.Equal(new[] { "fine.layer0.weight", "map" }, read.Keys);
                Assert.Equal(new long[] { 2, 3 }, read["fine.layer0.weight"].shape);
                Assert.Equal(TorchSharp.torch.ScalarType.Float32, read["fine.layer0.weight"].dtype);
                Assert.Equal(new float[] { 1, 2, 3, 4, 5, -6.5f }, read["fine.layer0.weight"].data<float>().ToArray());
                Assert.Equal(new[] { 0.1, 1e-300, double.MaxValue }, read["map"].data<double>().ToArray());
            }
            finally
            {
                foreach (var t in read.Values) t.Dispose();
            }
            // The safetensors copy holds the same arrays, bit for bit, and names its producer.
            string safeWeights = Path.Combine(dir.FullName, RunFolder.SafeWeightsFile);
            var safe = Multiscale.IO.SafeTensors.Read(safeWeights);
            try
            {
                Assert.Equal(new[] { "fine.layer0.weight", "map" }, safe.Keys.Order(StringComparer.Ordinal));
                Assert.Equal(new float[] { 1, 2, 3, 4, 5, -6.5f }, safe["fine.layer0.weight"].data<float>().ToArray());
                Assert.Equal(new long[] { 2, 3 }, safe["fine.layer0.weight"].shape);
                Assert.Equal(new[] { 0.1, 1e-300, double.MaxValue }, safe["map"].data<double>().ToArray());
                Assert.StartsWith("multiscale ", Multiscale.IO.SafeTensors.Metadata(safeWeights)["producer"]);
            }
            finally
            {
                foreach (var t in safe.Values) t.Dispose();
            }
            // A tensor round-trips through RunArray.Of unchanged.
            using (var t = TorchSharp.torch.arange(6, TorchSharp.torch.ScalarType.Float32).reshape(3, 2))
            {
                var a = RunArray.Of("t", t);
                Assert.Equal(new long[] { 3, 2 }, a.Shape);
                using var back = a.ToTensor();
                Assert.True(back.eq(t).all().item<bool>());
            }

            // An inconsistent array fails the completion before report.json; a run without arrays leaves no stale weights.
            using (var folder = new RunFolder(dir.FullName, tensorBoard: false))
                Assert.Throws<ArgumentException>(() => folder.Complete(Record() with { Arrays = new[] { new RunArray("x", new long[] { 4 }, new float[3]) } }, settings, null));
            Assert.False(File.Exists(Path.Combine(dir.FullName, "report.json")));
            using (var folder = new RunFolder(dir.FullName, tensorBoard: false))
                folder.Complete(Record(), settings, null);
            Assert.False(File.Exists(weights));
            Assert.False(File.Exists(safeWeights));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "report.json")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AnUnfinishedRunLeavesNothingBehind()
    {
        string root = Path.Combine(Path.GetTempPath(), $"runfolder-new-{Guid.NewGuid():N}");
        using (var folder = new RunFolder(root))
        {
            folder.Reporter().Scalar(null, "loss", 0.5, 0, 0.0);
            folder.Reporter().Scalar("baseline", "loss", 0.5, 0, 0.0);
            Assert.Equal(2, folder.EventFiles.Count);
        }
        Assert.False(Directory.Exists(root));  // created by the run, emptied, removed

        var existing = Directory.CreateTempSubdirectory("runfolder-old-");
        try
        {
            File.WriteAllText(Path.Combine(existing.FullName, "report.json"), "{\"old\": true}");
            using (var folder = new RunFolder(existing.FullName))
                folder.Reporter().Scalar(null, "loss", 0.5, 0, 0.0);
            Assert.Equal(new[] { "report.json" }, Directory.GetFileSystemEntries(existing.FullName).Select(Path.GetFileName));
        }
        finally { existing.Delete(true); }
    }

    [Fact]
    public void AFailedCompletionLeavesNoReportAndANewRunReplacesOldEvents()
    {
        var dir = Directory.CreateTempSubdirectory("runfolder-");
        try
        {
            using (var first = new RunFolder(dir.FullName))
            {
                first.Reporter().Scalar(null, "loss", 1, 0, 0);
                first.Complete(Record(), new JsonObject(), renderer: null);
            }
            var oldEvents = Directory.GetFiles(dir.FullName, "events.out.tfevents.*");
            Assert.Single(oldEvents);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "report.json")));

            // A figure that cannot be drawn: the earlier report must not vouch for the half-replaced folder.
            using (var failing = new RunFolder(dir.FullName))
            {
                failing.Reporter().Scalar(null, "loss", 1, 0, 0);
                Assert.Throws<MultiscaleException>(() => failing.Complete(Record(new LineFigure("loss", "t", "x", "y", Array.Empty<FigureSeries>())),
                    new JsonObject(), new ListRenderer(fail: true)));
            }
            Assert.False(File.Exists(Path.Combine(dir.FullName, "report.json")));
            Assert.Equal(oldEvents, Directory.GetFiles(dir.FullName, "events.out.tfevents.*"));

            using (var second = new RunFolder(dir.FullName))
            {
                second.Reporter().Scalar(null, "loss", 1, 0, 0);
                second.Complete(Record(), new JsonObject(), renderer: null);
                Assert.Equal(second.EventFiles, Directory.GetFiles(dir.FullName, "events.out.tfevents.*"));
            }
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ANewRunClearsOldSubRunsButNotNestedRuns()
    {
        var dir = Directory.CreateTempSubdirectory("runfolder-");
        try
        {
            using (var first = new RunFolder(dir.FullName))
            {
                first.Reporter().Scalar("baseline", "loss", 1, 0, 0);
                first.Complete(Record(), new JsonObject(), renderer: null);
            }
            // Another run's folder that happens to sit inside this one keeps everything.
            string nested = Path.Combine(dir.FullName, "other-run");
            Directory.CreateDirectory(nested);
            File.WriteAllText(Path.Combine(nested, "report.json"), "{}");
            File.WriteAllText(Path.Combine(nested, "events.out.tfevents.1.host"), "");

            using (var second = new RunFolder(dir.FullName))
            {
                second.Reporter().Scalar(null, "loss", 1, 0, 0);
                second.Complete(Record(), new JsonObject(), renderer: null);
            }
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "baseline")));  // the old sub-run's curve is gone
            Assert.True(File.Exists(Path.Combine(nested, "events.out.tfevents.1.host")));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MetricsRowsMustMatchTheColumns()
    {
        var table = new MetricsTable("a", "b");
        Assert.Throws<ArgumentException>(() => table.Add(1.0));
        table.Add(double.NaN, null);
        Assert.Equal("a,b\nNaN,\n", table.ToCsv());
    }

    [Fact]
    public void SubRunNamesMustBeFolderNames()
    {
        var dir = Directory.CreateTempSubdirectory("runfolder-");
        try
        {
            using var folder = new RunFolder(dir.FullName);
            Assert.Throws<ArgumentException>(() => folder.Reporter().Scalar("../escape", "loss", 1, 0, 0));
            Assert.Throws<ArgumentException>(() => folder.Reporter().Scalar("..", "loss", 1, 0, 0));
        }
        finally { dir.Delete(true); }
    }
}
