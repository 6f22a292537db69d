using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// The plugin contract: a multiscale training method the core hosts (MRTL, MsANN). A host — the <c>multiscale</c>
/// command or a user's program — builds the method's settings, gives it a <see cref="RunContext"/> (device,
/// cancellation, progress and curve reporting) and writes the returned <see cref="RunRecord"/> into a
/// <see cref="RunFolder"/>. A method writes no run files itself (only caches it is pointed to, such as solved maps), so
/// every method's runs share one folder layout and the same guarantees (nothing half-written, <c>report.json</c> last).
/// Settings are plain data (their data described, not held open), written by <see cref="Describe"/> and read back by
/// <see cref="ReadSettings"/>: the JSON in a run's <c>config.json</c> is enough to run it again.
/// </summary>
/// <typeparam name="TSettings">Everything the method needs to train, data included.</typeparam>
public interface IMultiscaleMethod<TSettings>
{
    /// <summary>The method's name as hosts spell it (<c>mrtl</c>, <c>msann</c>); it is the CLI command and config.json's <c>method</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The settings that decide a run's numbers, as JSON for <c>config.json</c> (the device is not among them: a run
    /// must give the same numbers on any device up to floating-point order).
    /// </summary>
    JsonObject Describe(TSettings settings);

    /// <summary>
    /// The inverse of <see cref="Describe"/>: settings from their JSON (a run folder's <c>config.json</c> or a settings
    /// file), a missing field taking its default, so a host can repeat a run from its folder. Bad or unknown fields are a
    /// <see cref="SettingsException"/> naming the field. Everything is checked here, before any data is read.
    /// </summary>
    TSettings ReadSettings(JsonObject settings);

    /// <summary>
    /// Trains as <paramref name="settings"/> say. Progress lines and curve points go to
    /// <see cref="RunContext.Reporter"/>; when <see cref="RunContext.Cancellation"/> fires, the method returns early
    /// with what it has and the host decides not to keep it.
    /// </summary>
    RunRecord Run(TSettings settings, RunContext context);
}
