namespace Multiscale.MsAnn;

/// <summary>
/// Settings of the τ-corrected coarse-model visits (MG/OPT, Nash 2000; RMTR's acceptance rule): coarse levels train a
/// coarse network on restricted data, kept first-order coherent with the level above. See <see cref="TauCorrectedVisits"/>.
/// </summary>
public sealed record TauCorrectionOptions
{
    /// <summary>
    /// Keep a coarse correction only if it does not raise the objective of the level it returns to on a fresh batch
    /// (RMTR); off: every correction is kept.
    /// </summary>
    public bool Acceptance { get; init; } = true;

    /// <summary>
    /// Batches the τ term is computed from at each entry into a level: 1 is the one-batch τ of MG/OPT as usually
    /// written; more average the two gradients over a larger sample (less noise for the coarse steps to follow).
    /// </summary>
    public int Batches { get; init; } = 1;

    /// <summary>
    /// The decay ρ of a running average of the τ term over the entries into each level (0: none, each entry uses its own
    /// τ). The entry t into level l computes v_t from <see cref="Batches"/> batches as without averaging, updates
    /// m_t = ρ·m_{t−1} + (1 − ρ)·v_t (m_0 = 0) and uses τ = m_t / (1 − ρᵗ): the bias-corrected exponential average of
    /// every τ computed at that level so far, weight ∝ ρ^(t−s) on entry s. The first entry's τ is its own v_1, so
    /// first-order coherence holds exactly there; later entries trade it (the average lags the current point by
    /// ≈ ρ/(1 − ρ) entries) for less batch noise.
    /// </summary>
    public double Average { get; init; }

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate()
    {
        if (Batches < 1) throw new MultiscaleException($"the τ term needs at least one batch (got {Batches})");
        if (!(Average >= 0 && Average < 1)) throw new MultiscaleException($"the τ running average's decay must be in [0, 1) (got {Average})");
    }
}
