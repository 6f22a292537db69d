namespace Multiscale.Benchmarks.Prolongation;

/// <summary>What <see cref="ProlongationBench.Run"/> measures.</summary>
/// <param name="Quick">Small sizes only (seconds; what the test suite runs).</param>
/// <param name="Only">The sections to run (empty: all of <see cref="ProlongationBench.Sections"/>).</param>
public sealed record ProlongationBenchSettings(bool Quick, IReadOnlySet<string> Only)
{
    /// <summary>Throws <see cref="MultiscaleException"/> for an unknown section.</summary>
    public void Validate() => BenchSections.Check(Only, ProlongationBench.Sections);
}
