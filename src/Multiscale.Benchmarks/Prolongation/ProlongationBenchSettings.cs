using Multiscale.Runs;
namespace Multiscale.Benchmarks.Prolongation;

/// <summary>What <see cref="ProlongationBench.Run"/> measures.</summary>
/// <param name="Quick">Small sizes only (seconds; what the test suite runs).</param>
/// <param name="Only">The sections to run (empty: all of <see cref="ProlongationBench.Sections"/>).</param>
public sealed record ProlongationBenchSettings(bool Quick, IReadOnlySet<string> Only)
{
    /// <summary>The problem of field <c>only</c> when it names an unknown section (a host names the field its own way), else null.</summary>
    public SettingsException? Problem() => BenchSections.Problem(Only, ProlongationBench.Sections);

    /// <summary>Throws <see cref="MultiscaleException"/> for an unknown section.</summary>
    public void Validate() => BenchSections.Throw(Problem());
}
