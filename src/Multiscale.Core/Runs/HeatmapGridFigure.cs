namespace Multiscale.Runs;

/// <summary>
/// Small signed heatmaps side by side in a grid (factor profiles, paper 000 Fig. 8, paper 001 Fig. 5): each panel
/// on a diverging colour map centred at 0 and scaled to its own largest |value|, so the sign and shape of every
/// panel can be read whatever its scale.
/// </summary>
/// <param name="Name">File stem.</param>
/// <param name="Title">Figure title.</param>
/// <param name="Panels">The panels, drawn row by row.</param>
/// <param name="Columns">Panels per row (0: about the square root of the count).</param>
public sealed record HeatmapGridFigure(string Name, string Title, IReadOnlyList<HeatmapPanel> Panels, int Columns = 0) : RunFigure(Name, Title);
