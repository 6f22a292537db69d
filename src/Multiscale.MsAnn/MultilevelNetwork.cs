using Multiscale.Prolongation;
using Multiscale.Runs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>How the map between consecutive levels of a layer is made (§4.4 compares them).</summary>
public enum LayerMapStrategy
{
    /// <summary>Polar-orthonormalized linear interpolation (the paper's choice for 1-D layers).</summary>
    Interpolation,
    /// <summary>1/√2 pair aggregation (the reference code's hand-built maps).</summary>
    Aggregation,
    /// <summary>The core's local optimized path maps (s = 1, "fully local", <see cref="LocalPathMaps"/>).</summary>
    Optimized,
    /// <summary>Interpolation maps with rows shuffled (§4.4 strategy 3).</summary>
    Shuffled,
    /// <summary>Random orthogonal maps (the unstructured baseline).</summary>
    Random,
    /// <summary>
    /// 2-D maps for image-like layers: a layer of n units is a rows × cols grid (row-major, as closest to square as n
    /// allows); each level halves the longer side with interpolation along it and the identity along the other, a
    /// Kronecker product — so 32×32 → 16×32 → 16×16 … keeps the count halving per level (§4.3–4.4).
    /// </summary>
    Grid,
    /// <summary>
    /// The grid strategy's layout (a layer is a rows × cols grid; each level halves the longer side), with the core's
    /// optimized path map (s = 1, "fully local") along the halved side and the identity along the other — the grid-graph
    /// maps §4.3 used for images, as Kronecker products (optimizing the whole grid pair directly is costlier, and within
    /// 17–35 % of it, docs/prolongation.md).
    /// </summary>
    OptimizedGrid,
}

/// <summary>
/// Composed prolongation maps Pro_{l→0} for every layer size of a hierarchy, made once (§3.4, eq. 3.9–3.10): for a
/// layer of n units, the map from its size at level l to n, the product P(0)…P(l−1) of the level maps. Weights and data
/// move between levels by products with these composed maps, applied as <see cref="BandedMatrix"/> blocks: the maps are
/// local, so each block of rows touches a narrow window of columns, and the products cost a fraction of the dense ones
/// (element gathers along the chain of sparse level maps were measured slower than dense products; docs/msann.md).
/// </summary>
public sealed class LayerMaps : IDisposable
{
    private readonly Dictionary<(int Size, int Level), ProlongationMap> _toFinest = new();
    private readonly Dictionary<(int Size, int Level), (BandedMatrix Pro, BandedMatrix Res)> _banded = new();

    /// <summary>Builds the maps of every distinct finest layer size; <paramref name="seed"/> drives shuffled/random maps.</summary>
    public LayerMaps(HierarchyShape shape, LayerMapStrategy strategy, long seed = 0, string? cacheDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = shape;
        Strategy = strategy;
        if (shape.Depth == 0) return;
        if (shape.Factor != 2) throw new MultiscaleException("layer maps are built for halving hierarchies (factor 2)");
        foreach (var n in shape.Layers(0).Distinct())
        {
            var levelMaps = LevelMaps(n, shape.Depth, strategy, seed + n, cacheDirectory);
            ProlongationMap? composed = null;
            for (int l = 1; l <= shape.Depth; l++)
            {
                var next = composed is null ? new ProlongationMap(levelMaps[0].Matrix, levelMaps[0].Provenance) : composed.Compose(levelMaps[l - 1]);
                _toFinest[(n, l)] = next;
                using (var transposed = next.Matrix.T) _banded[(n, l)] = (new BandedMatrix(next.Matrix), new BandedMatrix(transposed));
                composed = next;
            }
            foreach (var m in levelMaps) m.Dispose();
        }
    }

    /// <summary>The hierarchy.</summary>
    public HierarchyShape Shape { get; }

    /// <summary>How the level maps were made.</summary>
    public LayerMapStrategy Strategy { get; }

    /// <summary>Pro_{l→0} for a finest layer size (l ≥ 1).</summary>
    public ProlongationMap ToFinest(int finestSize, int level) => _toFinest[(finestSize, level)];

    /// <summary>Pro_{l→0} of a finest layer size as banded blocks (l ≥ 1), the form every product here uses.</summary>
    public BandedMatrix BandedToFinest(int finestSize, int level) => _banded[(finestSize, level)].Pro;

    /// <summary>Pro_{l→0}·x for a level-l vector [n_l] or matrix [n_l, k] (differentiable; level 0 returns an alias).</summary>
    public Tensor ProlongRows(Tensor coarse, int finestSize, int level) =>
        level == 0 ? coarse.alias() : _banded[(finestSize, level)].Pro.Multiply(coarse);

    /// <summary>Res_{0→l}·x = Pro_{l→0}ᵀ·x for a finest vector [n] or matrix [n, k].</summary>
    public Tensor RestrictRows(Tensor fine, int finestSize, int level) =>
        level == 0 ? fine.alias() : _banded[(finestSize, level)].Res.Multiply(fine);

    /// <summary>x·Pro_{l→0} for finest rows x [k, n] (a batch of data, examples as rows): each row restricted.</summary>
    public Tensor RestrictColumns(Tensor fine, int finestSize, int level) =>
        level == 0 ? fine.alias() : _banded[(finestSize, level)].Res.MultiplyTransposedRight(fine);

    /// <summary>Eq. (3.4): Pro_in(l) · W · Pro_out(l)ᵀ for a level-l weight [n_l(in), n_l(out)].</summary>
    public Tensor ProlongWeights(Tensor weights, int finestIn, int finestOut, int level)
    {
        if (level == 0) return weights.alias();
        RequireShape(weights, ToFinest(finestIn, level).CoarseSize, ToFinest(finestOut, level).CoarseSize, "ProlongWeights");
        return _banded[(finestIn, level)].Pro.Multiply(_banded[(finestOut, level)].Pro.MultiplyTransposedRight(weights));
    }

    /// <summary>Pro_in(l)ᵀ · W · Pro_out(l) for a finest weight [n(in), n(out)].</summary>
    public Tensor RestrictWeights(Tensor weights, int finestIn, int finestOut, int level)
    {
        if (level == 0) return weights.alias();
        RequireShape(weights, finestIn, finestOut, "RestrictWeights");
        return _banded[(finestIn, level)].Res.Multiply(_banded[(finestOut, level)].Res.MultiplyTransposedRight(weights));
    }

    private static void RequireShape(Tensor weights, long rows, long columns, string what)
    {
        if (weights.dim() != 2 || weights.shape[0] != rows || weights.shape[1] != columns)
            throw new ArgumentException($"{what}: expected a [{rows}, {columns}] weight, got [{string.Join(", ", weights.shape)}]");
    }

    /// <summary>Releases the maps.</summary>
    public void Dispose()
    {
        foreach (var m in _toFinest.Values) m.Dispose();
        foreach (var (pro, res) in _banded.Values)
        {
            pro.Dispose();
            res.Dispose();
        }
    }

    private static List<ProlongationMap> LevelMaps(int n, int depth, LayerMapStrategy strategy, long seed, string? cacheDirectory)
    {
        var maps = new List<ProlongationMap>();
        var grid = GridShape.NearSquare(n);
        for (int l = 1; l <= depth; l++)
        {
            int fine = n >> (l - 1), coarse = n >> l;
            maps.Add(strategy switch
            {
                LayerMapStrategy.Aggregation => ClosedFormMaps.Aggregation(coarse, fine),
                LayerMapStrategy.Random => ClosedFormMaps.RandomOrthogonal(coarse, fine, seed + l),
                LayerMapStrategy.Shuffled => Shuffle(ClosedFormMaps.Interpolation(coarse, fine, periodic: false), seed + l),
                LayerMapStrategy.Optimized => LocalPathMaps.Optimized(coarse, fine, 1.0, cacheDirectory),
                LayerMapStrategy.Grid => GridLevelMap(ref grid, (c, f) => ClosedFormMaps.Interpolation(c, f, periodic: false), "grid-interpolation"),
                LayerMapStrategy.OptimizedGrid => GridLevelMap(ref grid, (c, f) => LocalPathMaps.Optimized(c, f, 1.0, cacheDirectory), "grid-optimized"),
                _ => ClosedFormMaps.Interpolation(coarse, fine, periodic: false),
            });
        }
        return maps;
    }

    /// <summary>The rows × cols grid of a layer: the factorization of n closest to square (rows ≤ cols).</summary>
    internal static (int Rows, int Cols) GridSides(int n)
    {
        var grid = GridShape.NearSquare(n);
        return (grid.Rows, grid.Cols);
    }

    /// <summary>
    /// One level of the grid strategies: halves the longer side of the current grid (cols on ties) with
    /// <paramref name="halving"/>(coarse side, fine side) and keeps the other side (identity), as the core's
    /// <see cref="GridMap"/>; the composed maps are dense products, so the level map is formed here.
    /// </summary>
    private static ProlongationMap GridLevelMap(ref GridShape grid, Func<int, int, ProlongationMap> halving, string method)
    {
        int axis = grid.Cols >= grid.Rows ? 1 : 0;
        int side = grid.Sides[axis];
        if (side % 2 != 0) throw new MultiscaleException($"a {grid.Rows}×{grid.Cols} grid layer cannot be halved again");
        var coarse = grid.WithSide(axis, side / 2);
        using var map = GridMap.Create(coarse, grid, (a, n1, n2) => a == axis ? halving(n1, n2) : ClosedFormMaps.Aggregation(n1, n2));
        using var dense = map.Dense();
        var level = new ProlongationMap(dense.Matrix, dense.Provenance with { Method = method, CoarseGraph = $"grid:{coarse}", FineGraph = $"grid:{grid}" });
        grid = coarse;
        return level;
    }

    private static ProlongationMap Shuffle(ProlongationMap map, long seed)
    {
        using (map) return ClosedFormMaps.Shuffled(map, seed);
    }
}

/// <summary>
/// An MsANN (§3.4): a fully connected sigmoid network with the layer sizes of M₀ whose every parameter is a sum over
/// levels, Θ_W = Σ_l Pro_in(l) θ_W⁽ˡ⁾ Pro_out(l)ᵀ and Θ_b = Σ_l Pro_out(l) θ_b⁽ˡ⁾ (eq. 3.6–3.8), with y = σ(x Θ_W + Θ_b).
/// Each level owns its variables; autograd through the sums gives exactly eq. (3.13)'s restricted gradients.
/// </summary>
public sealed class MultilevelNetwork : IDisposable
{
    private readonly LayerMaps _maps;
    private readonly Parameter[][] _weights;   // [level][layer]
    private readonly Parameter[][] _biases;    // [level][layer]

    /// <summary>
    /// Creates the variables: Glorot-normal weights at every level (as the reference code), zero biases. With
    /// <paramref name="zeroCoarse"/> the levels l ≥ 1 start at zero and draw nothing, so θ⁽⁰⁾ — and Θ — are the weights a
    /// one-level network draws from the same generator.
    /// </summary>
    public MultilevelNetwork(LayerMaps maps, Generator generator, Device? device = null, bool zeroCoarse = false)
    {
        _maps = maps ?? throw new ArgumentNullException(nameof(maps));
        ArgumentNullException.ThrowIfNull(generator);
        var shape = maps.Shape;
        device ??= CPU;
        _weights = new Parameter[shape.Depth + 1][];
        _biases = new Parameter[shape.Depth + 1][];
        for (int l = 0; l <= shape.Depth; l++)
        {
            var layers = shape.Layers(l);
            _weights[l] = new Parameter[layers.Count - 1];
            _biases[l] = new Parameter[layers.Count - 1];
            for (int j = 0; j + 1 < layers.Count; j++)
            {
                double std = Math.Sqrt(2.0 / (layers[j] + layers[j + 1]));
                using (var scope = NewDisposeScope())
                {
                    var initial = zeroCoarse && l > 0 ? zeros(layers[j], layers[j + 1]) : randn(layers[j], layers[j + 1], generator: generator) * std;
                    _weights[l][j] = new Parameter(initial.to(device), requires_grad: true);
                    _biases[l][j] = new Parameter(zeros(layers[j + 1], device: device), requires_grad: true);
                    _weights[l][j].DetachFromDisposeScope();
                    _biases[l][j].DetachFromDisposeScope();
                }
            }
        }
    }

    /// <summary>The hierarchy.</summary>
    public HierarchyShape Shape => _maps.Shape;

    /// <summary>The composed level maps the sums are made with.</summary>
    public LayerMaps Maps => _maps;

    /// <summary>The variables θ⁽ˡ⁾ of one level (weights then biases), for that level's optimizer.</summary>
    public IReadOnlyList<Parameter> Variables(int level) => _weights[level].Concat(_biases[level]).ToArray();

    /// <summary>
    /// Makes only <paramref name="level"/>'s variables require gradients (all levels when null), so a step at level l
    /// back-propagates into θ⁽ˡ⁾ alone — eq. (3.13) — instead of computing and discarding every level's gradient.
    /// </summary>
    internal void TrainOnly(int? level)
    {
        for (int l = 0; l <= Shape.Depth; l++)
            foreach (var v in Variables(l)) v.requires_grad = level is null || l == level;
    }

    private int? _visiting;
    private Tensor[]? _sumWeights, _sumBiases;       // Θ = Σ_l Pro θ⁽ˡ⁾ in float64, kept across visits
    // Float32 buffers of the finest sizes, reused by every visit: at level 0 the frozen sum Θ − θ⁽⁰⁾ of the visit's start,
    // at a level l ≥ 1 the sum Θ itself at the visit's start (the step adds Pro(θ⁽ˡ⁾ − θ⁽ˡ⁾_start)).
    private Tensor[]? _baseWeights, _baseBiases;
    private Tensor[][]? _startWeights, _startBiases;   // [level][layer]: θ⁽ˡ⁾ when the visit began, buffers reused
    private Tensor[]? _coarseFrozenWeights, _coarseFrozenBiases;   // made by the first coarse step of a visit

    /// <summary>
    /// Starts a visit of Algorithm 3.1 at <paramref name="level"/>: only θ⁽ˡ⁾ requires gradients, and the other levels'
    /// prolonged sums — constant while only θ⁽ˡ⁾ changes — are read once from the kept sums Θ and reused by every step
    /// of the visit, so a step prolongs one level instead of all L + 1. Θ is kept in float64 across visits and updated
    /// by the visited level's change Pro(θ⁽ˡ⁾ − θ⁽ˡ⁾_start) when a visit ends: a visit costs one transform at its own
    /// level and a few passes over buffers of the finest sizes (a W-cycle with L = 6 makes thousands of visits, most at
    /// cheap coarse levels, and with k = 1 every step is a visit). With L = 0 there is nothing to keep: a visit only
    /// marks the variables trained and a step is a plain training step. Variables changed outside visits must be followed
    /// by <see cref="InvalidateSums"/>. The result is the same computation up to float32 rounding; dispose to end the visit.
    /// </summary>
    internal IDisposable Visit(int level)
    {
        if (level < 0 || level > Shape.Depth) throw new ArgumentOutOfRangeException(nameof(level));
        EndVisit();
        if (Shape.Depth == 0)
        {
            // One level: its variables always require gradients, and there is nothing to keep.
            _visiting = 0;
            return new VisitHandle(this);
        }
        TrainOnly(level);
        int layers = Shape.LayerCount - 1;
        using (no_grad())
        {
            if (_sumWeights is null)
            {
                _sumWeights = new Tensor[layers];
                _sumBiases = new Tensor[layers];
                for (int j = 0; j < layers; j++)
                {
                    using var scope = NewDisposeScope();
                    _sumWeights[j] = EffectiveWeight(j).to_type(ScalarType.Float64).DetachFromDisposeScope();
                    _sumBiases![j] = EffectiveBias(j).to_type(ScalarType.Float64).DetachFromDisposeScope();
                }
            }
            _baseWeights ??= _weights[0].Select(w => empty_like(w).DetachFromDisposeScope()).ToArray();
            _baseBiases ??= _biases[0].Select(b => empty_like(b).DetachFromDisposeScope()).ToArray();
            _startWeights ??= new Tensor[Shape.Depth + 1][];
            _startBiases ??= new Tensor[Shape.Depth + 1][];
            _startWeights[level] ??= _weights[level].Select(w => empty_like(w).DetachFromDisposeScope()).ToArray();
            _startBiases[level] ??= _biases[level].Select(b => empty_like(b).DetachFromDisposeScope()).ToArray();
            for (int j = 0; j < layers; j++)
            {
                _startWeights[level][j].copy_(_weights[level][j]);
                _startBiases[level][j].copy_(_biases[level][j]);
                _baseWeights[j].copy_(_sumWeights[j]);
                _baseBiases[j].copy_(_sumBiases![j]);
                if (level == 0)
                {
                    _baseWeights[j].sub_(_startWeights[0][j]);
                    _baseBiases[j].sub_(_startBiases[0][j]);
                }
            }
        }
        _visiting = level;
        return new VisitHandle(this);
    }

    /// <summary>The level being visited (inside <see cref="Visit"/>), else null.</summary>
    internal int? VisitingLevel => _visiting;

    /// <summary>
    /// Keeps the whole state in <paramref name="checkpoint"/> under <paramref name="prefix"/>: every level's variables,
    /// the kept float64 sums Θ (an incremental sum: recomputing it would differ in the last bits) and, inside a visit,
    /// the visited level's variables as the visit began.
    /// </summary>
    internal void Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        for (int l = 0; l <= Shape.Depth; l++)
            for (int j = 0; j < _weights[l].Length; j++)
            {
                checkpoint.Put($"{prefix}w{l}.{j}", _weights[l][j]);
                checkpoint.Put($"{prefix}b{l}.{j}", _biases[l][j]);
            }
        if (_sumWeights is not null)
            for (int j = 0; j < _sumWeights.Length; j++)
            {
                checkpoint.Put($"{prefix}sum_w.{j}", _sumWeights[j]);
                checkpoint.Put($"{prefix}sum_b.{j}", _sumBiases![j]);
            }
        if (_visiting is { } level && Shape.Depth > 0)
            for (int j = 0; j < _startWeights![level].Length; j++)
            {
                checkpoint.Put($"{prefix}start_w.{j}", _startWeights[level][j]);
                checkpoint.Put($"{prefix}start_b.{j}", _startBiases![level][j]);
            }
    }

    /// <summary>
    /// Restores what <see cref="Save"/> kept. When it was saved inside a visit at <paramref name="visitLevel"/>, the
    /// visit is re-entered exactly as it began (its frozen sums are recomputed from the same kept sums and starting
    /// variables, so they are the same numbers) and the variables then set to where the visit had got; the returned
    /// handle ends it. Otherwise returns null.
    /// </summary>
    internal IDisposable? Restore(Checkpoint checkpoint, string prefix, int? visitLevel)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        EndVisit();
        InvalidateSums();
        for (int l = 0; l <= Shape.Depth; l++)
            for (int j = 0; j < _weights[l].Length; j++)
            {
                checkpoint.CopyTo($"{prefix}w{l}.{j}", _weights[l][j]);
                checkpoint.CopyTo($"{prefix}b{l}.{j}", _biases[l][j]);
            }
        int layers = Shape.LayerCount - 1;
        if (Shape.Depth == 0) return visitLevel is null ? null : Visit(0);   // default training keeps no sums
        if (checkpoint.Has($"{prefix}sum_w.0"))
        {
            using var scope = NewDisposeScope();
            _sumWeights = new Tensor[layers];
            _sumBiases = new Tensor[layers];
            for (int j = 0; j < layers; j++)
            {
                _sumWeights[j] = checkpoint.Get($"{prefix}sum_w.{j}").to(_weights[0][j].device).clone().DetachFromDisposeScope();
                _sumBiases[j] = checkpoint.Get($"{prefix}sum_b.{j}").to(_weights[0][j].device).clone().DetachFromDisposeScope();
            }
        }
        if (visitLevel is not { } level) return null;
        if (_sumWeights is null) throw new MultiscaleException("the checkpoint was taken inside a visit but holds no kept sums");
        for (int j = 0; j < layers; j++)
        {
            checkpoint.CopyTo($"{prefix}start_w.{j}", _weights[level][j]);
            checkpoint.CopyTo($"{prefix}start_b.{j}", _biases[level][j]);
        }
        var handle = Visit(level);
        for (int j = 0; j < layers; j++)
        {
            checkpoint.CopyTo($"{prefix}w{level}.{j}", _weights[level][j]);
            checkpoint.CopyTo($"{prefix}b{level}.{j}", _biases[level][j]);
        }
        return handle;
    }

    /// <summary>
    /// The trained parameters for <c>weights.npz</c>, names prefixed by <paramref name="prefix"/>: the fine network
    /// <c>fine.layer{j}.weight</c> = Θ_W [n_j, n_{j+1}] and <c>fine.layer{j}.bias</c> = Θ_b [n_{j+1}] (y = σ(x Θ_W + Θ_b),
    /// x a row), every level's own variables <c>level{l}.layer{j}.weight</c>/<c>.bias</c> = θ⁽ˡ⁾ at that level's sizes,
    /// and the composed maps <c>map.n{n}.level{l}</c> = Pro_{l→0} [n, n_l] (float64), with which Θ = Σ_l Pro θ⁽ˡ⁾ Proᵀ.
    /// </summary>
    public IReadOnlyList<RunArray> Arrays(string prefix = "")
    {
        var arrays = new List<RunArray>();
        using var noGrad = no_grad();
        int layers = Shape.LayerCount - 1;
        for (int j = 0; j < layers; j++)
        {
            using var scope = NewDisposeScope();
            arrays.Add(RunArray.Of($"{prefix}fine.layer{j}.weight", EffectiveWeight(j)));
            arrays.Add(RunArray.Of($"{prefix}fine.layer{j}.bias", EffectiveBias(j)));
        }
        for (int l = 0; l <= Shape.Depth; l++)
            for (int j = 0; j < layers; j++)
            {
                arrays.Add(RunArray.Of($"{prefix}level{l}.layer{j}.weight", _weights[l][j]));
                arrays.Add(RunArray.Of($"{prefix}level{l}.layer{j}.bias", _biases[l][j]));
            }
        foreach (var n in Shape.Layers(0).Distinct())
            for (int l = 1; l <= Shape.Depth; l++)
                arrays.Add(RunArray.Of($"{prefix}map.n{n}.level{l}", _maps.ToFinest(n, l).Matrix));
        return arrays;
    }

    /// <summary>Drops the kept sums Θ (after variables were changed outside a visit); the next visit recomputes them.</summary>
    internal void InvalidateSums()
    {
        foreach (var t in new[] { _sumWeights, _sumBiases }.SelectMany(a => a ?? Array.Empty<Tensor>())) t.Dispose();
        _sumWeights = _sumBiases = null;
    }

    /// <summary>The kept Θ_W of a layer (float64), for tests of the incremental update; null before the first visit.</summary>
    internal Tensor? KeptSum(int layer) => _sumWeights?[layer];

    private void EndVisit()
    {
        if (_visiting is { } level && _sumWeights is not null)
        {
            var sizes = Shape.Layers(0);
            using (no_grad())
                for (int j = 0; j < _sumWeights.Length; j++)
                {
                    using var scope = NewDisposeScope();
                    // The change is prolonged in float32 (one transform at the level's sizes) and added to the float64
                    // sum: its rounding is relative to one visit's change, so it does not grow with the number of visits.
                    var dw = _weights[level][j].detach() - _startWeights![level][j];
                    var db = _biases[level][j].detach() - _startBiases![level][j];
                    _sumWeights[j].add_(_maps.ProlongWeights(dw, sizes[j], sizes[j + 1], level));
                    _sumBiases![j].add_(_maps.ProlongRows(db, sizes[j + 1], level));
                }
        }
        _visiting = null;
        foreach (var t in new[] { _coarseFrozenWeights, _coarseFrozenBiases }.SelectMany(a => a ?? Array.Empty<Tensor>())) t.Dispose();
        _coarseFrozenWeights = _coarseFrozenBiases = null;
        if (Shape.Depth > 0) TrainOnly(null);
    }

    /// <summary>
    /// Pro_in (θ − θ_start) Pro_outᵀ at θ = θ_start: the value is zero (no product is formed), the backward is the
    /// restriction Pro_inᵀ G Pro_out — the same gradient as autograd through the product, up to float rounding.
    /// </summary>
    private sealed class UnchangedProlongation : autograd.SingleTensorFunction<UnchangedProlongation>
    {
        public override string Name => nameof(UnchangedProlongation);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var theta = (Tensor)vars[0];
            var maps = (LayerMaps)vars[1];
            int finestIn = (int)vars[2], finestOut = (int)vars[3], level = (int)vars[4];
            ctx.save_data("maps", maps);
            ctx.save_data("sizes", (finestIn, finestOut, level));
            return zeros(new long[] { finestIn, finestOut }, dtype: theta.dtype, device: theta.device);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var maps = (LayerMaps)ctx.get_data("maps");
            var (finestIn, finestOut, level) = ((int, int, int))ctx.get_data("sizes");
            // One entry per argument of apply; the maps and sizes have none.
            return new List<Tensor> { maps.RestrictWeights(grad_output, finestIn, finestOut, level), null!, null!, null!, null! };
        }
    }

    /// <summary>
    /// h (B + Pro_in (θ − θ_start) Pro_outᵀ) at θ = θ_start, i.e. h B with B the visit's frozen base: the forward is the
    /// one product h B — no zero weight is formed and added to B (two passes over every finest-size weight per step,
    /// measured as most of a k = 1 step's overhead) —, the backward gives h the gradient g Bᵀ and θ the restriction
    /// Pro_inᵀ (hᵀ g) Pro_out of the weight's gradient (eq. 3.13): what autograd through B + 0 gives.
    /// </summary>
    private sealed class UnchangedLinear : autograd.SingleTensorFunction<UnchangedLinear>
    {
        public override string Name => nameof(UnchangedLinear);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var h = (Tensor)vars[0];
            var frozen = (Tensor)vars[2];
            ctx.save_for_backward(new List<Tensor> { h, frozen });
            ctx.save_data("maps", vars[3]);
            ctx.save_data("sizes", ((int)vars[4], (int)vars[5], (int)vars[6], h.requires_grad));
            return h.matmul(frozen);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var saved = ctx.get_saved_variables();
            var maps = (LayerMaps)ctx.get_data("maps");
            var (finestIn, finestOut, level, inputGrad) = ((int, int, int, bool))ctx.get_data("sizes");
            using var weightGrad = saved[0].t().mm(grad_output);
            // One entry per argument of apply: h, θ, the base (a constant), the maps and sizes (none).
            return new List<Tensor> { inputGrad ? grad_output.mm(saved[1].t()) : null!, maps.RestrictWeights(weightGrad, finestIn, finestOut, level), null!, null!, null!, null!, null! };
        }
    }

    /// <summary>
    /// h Θ_W of layer j inside a forward pass: at a coarse visit's unchanged first step (every step with k = 1) through
    /// <see cref="UnchangedLinear"/>, otherwise h times <see cref="EffectiveWeight"/>.
    /// </summary>
    private Tensor Linear(Tensor h, int layer)
    {
        if (Shape.Depth > 0 && _visiting is { } v && v > 0)
        {
            var theta = _weights[v][layer];
            if (is_grad_enabled() && theta.requires_grad && h.dim() == 2)
                return theta.eq(_startWeights![v][layer]).all().item<bool>()
                    ? UnchangedLinear.apply(h, theta, _baseWeights![layer], _maps, Shape.Layers(0)[layer], Shape.Layers(0)[layer + 1], v)
                    // Changed (the visit's later steps): what EffectiveWeight forms, without comparing θ with θ_start again.
                    : h.matmul(_baseWeights![layer] + _maps.ProlongWeights(theta - _startWeights![v][layer], Shape.Layers(0)[layer], Shape.Layers(0)[layer + 1], v));
        }
        return h.matmul(EffectiveWeight(layer));
    }

    private sealed class VisitHandle(MultilevelNetwork owner) : IDisposable
    {
        public void Dispose() => owner.EndVisit();
    }

    /// <summary>Θ_W of layer j (the effective finest weight), differentiable in every level's variables.</summary>
    public Tensor EffectiveWeight(int layer)
    {
        if (Shape.Depth == 0) return _weights[0][layer];
        if (_visiting is { } v)
        {
            if (v == 0) return _baseWeights![layer] + _weights[0][layer];
            int finestIn = Shape.Layers(0)[layer], finestOut = Shape.Layers(0)[layer + 1];
            var theta = _weights[v][layer];
            // A visit's first step (every step with k = 1) has θ⁽ˡ⁾ = θ⁽ˡ⁾_start: the change's prolongation is exactly 0, so
            // only its backward (the restriction of the fine gradient, eq. 3.13) is computed, not a product of zeros.
            if (is_grad_enabled() && theta.requires_grad && theta.eq(_startWeights![v][layer]).all().item<bool>())
                return _baseWeights![layer] + UnchangedProlongation.apply(theta, _maps, finestIn, finestOut, v);
            return _baseWeights![layer] + _maps.ProlongWeights(theta - _startWeights![v][layer], finestIn, finestOut, v);
        }
        var sizes = Shape.Layers(0);
        Tensor total = _weights[0][layer];
        for (int l = 1; l <= Shape.Depth; l++)
            total = total + _maps.ProlongWeights(_weights[l][layer], sizes[layer], sizes[layer + 1], l);
        return total;
    }

    /// <summary>Θ_b of layer j.</summary>
    public Tensor EffectiveBias(int layer)
    {
        if (Shape.Depth == 0) return _biases[0][layer];
        if (_visiting is { } v)
            return v == 0 ? _baseBiases![layer] + _biases[0][layer]
                : _baseBiases![layer] + _maps.ProlongRows(_biases[v][layer] - _startBiases![v][layer], Shape.Layers(0)[layer + 1], v);
        var sizes = Shape.Layers(0);
        Tensor total = _biases[0][layer];
        for (int l = 1; l <= Shape.Depth; l++)
            total = total + _maps.ProlongRows(_biases[l][layer], sizes[layer + 1], l);
        return total;
    }

    /// <summary>
    /// The Galerkin coarse model of the visited level l (inside <see cref="Visit"/>, l ≥ 1): parameters
    /// Res_{0→l}(Θ) = Pro_{l→0}ᵀ Θ Pro_{l→0}, which is θ⁽ˡ⁾ plus the restriction of every other level's sum, applied to
    /// restricted data. A step with it costs |M_l| instead of |M_0| — the cost the proxy C(t) charges — but its
    /// gradient is that of the coarse model, not the restricted fine gradient of eq. (3.13): an approximation, offered
    /// as an option and measured against the faithful step (docs/msann.md).
    /// </summary>
    internal Tensor ForwardCoarse(Tensor xCoarse)
    {
        ArgumentNullException.ThrowIfNull(xCoarse);
        if (_visiting is not { } level || level == 0) throw new InvalidOperationException("ForwardCoarse needs a visit at a level ≥ 1");
        if (_coarseFrozenWeights is null)
        {
            // The restriction of the other levels' sum Θ − Pro θ⁽ˡ⁾_start, once per visit (faithful visits never need it).
            var sizes = Shape.Layers(0);
            int layers = Shape.LayerCount - 1;
            _coarseFrozenWeights = new Tensor[layers];
            _coarseFrozenBiases = new Tensor[layers];
            using var noGrad = no_grad();
            for (int j = 0; j < layers; j++)
            {
                using var scope = NewDisposeScope();
                var frozenW = _baseWeights![j] - _maps.ProlongWeights(_startWeights![level][j], sizes[j], sizes[j + 1], level);
                var frozenB = _baseBiases![j] - _maps.ProlongRows(_startBiases![level][j], sizes[j + 1], level);
                _coarseFrozenWeights[j] = _maps.RestrictWeights(frozenW, sizes[j], sizes[j + 1], level).DetachFromDisposeScope();
                _coarseFrozenBiases[j] = _maps.RestrictRows(frozenB, sizes[j + 1], level).DetachFromDisposeScope();
            }
        }
        var h = xCoarse;
        for (int j = 0; j + 1 < Shape.LayerCount; j++)
            h = (h.matmul(_coarseFrozenWeights![j] + _weights[level][j]) + _coarseFrozenBiases![j] + _biases[level][j]).sigmoid();
        return h;
    }

    /// <summary>Restricts a batch of finest-resolution data (rows are examples) to the visited level: x ↦ x Pro_{l→0}.</summary>
    internal Tensor RestrictData(Tensor x, int level) =>
        level == 0 ? x.alias() : _maps.RestrictColumns(x, Shape.Layers(0)[0], level);

    /// <summary>The finest network's output for a batch x (rows are examples).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var h = x;
        for (int j = 0; j + 1 < Shape.LayerCount; j++) h = (Linear(h, j) + EffectiveBias(j)).sigmoid();
        return h;
    }

    /// <summary>Releases every variable.</summary>
    public void Dispose()
    {
        EndVisit();
        InvalidateSums();
        foreach (var t in new[] { _baseWeights, _baseBiases }.Concat(_startWeights ?? Array.Empty<Tensor[]>()).Concat(_startBiases ?? Array.Empty<Tensor[]>())
                     .SelectMany(a => a ?? Array.Empty<Tensor>()))
            t.Dispose();
        foreach (var t in _weights.SelectMany(w => w).Concat(_biases.SelectMany(b => b))) t.Dispose();
    }
}
