using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Interpretability;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Models;

/// <summary>
/// The low-rank + sparse model of paper 000 (31): W = W^L + W^S with W^L = Σ_k A_ak B_bk C_ck the smooth CP term
/// (<see cref="LowRankModel.Factors"/>, regularized by L2 and the spatial kernel like the low-rank model) and
/// W^S = Σ_k U_ak V_bk W_ck a second CP term (<see cref="SparseFactors"/>) meant to be sparse and peaky. Its non-spatial
/// factors (U and the feature factors) take the L2 term; its spatial factors take no smooth penalty but the L1 term
/// λ₁ Σ_m w_m‖V_m‖₁ (<see cref="L1Penalty"/>; w_m = 1/D_m with per-cell regularization, so the term is λ₁ times the mean
/// |V| over the cells, which nearest finegraining leaves unchanged), which the trainer applies as a proximal step after
/// every optimizer step, so entries reach exactly zero. The L1 term is kept out of <see cref="Regularizer"/>: a
/// subgradient there would count it twice and never produce exact zeros.
/// <para>With Adam the proximal step is taken in Adam's own metric (<see cref="ProximalStep(double, double, bool, IReadOnlyList{Tensor})"/>):
/// Adam's step x − η m̂/d (d = √v̂ + ε per coordinate) is the minimizer of ⟨m̂, v⟩ + (1/2η)Σ d_i (v_i − x_i)², so adding
/// λ₁w|v| gives the soft threshold at η λ₁ w / d_i per coordinate (the proximal Adam of Yun, Lozano and Yang 2021). An
/// entry at zero then stays there exactly while |m̂| ≤ λ₁w, the optimality condition of the L1 problem, so λ₁ is a weight
/// of the objective (loss + penalty + λ₁ Σ_m w_m‖V_m‖₁) in the loss's units.</para>
/// </summary>
public sealed class LowRankSparseModel : LowRankModel
{
    /// <summary>
    /// A model from the smooth factors (rank K_L ≥ 1) and the sparse factors (rank K_S ≥ 0), both in mode order
    /// [output, feature modes…, spatial modes…], and biases [I]; copied to float32 on <paramref name="device"/>.
    /// </summary>
    public LowRankSparseModel(MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        IReadOnlyList<Tensor> smoothFactors, IReadOnlyList<Tensor> sparseFactors, Tensor bias, Device? device = null)
        : base(nameof(LowRankSparseModel), task, outputs, featureShape, grids, smoothFactors, sparseFactors ?? throw new ArgumentNullException(nameof(sparseFactors)), bias, device)
    {
        SparseRank = (int)sparseFactors[0].shape[^1];
        _sparseNames = FactorNames(SparsePrefix, featureShape.Count, grids.Count);
    }

    /// <summary>What the sparse term's factor names start with in the state dict (<c>sparse_output</c>, <c>sparse_spatial0</c>, …).</summary>
    public const string SparsePrefix = "sparse_";

    private readonly string[] _sparseNames;

    /// <summary>
    /// Both terms from seeded N(0, scale²) factors (smooth first, then sparse, each mode in order) and zero biases: the
    /// random-initialization baseline of this model. Drawn on the CPU, then moved.
    /// </summary>
    public static LowRankSparseModel Random(MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        int smoothRank, int sparseRank, Generator generator, double scale = 0.1, Device? device = null)
    {
        if (smoothRank < 1) throw new MultiscaleException($"the low-rank term needs rank at least 1 (got {smoothRank})");
        if (sparseRank < 0) throw new MultiscaleException($"the sparse term's rank must be non-negative (got {sparseRank})");
        using var scope = NewDisposeScope();
        var sizes = new[] { outputs }.Concat(featureShape).Concat(grids.Select(g => g.Cells)).ToArray();
        var smooth = sizes.Select(s => randn(new long[] { s, smoothRank }, generator: generator) * (float)scale).ToArray();
        var sparse = sizes.Select(s => randn(new long[] { s, sparseRank }, generator: generator) * (float)scale).ToArray();
        var target = device ?? CPU;
        return new LowRankSparseModel(task, outputs, featureShape, grids, smooth, sparse, zeros(outputs, device: target), target);
    }

    /// <summary>
    /// Splits a rank-K CP model (e.g. CP-ALS of the full-rank weights) into K − <paramref name="sparseRank"/> smooth and
    /// <paramref name="sparseRank"/> sparse components: the sparse term takes the components whose spatial factors are
    /// the most peaked (largest mean Hoyer sparsity over the spatial modes; ties keep CP order), the smooth term the
    /// others in their CP order. The sum W^L + W^S equals the given model's W, so the outputs are unchanged.
    /// </summary>
    public static LowRankSparseModel Split(LowRankModel model, int sparseRank)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (sparseRank < 0 || sparseRank >= model.Rank)
            throw new MultiscaleException($"the sparse term's rank must be between 0 and K − 1 = {model.Rank - 1} (the K = {model.Rank} CP components are split between the low-rank and the sparse term, and the low-rank term keeps at least one); got {sparseRank}");
        using var scope = NewDisposeScope();
        int first = 1 + model.FeatureShape.Count;
        var peak = new double[model.Rank];
        for (int m = 0; m < model.Grids.Count; m++)
        {
            var factor = model.Factors[first + m].detach().to(CPU);
            for (int k = 0; k < model.Rank; k++)
            {
                var column = factor[.., k];
                // An all-zero column (or a single cell) has no defined sparsity: it counts as not peaked.
                bool defined = model.Grids[m].Cells > 1 && column.ne(0).any().item<bool>();
                peak[k] += defined ? Sparsity.Hoyer(column) : 0;
            }
        }
        var bySparsity = Enumerable.Range(0, model.Rank).OrderByDescending(k => peak[k]).ThenBy(k => k).ToArray();
        var sparse = bySparsity.Take(sparseRank).Order().ToArray();
        var smooth = Enumerable.Range(0, model.Rank).Except(sparse).ToArray();
        Tensor Columns(Tensor f, int[] ks) => f.detach().index_select(1, tensor(ks.Select(k => (long)k).ToArray(), device: f.device));
        return new LowRankSparseModel(model.Task, model.Outputs, model.FeatureShape, model.Grids,
            model.Factors.Select(f => Columns(f, smooth)).ToArray(), model.Factors.Select(f => Columns(f, sparse)).ToArray(),
            model.Bias.detach(), model.Device);
    }

    /// <summary>K_S.</summary>
    public int SparseRank { get; }

    /// <summary>
    /// The sparse term's factors in mode order: U [I, K_S], feature modes, then spatial modes [D_m, K_S] (the registered
    /// parameters <c>sparse_output</c>, <c>sparse_feature{j}</c>, <c>sparse_spatial{m}</c>).
    /// </summary>
    public IReadOnlyList<Parameter> SparseFactors => _sparseNames.Select(Registered).ToArray();

    /// <summary>The sparse term's factor of spatial mode <paramref name="mode"/> (the one λ₁ acts on).</summary>
    public Parameter SparseSpatialFactor(int mode) => Registered(_sparseNames[1 + FeatureShape.Count + mode]);

    /// <inheritdoc />
    public override int TotalRank => Rank + SparseRank;

    /// <inheritdoc />
    public override Tensor SpatialColumns(int mode)
    {
        using var scope = NewDisposeScope();
        return cat(new Tensor[] { SpatialFactor(mode).detach(), SparseSpatialFactor(mode).detach() }, 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override bool IsSparseColumn(int column) => column >= Rank;

    /// <summary>W^L + W^S, [I, F₁, …, D_M].</summary>
    public override Tensor FullTensor()
    {
        using var scope = NewDisposeScope();
        var w = CpTensor(Factors);
        if (SparseRank > 0) w = w + CpTensor(SparseFactors);
        return w.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Logits(MrtlBatch batch)
    {
        CheckBatch(batch);
        using var scope = NewDisposeScope();
        // Also with K_S = 0: the empty term adds exact zeros, and its (empty) factors still get gradients for the optimizer.
        var z = CpLogits(Factors, batch) + CpLogits(SparseFactors, batch);
        return (z + Bias.index_select(0, batch.OutputIndex)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The smooth part of the penalty: the low-rank model's (L2 on W^L's factors, the spatial kernel on its spatial factors)
    /// plus L2 on the sparse term's non-spatial factors (unbounded U with an L1-shrunk V would otherwise move the scale
    /// into U). λ₁ Σ_m w_m‖V_m‖₁ is not in it: see <see cref="L1Penalty"/>.
    /// </summary>
    public override Tensor Regularizer(Regularization coefficients, IReadOnlyList<SpatialKernel> kernels)
    {
        using var scope = NewDisposeScope();
        var r = base.Regularizer(coefficients, kernels);
        for (int j = 0; j < 1 + FeatureShape.Count; j++)
            r = r + (float)coefficients.L2 * SparseFactors[j].square().sum();
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The weight w_m of spatial mode <paramref name="mode"/>'s ‖V_m‖₁ in the L1 term: 1/D_m with per-cell
    /// regularization (λ₁ times the mean |V| over the cells, unchanged by nearest finegraining and comparable across
    /// resolutions, like the per-cell L2 term), 1 without.
    /// </summary>
    public double L1Weight(int mode, bool perCell) => perCell ? 1.0 / Grids[mode].Cells : 1.0;

    /// <summary>λ₁ Σ_m w_m‖V_m‖₁ of the current sparse spatial factors (no gradient; 0 with K_S = 0 or λ₁ = 0).</summary>
    public double L1Penalty(double lambda, bool perCell)
    {
        if (!(lambda >= 0)) throw new MultiscaleException($"λ₁ must be non-negative (got {lambda})");
        if (lambda == 0 || SparseRank == 0) return 0;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double sum = 0;
        for (int m = 0; m < Grids.Count; m++)
            sum += L1Weight(m, perCell) * SparseSpatialFactor(m).detach().to(ScalarType.Float64).abs().sum().item<double>();
        return lambda * sum;
    }

    /// <summary>
    /// The proximal map of t·Σ_m‖V_m‖₁ on the sparse spatial factors, in place: v ← sign(v)·max(|v| − t, 0) (the soft
    /// threshold; entries with |v| ≤ t become exactly 0). The proximal step after a plain gradient step of size η is
    /// this with t = η·λ₁·w_m; after an Adam step use the overload in Adam's metric.
    /// </summary>
    public void ProximalStep(double threshold)
    {
        if (!(threshold >= 0)) throw new MultiscaleException($"the soft threshold must be non-negative (got {threshold})");
        if (threshold == 0 || SparseRank == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int m = 0; m < Grids.Count; m++)
        {
            var v = SparseSpatialFactor(m);
            v.copy_(SoftThreshold(v, threshold));
        }
    }

    /// <summary>
    /// The proximal step of λ₁ Σ_m w_m‖V_m‖₁ after an optimizer step with a diagonal preconditioner, in place: the
    /// optimizer moved V_m by −η·m/d (<paramref name="denominators"/>[m] = d, the per-coordinate divisor, e.g. Adam's
    /// √v̂ + ε), so the step minimized ⟨m, v⟩ + (1/2η)Σ d_i (v_i − x_i)², and with the L1 term added the minimizer is
    /// the soft threshold at η·λ₁·w_m / d_i, coordinate by coordinate. With every d = 1 this is the Euclidean step.
    /// </summary>
    public void ProximalStep(double learningRate, double lambda, bool perCell, IReadOnlyList<Tensor> denominators)
    {
        ArgumentNullException.ThrowIfNull(denominators);
        if (!(learningRate >= 0)) throw new MultiscaleException($"the learning rate must be non-negative (got {learningRate})");
        if (!(lambda >= 0)) throw new MultiscaleException($"λ₁ must be non-negative (got {lambda})");
        if (denominators.Count != Grids.Count) throw new MultiscaleException($"one divisor per spatial mode is needed ({Grids.Count}), got {denominators.Count}");
        if (learningRate == 0 || lambda == 0 || SparseRank == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int m = 0; m < Grids.Count; m++)
        {
            var v = SparseSpatialFactor(m);
            var d = denominators[m];
            if (!d.shape.SequenceEqual(v.shape)) throw new MultiscaleException($"the divisor of spatial mode {m} must be [{string.Join(",", v.shape)}], got [{string.Join(",", d.shape)}]");
            v.copy_(SoftThreshold(v, (learningRate * lambda * L1Weight(m, perCell)) / d.to(v.dtype)));
        }
    }

    /// <summary>
    /// The proximal step of λ₁ Σ_m w_m‖V_m‖₁ in a scalar metric per spatial factor, in place: the soft threshold at
    /// η·λ₁·w_m / <paramref name="divisors"/>[m] on every entry of V_m — the exact proximal step after a step of size
    /// η/d̄_m, and the one the trainer takes after each Adam step with d̄_m = Adam's mean divisor over the factor
    /// (<see cref="Training.AdamMetric.FactorDenominator"/>), so that λ₁ stays in the loss's units without a per-entry
    /// divisor that is ε for entries whose gradient was never seen. With every d̄ = 1 this is the Euclidean step.
    /// </summary>
    public void ProximalStep(double learningRate, double lambda, bool perCell, IReadOnlyList<double> divisors)
    {
        ArgumentNullException.ThrowIfNull(divisors);
        if (!(learningRate >= 0)) throw new MultiscaleException($"the learning rate must be non-negative (got {learningRate})");
        if (!(lambda >= 0)) throw new MultiscaleException($"λ₁ must be non-negative (got {lambda})");
        if (divisors.Count != Grids.Count) throw new MultiscaleException($"one divisor per spatial mode is needed ({Grids.Count}), got {divisors.Count}");
        if (divisors.Any(d => !(d > 0) || double.IsInfinity(d))) throw new MultiscaleException($"the divisors must be positive and finite (got {string.Join(", ", divisors)})");
        if (learningRate == 0 || lambda == 0 || SparseRank == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int m = 0; m < Grids.Count; m++)
        {
            var v = SparseSpatialFactor(m);
            v.copy_(SoftThreshold(v, learningRate * lambda * L1Weight(m, perCell) / divisors[m]));
        }
    }

    /// <summary>
    /// The proximal step after a step of <paramref name="optimizer"/> (Adam, built on this model's parameters) at its
    /// current learning rate: in Adam's scalar metric per factor (<paramref name="perFactor"/>, the trainer's rule) or
    /// in its per-entry metric (the earlier rule, kept for comparison).
    /// </summary>
    public void ProximalStep(TorchSharp.Modules.Adam optimizer, double lambda, bool perCell, bool perFactor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        double eta = optimizer.ParamGroups.First().LearningRate;
        var modes = Enumerable.Range(0, Grids.Count);
        if (perFactor) ProximalStep(eta, lambda, perCell, modes.Select(m => Training.AdamMetric.FactorDenominator(optimizer, SparseSpatialFactor(m))).ToArray());
        else
        {
            using var scope = NewDisposeScope();
            ProximalStep(eta, lambda, perCell, modes.Select(m => Training.AdamMetric.Denominator(optimizer, SparseSpatialFactor(m))).ToArray());
        }
    }

    /// <summary>sign(x)·max(|x| − t, 0), elementwise (a new tensor).</summary>
    public static Tensor SoftThreshold(Tensor x, double threshold)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        // Written as a difference of clamps so that zeroed entries are +0, not −0.
        return ((x - threshold).clamp_min(0) - (-x - threshold).clamp_min(0)).MoveToOuterDisposeScope();
    }

    /// <summary>sign(x)·max(|x| − t, 0) with a per-entry (broadcast) threshold t ≥ 0 (a new tensor).</summary>
    public static Tensor SoftThreshold(Tensor x, Tensor threshold)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(threshold);
        using var scope = NewDisposeScope();
        return ((x - threshold).clamp_min(0) - (-x - threshold).clamp_min(0)).MoveToOuterDisposeScope();
    }
}
