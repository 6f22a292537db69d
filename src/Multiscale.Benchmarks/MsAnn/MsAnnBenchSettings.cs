using Multiscale.MsAnn.Data;
using Multiscale.Runs;

namespace Multiscale.Benchmarks.MsAnn;

/// <summary>What <see cref="MsAnnBench.Run"/> measures.</summary>
/// <param name="Quick">Tiny networks and budgets (seconds; what the test suite runs).</param>
/// <param name="Only">The sections to run (empty: all of <see cref="MsAnnBench.Sections"/>).</param>
/// <param name="MnistFolder">MNIST folder for the mnist section (null: <c>data/mnist</c> when it exists, else the section says how to get the data).</param>
/// <param name="Budget">Cost budget of every MsANN run (default training runs to 256,000 or 8× this).</param>
/// <param name="MapCache">Folder where optimized level maps are kept between runs (null: solved every time).</param>
public sealed record MsAnnBenchSettings(bool Quick, IReadOnlySet<string> Only, string? MnistFolder = null, double Budget = 32_000, string? MapCache = null)
{
    /// <summary>How a reader gets MNIST, for the skipped section's note.</summary>
    public string MnistHowToGet { get; init; } = "put " + Mnist.Expected + " in the folder";

    /// <summary>
    /// The first problem of these settings, naming its field (<c>only</c>, <c>budget</c>, <c>mnist_folder</c>) so a host
    /// can name it its own way: an unknown section, a budget that is not positive, a missing MNIST folder; null when none.
    /// </summary>
    public SettingsException? Problem()
    {
        if (BenchSections.Problem(Only, MsAnnBench.Sections) is { } sections) return sections;
        if (!(Budget > 0)) return new SettingsException("budget", $"must be positive (got {Budget})");
        if (MnistFolder is not null && !Directory.Exists(MnistFolder)) return new SettingsException("mnist_folder", $"'{MnistFolder}' does not exist");
        return null;
    }

    /// <summary>Throws <see cref="MultiscaleException"/> with the message of <see cref="Problem"/> when there is one.</summary>
    public void Validate() => BenchSections.Throw(Problem());
}
