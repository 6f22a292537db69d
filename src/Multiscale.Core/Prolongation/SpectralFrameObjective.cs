using Multiscale.Manifolds;
using Multiscale.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// Eq. (3.3) in a rotated frame: P = V₂ P̃ V₁ᵀ with V₁, V₂ the eigenvectors of T₁, T₂ (of L₁, L₂ when s = 0).
/// The Frobenius norm and the Stiefel manifold are invariant under these rotations (§5.1), so minimizing over P̃ is
/// minimizing over P; but in this frame T₂P becomes Λ₂P̃ and P T₁ becomes P̃ M₁ — elementwise scalings instead of
/// n₂²·n₁ products — and the locality Hessian is diagonal, so the preconditioner is an elementwise division. The
/// Laplacians become dense V₂ᵀL₂V₂, V₁ᵀL₁V₁, or stay diagonal when the graphs' operators commute (cycles, tori).
/// The frame costs one eigendecomposition of each operator (n³), paid once per solve.
/// </summary>
public sealed class SpectralFrameObjective : IRiemannianProblem, IObjectiveOperators, IDisposable
{
    private readonly Stiefel _manifold;
    private readonly Tensor _v1, _v2;
    private readonly Tensor? _lambda, _mu;             // eigenvalues of T₂ (rows), T₁ (columns)
    private readonly Tensor? _l1, _l2;                 // dense L̃₁, L̃₂, or null when diagonal
    private readonly Tensor? _d1, _d2;                 // diagonal L̃₁, L̃₂
    private readonly ArrowOperator? _l2Arrow;          // the dense L̃₂ as diagonal-plus-border, where that is cheaper
    private readonly double _t1Norm2;
    private Tensor? _inverseCurvature;

    /// <summary>Builds the frame for an objective's operators, s, and scale policies.</summary>
    public SpectralFrameObjective(ProlongationOperators operators, double s, ScaleParameter alpha, ScaleParameter beta,
        StiefelRetraction retraction = StiefelRetraction.Qr)
    {
        ProlongationObjective.ValidateSetup(operators, s);
        S = s;
        Alpha = alpha;
        Beta = beta;
        _manifold = new Stiefel(operators.FineSize, operators.CoarseSize, retraction, operators.Device);
        using var scope = NewDisposeScope();
        if (s > 0)
        {
            var (mu, v1) = JointEigenbasis(operators.T1!, s < 1 ? operators.L1 : null, out _);
            var (lambda, v2) = JointEigenbasis(operators.T2!, s < 1 ? operators.L2 : null, out int eigenspace2);
            _mu = mu.DetachFromDisposeScope();
            _lambda = lambda.DetachFromDisposeScope();
            _v1 = v1.contiguous().DetachFromDisposeScope();
            _v2 = v2.contiguous().DetachFromDisposeScope();
            _t1Norm2 = mu.square().sum().item<double>();
            if (s < 1)
            {
                var l1 = _v1.T.matmul(operators.L1.mm(_v1));
                var l2 = _v2.T.matmul(operators.L2.mm(_v2));
                if (IsDiagonal(l1) && IsDiagonal(l2))
                {
                    _d1 = l1.diagonal().contiguous().DetachFromDisposeScope();
                    _d2 = l2.diagonal().contiguous().DetachFromDisposeScope();
                }
                else
                {
                    _l1 = ((l1 + l1.T) * 0.5).DetachFromDisposeScope();
                    _l2 = ((l2 + l2.T) * 0.5).DetachFromDisposeScope();
                    // Only on the rows: x·L̃₁ split by columns needs strided slices and a column concatenation, and
                    // measured slower than the dense n₂n₁² product at 1024 × 256 (on rows the slices are contiguous).
                    _l2Arrow = ArrowOperator.TryCreate(_l2, eigenspace2);
                }
            }
        }
        else
        {
            var (d1, v1) = linalg.eigh(operators.L1.to_dense());
            var (d2, v2) = linalg.eigh(operators.L2.to_dense());
            _d1 = d1.DetachFromDisposeScope();
            _d2 = d2.DetachFromDisposeScope();
            _v1 = v1.contiguous().DetachFromDisposeScope();
            _v2 = v2.contiguous().DetachFromDisposeScope();
        }
    }

    /// <summary>Weight of the locality term.</summary>
    public double S { get; }

    /// <summary>The α policy.</summary>
    public ScaleParameter Alpha { get; }

    /// <summary>The β policy.</summary>
    public ScaleParameter Beta { get; }

    /// <summary>Eigenvalues λ of T₂ in frame order (rows); null when s = 0. For tests.</summary>
    internal Tensor? FineDistanceEigenvalues => _lambda;

    /// <summary>Eigenvalues μ of T₁ in frame order (columns); null when s = 0. For tests.</summary>
    internal Tensor? CoarseDistanceEigenvalues => _mu;

    /// <summary>The dense L̃₂ = V₂ᵀL₂V₂, or null when it is diagonal or unused. For tests.</summary>
    internal Tensor? FineFrameLaplacian => _l2;

    /// <summary>The dense L̃₁ = V₁ᵀL₁V₁, or null when it is diagonal or unused. For tests.</summary>
    internal Tensor? CoarseFrameLaplacian => _l1;

    /// <summary>True when the Laplacians are diagonal in this frame (their operators commute with the distances).</summary>
    public bool DiffusionIsDiagonal => _d1 is not null || S == 1;

    /// <inheritdoc />
    public IManifold Manifold => _manifold;

    /// <summary>
    /// The cost of sending frame column j to frame row i when P̃ is a partial permutation: w_ij with
    /// E(P̃) = Σ w_ij P̃_ij² whenever both terms are diagonal in this frame (<see cref="IsSeparable"/>); otherwise the
    /// diagonal of the Hessian / 2, a model of the cost.
    /// </summary>
    public double[,] AssignmentCosts(double alpha, double beta)
    {
        using var scope = NewDisposeScope();
        var w = DiagonalModel(alpha, beta);
        var flat = w.cpu().contiguous().data<double>().ToArray();
        var result = new double[_manifold.N, _manifold.P];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    /// <summary>
    /// True when every term is diagonal in this frame. Then E(P̃) = Σ w_ij P̃_ij², and since P̃∘P̃ has unit column sums
    /// and row sums ≤ 1 (a point of the transportation polytope whose vertices are partial permutations), the minimum
    /// over the Stiefel manifold equals the assignment minimum of w, attained by that partial permutation: the
    /// assignment start is then the certified global optimum for fixed α, β.
    /// </summary>
    public bool IsSeparable => S == 0 || DiffusionIsDiagonal;

    /// <summary>The partial permutation P̃ (frame coordinates) of an assignment rowOfColumn.</summary>
    public Tensor PartialPermutation(int[] rowOfColumn)
    {
        ArgumentNullException.ThrowIfNull(rowOfColumn);
        var data = new double[(long)_manifold.N * _manifold.P];
        for (int j = 0; j < rowOfColumn.Length; j++) data[(long)rowOfColumn[j] * _manifold.P + j] = 1;
        return tensor(data, new long[] { _manifold.N, _manifold.P }, ScalarType.Float64, _v1.device);
    }

    /// <summary>
    /// The partial permutation nearest a frame point, for separable pairs (<see cref="IsSeparable"/>): column j goes to
    /// the row of its largest |P̃ᵢⱼ|, with that entry's sign; null when two columns pick one row (or the pair is not
    /// separable). Why it helps: in a separable frame E depends on P̃ only through Q = P̃∘P̃, linearly at fixed α, β
    /// and concavely with auto scales (the minimum over the scale of functions linear in Q), and Q ranges over the
    /// transportation polytope, so minima sit at its vertices — the partial permutations, where the Riemannian gradient
    /// vanishes exactly. An iterate whose every column has one entry above 1/√2 lies next to one; the optimizer only
    /// creeps toward it along the flat valley (LocalPathMaps 512 → 1024 from the interpolation start: 639 Hessian
    /// products, 160 s, to within 1e-6 of the vertex this rounding reads off the start itself).
    /// </summary>
    internal Tensor? NearestVertex(Tensor framePoint)
    {
        ArgumentNullException.ThrowIfNull(framePoint);
        if (!IsSeparable) return null;
        using var scope = NewDisposeScope();
        var rows = framePoint.abs().argmax(0).unsqueeze(0);
        var chosen = rows.cpu().data<long>().ToArray();
        if (chosen.Distinct().Count() != chosen.Length) return null;
        var signs = framePoint.gather(0, rows).sign();
        signs = where(signs.eq(0), ones_like(signs), signs);
        return zeros_like(framePoint).scatter_(0, rows, signs).MoveToOuterDisposeScope();
    }

    /// <summary>P̃ = V₂ᵀ P V₁.</summary>
    public Tensor ToFrame(Tensor p)
    {
        using var scope = NewDisposeScope();
        return _v2.T.matmul(p).matmul(_v1).MoveToOuterDisposeScope();
    }

    /// <summary>P = V₂ P̃ V₁ᵀ.</summary>
    public Tensor FromFrame(Tensor frame)
    {
        using var scope = NewDisposeScope();
        return _v2.matmul(frame).matmul(_v1.T).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public IPointEvaluation Evaluate(Tensor x)
    {
        var evaluation = new OnManifoldEvaluation(this, _manifold, S, Alpha, Beta, x);
        // The preconditioner at an accepted point reuses its evaluation's gradient (the two most recent: a trust-region
        // step evaluates the candidate and may keep the current point).
        _recentEvaluations[_nextRecent].SetTarget(evaluation);
        _nextRecent = 1 - _nextRecent;
        return evaluation;
    }

    Tensor IObjectiveOperators.RightL1(Tensor x) => RightL1(x);
    Tensor IObjectiveOperators.LeftL2(Tensor x) => LeftL2(x);
    Tensor IObjectiveOperators.LeftT2(Tensor x) => _lambda!.unsqueeze(1) * x;
    Tensor IObjectiveOperators.RightT1(Tensor x) => x * _mu!;
    double IObjectiveOperators.T1NormSquared => _t1Norm2;

    /// <inheritdoc />
    public bool HasPreconditioner => _inverseCurvature is not null;

    /// <summary>
    /// The diagonal of the Euclidean Hessian in this frame (exact for the locality term and for commuting
    /// Laplacians; the diagonal of the diffusion operator otherwise), regularized by a fraction of its mean. At a point
    /// <see cref="Precondition"/> also subtracts the diagonal of the Stiefel curvature term (see there).
    /// </summary>
    public void EnablePreconditioner(double alpha, double beta, double regularization = 1e-3)
    {
        DisablePreconditioner();
        using var scope = NewDisposeScope();
        var h = DiagonalModel(alpha, beta) * 2;
        _curvature = h.DetachFromDisposeScope();
        // Directions of (near) zero modelled curvature still get a bounded step.
        _curvatureFloor = h.mean().item<double>() * regularization;
        _inverseCurvature = (h + _curvatureFloor).reciprocal().DetachFromDisposeScope();
        // DiagonalModel is eq. (3.3) as written, whose Euclidean gradient has the extra normal part 2s P̃ M₁²/β that the
        // evaluation's on-manifold locality drops; its share of sym(P̃ᵀ egrad) is diag(2s μ²/β) (see Precondition).
        _columnShift = S > 0 ? (_mu!.square() * (2 * S / beta)).DetachFromDisposeScope() : null;
    }

    private void DisablePreconditioner()
    {
        _inverseCurvature?.Dispose(); _inverseCurvature = null;
        _curvature?.Dispose(); _curvature = null;
        _columnShift?.Dispose(); _columnShift = null;
        _pointInverse?.Dispose(); _pointInverse = null;
        _preconditionedPoint = null;
    }

    /// <summary>
    /// The inverse of the diagonal Riemannian Hessian model at frame point x: the Euclidean diagonal 2w_ij minus
    /// sym(P̃ᵀ egrad)_jj, the diagonal of the Stiefel curvature term U·sym(P̃ᵀ egrad) of the Hessian, floored at the
    /// regularization. Near a partial permutation σ this is 2(w_ij − w_σ(j)j), the cost of moving column j's mass from
    /// row σ(j) to row i; the Euclidean diagonal alone overstated the curvature of exactly the flat directions along
    /// which the paths' and grids' optima are found (grid:8x8→grid:16x16, s = 0.5, trust regions: ‖grad‖ 0.6 → 0.003
    /// in the same 20 s; LocalPathMaps 128→256: 5× fewer Hessian products). Computed once per point: the trust
    /// region's inner solve preconditions at one point many times, a line-search optimizer once per accepted point.
    /// </summary>
    private Tensor InverseCurvatureAt(Tensor x)
    {
        if (ReferenceEquals(x, _preconditionedPoint) && _pointInverse is not null) return _pointInverse;
        _pointInverse?.Dispose();
        _pointInverse = null;
        using var scope = NewDisposeScope();
        var shift = EuclideanGradientAt(x).mul(x).sum(dim: 0);
        if (_columnShift is not null) shift = shift + _columnShift;
        _pointInverse = (_curvature! - shift.unsqueeze(0)).clamp_min(_curvatureFloor).reciprocal().DetachFromDisposeScope();
        // Held by reference only: optimizers never modify a point in place, and a new point is a new tensor object.
        _preconditionedPoint = x;
        return _pointInverse;
    }

    /// <summary>egrad at x, from the most recent evaluation of that very tensor when it is still alive.</summary>
    private Tensor EuclideanGradientAt(Tensor x)
    {
        foreach (var recent in _recentEvaluations)
            if (recent.TryGetTarget(out var e) && !e.IsDisposed && ReferenceEquals(e.Point, x)) return e.EuclideanGradientTensor;
        using var fresh = new OnManifoldEvaluation(this, _manifold, S, Alpha, Beta, x);
        return fresh.EuclideanGradientTensor.clone();
    }

    private readonly WeakReference<OnManifoldEvaluation>[] _recentEvaluations =
    {
        new(null!), new(null!),
    };
    private int _nextRecent;
    private Tensor? _curvature, _pointInverse, _columnShift;
    private Tensor? _preconditionedPoint;
    private double _curvatureFloor;

    /// <summary>
    /// w_ij with E(P̃) ≈ Σ w_ij P̃_ij² in this frame: exact for the locality term and for commuting Laplacians, the
    /// diagonal of the diffusion operator otherwise (half the diagonal of the Euclidean Hessian). Shared by the
    /// assignment start and the preconditioner.
    /// </summary>
    private Tensor DiagonalModel(double alpha, double beta)
    {
        double sa = Math.Sqrt(alpha), sb = Math.Sqrt(beta);
        Tensor w = zeros(_manifold.N, _manifold.P, dtype: ScalarType.Float64, device: _v1.device);
        if (S > 0) w = w + (_lambda!.unsqueeze(1) * sb - _mu!.unsqueeze(0) / sb).square() * S;
        if (S < 1)
        {
            if (_d1 is not null) w = w + (_d2!.unsqueeze(1) * sa - _d1.unsqueeze(0) / sa).square() * (1 - S);
            else
            {
                // diag of Δ ↦ A Δ B in the basis (v2ᵢ v1ⱼᵀ) is (v2ᵢᵀ A v2ᵢ)(v1ⱼᵀ B v1ⱼ).
                var a2 = _l2!.square().sum(dim: 0);
                var a1 = _l1!.square().sum(dim: 0);
                w = w + (a2.unsqueeze(1) * alpha - _l2.diagonal().unsqueeze(1) * _l1.diagonal().unsqueeze(0) * 2 + a1.unsqueeze(0) / alpha) * (1 - S);
            }
        }
        return w;
    }

    /// <summary>A frame-coordinate matrix divided elementwise by the modelled curvature (no projection).</summary>
    internal Tensor ScaleByInverseCurvature(Tensor frameMatrix) =>
        _inverseCurvature is null ? frameMatrix.clone() : frameMatrix * _inverseCurvature;

    /// <inheritdoc />
    public Tensor Precondition(Tensor x, Tensor tangent)
    {
        if (_inverseCurvature is null) return tangent.clone();
        using var scope = NewDisposeScope();
        return _manifold.Project(x, tangent * InverseCurvatureAt(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The member of P̃'s optimum family closest to <paramref name="frameReference"/> (both in frame coordinates), for
    /// separable pairs (<see cref="IsSeparable"/>): rotating P̃ by orthogonal Q₂ inside a block of equal row eigenvalues
    /// and by Q₁ inside a block of equal column eigenvalues leaves every term unchanged (the operators are multiples of
    /// the identity on each block), so the nearest member is an orthogonal Procrustes problem per block, solved by the
    /// SVD (Q = UVᵀ). Row and column blocks are alternated (each step can only shorten the distance) until it stalls.
    /// </summary>
    internal Tensor Canonical(Tensor frameP, Tensor frameReference, int rounds = 25)
    {
        if (!IsSeparable) throw new InvalidOperationException("canonical members exist only for separable pairs");
        using var scope = NewDisposeScope();
        var rowGroups = Blocks(S > 0 ? _lambda! : null, S < 1 ? _d2 : null);
        var columnGroups = Blocks(S > 0 ? _mu! : null, S < 1 ? _d1 : null);
        var p = frameP.clone();
        double distance = linalg.norm(p - frameReference).item<double>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var rows in rowGroups)
            {
                var a = p.index_select(0, rows);
                var (u, _, vh) = linalg.svd(frameReference.index_select(0, rows).matmul(a.T));
                p.index_copy_(0, rows, u.matmul(vh).matmul(a));
            }
            foreach (var columns in columnGroups)
            {
                var a = p.index_select(1, columns);
                var (u, _, vh) = linalg.svd(a.T.matmul(frameReference.index_select(1, columns)));
                p.index_copy_(1, columns, a.matmul(u.matmul(vh)));
            }
            double next = linalg.norm(p - frameReference).item<double>();
            bool stalled = distance - next <= 1e-12 * Math.Max(1, distance);
            distance = next;
            if (stalled) break;
        }
        return p.MoveToOuterDisposeScope();
    }

    /// <summary>Index sets (size ≥ 2) of equal (primary, secondary) eigenvalue pairs, to a relative 1e-9.</summary>
    private static List<Tensor> Blocks(Tensor? primary, Tensor? secondary)
    {
        var a = primary?.cpu().data<double>().ToArray();
        var b = secondary?.cpu().data<double>().ToArray();
        int n = (int)(primary ?? secondary)!.shape[0];
        double Scale(double[]? v) => v is null ? 1 : Math.Max(1, v.Max(Math.Abs));
        double ta = 1e-9 * Scale(a), tb = 1e-9 * Scale(b);
        var order = Enumerable.Range(0, n).OrderBy(i => a?[i] ?? 0).ThenBy(i => b?[i] ?? 0).ToArray();
        var groups = new List<Tensor>();
        var device = (primary ?? secondary)!.device;
        // Group by the primary key within tolerance, then by the secondary within each.
        var current = new List<int> { order[0] };
        void Flush()
        {
            if (current.Count < 2) return;
            foreach (var g in current.GroupBy(i => b is null ? 0 : Math.Round(b[i] / tb)))
                if (g.Count() >= 2) groups.Add(tensor(g.Select(i => (long)i).ToArray(), device: device));
        }
        for (int k = 1; k < n; k++)
        {
            int i = order[k], prev = current[^1];
            if (a is null || Math.Abs(a[i] - a[prev]) <= ta) current.Add(i);
            else { Flush(); current = new List<int> { i }; }
        }
        Flush();
        return groups;
    }

    /// <summary>Releases the frame.</summary>
    public void Dispose()
    {
        _v1.Dispose(); _v2.Dispose();
        _lambda?.Dispose(); _mu?.Dispose();
        _l1?.Dispose(); _l2?.Dispose();
        _d1?.Dispose(); _d2?.Dispose();
        _l2Arrow?.Dispose();
        DisablePreconditioner();
    }

    private Tensor RightL1(Tensor x) => _d1 is not null ? x * _d1 : x.matmul(_l1!);
    private Tensor LeftL2(Tensor x) => _d2 is not null ? _d2.unsqueeze(1) * x : _l2Arrow?.Left(x) ?? _l2!.matmul(x);

    /// <summary>
    /// A symmetric M = [[diag(d), C], [Cᵀ, B]] whose first g indices span one eigenspace of T, where the frame's basis
    /// diagonalizes L (<see cref="DiagonalizeWithinEigenspaces"/>): products cost 2gr + r² per column instead of n²
    /// (r = n − g). A grid's T has rank ≤ n_a + n_b, so g is nearly n: 961 of 1024 for 32×32, and L̃₂U costs an eighth.
    /// </summary>
    private sealed class ArrowOperator : IDisposable
    {
        private readonly Tensor _d, _c, _b;
        private readonly int _g, _r;

        private ArrowOperator(Tensor m, int g)
        {
            _g = g;
            _r = (int)m.shape[0] - g;
            _d = m.narrow(0, 0, g).narrow(1, 0, g).diagonal().contiguous().DetachFromDisposeScope();
            _c = m.narrow(0, 0, g).narrow(1, g, _r).contiguous().DetachFromDisposeScope();
            _b = m.narrow(0, g, _r).narrow(1, g, _r).contiguous().DetachFromDisposeScope();
        }

        /// <summary>
        /// The operator when the leading eigenspace is large enough to pay for the split (g ≥ n/4) and M is diagonal
        /// on it to rounding (1e-12 of its largest entry); null otherwise.
        /// </summary>
        public static ArrowOperator? TryCreate(Tensor m, int g)
        {
            long n = m.shape[0];
            if (g < 2 || g >= n || 4L * g < n) return null;
            using var scope = NewDisposeScope();
            var block = m.narrow(0, 0, g).narrow(1, 0, g);
            double off = (block - diag(block.diagonal())).abs().max().item<double>();
            if (off > 1e-12 * m.abs().max().item<double>()) return null;
            return new ArrowOperator(m, g);
        }

        /// <summary>M·x.</summary>
        public Tensor Left(Tensor x)
        {
            var top = x.narrow(0, 0, _g);
            var bottom = x.narrow(0, _g, _r);
            return cat(new[] { _d.unsqueeze(1) * top + _c.matmul(bottom), _c.T.matmul(top) + _b.matmul(bottom) }, 0);
        }

        public void Dispose()
        {
            _d.Dispose();
            _c.Dispose();
            _b.Dispose();
        }
    }

    /// <summary>
    /// Eigenpairs of the symmetric T; when the sparse L commutes with T (cycles, tori: both circulant), an eigenbasis
    /// of T + cL for a generic c instead, which diagonalizes both — eigh(T) alone picks an arbitrary basis inside T's
    /// large degenerate eigenspaces (half of a cycle's distance spectrum is 0) where L is not diagonal.
    /// </summary>
    private static (Tensor Values, Tensor Vectors) JointEigenbasis(Tensor t, Tensor? sparseL, out int leadingEigenspace)
    {
        leadingEigenspace = 0;
        if (sparseL is not null)
        {
            var l = sparseL.to_dense();
            var tl = t.matmul(l);
            double scale = linalg.norm(t).item<double>() * linalg.norm(l).item<double>();
            if (linalg.norm(tl - tl.T).item<double>() <= 1e-12 * Math.Max(scale, 1e-300))
            {
                // ‖T L − L T‖ = ‖TL − (TL)ᵀ‖ for symmetric T, L. c is irrational so no eigenvalue of T + cL is split by chance.
                double c = Math.Sqrt(2) * linalg.norm(t).item<double>() / Math.Max(linalg.norm(l).item<double>(), 1e-300) / Math.E;
                var (_, vectors) = linalg.eigh(t + l * c);
                var values = (vectors * t.matmul(vectors)).sum(dim: 0);
                return (values, vectors);
            }
            var (lambda, basis) = linalg.eigh(t);
            var rotated = DiagonalizeWithinEigenspaces(lambda, basis, sparseL, out int start, out int length);
            if (length < 2) return (lambda, rotated);
            // The largest eigenspace first (the frame's order is free: any permutation of an eigenbasis is one), so the
            // frame Laplacian is diagonal on a leading block (ArrowOperator).
            long n = lambda.shape[0];
            var order = arange(start, start + length, dtype: ScalarType.Int64, device: t.device);
            var others = cat(new[] { arange(0, start, dtype: ScalarType.Int64, device: t.device), arange(start + length, n, dtype: ScalarType.Int64, device: t.device) }, 0);
            var permutation = cat(new[] { order, others }, 0);
            leadingEigenspace = length;
            return (lambda.index_select(0, permutation), rotated.index_select(1, permutation));
        }
        return linalg.eigh(t);
    }

    /// <summary>
    /// Any orthonormal basis of a degenerate eigenspace of T is an eigenbasis, and eigh picks an arbitrary one. Where
    /// L does not commute with T (paths, grids) we pick, inside every such eigenspace, the eigenbasis of L compressed
    /// to it: T stays diagonal and L̃ becomes diagonal on each block. A grid's distance matrix has rank ≤ n_a + n_b, so
    /// its null space is nearly everything (225 of 256 dimensions for 16×16) and in an arbitrary basis there L̃ was 42 %
    /// off-diagonal (in Frobenius norm); in this basis 0.17 %, so the diagonal model the assignment start and the
    /// preconditioner use is close to the operator on the directions that only the diffusion term decides.
    /// </summary>
    private static Tensor DiagonalizeWithinEigenspaces(Tensor lambda, Tensor vectors, Tensor sparseL, out int largestStart, out int largestLength)
    {
        var values = lambda.cpu().data<double>().ToArray();
        double tolerance = EigenspaceTolerance * Math.Max(values.Max(Math.Abs), 1e-300);
        var rotated = vectors.clone();
        largestStart = 0;
        largestLength = 1;
        int start = 0;
        for (int k = 1; k <= values.Length; k++)
        {
            // eigh returns ascending values: an eigenspace is a run of consecutive, (numerically) equal values.
            if (k < values.Length && values[k] - values[k - 1] <= tolerance) continue;
            if (k - start >= 2)
            {
                using var scope = NewDisposeScope();
                var columns = arange(start, k, dtype: ScalarType.Int64, device: vectors.device);
                var block = vectors.index_select(1, columns);
                var compressed = block.T.matmul(sparseL.mm(block));
                var (_, w) = linalg.eigh((compressed + compressed.T) * 0.5);
                rotated.index_copy_(1, columns, block.matmul(w));
                if (k - start > largestLength) { largestStart = start; largestLength = k - start; }
            }
            start = k;
        }
        return rotated;
    }

    /// <summary>
    /// Eigenvalues of T within this fraction of its spectral radius are one eigenspace. Exactly degenerate spaces (by
    /// symmetry, or a grid's null space) come out of eigh equal to ~1e-16 of the radius; a rotation inside a run of
    /// values this close changes VᵀTV only at rounding level, so the frame stays exact.
    /// </summary>
    private const double EigenspaceTolerance = 1e-12;

    private static bool IsDiagonal(Tensor m)
    {
        using var scope = NewDisposeScope();
        var off = m - diag(m.diagonal());
        return linalg.norm(off).item<double>() <= 1e-10 * Math.Max(linalg.norm(m).item<double>(), 1e-300);
    }

}
