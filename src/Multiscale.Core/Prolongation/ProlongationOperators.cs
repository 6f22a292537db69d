using Multiscale.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// The operators eq. (3.3) needs for one (coarse G₁, fine G₂) pair, computed once: sparse Laplacians L₁, L₂ and, when
/// the locality term is used, dense hop-distance matrices T₁, T₂ — all float64 on one device.
/// </summary>
public sealed class ProlongationOperators : IDisposable
{
    private ProlongationOperators(Graph coarse, Graph fine, Device device, bool withDistances)
    {
        Coarse = coarse;
        Fine = fine;
        Device = device;
        L1 = GraphOperators.SparseLaplacian(coarse, device);
        L2 = GraphOperators.SparseLaplacian(fine, device);
        L1NormSquared = coarse.Degrees().Sum(d => d * d) + 2 * coarse.Edges.Sum(e => e.Weight * e.Weight);
        if (withDistances)
        {
            T1 = GraphOperators.HopDistances(coarse, device);
            T2 = GraphOperators.HopDistances(fine, device);
            using var n = linalg.norm(T1);
            T1NormSquared = Math.Pow(n.item<double>(), 2);
        }
    }

    /// <summary>The coarse graph G₁ (n₁ vertices).</summary>
    public Graph Coarse { get; }

    /// <summary>The fine graph G₂ (n₂ ≥ n₁ vertices).</summary>
    public Graph Fine { get; }

    /// <summary>Device of every tensor here.</summary>
    public Device Device { get; }

    /// <summary>n₁.</summary>
    public int CoarseSize => Coarse.VertexCount;

    /// <summary>n₂.</summary>
    public int FineSize => Fine.VertexCount;

    /// <summary>Sparse L₁ = A₁ − D₁.</summary>
    public Tensor L1 { get; }

    /// <summary>Sparse L₂ = A₂ − D₂.</summary>
    public Tensor L2 { get; }

    /// <summary>‖L₁‖_F² (constant ‖P L₁‖_F² on the Stiefel manifold).</summary>
    public double L1NormSquared { get; }

    /// <summary>Dense T₁, or null when built without distances.</summary>
    public Tensor? T1 { get; }

    /// <summary>Dense T₂, or null when built without distances.</summary>
    public Tensor? T2 { get; }

    /// <summary>‖T₁‖_F² (constant ‖P T₁‖_F² on the Stiefel manifold); 0 without distances.</summary>
    public double T1NormSquared { get; }

    /// <summary>True when T₁, T₂ are present.</summary>
    public bool HasDistances => T1 is not null;

    /// <summary>
    /// Builds the operators; distances only when <paramref name="withDistances"/> (s &gt; 0). Throws
    /// <see cref="MultiscaleException"/> when the coarse graph is larger than the fine one, and
    /// <see cref="DisconnectedGraphException"/> when distances are needed of a disconnected graph.
    /// </summary>
    public static ProlongationOperators Create(Graph coarse, Graph fine, bool withDistances, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        ArgumentNullException.ThrowIfNull(fine);
        if (coarse.VertexCount > fine.VertexCount)
            throw new MultiscaleException(
                $"the coarse graph '{coarse.Name}' has {coarse.VertexCount} vertices, more than the fine graph '{fine.Name}' ({fine.VertexCount}); a prolongation map is fine × coarse with n_fine ≥ n_coarse");
        return new ProlongationOperators(coarse, fine, device ?? CPU, withDistances);
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        L1.Dispose();
        L2.Dispose();
        T1?.Dispose();
        T2?.Dispose();
    }
}
