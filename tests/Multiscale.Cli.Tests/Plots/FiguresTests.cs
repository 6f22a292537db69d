using System.Buffers.Binary;
using Multiscale.Cli.Plots;

namespace Multiscale.Cli.Tests.Plots;

public sealed class FiguresTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly DirectoryInfo _dir = CliRunner.TempDirectory();

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void HeatmapWritesASquarePngIntoAMissingFolder()
    {
        var path = Path.Combine(_dir.FullName, "nested", "deeper", "p.png");
        var values = new double[8, 8];
        for (int i = 0; i < 8; i++) values[i, i] = -(i + 1);

        Figures.Heatmap(path, values, "P", "coarse", "fine");

        var (width, height) = PngSize(path);
        Assert.Equal(Figures.HeatmapPixelSize(8, 8), (width, height));
        Assert.Equal(600, width);
        Assert.InRange(height, 500, 600);
        AssertNoTemporaries();
    }

    [Fact]
    public void HeatmapDrawsRowZeroAtTheTopAndZeroAsWhite()
    {
        var path = Path.Combine(_dir.FullName, "halves.png");
        // Top half of the rows at the largest magnitude (black), bottom half zero (white).
        var values = new double[10, 10];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 10; j++) values[i, j] = i % 2 == 0 ? 3 : -3;

        Figures.Heatmap(path, values, "halves", "column", "row");

        using var image = new ScottPlot.Image(path);
        byte[,] gray = image.GetArrayGrayscale();
        // The data area of a square heatmap spans about (40..515, 40..515); sample its upper and lower middle.
        Assert.True(gray[150, 250] < 64, $"upper half should be dark, was {gray[150, 250]}");
        Assert.True(gray[400, 250] > 192, $"lower half should be light, was {gray[400, 250]}");
    }

    [Fact]
    public void HeatmapGridDrawsPositiveRedNegativeBlueAndScalesEachPanelToItself()
    {
        // One 10 × 10 panel: top half +2, bottom half −2.
        var values = new double[10, 10];
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++) values[i, j] = i < 5 ? 2 : -2;
        var path = Path.Combine(_dir.FullName, "grid.png");
        Figures.HeatmapGrid(path, "signs", new[] { ("factor 1", values) });
        using (var image = SkiaSharp.SKBitmap.Decode(path))
        {
            var (width, height) = PngSize(path);
            var top = image.GetPixel(width / 2 + 10, (int)(height * 0.38));
            var bottom = image.GetPixel(width / 2 + 10, (int)(height * 0.75));
            Assert.True(top.Red > 2 * top.Blue && top.Red > 2 * top.Green, $"top should be red, was {top}");
            Assert.True(bottom.Blue > 2 * bottom.Red, $"bottom should be blue, was {bottom}");
        }

        // A thousand times larger, the same picture: each panel is drawn over its own [−max, max].
        var scaled = new double[10, 10];
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++) scaled[i, j] = 1000 * values[i, j];
        var second = Path.Combine(_dir.FullName, "scaled.png");
        Figures.HeatmapGrid(second, "signs", new[] { ("factor 1", scaled) });
        using var a = new ScottPlot.Image(path);
        using var b = new ScottPlot.Image(second);
        Assert.Equal(a.GetArrayGrayscale().Cast<byte>(), b.GetArrayGrayscale().Cast<byte>());
        AssertNoTemporaries();
    }

    [Fact]
    public void HeatmapGridLaysOutPanelsInRowsAndRejectsBadPanels()
    {
        var panel = new double[12, 12];
        panel[3, 4] = 1;
        var five = Enumerable.Range(1, 5).Select(k => ($"factor {k}", panel)).ToArray();
        var square = Path.Combine(_dir.FullName, "five.png");
        Figures.HeatmapGrid(square, "five", five);                 // ⌈√5⌉ = 3 columns, 2 rows
        var wide = Path.Combine(_dir.FullName, "wide.png");
        Figures.HeatmapGrid(wide, "five", five, columns: 5);       // one row
        var (w3, h3) = PngSize(square);
        var (w5, h5) = PngSize(wide);
        Assert.Equal(w3 * 5, w5 * 3);
        Assert.True(h3 > h5, $"{h3} vs {h5}");
        Assert.Throws<MultiscaleException>(() => Figures.HeatmapGrid(wide, "none", Array.Empty<(string, double[,])>()));
        Assert.Throws<MultiscaleException>(() => Figures.HeatmapGrid(wide, "empty", new[] { ("e", new double[0, 3]) }));
        var nan = new double[2, 2] { { double.NaN, double.NaN }, { double.NaN, double.NaN } };
        Assert.Contains("no finite entry", Assert.Throws<MultiscaleException>(() => Figures.HeatmapGrid(wide, "nan", new[] { ("n", nan) })).Message);
    }

    [Fact]
    public void HeatmapOfATallMatrixKeepsItsShapeAndStaysSmall()
    {
        var path = Path.Combine(_dir.FullName, "tall.png");
        var values = new double[1024, 512];
        var random = new Random(7);
        for (int i = 0; i < 1024; i++)
            for (int j = 0; j < 512; j++) values[i, j] = random.NextDouble() - 0.5;

        Figures.Heatmap(path, values, "tall", "coarse", "fine");

        var (width, height) = PngSize(path);
        Assert.Equal(Figures.HeatmapPixelSize(1024, 512), (width, height));
        Assert.True(height > width, $"{width}x{height} should be portrait");
        Assert.True(new FileInfo(path).Length < 1_000_000, $"{new FileInfo(path).Length} bytes");
        AssertNoTemporaries();
    }

    [Fact]
    public void LargeHeatmapsAreReducedByBlockMaximaOfMagnitude()
    {
        var values = new double[1500, 700];
        values[1499, 699] = -7;
        values[0, 1] = 2;
        values[1, 0] = double.NaN;

        var (cells, rowBlock, colBlock) = Figures.BlockMaxAbs(values, Figures.MaxHeatmapCells);

        Assert.Equal((3, 2), (rowBlock, colBlock));
        Assert.Equal((500, 350), (cells.GetLength(0), cells.GetLength(1)));
        Assert.Equal(7, cells[499, 349]);
        Assert.Equal(2, cells[0, 0]);
        Assert.Equal(0, cells[250, 100]);

        var path = Path.Combine(_dir.FullName, "large.png");
        Figures.Heatmap(path, values, "large", "coarse", "fine");
        Assert.Equal(Figures.HeatmapPixelSize(1500, 700), PngSize(path));
        AssertNoTemporaries();
    }

    [Fact]
    public void HeatmapWithoutFiniteEntriesThrows()
    {
        var path = Path.Combine(_dir.FullName, "nan.png");
        var values = new double[3, 4];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) values[i, j] = double.NaN;

        var error = Assert.Throws<MultiscaleException>(() => Figures.Heatmap(path, values, "nan", "x", "y"));
        Assert.Contains("no finite entry", error.Message);
        Assert.Throws<MultiscaleException>(() => Figures.Heatmap(path, new double[0, 3], "empty", "x", "y"));
        Assert.False(File.Exists(path));
        AssertNoTemporaries();
    }

    [Fact]
    public void LinesWritesAPngWithLegendAndOverwrites()
    {
        var path = Path.Combine(_dir.FullName, "loss.png");
        File.WriteAllText(path, "old");
        double[] x = [0, 1, 2, 3, 4];
        var series = new[] { new Series("train", x, [5, 3, 2, 1.5, 1.2]), new Series("test", x, [5.5, 3.6, 2.8, 2.5, double.NaN]) };

        Figures.Lines(path, "loss", "epoch", "loss", series);

        Assert.Equal((Figures.ChartWidth, Figures.ChartHeight), PngSize(path));
        AssertNoTemporaries();
    }

    [Fact]
    public void LogAxesDropZerosAndNegatives()
    {
        var path = Path.Combine(_dir.FullName, "loglog.png");
        double[] x = [0, 1, 10, 100, 1000, 1e4, -5];
        var series = new[]
        {
            new Series("n^-1", x, x.Select(v => 1 / v).ToArray()),
            new Series("n^-2", x, x.Select(v => v == 0 ? 0 : 1 / (v * v)).ToArray()),
        };

        Figures.Lines(path, "decay", "n", "error", series, logX: true, logY: true);

        Assert.Equal((Figures.ChartWidth, Figures.ChartHeight), PngSize(path));
        AssertNoTemporaries();
    }

    [Fact]
    public void LogAxisWithinADecadeRenders()
    {
        var path = Path.Combine(_dir.FullName, "narrow.png");
        var series = new[] { new Series("loss", [1, 2, 3, 4, 5, 6], [7, 5, 3.5, 2.8, 2.2, 2]) };

        Figures.Lines(path, "narrow", "epoch", "loss", series, logY: true);

        Assert.Equal((Figures.ChartWidth, Figures.ChartHeight), PngSize(path));
    }

    [Fact]
    public void LogAxisWithNothingPositiveThrows()
    {
        var path = Path.Combine(_dir.FullName, "nothing.png");
        var series = new[] { new Series("zero", [1, 2, 3], [0, -1, 0]) };

        var error = Assert.Throws<MultiscaleException>(() => Figures.Lines(path, "zero", "x", "y", series, logY: true));
        Assert.Contains("log axis", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void MismatchedLengthsAndAllNaNSeriesThrow()
    {
        var path = Path.Combine(_dir.FullName, "bad.png");
        var mismatched = new[] { new Series("short", [1, 2, 3], [1, 2]) };
        var allNaN = new[] { new Series("ok", [1, 2], [1, 2]), new Series("nan", [1, 2], [double.NaN, double.NaN]) };

        var error = Assert.Throws<MultiscaleException>(() => Figures.Lines(path, "bad", "x", "y", mismatched));
        Assert.Contains("'short' has 3 x values but 2 y values", error.Message);
        error = Assert.Throws<MultiscaleException>(() => Figures.Scatter(path, "bad", "x", "y", allNaN));
        Assert.Contains("'nan' has no point with finite x and y", error.Message);
        Assert.Throws<MultiscaleException>(() => Figures.Lines(path, "bad", "x", "y", []));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ScatterWritesALabelledTradeOffCurve()
    {
        var path = Path.Combine(_dir.FullName, "tradeoff.png");
        double[] s = [0, 0.25, 0.5, 0.75, 1];
        var series = new[]
        {
            new Series("grid 16x16", [1.0, 1.3, 1.8, 2.6, 4.0], [0.9, 0.5, 0.3, 0.2, 0.15]),
            new Series("path 256", [1.1, 1.5, 2.0, 2.9, 4.4], [1.0, 0.6, 0.4, 0.25, 0.2]),
        };

        Figures.Scatter(path, "accuracy vs cost", "cost", "error", series, s.Select(v => $"s={v}").ToArray());

        Assert.Equal((Figures.ChartWidth, Figures.ChartHeight), PngSize(path));
        AssertNoTemporaries();
    }

    [Fact]
    public void ScatterLabelsMustMatchTheFirstSeries()
    {
        var path = Path.Combine(_dir.FullName, "labels.png");
        var series = new[] { new Series("a", [1, 2, 3], [3, 2, 1]) };

        var error = Assert.Throws<MultiscaleException>(() => Figures.Scatter(path, "t", "x", "y", series, ["s=0", "s=1"]));
        Assert.Contains("2 point labels for the 3 points", error.Message);
    }

    [Fact]
    public void LogTicksLabelDecadesWithPowersOfTen()
    {
        var ticks = LogTickGenerator.Generate(-3.2, 2.1, maxMajors: 10);
        var majors = ticks.Where(t => t.IsMajor).ToList();

        Assert.Equal(["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹", "10²"], majors.Select(t => t.Label));
        Assert.Equal([-3.0, -2, -1, 0, 1, 2], majors.Select(t => t.Position));
        Assert.Contains(ticks, t => !t.IsMajor && Math.Abs(t.Position - Math.Log10(20)) < 1e-12);
    }

    [Fact]
    public void LogTicksThinDecadesWhenCrowded()
    {
        var majors = LogTickGenerator.Generate(-30, 30, maxMajors: 5).Where(t => t.IsMajor).ToList();

        Assert.InRange(majors.Count, 2, 5);
        Assert.All(majors, t => Assert.Equal(0, t.Position % 1));
    }

    [Fact]
    public void LogTicksWithinADecadeShowRealValues()
    {
        var labels = LogTickGenerator.Generate(Math.Log10(1.5), Math.Log10(40), maxMajors: 8).Where(t => t.IsMajor).Select(t => t.Label);
        Assert.Equal(["2", "5", "10¹", "20"], labels);

        var narrow = LogTickGenerator.Generate(Math.Log10(3.1), Math.Log10(3.4), maxMajors: 4).Where(t => t.IsMajor).ToList();
        Assert.True(narrow.Count >= 2);
        Assert.All(narrow, t => Assert.Equal(Math.Pow(10, t.Position), double.Parse(t.Label, System.Globalization.CultureInfo.InvariantCulture), 1e-9));
    }

    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 24, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal("IHDR"u8.ToArray(), bytes[12..16]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    private void AssertNoTemporaries() =>
        Assert.Empty(_dir.EnumerateFiles("*.tmp*", SearchOption.AllDirectories));
}
