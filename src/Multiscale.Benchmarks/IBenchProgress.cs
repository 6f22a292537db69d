namespace Multiscale.Benchmarks;

/// <summary>
/// Where a bench says how far it has got, for a host that shows it (a terminal's live lines); the benches write their
/// log lines to <see cref="BenchContext.Log"/> and know no console.
/// </summary>
public interface IBenchProgress
{
    /// <summary>What runs now (a section's title).</summary>
    void Describe(string text);

    /// <summary>The overall position: <paramref name="done"/> of <paramref name="total"/> sections started.</summary>
    void Overall(string text, int done, int total);
}
