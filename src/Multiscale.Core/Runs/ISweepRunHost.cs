namespace Multiscale.Runs;

/// <summary>
/// Trains one run of a sweep into its folder: <see cref="FolderSweepHost{TSettings}"/> from C#, the <c>multiscale</c>
/// command's host (console lines, TensorBoard, figures) from the command line.
/// </summary>
public interface ISweepRunHost<TSettings>
{
    /// <summary>
    /// Trains <paramref name="settings"/> (grid point <paramref name="point"/>) into <paramref name="directory"/>,
    /// continuing from the folder's checkpoint when it holds one (the sweep has already removed one of other settings).
    /// Returns true for a complete run folder (report.json written), false when the run was cancelled.
    /// </summary>
    bool Run(IMultiscaleMethod<TSettings> method, TSettings settings, SettingsGridPoint point, string directory);
}
