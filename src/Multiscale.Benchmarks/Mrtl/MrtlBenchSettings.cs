using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.Mrtl;

/// <summary>What <see cref="MrtlBench.Run"/> measures.</summary>
/// <param name="Quick">Small data and one seed (seconds; what the test suite runs).</param>
/// <param name="Only">The sections to run (empty: all of <see cref="MrtlBench.Sections"/>).</param>
/// <param name="Seeds">Seeds (data, split and initialization) per configuration; <paramref name="Quick"/> runs one.</param>
/// <param name="Tasks">"basketball" and/or "climate", in the order they run.</param>
/// <param name="Device">Where every tensor lives.</param>
public sealed record MrtlBenchSettings(bool Quick, IReadOnlySet<string> Only, int Seeds, IReadOnlyList<string> Tasks, Device Device)
{
    /// <summary>
    /// The first problem of these settings, naming its field (<c>only</c>, <c>seeds</c>, <c>tasks</c>) so a host can name
    /// it its own way: an unknown section or task, no task, fewer than one seed; null when none.
    /// </summary>
    public SettingsException? Problem()
    {
        if (BenchSections.Problem(Only, MrtlBench.Sections) is { } sections) return sections;
        if (Seeds < 1) return new SettingsException("seeds", $"must be positive (got {Seeds})");
        ArgumentNullException.ThrowIfNull(Tasks);
        if (Tasks.Count == 0) return new SettingsException("tasks", "names no task; choose basketball and/or climate");
        foreach (var t in Tasks)
            if (t is not ("basketball" or "climate")) return new SettingsException("tasks", $"names an unknown task '{t}'; choose basketball and/or climate");
        return null;
    }

    /// <summary>Throws <see cref="MultiscaleException"/> with the message of <see cref="Problem"/> when there is one.</summary>
    public void Validate() => BenchSections.Throw(Problem());
}
