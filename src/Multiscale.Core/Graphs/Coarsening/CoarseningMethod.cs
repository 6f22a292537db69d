namespace Multiscale.Graphs.Coarsening;

/// <summary>How a graph is coarsened into aggregates of its vertices.</summary>
public enum CoarseningMethod
{
    /// <summary>
    /// Heavy-edge matching (METIS, Graclus): vertices visited in a seeded random order, each unmatched vertex matched
    /// with its unmatched neighbour of heaviest edge; aggregates are the matched pairs and the unmatched singletons.
    /// </summary>
    HeavyEdge,

    /// <summary>
    /// Standard aggregation in the style of algebraic multigrid (Vaněk, Mandel &amp; Brezina; PyAMG's
    /// <c>standard_aggregation</c>): symmetric strength of connection, then root vertices with their strong
    /// neighbourhoods, leftovers joined to an adjacent aggregate, the rest grouped with their strong neighbours.
    /// </summary>
    Aggregation,
}
