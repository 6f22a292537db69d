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
    /// <summary>Throws <see cref="MultiscaleException"/> for an unknown section or task, or fewer than one seed.</summary>
    public void Validate()
    {
        BenchSections.Check(Only, MrtlBench.Sections);
        if (Seeds < 1) throw new MultiscaleException($"the number of seeds must be positive (got {Seeds})");
        ArgumentNullException.ThrowIfNull(Tasks);
        foreach (var t in Tasks)
            if (t is not ("basketball" or "climate")) throw new MultiscaleException($"unknown task '{t}'; choose basketball and/or climate");
    }
}
