using Multiscale.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>The objective of a Kronecker map on a box-product pair, with the Thm 5.1 bound beside it.</summary>
/// <param name="Terms">E, the unweighted diffusion and locality terms, and the α, β used — exact, not bounds.</param>
/// <param name="DiffusionNorm">‖α^{-1/2} P L₁ − α^{1/2} L₂ P‖_F (square root of the diffusion term).</param>
/// <param name="Theorem51Bound">√n₁⁽ᵇ⁾·D_a + √n₁⁽ᵃ⁾·D_b, the paper's upper bound on <paramref name="DiffusionNorm"/>.</param>
/// <param name="FactorDiffusionNorms">D_a and D_b, the factors' diffusion norms at the same α.</param>
public sealed record KroneckerObjective(ObjectiveTerms Terms, double DiffusionNorm, double Theorem51Bound, (double A, double B) FactorDiffusionNorms);

/// <summary>
/// P = P_a ⊗ P_b for box products G_a □ G_b (§5.2), kept as its two factors: the two-axis <see cref="GridMap"/> (applied
/// by mode products, the (n₂ᵃn₂ᵇ × n₁ᵃn₁ᵇ) matrix never formed) together with eq. (3.3) evaluated exactly from the
/// factors and the Thm 5.1 bound. Vertex order is the one of <see cref="GraphFactory.BoxProduct"/> (index u·n_b + v),
/// which is the Kronecker order.
/// </summary>
public sealed class KroneckerMap : IDisposable
{
    private readonly GridMap _grid;

    /// <summary>Wraps two factor maps (not copied; the caller keeps ownership).</summary>
    public KroneckerMap(ProlongationMap a, ProlongationMap b)
    {
        A = a ?? throw new ArgumentNullException(nameof(a));
        B = b ?? throw new ArgumentNullException(nameof(b));
        _grid = new GridMap(new GridShape(a.CoarseSize, b.CoarseSize), new GridShape(a.FineSize, b.FineSize), new[] { a, b }, ownsAxes: false);
    }

    /// <summary>First factor (slow index).</summary>
    public ProlongationMap A { get; }

    /// <summary>Second factor (fast index).</summary>
    public ProlongationMap B { get; }

    /// <summary>The same map as a two-axis grid map (n₁ᵃ × n₁ᵇ → n₂ᵃ × n₂ᵇ).</summary>
    public GridMap Grid => _grid;

    /// <summary>n₂ᵃ·n₂ᵇ.</summary>
    public int FineSize => _grid.FineSize;

    /// <summary>n₁ᵃ·n₁ᵇ.</summary>
    public int CoarseSize => _grid.CoarseSize;

    /// <summary>(P_a ⊗ P_b)·x for x of shape [n₁ᵃn₁ᵇ] or [n₁ᵃn₁ᵇ, k].</summary>
    public Tensor Prolong(Tensor x) => _grid.Prolong(x);

    /// <summary>(P_a ⊗ P_b)ᵀ·y for y of shape [n₂ᵃn₂ᵇ] or [n₂ᵃn₂ᵇ, k].</summary>
    public Tensor Restrict(Tensor y) => _grid.Restrict(y);

    /// <summary>The full matrix P_a ⊗ P_b (for small sizes, lineages and checks).</summary>
    public ProlongationMap Materialize() => _grid.Dense();

    /// <summary>
    /// Eq. (3.3) at P = P_a ⊗ P_b between G_a¹ □ G_b¹ (coarse) and G_a² □ G_b² (fine), exactly, from factor-sized
    /// products only: with L_□ = L_a ⊕ L_b and T_□ = T_a ⊗ J + J ⊗ T_b (hop distances add across a box product), every
    /// residual is a short sum of Kronecker products Σ c_k X_k ⊗ Y_k, whose squared norm is Σ c_k c_l ⟨X_k,X_l⟩⟨Y_k,Y_l⟩.
    /// </summary>
    public KroneckerObjective Objective(Graph coarseA, Graph fineA, Graph coarseB, Graph fineB, double s, ScaleParameter alpha, ScaleParameter beta)
    {
        ArgumentNullException.ThrowIfNull(coarseA);
        ArgumentNullException.ThrowIfNull(fineA);
        ArgumentNullException.ThrowIfNull(coarseB);
        ArgumentNullException.ThrowIfNull(fineB);
        if (coarseA.VertexCount != A.CoarseSize || fineA.VertexCount != A.FineSize || coarseB.VertexCount != B.CoarseSize || fineB.VertexCount != B.FineSize)
            throw new MultiscaleException("the factor graphs' sizes do not match the factor maps");
        using var scope = NewDisposeScope();
        var device = A.Matrix.device;
        var pa = A.Matrix;
        var pb = B.Matrix.to(device);
        var la1 = GraphOperators.Laplacian(coarseA, device); var la2 = GraphOperators.Laplacian(fineA, device);
        var lb1 = GraphOperators.Laplacian(coarseB, device); var lb2 = GraphOperators.Laplacian(fineB, device);

        var u = new KronSum((1, pa.matmul(la1), pb), (1, pa, pb.matmul(lb1)));
        var v = new KronSum((1, la2.matmul(pa), pb), (1, pa, lb2.matmul(pb)));
        double a = alpha.Value ?? Ratio(u, v);
        double diffusion = u.Norm2() / a - 2 * u.Inner(v) + a * v.Norm2();

        double locality = double.NaN, b = beta.Value ?? 1;
        if (coarseA.IsConnected && fineA.IsConnected && coarseB.IsConnected && fineB.IsConnected)
        {
            var ta1 = GraphOperators.HopDistances(coarseA, device); var ta2 = GraphOperators.HopDistances(fineA, device);
            var tb1 = GraphOperators.HopDistances(coarseB, device); var tb2 = GraphOperators.HopDistances(fineB, device);
            Tensor J(long r, long c) => ones(r, c, dtype: ScalarType.Float64, device: device);
            var ut = new KronSum((1, pa.matmul(ta1), pb.matmul(J(B.CoarseSize, B.CoarseSize))), (1, pa.matmul(J(A.CoarseSize, A.CoarseSize)), pb.matmul(tb1)));
            var vt = new KronSum((1, ta2.matmul(pa), J(B.FineSize, B.FineSize).matmul(pb)), (1, J(A.FineSize, A.FineSize).matmul(pa), tb2.matmul(pb)));
            b = beta.Value ?? Ratio(ut, vt);
            locality = ut.Norm2() / b - 2 * ut.Inner(vt) + b * vt.Norm2();
        }
        else if (s > 0) throw new MultiscaleException("the locality term needs connected factor graphs");

        double FactorNorm(Tensor p, Tensor l1, Tensor l2)
        {
            var r = p.matmul(l1) / Math.Sqrt(a) - l2.matmul(p) * Math.Sqrt(a);
            return linalg.norm(r).item<double>();
        }
        double da = FactorNorm(pa, la1, la2), db = FactorNorm(pb, lb1, lb2);
        double bound = Math.Sqrt(B.CoarseSize) * da + Math.Sqrt(A.CoarseSize) * db;
        double loc = double.IsNaN(locality) ? 0 : locality;
        var terms = new ObjectiveTerms((1 - s) * diffusion + s * loc, Math.Max(diffusion, 0), locality, a, b);
        return new KroneckerObjective(terms, Math.Sqrt(Math.Max(diffusion, 0)), bound, (da, db));
    }

    /// <summary>Nothing to release: the factors belong to the caller.</summary>
    public void Dispose() { }

    private static double Ratio(KronSum u, KronSum v) => ProlongationObjective.AutoScale(u.Norm2(), v.Norm2());

    /// <summary>Σ c_k X_k ⊗ Y_k, with Frobenius inner products from the factors' Gram matrices.</summary>
    private sealed class KronSum
    {
        private readonly (double C, Tensor X, Tensor Y)[] _terms;

        public KronSum(params (double C, Tensor X, Tensor Y)[] terms) => _terms = terms;

        public double Inner(KronSum other)
        {
            double total = 0;
            foreach (var (c1, x1, y1) in _terms)
                foreach (var (c2, x2, y2) in other._terms)
                    total += c1 * c2 * Dot(x1, x2) * Dot(y1, y2);
            return total;
        }

        public double Norm2() => Inner(this);

        private static double Dot(Tensor a, Tensor b)
        {
            using var scope = NewDisposeScope();
            return (a * b).sum().item<double>();
        }
    }
}
