namespace Multiscale.Cli.Plots;

/// <summary>One named curve of a line or scatter figure.</summary>
/// <param name="Label">Name shown in the legend (the legend appears only when a figure has more than one series).</param>
/// <param name="X">Horizontal coordinates; same length as <paramref name="Y"/>.</param>
/// <param name="Y">Vertical coordinates; points where either coordinate is not finite are left out.</param>
internal sealed record Series(string Label, double[] X, double[] Y);
