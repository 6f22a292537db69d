using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Multiscale.Cli.Plots;

/// <summary>
/// The figures the commands write, as PNG files: matrix heatmaps (the paper's Fig. 2 style), line plots with optional
/// log axes, and labelled trade-off curves. Every file is written through a temporary sibling and moved into place, so a
/// failed render never leaves a half-written or stale-looking figure.
/// </summary>
internal static class Figures
{
    /// <summary>Largest heatmap side, in cells, drawn as is; larger matrices are reduced by block maxima.</summary>
    internal const int MaxHeatmapCells = 512;

    /// <summary>Pixel size of line and scatter figures.</summary>
    internal const int ChartWidth = 800, ChartHeight = 600;

    // The data area follows the matrix shape (longer side 460 px); the margins hold title, axes and colorbar.
    private const int HeatmapDataSide = 460, HeatmapMarginX = 140, HeatmapMarginY = 100;
    private const double MaxHeatmapAspect = 2;

    // ScottPlot's own sans choice can resolve to a serif face on Linux (it fell back to DejaVu Serif here), so the
    // first of these that the system really has is used; null keeps ScottPlot's choice.
    private static readonly Lazy<string?> SansFont = new(() =>
        new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI", "Noto Sans" }
            .FirstOrDefault(name => Fonts.GetTypeface(name, bold: false, italic: false)?.FamilyName == name));

    /// <summary>
    /// Writes a grayscale heatmap of |<paramref name="values"/>| (white = 0, black = the largest magnitude) with row 0 at
    /// the top and a colorbar. Matrices with a side over <see cref="MaxHeatmapCells"/> are shown by block maxima of
    /// |value|, so the largest entries stay visible and the file stays small. Non-finite entries (after reduction: blocks
    /// without a finite entry) are drawn in red.
    /// </summary>
    /// <param name="path">The PNG to write; its folder is created when missing.</param>
    /// <param name="title">Figure title, also named in error messages.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="values">The matrix; row i is drawn i rows below the top.</param>
    /// <exception cref="MultiscaleException">The matrix is empty or has no finite entry.</exception>
    internal static void Heatmap(string path, double[,] values, string title, string xLabel, string yLabel)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), cols = values.GetLength(1);
        if (rows == 0 || cols == 0) throw new MultiscaleException($"figure '{title}': the matrix is empty ({rows}x{cols})");

        var (cells, rowBlock, colBlock) = BlockMaxAbs(values, MaxHeatmapCells);
        double max = 0;
        bool anyFinite = false;
        foreach (double v in cells)
            if (double.IsFinite(v)) { anyFinite = true; max = Math.Max(max, v); }
        if (!anyFinite) throw new MultiscaleException($"figure '{title}': the {rows}x{cols} matrix has no finite entry");

        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.GrayscaleReversed();
        // A fixed range anchors white at exactly 0 (an all-zero matrix still needs a non-empty range).
        heatmap.ManualRange = new ScottPlot.Range(0, max > 0 ? max : 1);
        heatmap.NaNCellColor = Colors.Red;
        // ScottPlot puts row 0 at the largest y; the y axis below is inverted (0 at the top), so flip rows back.
        heatmap.FlipVertically = true;
        // Integer coordinates are cell centres in original indices, also after block reduction, so ticks read as
        // row/column numbers; the last block may stick out past the matrix and is clipped by the axis limits.
        heatmap.Rectangle = new CoordinateRect(
            left: -0.5, right: cells.GetLength(1) * colBlock - 0.5,
            bottom: cells.GetLength(0) * rowBlock - 0.5, top: -0.5);
        plot.Axes.SetLimits(left: -0.5, right: cols - 0.5, bottom: rows - 0.5, top: -0.5);
        plot.Axes.Bottom.TickGenerator = IndexTicks();
        plot.Axes.Left.TickGenerator = IndexTicks();
        plot.Add.ColorBar(heatmap).Label = "|value|";
        Label(plot, title, xLabel, yLabel);

        var (width, height) = HeatmapPixelSize(rows, cols);
        Save(plot, path, width, height);
    }

    /// <summary>Pixel size of one panel's data area in <see cref="HeatmapGrid"/> (its longer side).</summary>
    internal const int PanelDataSide = 180;

    /// <summary>
    /// Writes a grid of small signed heatmaps, one per panel, each titled and drawn on a diverging colour map (blue
    /// negative, white 0, red positive — cmocean's "balance") over [−m, m] with m the panel's largest |value|, row 0
    /// at the top, non-finite cells grey. Panels larger than <see cref="MaxHeatmapCells"/> a side are not reduced
    /// (factor grids are small); the figure title says what the panels share.
    /// </summary>
    /// <param name="path">The PNG to write; its folder is created when missing.</param>
    /// <param name="title">Figure title, drawn above the first row, also named in error messages.</param>
    /// <param name="panels">Title and matrix of each panel, drawn row by row.</param>
    /// <param name="columns">Panels per row; 0 picks ⌈√count⌉.</param>
    /// <exception cref="MultiscaleException">No panel, an empty or too large matrix, or one with no finite entry.</exception>
    internal static void HeatmapGrid(string path, string title, IReadOnlyList<(string Title, double[,] Values)> panels, int columns = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new MultiscaleException($"figure '{title}': no panels");
        int cols = columns > 0 ? Math.Min(columns, panels.Count) : (int)Math.Ceiling(Math.Sqrt(panels.Count));
        int rows = (panels.Count + cols - 1) / cols;
        // Every panel shares the first one's pixel size (factor panels all have one grid's shape).
        int r0 = panels[0].Values.GetLength(0), c0 = panels[0].Values.GetLength(1);
        double aspect = r0 > 0 ? Math.Clamp((double)c0 / r0, 1 / MaxHeatmapAspect, MaxHeatmapAspect) : 1;
        int panelWidth = (int)Math.Round(aspect >= 1 ? PanelDataSide : PanelDataSide * aspect) + 40;
        int panelHeight = (int)Math.Round(aspect >= 1 ? PanelDataSide / aspect : PanelDataSide) + 45;

        var multiplot = new Multiplot();
        multiplot.AddPlots(rows * cols);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, cols);
        for (int i = 0; i < rows * cols; i++)
        {
            var plot = multiplot.GetPlot(i);
            if (i >= panels.Count)
            {
                plot.Layout.Frameless();
                plot.HideGrid();
                plot.Axes.Frameless();
                continue;
            }
            var (panelTitle, values) = panels[i];
            int pr = values.GetLength(0), pc = values.GetLength(1);
            if (pr == 0 || pc == 0) throw new MultiscaleException($"figure '{title}': panel '{panelTitle}' is empty ({pr}x{pc})");
            if (pr > MaxHeatmapCells || pc > MaxHeatmapCells) throw new MultiscaleException($"figure '{title}': panel '{panelTitle}' is {pr}x{pc}, more than {MaxHeatmapCells} a side");
            double max = 0;
            bool anyFinite = false;
            foreach (double v in values)
                if (double.IsFinite(v)) { anyFinite = true; max = Math.Max(max, Math.Abs(v)); }
            if (!anyFinite) throw new MultiscaleException($"figure '{title}': panel '{panelTitle}' has no finite entry");
            var heatmap = plot.Add.Heatmap(values);
            heatmap.Colormap = new ScottPlot.Colormaps.Balance();
            // Symmetric about 0 so white is exactly 0 and the two signs read alike.
            heatmap.ManualRange = new ScottPlot.Range(-(max > 0 ? max : 1), max > 0 ? max : 1);
            heatmap.NaNCellColor = Colors.Gray;
            heatmap.FlipVertically = true;
            heatmap.Rectangle = new CoordinateRect(left: -0.5, right: pc - 0.5, bottom: pr - 0.5, top: -0.5);
            plot.Axes.SetLimits(left: -0.5, right: pc - 0.5, bottom: pr - 0.5, top: -0.5);
            plot.Axes.Bottom.TickGenerator = IndexTicks();
            plot.Axes.Left.TickGenerator = IndexTicks();
            plot.Axes.Bottom.TickLabelStyle.FontSize = 9;
            plot.Axes.Left.TickLabelStyle.FontSize = 9;
            Label(plot, i == 0 ? $"{title}\n{panelTitle}" : panelTitle, "", "");
            plot.Axes.Title.Label.FontSize = 11;
        }
        SaveAtomically(path, temp => multiplot.SavePng(temp, cols * panelWidth, rows * panelHeight + 20));
    }

    /// <summary>
    /// Writes a line plot of <paramref name="series"/>, with a legend when there is more than one. A log axis plots log10
    /// of the data with ticks labelled by real values; points that are not positive there are left out.
    /// </summary>
    /// <param name="path">The PNG to write; its folder is created when missing.</param>
    /// <param name="title">Figure title, also named in error messages.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="series">The curves, drawn in order with ScottPlot's default palette.</param>
    /// <param name="logX">Logarithmic horizontal axis.</param>
    /// <param name="logY">Logarithmic vertical axis.</param>
    /// <exception cref="MultiscaleException">
    /// No series, a series whose X and Y lengths differ or that has no finite point, or nothing left to draw.
    /// </exception>
    internal static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        bool logX = false, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        var points = Prepare(title, series, logX, logY);

        using var plot = new Plot();
        foreach (var (s, xs, ys) in points)
        {
            if (xs.Length == 0) continue;
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = s.Label;
            line.LineWidth = 2;
            // Markers help only while points are few enough to tell apart.
            if (xs.Length <= 30) line.MarkerSize = 5;
        }
        if (logX) plot.Axes.Bottom.TickGenerator = new LogTickGenerator();
        if (logY) plot.Axes.Left.TickGenerator = new LogTickGenerator();
        ShowLegendIfSeveral(plot, series.Count);
        Label(plot, title, xLabel, yLabel);
        Save(plot, path, ChartWidth, ChartHeight);
    }

    /// <summary>
    /// Writes a trade-off curve: each series as markers joined by lines, in the given order, and optionally a text label
    /// beside each point of the first series (for example "s=0.25").
    /// </summary>
    /// <param name="path">The PNG to write; its folder is created when missing.</param>
    /// <param name="title">Figure title, also named in error messages.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="series">The curves, each joined in the order of its points.</param>
    /// <param name="pointLabels">One label per point of the first series (null for none); labels of dropped points are not shown.</param>
    /// <exception cref="MultiscaleException">
    /// No series, a series whose X and Y lengths differ or that has no finite point, or labels that do not match the
    /// first series.
    /// </exception>
    internal static void Scatter(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        IReadOnlyList<string>? pointLabels = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var points = Prepare(title, series, logX: false, logY: false);
        if (pointLabels is not null && pointLabels.Count != series[0].X.Length)
            throw new MultiscaleException(
                $"figure '{title}': {pointLabels.Count} point labels for the {series[0].X.Length} points of series '{series[0].Label}'");

        using var plot = new Plot();
        foreach (var (s, xs, ys) in points)
        {
            var curve = plot.Add.Scatter(xs, ys);
            curve.LegendText = s.Label;
            curve.LineWidth = 1.5f;
            curve.MarkerSize = 7;
        }
        if (pointLabels is not null)
        {
            var first = series[0];
            for (int i = 0; i < pointLabels.Count; i++)
            {
                if (!double.IsFinite(first.X[i]) || !double.IsFinite(first.Y[i])) continue;
                var text = plot.Add.Text(pointLabels[i], first.X[i], first.Y[i]);
                text.LabelFontSize = 11;
                if (SansFont.Value is { } font) text.LabelFontName = font;
                text.LabelAlignment = Alignment.LowerLeft;
                // Nudged off the marker so the label does not cover it.
                text.OffsetX = 5;
                text.OffsetY = -5;
            }
        }
        ShowLegendIfSeveral(plot, series.Count);
        Label(plot, title, xLabel, yLabel);
        Save(plot, path, ChartWidth, ChartHeight);
    }

    /// <summary>Image size of a heatmap of a <paramref name="rows"/>×<paramref name="cols"/> matrix.</summary>
    internal static (int Width, int Height) HeatmapPixelSize(int rows, int cols)
    {
        // Very long or thin matrices are stretched to at most 2:1 so neither side becomes a sliver.
        double aspect = Math.Clamp((double)cols / rows, 1 / MaxHeatmapAspect, MaxHeatmapAspect);
        int dataWidth = (int)Math.Round(aspect >= 1 ? HeatmapDataSide : HeatmapDataSide * aspect);
        int dataHeight = (int)Math.Round(aspect >= 1 ? HeatmapDataSide / aspect : HeatmapDataSide);
        return (dataWidth + HeatmapMarginX, dataHeight + HeatmapMarginY);
    }

    /// <summary>
    /// |values| reduced by the maximum over blocks so neither side exceeds <paramref name="maxSide"/>; NaN only where a
    /// whole block is non-finite. Returns the reduced matrix and the block height and width in original cells.
    /// </summary>
    internal static (double[,] Cells, int RowBlock, int ColBlock) BlockMaxAbs(double[,] values, int maxSide)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        int rowBlock = (rows + maxSide - 1) / maxSide, colBlock = (cols + maxSide - 1) / maxSide;
        int outRows = (rows + rowBlock - 1) / rowBlock, outCols = (cols + colBlock - 1) / colBlock;
        var cells = new double[outRows, outCols];
        for (int i = 0; i < outRows; i++)
            for (int j = 0; j < outCols; j++)
            {
                double m = double.NaN;
                for (int r = i * rowBlock; r < Math.Min(rows, (i + 1) * rowBlock); r++)
                    for (int c = j * colBlock; c < Math.Min(cols, (j + 1) * colBlock); c++)
                    {
                        double a = Math.Abs(values[r, c]);
                        if (double.IsFinite(a) && !(a <= m)) m = a;
                    }
                cells[i, j] = m;
            }
        return (cells, rowBlock, colBlock);
    }

    /// <summary>Checks every series and returns its drawable points, in log10 units on log axes.</summary>
    private static List<(Series Series, double[] X, double[] Y)> Prepare(string title, IReadOnlyList<Series> series, bool logX, bool logY)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new MultiscaleException($"figure '{title}': no series to plot");
        var prepared = new List<(Series, double[], double[])>(series.Count);
        foreach (var s in series)
        {
            ArgumentNullException.ThrowIfNull(s);
            ArgumentNullException.ThrowIfNull(s.X);
            ArgumentNullException.ThrowIfNull(s.Y);
            if (s.X.Length != s.Y.Length)
                throw new MultiscaleException($"figure '{title}': series '{s.Label}' has {s.X.Length} x values but {s.Y.Length} y values");
            var keep = Enumerable.Range(0, s.X.Length).Where(i => double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i])).ToList();
            if (keep.Count == 0)
                throw new MultiscaleException($"figure '{title}': series '{s.Label}' has no point with finite x and y");
            // Zeros and negatives have no place on a log axis; they are dropped rather than failing the whole figure.
            keep = keep.Where(i => (!logX || s.X[i] > 0) && (!logY || s.Y[i] > 0)).ToList();
            prepared.Add((s,
                keep.Select(i => logX ? Math.Log10(s.X[i]) : s.X[i]).ToArray(),
                keep.Select(i => logY ? Math.Log10(s.Y[i]) : s.Y[i]).ToArray()));
        }
        if (prepared.All(p => p.Item2.Length == 0))
            throw new MultiscaleException($"figure '{title}': no positive values to plot on the log axis");
        return prepared;
    }

    /// <summary>A legend beside the data area for several series; none for one.</summary>
    private static void ShowLegendIfSeveral(Plot plot, int seriesCount)
    {
        // ScottPlot 5.1 shows an in-plot legend by itself once a plottable has legend text, so one series needs an
        // explicit hide; beside the data area the legend never covers a curve.
        if (seriesCount > 1) plot.ShowLegend(Edge.Right);
        else plot.HideLegend();
    }

    /// <summary>Sets title and axis labels, then the font of all plot text (so call it after adding axes and panels).</summary>
    private static void Label(Plot plot, string title, string xLabel, string yLabel)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (SansFont.Value is not { } font) return;
        plot.Font.Set(font);
        // Font.Set pins one regular typeface on every label, which makes the (bold) title regular; pin a bold one back.
        plot.Axes.Title.Label.Font = Fonts.GetTypeface(font, bold: true, italic: false);
    }

    /// <summary>Ticks for row and column numbers: whole numbers, no digit grouping, no minor ticks between indices.</summary>
    private static NumericAutomatic IndexTicks() => new()
    {
        IntegerTicksOnly = true,
        LabelFormatter = v => v.ToString("0", CultureInfo.InvariantCulture),
        MinorTickGenerator = new NoMinorTicks(),
    };

    private sealed class NoMinorTicks : IMinorTickGenerator
    {
        public IEnumerable<double> GetMinorTicks(double[] majorPositions, CoordinateRange visibleRange) => [];
    }

    /// <summary>Renders to a temporary PNG beside <paramref name="path"/> and moves it into place.</summary>
    private static void Save(Plot plot, string path, int width, int height) =>
        SaveAtomically(path, temp => plot.SavePng(temp, width, height));

    /// <summary>Lets <paramref name="write"/> render to a temporary PNG beside <paramref name="path"/>, then moves it into place.</summary>
    private static void SaveAtomically(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        // Ends in .png so a leftover is recognisable as an image and the renderer sees the format it writes.
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
