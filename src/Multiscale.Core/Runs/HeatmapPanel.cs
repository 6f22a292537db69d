namespace Multiscale.Runs;

/// <summary>One titled panel of a <see cref="HeatmapGridFigure"/>: a signed matrix (row 0 on top).</summary>
/// <param name="Title">Panel title, e.g. "factor 3 · sparse".</param>
/// <param name="Values">The matrix; non-finite cells are drawn apart.</param>
public sealed record HeatmapPanel(string Title, double[,] Values);
