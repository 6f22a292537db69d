using System.Diagnostics;
using System.Text.Json.Nodes;
using Multiscale.Runs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>
/// τ-corrected coarse-model visits (MG/OPT, Nash 2000, with RMTR's acceptance test): a visit to level l ≥ 1 trains a
/// coarse network of level-l sizes alone, on restricted data, so a step costs ∝ |M_l| — no finest-network evaluation.
/// <para>
/// <b>The coarse network and its data.</b> Every layer size n has, per level l, the composed orthonormal map
/// P = Pro_{l→0} [n, n_l] and its column sums s = 1ᵀP. A = P·diag(1/s) averages (its columns sum to 1, so constants map
/// to constants and a sigmoid's [0, 1] range is kept) and E = diag(s)·Pᵀ copies back (E·A = I). A coarse unit stands
/// for the average of the fine units it covers — inputs, targets and hidden layers alike — so a fine layer
/// h ↦ σ(h W + b) with h ≈ h_c E becomes σ(h_c W_c + b_c) with W_c = E_in W A_out and b_c = b A_out. That is the
/// orthonormal Galerkin restriction Pᵀ W P up to the diagonal similarity diag(s) (for the 1-D maps s is the constant
/// √2ˡ, so a scale per level). Inputs and targets are restricted by A (x_c = x A), never by Pᵀ alone, whose values
/// reach √2ˡ times the data's (a sigmoid output cannot produce Pᵀy ≈ 1.5); for the data A keeps only each column's
/// positive entries above 10⁻³ of its largest, renormalized to sum 1 — a convex combination, so restricted data stay in
/// the data's range exactly (the polar-orthonormal maps' small negative side lobes would overshoot 0/1 targets to ≈ 1.09). Between consecutive levels l−1 → l the transfers are Down = E_l A_{l−1} and Up = E_{l−1} A_l
/// (A_0 = E_0 = I): θ_l⁰ = Down_in θ_{l−1} Up_out (biases b Up_out), a correction returns as Pro(Δ) = Up_in Δ Down_out
/// (δb Down_out), and gradients restrict by its adjoint Res(G) = Up_inᵀ G Down_outᵀ — so a coarse gradient step,
/// prolonged, is a descent direction of the level above. Res(Pro(Δ)) = Δ exactly.
/// </para>
/// <para>
/// <b>The recursion.</b> The cycle schedule's visits are a walk through the levels that moves one level at a time; the
/// active coarse models form a stack 1…d. A visit to level l first returns from every active level deeper than l
/// (innermost first: d → d−1, …, l+1 → l), then, if l is one deeper than the stack, enters it: θ_l⁰ is the restriction
/// of the level-(l−1) model (the finest model Θ for l = 1), and the τ term v_l = Res(∇Ê_{l−1}(θ_{l−1})) − ∇E_l(θ_l⁰),
/// on the same batches restricted to each level, makes the level's objective Ê_l(θ) = E_l(θ) + ⟨v_l, θ⟩ first-order
/// coherent: ∇Ê_l(θ_l⁰) = Res(∇Ê_{l−1}). Ê_{l−1} is itself corrected (v_{l−1}), so a level-(l+1) visit corrects the
/// level-l coarse model, not the finest one. Visits at l then take their steps on Ê_l, and the γ post-smoothing visits of
/// a W-cycle continue the same coarse model (θ_l⁰ and v_l are fixed at the entry). Returning from l adds Pro(θ_l − θ_l⁰)
/// to the level-(l−1) model; with the acceptance test it is kept only if Ê_{l−1} (the fine loss for l = 1) on a fresh
/// batch does not rise. The cycle ends at the finest level, so every coarse correction is returned by then; a run that
/// stops inside a cycle on its budget returns the active ones at its end (<see cref="Finish"/>).
/// </para>
/// <para>
/// <b>Optimizer state.</b> Each level's coarse network has its own optimizer (the run's flavor: RMSProp or Adam), kept across visits: the coarse objectives
/// of successive entries differ by a restriction of one fine update and a new τ, so their gradient scale — what the
/// accumulator estimates — carries over, and a reset would restart every visit in the accumulator's warm-up (TF1's
/// starts at 1, so the first steps are ≈ lr·g, tiny; PyTorch's at 0, so the first step is ≈ 3·lr on every weight,
/// whatever its gradient).
/// </para>
/// <para>
/// <b>Running average.</b> With <see cref="TauCorrectionOptions.Average"/> ρ &gt; 0 each level keeps m_t = ρ·m_{t−1} +
/// (1 − ρ)·v_t over its entries t = 1, 2, … and its objective uses τ = m_t / (1 − ρᵗ) instead of v_t: less of one
/// batch's noise, at the price of exact coherence after the first entry (the average mixes τ terms computed at earlier
/// points). m and t live across entries and are checkpointed with the rest.
/// </para>
/// <para>
/// <b>Cost.</b> The τ term costs, per τ batch, one gradient at level l−1 and one at level l; the acceptance test two
/// objective evaluations at level l−1. They are charged to C(t) as examples at those levels, the evaluations like
/// gradients (conservative: a forward pass is about a third of a gradient).
/// </para>
/// </summary>
internal sealed class TauCorrectedVisits : IDisposable
{
    private const double DataThreshold = 1e-3;
    private readonly MultilevelNetwork _network;
    private readonly TauCorrectionOptions _options;
    private readonly int[] _sizes;
    // Down [n_l, n_{l−1}], Up [n_{l−1}, n_l] and their transposes, as banded blocks (the transfers are local like the maps).
    private readonly Dictionary<(int Size, int Level), (BandedMatrix Down, BandedMatrix DownT, BandedMatrix Up, BandedMatrix UpT)> _transfer = new();
    private readonly BandedMatrix?[] _data;   // [level]: the transposed convex data restriction [n_l, n] (x_c = x·D)
    private readonly Parameter[][] _weights, _biases;                   // [level][layer], level 0 unused
    private readonly Tensor[][] _startWeights, _startBiases, _tauWeights, _tauBiases;
    private readonly Tensor[][] _averageWeights, _averageBiases;   // [level][layer]: m of the running average (empty without one)
    private readonly long[] _entries;                              // [level]: entries into the level, the t of ρᵗ
    private readonly LevelOptimizer[] _optimizers;                              // [level], level 0 unused
    private readonly Stopwatch _setup = new(), _steps = new();
    private long _corrections, _accepted, _fineCorrections;
    private double _fineDecrease, _setupBefore, _stepsBefore;

    /// <summary>
    /// Builds the transfers and the coarse networks of every level of <paramref name="network"/>'s hierarchy, each with
    /// its own optimizer of <paramref name="flavor"/> and <paramref name="learningRate"/>. Throws
    /// <see cref="MultiscaleException"/> when a level map has a column whose entries nearly cancel (random maps): no
    /// averaging restriction exists for it.
    /// </summary>
    public TauCorrectedVisits(MultilevelNetwork network, TauCorrectionOptions options, OptimizerFlavor flavor, double learningRate)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        var shape = network.Shape;
        if (shape.Depth < 1) throw new MultiscaleException("the τ-corrected coarse model needs a hierarchy of depth L ≥ 1");
        _sizes = shape.Layers(0).ToArray();
        var like = network.Variables(0)[0];
        int depth = shape.Depth, layers = _sizes.Length - 1;
        _data = new BandedMatrix?[depth + 1];
        using (var scope = NewDisposeScope())
        {
            foreach (var n in _sizes.Distinct())
            {
                Tensor? previousA = null, previousE = null;
                for (int l = 1; l <= depth; l++)
                {
                    var p = network.Maps.ToFinest(n, l).Matrix;
                    var s = p.sum(new long[] { 0 });
                    double smallest = s.abs().min().item<double>();
                    // A column of norm 1 whose entries sum to almost nothing has no average to stand for.
                    if (smallest < 0.1)
                        throw new MultiscaleException($"the τ-corrected coarse model restricts data by averaging, but the {network.Maps.Strategy.Name()} map of a {n}-unit layer to level {l} has a column summing to {smallest:G3} (averaging needs columns of one sign)");
                    var a = p / s.unsqueeze(0);
                    var e = s.unsqueeze(1) * p.T;
                    var down = previousE is null ? e : e.matmul(previousA!);
                    var up = previousA is null ? a : previousE!.matmul(a);
                    // Built from the float64 products; each product casts the blocks to its operand's dtype and device once.
                    _transfer[(n, l)] = (new BandedMatrix(down), new BandedMatrix(down.T), new BandedMatrix(up), new BandedMatrix(up.T));
                    if (n == _sizes[0]) _data[l] = new BandedMatrix(ConvexAverage(a).T);
                    previousA = a;
                    previousE = e;
                }
            }
        }
        _weights = new Parameter[depth + 1][];
        _biases = new Parameter[depth + 1][];
        _startWeights = new Tensor[depth + 1][];
        _startBiases = new Tensor[depth + 1][];
        _tauWeights = new Tensor[depth + 1][];
        _tauBiases = new Tensor[depth + 1][];
        _averageWeights = new Tensor[depth + 1][];
        _averageBiases = new Tensor[depth + 1][];
        _entries = new long[depth + 1];
        _optimizers = new LevelOptimizer[depth + 1];
        for (int l = 1; l <= depth; l++)
        {
            var sizes = shape.Layers(l);
            _weights[l] = new Parameter[layers];
            _biases[l] = new Parameter[layers];
            _startWeights[l] = new Tensor[layers];
            _startBiases[l] = new Tensor[layers];
            _tauWeights[l] = new Tensor[layers];
            _tauBiases[l] = new Tensor[layers];
            _averageWeights[l] = new Tensor[options.Average > 0 ? layers : 0];
            _averageBiases[l] = new Tensor[options.Average > 0 ? layers : 0];
            for (int j = 0; j < layers; j++)
            {
                using var scope = NewDisposeScope();
                _weights[l][j] = new Parameter(zeros(sizes[j], sizes[j + 1], dtype: like.dtype, device: like.device), requires_grad: true);
                _biases[l][j] = new Parameter(zeros(sizes[j + 1], dtype: like.dtype, device: like.device), requires_grad: true);
                _weights[l][j].DetachFromDisposeScope();
                _biases[l][j].DetachFromDisposeScope();
                _startWeights[l][j] = zeros_like(_weights[l][j]).DetachFromDisposeScope();
                _startBiases[l][j] = zeros_like(_biases[l][j]).DetachFromDisposeScope();
                _tauWeights[l][j] = zeros_like(_weights[l][j]).DetachFromDisposeScope();
                _tauBiases[l][j] = zeros_like(_biases[l][j]).DetachFromDisposeScope();
                if (options.Average > 0)
                {
                    _averageWeights[l][j] = zeros_like(_weights[l][j]).DetachFromDisposeScope();
                    _averageBiases[l][j] = zeros_like(_biases[l][j]).DetachFromDisposeScope();
                }
            }
            _optimizers[l] = LevelOptimizer.Create(flavor, _weights[l].Concat(_biases[l]), learningRate);
        }
    }

    /// <summary>The deepest level with an active coarse model (0: none; only the finest model).</summary>
    public int ActiveDepth { get; private set; }

    /// <summary>What the visits did so far.</summary>
    public TauCorrectionStatistics Statistics => new(_corrections, _accepted, _fineCorrections, _fineDecrease,
        _setupBefore + _setup.Elapsed.TotalSeconds, _stepsBefore + _steps.Elapsed.TotalSeconds);

    /// <summary>
    /// Starts a visit to <paramref name="level"/> (the network must be inside its level-0 visit): returns from every
    /// deeper active level, then enters <paramref name="level"/> if it is one deeper than the active stack. Batches for
    /// τ and the acceptance tests come from <paramref name="nextBatch"/>; <paramref name="charge"/> receives the
    /// examples evaluated per level.
    /// </summary>
    public void Enter(int level, Func<int, (Tensor Input, Tensor Target)> nextBatch, int batchSize, Action<int, int> charge)
    {
        ArgumentNullException.ThrowIfNull(nextBatch);
        ArgumentNullException.ThrowIfNull(charge);
        if (level < 0 || level > _network.Shape.Depth) throw new ArgumentOutOfRangeException(nameof(level));
        if (level > ActiveDepth + 1) throw new InvalidOperationException($"a visit to level {level} cannot follow level {ActiveDepth}: the cycle moves one level at a time");
        RequireFineVisit();
        _setup.Start();
        try
        {
            while (ActiveDepth > level) Return(nextBatch, batchSize, charge);
            if (level == ActiveDepth + 1 && level > 0) Push(level, nextBatch, batchSize, charge);
        }
        finally { _setup.Stop(); }
    }

    /// <summary>Returns from every active level (the end of a run that stopped inside a cycle).</summary>
    public void Finish(Func<int, (Tensor Input, Tensor Target)> nextBatch, int batchSize, Action<int, int> charge) =>
        Enter(0, nextBatch, batchSize, charge);

    /// <summary>One step of the active level's coarse network on the corrected objective Ê_l, from a finest batch.</summary>
    public void Step(int level, Tensor input, Tensor target)
    {
        if (level < 1 || level != ActiveDepth) throw new InvalidOperationException($"a coarse step at level {level} needs that level active (active: {ActiveDepth})");
        _steps.Start();
        try
        {
            using var scope = NewDisposeScope();
            var optimizer = _optimizers[level];
            optimizer.ZeroGrad();
            Loss(level, input, target).backward();
            using (no_grad())
                for (int j = 0; j < _weights[level].Length; j++)
                {
                    _weights[level][j].grad!.add_(_tauWeights[level][j]);
                    _biases[level][j].grad!.add_(_tauBiases[level][j]);
                }
            optimizer.Step();
        }
        finally { _steps.Stop(); }
    }

    /// <summary>Keeps the active coarse models, their τ terms, every level's optimizer and the statistics.</summary>
    public JsonObject Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        foreach (var (name, tensor) in ActiveState(prefix).Concat(AverageState(prefix))) checkpoint.Put(name, tensor);
        for (int l = 1; l < _optimizers.Length; l++) _optimizers[l].Save(checkpoint, $"{prefix}optimizer{l}/");
        var state = Statistics.ToJson();
        state["active_depth"] = ActiveDepth;
        if (_options.Average > 0) state["average_entries"] = new JsonArray(_entries.Skip(1).Select(e => (JsonNode)e).ToArray());
        return state;
    }

    /// <summary>Restores what <see cref="Save"/> kept.</summary>
    public void Restore(Checkpoint checkpoint, string prefix, JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(state);
        int active = state["active_depth"]!.GetValue<int>();
        if (active < 0 || active >= _weights.Length) throw new MultiscaleException($"the checkpoint's τ state has {active} active levels, the hierarchy {_weights.Length - 1}");
        ActiveDepth = active;
        if (_options.Average > 0)
        {
            var entries = state["average_entries"] as JsonArray ?? throw new MultiscaleException("the checkpoint holds no τ running average");
            if (entries.Count != _entries.Length - 1) throw new MultiscaleException($"the checkpoint's τ running average has {entries.Count} levels, the hierarchy {_entries.Length - 1}");
            for (int l = 1; l < _entries.Length; l++) _entries[l] = entries[l - 1]!.GetValue<long>();
        }
        foreach (var (name, tensor) in ActiveState(prefix).Concat(AverageState(prefix))) checkpoint.CopyTo(name, tensor);
        for (int l = 1; l < _optimizers.Length; l++) _optimizers[l].Restore(checkpoint, $"{prefix}optimizer{l}/");
        var s = TauCorrectionStatistics.FromJson(state);
        (_corrections, _accepted, _fineCorrections, _fineDecrease, _setupBefore, _stepsBefore) =
            (s.Corrections, s.Accepted, s.FineCorrections, s.FineDecrease, s.SetupSeconds, s.CoarseStepSeconds);
        _setup.Reset();
        _steps.Reset();
    }

    /// <summary>The tensors of the active levels by checkpoint name: θ_l, θ_l⁰ and v_l.</summary>
    private IEnumerable<(string Name, Tensor Tensor)> ActiveState(string prefix)
    {
        for (int l = 1; l <= ActiveDepth; l++)
            for (int j = 0; j < _weights[l].Length; j++)
            {
                yield return ($"{prefix}w{l}.{j}", _weights[l][j]);
                yield return ($"{prefix}b{l}.{j}", _biases[l][j]);
                yield return ($"{prefix}start_w{l}.{j}", _startWeights[l][j]);
                yield return ($"{prefix}start_b{l}.{j}", _startBiases[l][j]);
                yield return ($"{prefix}tau_w{l}.{j}", _tauWeights[l][j]);
                yield return ($"{prefix}tau_b{l}.{j}", _tauBiases[l][j]);
            }
    }

    /// <summary>The running averages m of every level by checkpoint name (they live across entries, active or not).</summary>
    private IEnumerable<(string Name, Tensor Tensor)> AverageState(string prefix)
    {
        for (int l = 1; l < _averageWeights.Length; l++)
            for (int j = 0; j < _averageWeights[l].Length; j++)
            {
                yield return ($"{prefix}average_w{l}.{j}", _averageWeights[l][j]);
                yield return ($"{prefix}average_b{l}.{j}", _averageBiases[l][j]);
            }
    }

    /// <summary>The τ term v_l the level's objective uses now (weights then biases): internal, for tests.</summary>
    internal Tensor[] TauTerm(int level) => _tauWeights[level].Concat(_tauBiases[level]).Select(t => t.clone()).ToArray();

    /// <summary>Releases the coarse networks, transfers and optimizers.</summary>
    public void Dispose()
    {
        foreach (var (down, downT, up, upT) in _transfer.Values)
        {
            down.Dispose();
            downT.Dispose();
            up.Dispose();
            upT.Dispose();
        }
        foreach (var data in _data) data?.Dispose();
        for (int l = 1; l < _weights.Length; l++)
        {
            foreach (var t in _weights[l].Concat<Tensor>(_biases[l]).Concat(_startWeights[l]).Concat(_startBiases[l]).Concat(_tauWeights[l]).Concat(_tauBiases[l])
                         .Concat(_averageWeights[l]).Concat(_averageBiases[l])) t.Dispose();
            _optimizers[l].Dispose();
        }
    }

    /// <summary>A finest batch (rows are examples) restricted to <paramref name="level"/> by the averaging map A_l.</summary>
    public Tensor RestrictData(Tensor batch, int level)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return level == 0 ? batch.alias() : _data[level]!.MultiplyTransposedRight(batch);
    }

    /// <summary>The level's coarse network on restricted data.</summary>
    internal Tensor Forward(int level, Tensor coarseInput)
    {
        var h = coarseInput;
        for (int j = 0; j < _weights[level].Length; j++) h = (h.matmul(_weights[level][j]) + _biases[level][j]).sigmoid();
        return h;
    }

    /// <summary>The gradient of Ê_l (<paramref name="corrected"/>) or E_l at the current parameters, weights then biases; level 0 is the fine loss.</summary>
    internal Tensor[] Gradient(int level, Tensor input, Tensor target, bool corrected = true)
    {
        var variables = Variables(level);
        foreach (var v in variables) v.grad?.zero_();
        var loss = level == 0 ? (_network.Forward(input) - target).square().mean() : Loss(level, input, target);
        loss.backward();
        var gradients = variables.Select(v => v.grad!.clone()).ToArray();
        foreach (var v in variables) v.grad!.zero_();
        if (corrected && level > 0)
            using (no_grad())
                for (int j = 0; j < _weights[level].Length; j++)
                {
                    gradients[j].add_(_tauWeights[level][j]);
                    gradients[_weights[level].Length + j].add_(_tauBiases[level][j]);
                }
        return gradients;
    }

    /// <summary>The variables of a level's model, weights then biases: the finest model's θ⁽⁰⁾ (inside its visit), or a coarse network.</summary>
    internal IReadOnlyList<Parameter> Variables(int level) => level == 0 ? _network.Variables(0) : _weights[level].Concat(_biases[level]).ToArray();

    /// <summary>Pro(Δ) from <paramref name="level"/> to the level above, for one layer: (Up_in Δ_W Down_out, δb Down_out).</summary>
    internal (Tensor Weight, Tensor Bias) Prolong(int level, int layer, Tensor weight, Tensor bias)
    {
        var upIn = _transfer[(_sizes[layer], level)].Up;
        var downOutT = _transfer[(_sizes[layer + 1], level)].DownT;
        return (downOutT.MultiplyTransposedRight(upIn.Multiply(weight)), downOutT.MultiplyTransposedRight(bias));
    }

    /// <summary>The restriction of one layer's parameters from the level above to <paramref name="level"/>: (Down_in W Up_out, b Up_out).</summary>
    internal (Tensor Weight, Tensor Bias) Restrict(int level, int layer, Tensor weight, Tensor bias)
    {
        var downIn = _transfer[(_sizes[layer], level)].Down;
        var upOutT = _transfer[(_sizes[layer + 1], level)].UpT;
        return (upOutT.MultiplyTransposedRight(downIn.Multiply(weight)), upOutT.MultiplyTransposedRight(bias));
    }

    private Tensor Loss(int level, Tensor input, Tensor target) =>
        (Forward(level, RestrictData(input, level)) - RestrictData(target, level)).square().mean();

    /// <summary>Ê_l at the current parameters (the fine loss for level 0), without gradients.</summary>
    internal double Objective(int level, Tensor input, Tensor target)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (level == 0) return (_network.Forward(input) - target).square().mean().item<float>();
        var value = Loss(level, input, target);
        for (int j = 0; j < _weights[level].Length; j++)
            value = value + (_tauWeights[level][j] * _weights[level][j]).sum() + (_tauBiases[level][j] * _biases[level][j]).sum();
        return value.item<float>();
    }

    private void Push(int level, Func<int, (Tensor Input, Tensor Target)> nextBatch, int batchSize, Action<int, int> charge)
    {
        int layers = _weights[level].Length;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            for (int j = 0; j < layers; j++)
            {
                var (w, b) = level == 1
                    ? (_network.EffectiveWeight(j).detach(), _network.EffectiveBias(j).detach())
                    : (_weights[level - 1][j].detach(), _biases[level - 1][j].detach());
                var (wc, bc) = Restrict(level, j, w, b);
                _weights[level][j].copy_(wc);
                _biases[level][j].copy_(bc);
                _startWeights[level][j].copy_(wc);
                _startBiases[level][j].copy_(bc);
                _tauWeights[level][j].zero_();
                _tauBiases[level][j].zero_();
            }
        }
        for (int t = 0; t < _options.Batches; t++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = nextBatch(batchSize);
            var above = Gradient(level - 1, x, y);
            charge(level - 1, batchSize);
            var coarse = Gradient(level, x, y, corrected: false);
            charge(level, batchSize);
            using var noGrad = no_grad();
            for (int j = 0; j < layers; j++)
            {
                // v = Res(g) − g_c with Res the adjoint of Pro, averaged over the τ batches.
                var upInT = _transfer[(_sizes[j], level)].UpT;
                var downOut = _transfer[(_sizes[j + 1], level)].Down;
                _tauWeights[level][j].add_((downOut.MultiplyTransposedRight(upInT.Multiply(above[j])) - coarse[j]) / _options.Batches);
                _tauBiases[level][j].add_((downOut.MultiplyTransposedRight(above[layers + j]) - coarse[layers + j]) / _options.Batches);
            }
        }
        if (_options.Average > 0)
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                // m_t = ρ m_{t−1} + (1 − ρ) v_t, and τ = m_t / (1 − ρᵗ): the bias-corrected running average.
                double rho = _options.Average;
                long t = ++_entries[level];
                double unbias = 1 / (1 - Math.Pow(rho, t));
                for (int j = 0; j < layers; j++)
                {
                    _averageWeights[level][j].mul_(rho).add_(_tauWeights[level][j], alpha: 1 - rho);
                    _averageBiases[level][j].mul_(rho).add_(_tauBiases[level][j], alpha: 1 - rho);
                    _tauWeights[level][j].copy_(_averageWeights[level][j] * unbias);
                    _tauBiases[level][j].copy_(_averageBiases[level][j] * unbias);
                }
            }
        ActiveDepth = level;
    }

    private void Return(Func<int, (Tensor Input, Tensor Target)> nextBatch, int batchSize, Action<int, int> charge)
    {
        int level = ActiveDepth, above = level - 1;
        using var scope = NewDisposeScope();
        var variables = Variables(above);
        int layers = _weights[level].Length;
        Tensor x = null!, y = null!;
        double before = 0;
        Tensor[]? kept = null;
        if (_options.Acceptance)
        {
            (x, y) = nextBatch(batchSize);
            before = Objective(above, x, y);
            kept = variables.Select(v => v.detach().clone()).ToArray();
        }
        using (no_grad())
            for (int j = 0; j < layers; j++)
            {
                var (dw, db) = Prolong(level, j, _weights[level][j] - _startWeights[level][j], _biases[level][j] - _startBiases[level][j]);
                variables[j].add_(dw);
                variables[layers + j].add_(db);
            }
        bool accept = true;
        if (_options.Acceptance)
        {
            double after = Objective(above, x, y);
            charge(above, 2 * batchSize);
            if (above == 0) _fineDecrease += before - after;
            // RMTR's rule: keep the correction unless the objective rose (NaN counts as a rise).
            accept = after <= before;
            if (!accept)
                using (no_grad())
                    for (int i = 0; i < variables.Count; i++) variables[i].copy_(kept![i]);
        }
        _corrections++;
        if (accept) _accepted++;
        if (above == 0) _fineCorrections++;
        ActiveDepth = above;
    }

    private void RequireFineVisit()
    {
        if (_network.VisitingLevel != 0) throw new InvalidOperationException("τ-corrected visits run inside the network's level-0 visit");
    }

    /// <summary>
    /// The data restriction from an averaging map A (columns summing to 1): per column its positive entries above
    /// <see cref="DataThreshold"/> of the largest, renormalized to sum 1 — a convex combination, so restricted data stay
    /// inside the data's range exactly (the polar-orthonormal maps have small negative side lobes, which would let an
    /// average of 0/1 targets overshoot to ≈ 1.09). Applied as <see cref="BandedMatrix"/> blocks (an element gather of the
    /// few kept entries was measured ~6× slower than the dense product; docs/msann.md).
    /// </summary>
    private static Tensor ConvexAverage(Tensor average)
    {
        var largest = average.max(0).values.unsqueeze(0);
        var kept = average.where(average >= largest * DataThreshold, zeros_like(average));
        return kept / kept.sum(new long[] { 0 }, keepdim: true);
    }
}
