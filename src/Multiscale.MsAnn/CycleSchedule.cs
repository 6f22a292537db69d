namespace Multiscale.MsAnn;

/// <summary>One visit of Algorithm 3.1: train level <paramref name="Level"/> for <paramref name="Batches"/> batches.</summary>
/// <param name="Level">0 is the finest model.</param>
/// <param name="Batches">k, the smoothing steps of the visit.</param>
public readonly record struct CycleVisit(int Level, int Batches);

/// <summary>
/// The recursive MsANN cycle of paper 004, Algorithm 3.1: Cycle(l) trains level l for k batches, then, while l &lt; L,
/// γ times {Cycle(l+1); k batches at l}. γ = 1 is a V-cycle, γ = 2 a W-cycle; any γ ≥ 1 is allowed. L = 0 is default
/// training (the finest model only).
/// </summary>
public sealed record CycleSchedule
{
    /// <summary>Creates a schedule; throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public CycleSchedule(int depth, int gamma, int batchesPerVisit)
    {
        if (depth < 0) throw new MultiscaleException($"the hierarchy depth L must be ≥ 0 (got {depth})");
        if (gamma < 1) throw new MultiscaleException($"γ must be ≥ 1 (got {gamma})");
        if (batchesPerVisit < 1) throw new MultiscaleException($"k must be ≥ 1 (got {batchesPerVisit})");
        Depth = depth;
        Gamma = gamma;
        BatchesPerVisit = batchesPerVisit;
    }

    /// <summary>L, the index of the coarsest level.</summary>
    public int Depth { get; }

    /// <summary>γ, the number of recursive calls per visit.</summary>
    public int Gamma { get; }

    /// <summary>k, the batches per visit.</summary>
    public int BatchesPerVisit { get; }

    /// <summary>The visits of one cycle, Cycle(0), in order.</summary>
    public IReadOnlyList<CycleVisit> Visits()
    {
        var visits = new List<CycleVisit>();
        void Cycle(int level)
        {
            visits.Add(new CycleVisit(level, BatchesPerVisit));
            if (level >= Depth) return;
            for (int i = 0; i < Gamma; i++)
            {
                Cycle(level + 1);
                visits.Add(new CycleVisit(level, BatchesPerVisit));
            }
        }
        Cycle(0);
        return visits;
    }

    /// <summary>
    /// Visits to each level in one cycle, in closed form: level l is entered γˡ times and trained 1 + γ times per entry
    /// (once if it is the coarsest).
    /// </summary>
    public long VisitsTo(int level)
    {
        if (level < 0 || level > Depth) throw new ArgumentOutOfRangeException(nameof(level));
        long entries = (long)Math.Pow(Gamma, level);
        return level == Depth ? entries : entries * (1 + Gamma);
    }
}
