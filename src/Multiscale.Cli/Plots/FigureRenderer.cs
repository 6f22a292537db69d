using Multiscale.Runs;

namespace Multiscale.Cli.Plots;

/// <summary>Renders the figures hosted methods ask for with <see cref="Figures"/> (ScottPlot).</summary>
internal sealed class FigureRenderer : IFigureRenderer
{
    public static readonly FigureRenderer Instance = new();

    public void Render(RunFigure figure, string path)
    {
        switch (figure)
        {
            case LineFigure line:
                Figures.Lines(path, line.Title, line.XLabel, line.YLabel,
                    line.Series.Select(s => new Series(s.Label, s.X, s.Y)).ToList(), line.LogX, line.LogY);
                break;
            case HeatmapFigure map:
                Figures.Heatmap(path, map.Values, map.Title, map.XLabel, map.YLabel);
                break;
            case HeatmapGridFigure grid:
                Figures.HeatmapGrid(path, grid.Title, grid.Panels.Select(p => (p.Title, p.Values)).ToList(), grid.Columns);
                break;
            default:
                throw new NotSupportedException($"no renderer for figure kind {figure.GetType().Name}");
        }
    }
}
