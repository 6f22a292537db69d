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

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate()
    {
        if (Batches < 1) throw new MultiscaleException($"the τ term needs at least one batch (got {Batches})");
    }
}
