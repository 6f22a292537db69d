namespace Multiscale.Mrtl.Data;

/// <summary>
/// The resolutions of Algorithm 1: one grid per spatial mode at every step, first the full-rank steps (coarse → r0),
/// then the low-rank steps (r0 → R). The low-rank chain starts where the full-rank chain ends (CP-ALS happens there),
/// and along the whole chain every mode is non-decreasing on both axes with at least one mode finer at each step.
/// </summary>
public sealed class ResolutionSchedule
{
    /// <summary>Validates and keeps the two chains; <paramref name="fullRank"/> may be empty (random-init runs).</summary>
    public ResolutionSchedule(IReadOnlyList<IReadOnlyList<GridShape>> fullRank, IReadOnlyList<IReadOnlyList<GridShape>> lowRank)
    {
        ArgumentNullException.ThrowIfNull(fullRank);
        ArgumentNullException.ThrowIfNull(lowRank);
        if (lowRank.Count == 0) throw new MultiscaleException("the low-rank resolution chain is empty");
        int modes = lowRank[0].Count;
        if (modes == 0) throw new MultiscaleException("a resolution step needs at least one spatial mode");
        foreach (var step in fullRank.Concat(lowRank))
            if (step.Count != modes)
                throw new MultiscaleException($"every resolution step needs {modes} grids (one per spatial mode); got {Describe(step)}");
        if (fullRank.Count > 0 && !fullRank[^1].SequenceEqual(lowRank[0]))
            throw new MultiscaleException($"the low-rank chain must start where the full-rank chain ends ({Describe(fullRank[^1])}), got {Describe(lowRank[0])}");
        CheckChain(fullRank, "full-rank");
        CheckChain(lowRank, "low-rank");
        FullRank = fullRank.Select(s => (IReadOnlyList<GridShape>)s.ToArray()).ToArray();
        LowRank = lowRank.Select(s => (IReadOnlyList<GridShape>)s.ToArray()).ToArray();
        Modes = modes;
    }

    /// <summary>Full-rank steps, coarse to fine (may be empty).</summary>
    public IReadOnlyList<IReadOnlyList<GridShape>> FullRank { get; }

    /// <summary>Low-rank steps, coarse to fine (never empty).</summary>
    public IReadOnlyList<IReadOnlyList<GridShape>> LowRank { get; }

    /// <summary>Number of spatial modes.</summary>
    public int Modes { get; }

    /// <summary>The finest step.</summary>
    public IReadOnlyList<GridShape> Finest => LowRank[^1];

    /// <summary>The fixed-resolution baseline: full rank at the finest step, CP there, low rank at the finest step.</summary>
    public ResolutionSchedule AtFinest() => new(new[] { Finest }, new[] { Finest });

    /// <summary>Low rank at the finest step only (random-initialization baseline).</summary>
    public ResolutionSchedule LowRankAtFinest() => new(Array.Empty<IReadOnlyList<GridShape>>(), new[] { Finest });

    /// <summary>Appendix B basketball: full (4×5, 6×6) → (8×10, 6×6) → (8×10, 12×12); low (8×10, 12×12) → (20×25, 12×12) → (40×50, 12×12).</summary>
    public static ResolutionSchedule Basketball => Parse("4x5,6x6;8x10,6x6;8x10,12x12", "8x10,12x12;20x25,12x12;40x50,12x12");

    /// <summary>Appendix B climate: full 4×9 → 8×18; low 8×18 → 12×27 → 24×54 → 40×90 → 60×135 → 80×180.</summary>
    public static ResolutionSchedule Climate => Parse("4x9;8x18", "8x18;12x27;24x54;40x90;60x135;80x180");

    /// <summary>The climate chain cut to the small preset's 16×36 grid (<see cref="ClimateOptions.Small"/>): tests, CI, quick runs.</summary>
    public static ResolutionSchedule ClimateSmall => Parse("4x9;8x18", "8x18;16x36");

    /// <summary>
    /// Parses chains written as steps separated by ';', each step the grids of the modes separated by ','
    /// (e.g. "4x5,6x6;8x10,6x6"). An empty <paramref name="fullRank"/> means no full-rank stage.
    /// </summary>
    public static ResolutionSchedule Parse(string fullRank, string lowRank)
    {
        static IReadOnlyList<IReadOnlyList<GridShape>> Chain(string text) => string.IsNullOrWhiteSpace(text)
            ? Array.Empty<IReadOnlyList<GridShape>>()
            : text.Split(';', StringSplitOptions.TrimEntries).Select(step =>
                (IReadOnlyList<GridShape>)step.Split(',', StringSplitOptions.TrimEntries).Select(grid => GridShape.Parse(grid, dimensions: 2)).ToArray()).ToArray();
        return new ResolutionSchedule(Chain(fullRank), Chain(lowRank));
    }

    /// <summary>"4x5,6x6;8x10,6x6" form of a chain.</summary>
    public static string Format(IReadOnlyList<IReadOnlyList<GridShape>> chain) => string.Join(';', chain.Select(Describe));

    /// <summary>"8x10,12x12" form of one step.</summary>
    public static string Describe(IReadOnlyList<GridShape> step) => string.Join(',', step);

    private static void CheckChain(IReadOnlyList<IReadOnlyList<GridShape>> chain, string name)
    {
        for (int s = 1; s < chain.Count; s++)
        {
            bool finer = false;
            for (int m = 0; m < chain[s].Count; m++)
            {
                GridShape a = chain[s - 1][m], b = chain[s][m];
                if (b.Rows < a.Rows || b.Cols < a.Cols)
                    throw new MultiscaleException($"the {name} resolution chain is not coarse→fine: mode {m} goes from {a} to {b}");
                finer |= b != a;
            }
            if (!finer)
                throw new MultiscaleException($"the {name} resolution chain repeats step {Describe(chain[s])}; each step must be finer in some mode");
        }
    }
}
