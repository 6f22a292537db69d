using Multiscale.Mrtl.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Models;

/// <summary>
/// The CP low-rank model of eq. (2): W = Σ_k A_:k ∘ B⁽¹⁾_:k ∘ … ∘ B⁽ᵏ⁾_:k ∘ C⁽¹⁾_:k ∘ … ∘ C⁽ᴹ⁾_:k, one factor per mode
/// (output, each non-spatial feature mode, each spatial mode). A count mode contributes Σ_p w_p C[cell_p, :] by
/// gathering rows of its factor; a field mode contracts X[f, d] with C and the Khatri–Rao product of the feature factors.
/// <see cref="LowRankSparseModel"/> adds the sparse CP term of paper 000 (31) to it.
/// </summary>
public class LowRankModel : TensorModel
{
    /// <summary>
    /// A model from given factors (copied; float32) in mode order [A, B…, C…] and biases [I], on
    /// <paramref name="device"/> (null: the bias's device; factors elsewhere, e.g. CP-ALS's CPU factors, are moved there).
    /// </summary>
    public LowRankModel(MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        IReadOnlyList<Tensor> factors, Tensor bias, Device? device = null)
        : this(nameof(LowRankModel), task, outputs, featureShape, grids, factors, null, bias, device)
    {
    }

    /// <summary>
    /// The low-rank model, and with <paramref name="sparseFactors"/> the low-rank + sparse one: both CP terms' factors are
    /// registered (smooth, then sparse, each in mode order), then the bias.
    /// </summary>
    private protected LowRankModel(string moduleName, MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        IReadOnlyList<Tensor> factors, IReadOnlyList<Tensor>? sparseFactors, Tensor bias, Device? device)
        : base(moduleName, task, outputs, featureShape, grids, Named(outputs, featureShape, grids, factors, sparseFactors), bias, device)
    {
        Rank = (int)factors[0].shape[^1];
        _factorNames = FactorNames("", featureShape.Count, grids.Count);
    }

    /// <summary>The state-dict name of the factor of mode <paramref name="mode"/> (output, feature modes, spatial modes) of the CP term named by <paramref name="prefix"/>.</summary>
    internal static string FactorName(string prefix, int mode, int featureModes) =>
        mode == 0 ? prefix + "output" : mode <= featureModes ? $"{prefix}feature{mode - 1}" : $"{prefix}spatial{mode - 1 - featureModes}";

    private protected static string[] FactorNames(string prefix, int featureModes, int spatialModes) =>
        Enumerable.Range(0, 1 + featureModes + spatialModes).Select(m => FactorName(prefix, m, featureModes)).ToArray();

    private readonly string[] _factorNames;

    /// <summary>The factors to register, named, after checking both terms have one [size of mode m, rank] factor per mode.</summary>
    private static (string, Tensor, long[]?)[] Named(int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        IReadOnlyList<Tensor> factors, IReadOnlyList<Tensor>? sparseFactors)
    {
        CheckModes(outputs, grids);
        ArgumentNullException.ThrowIfNull(featureShape);
        var sizes = new[] { outputs }.Concat(featureShape).Concat(grids.Select(g => g.Cells)).ToArray();
        CheckFactors(sizes, factors, "a low-rank model", "factor");
        if (sparseFactors is not null) CheckFactors(sizes, sparseFactors, "the sparse term of a model", "sparse factor");
        var named = factors.Select((f, m) => (FactorName("", m, featureShape.Count), f, (long[]?)null));
        if (sparseFactors is not null)
            named = named.Concat(sparseFactors.Select((f, m) => (FactorName(LowRankSparseModel.SparsePrefix, m, featureShape.Count), f, (long[]?)null)));
        return named.ToArray();
    }

    /// <summary>
    /// The common rank of one CP term's <paramref name="factors"/> after checking there is one [size of mode m, rank]
    /// factor per mode (<paramref name="sizes"/>); <paramref name="owner"/> and <paramref name="name"/> word the errors.
    /// </summary>
    private static int CheckFactors(int[] sizes, IReadOnlyList<Tensor> factors, string owner, string name)
    {
        ArgumentNullException.ThrowIfNull(factors);
        if (factors.Count != sizes.Length)
            throw new MultiscaleException($"{owner} with {sizes.Length} modes needs {sizes.Length} factors, got {factors.Count}");
        long rank = factors[0].shape[^1];
        for (int m = 0; m < sizes.Length; m++)
            if (factors[m].dim() != 2 || factors[m].shape[0] != sizes[m] || factors[m].shape[1] != rank)
                throw new MultiscaleException($"{name} {m} must be [{sizes[m]}, {rank}], got [{string.Join(",", factors[m].shape)}]");
        return (int)rank;
    }

    /// <summary>
    /// A model with seeded N(0, scale²) factors and zero biases (the random-initialization baseline) on
    /// <paramref name="device"/> (null = CPU). The factors are drawn on the CPU (the generator is a CPU generator)
    /// and then moved, so a seed gives the same factors on every device.
    /// </summary>
    public static LowRankModel Random(MrtlTask task, int outputs, IReadOnlyList<int> featureShape, IReadOnlyList<GridShape> grids,
        int rank, Generator generator, double scale = 0.1, Device? device = null)
    {
        if (rank < 1) throw new MultiscaleException($"CP rank must be at least 1 (got {rank})");
        using var scope = NewDisposeScope();
        var sizes = new[] { outputs }.Concat(featureShape).Concat(grids.Select(g => g.Cells));
        // On the CPU, where the generator draws; the constructor copies the factors to the target device.
        var factors = sizes.Select(s => randn(new long[] { s, rank }, generator: generator) * (float)scale).ToArray();
        var target = device ?? CPU;
        return new LowRankModel(task, outputs, featureShape, grids, factors, zeros(outputs, device: target), target);
    }

    /// <summary>K.</summary>
    public int Rank { get; }

    /// <summary>
    /// Factors in mode order: output [I, K], feature modes, then spatial modes [D_m, K] (the registered parameters
    /// <c>output</c>, <c>feature{j}</c>, <c>spatial{m}</c>).
    /// </summary>
    public IReadOnlyList<Parameter> Factors => _factorNames.Select(Registered).ToArray();

    /// <summary>The factor of spatial mode <paramref name="mode"/>.</summary>
    public Parameter SpatialFactor(int mode) => Registered(_factorNames[1 + FeatureShape.Count + mode]);

    /// <summary>All CP components of the model (K; K_L + K_S for the low-rank + sparse model).</summary>
    public virtual int TotalRank => Rank;

    /// <summary>
    /// Every spatial column of mode <paramref name="mode"/>, detached, [D_m, <see cref="TotalRank"/>]: the low-rank
    /// factor's columns, then (low-rank + sparse model) the sparse term's.
    /// </summary>
    public virtual Tensor SpatialColumns(int mode) => SpatialFactor(mode).detach();

    /// <summary>Whether column <paramref name="column"/> of <see cref="SpatialColumns"/> belongs to a sparse term.</summary>
    public virtual bool IsSparseColumn(int column) => false;

    /// <summary>W rebuilt from the factors, [I, F₁, …, D_M] (for tests and interpretation).</summary>
    public virtual Tensor FullTensor() => CpTensor(Factors);

    /// <summary>Σ_k ∘_m factors[m][:, k] as a dense tensor [size₀, size₁, …].</summary>
    private protected static Tensor CpTensor(IReadOnlyList<Tensor> factors)
    {
        using var scope = NewDisposeScope();
        long rank = factors[0].shape[1];
        Tensor acc = factors[0];
        for (int m = 1; m < factors.Count; m++)
            acc = (acc.unsqueeze(-2) * factors[m]).reshape(-1, rank);
        var shape = factors.Select(f => f.shape[0]).ToArray();
        return acc.sum(dim: 1).reshape(shape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Logits(MrtlBatch batch)
    {
        CheckBatch(batch);
        using var scope = NewDisposeScope();
        return (CpLogits(Factors, batch) + Bias.index_select(0, batch.OutputIndex)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The CP term's contribution [n] to a batch's logits (no bias) for factors in this model's mode order (output,
    /// feature modes, spatial modes) on this model's grids.
    /// </summary>
    private protected Tensor CpLogits(IReadOnlyList<Tensor> factors, MrtlBatch batch)
    {
        using var scope = NewDisposeScope();
        long n = batch.Count;
        long k = factors[0].shape[1];
        int nf = FeatureShape.Count;
        var prod = factors[0].index_select(0, batch.OutputIndex);                               // [n, K]
        Tensor? kr = null;
        for (int j = 0; j < nf; j++)
            kr = kr is null ? factors[1 + j] : (kr.unsqueeze(1) * factors[1 + j].unsqueeze(0)).reshape(-1, k);
        for (int m = 0; m < Grids.Count; m++)
        {
            var c = factors[1 + nf + m];
            var input = batch.Inputs[m];
            if (input.Values is { } x)
            {
                var z = matmul(x, c) / Grids[m].Cells;                                         // [n, F, K], mean over cells
                prod = prod * (kr is null ? z.squeeze(1) : (z * kr).sum(dim: 1));
            }
            else
            {
                long p = input.Cells!.shape[1];
                var rows = c.index_select(0, input.Cells.flatten()).reshape(n, p, k);
                prod = prod * (rows * input.Weights!.unsqueeze(2)).sum(dim: 1);
            }
        }
        if (kr is not null && batch.Inputs.All(b => b.Values is null))
            prod = prod * matmul(batch.Features!, kr);
        return prod.sum(dim: 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Regularizer(Regularization coefficients, IReadOnlyList<SpatialKernel> kernels)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        ArgumentNullException.ThrowIfNull(kernels);
        using var scope = NewDisposeScope();
        bool perCell = coefficients.PerCell;
        int first = 1 + FeatureShape.Count;
        Tensor r = zeros(1, device: Bias.device).squeeze();
        for (int j = 0; j < Factors.Count; j++)
        {
            double cells = perCell && j >= first ? Grids[j - first].Cells : 1;
            r = r + (float)(coefficients.L2 / cells) * Factors[j].square().sum();
        }
        if (coefficients.Spatial != 0)
            for (int m = 0; m < Grids.Count; m++)
            {
                double pairs = perCell ? (double)Grids[m].Cells * Grids[m].Cells : 1;
                r = r + (float)(coefficients.Spatial / pairs) * kernels[m].Penalty(SpatialFactor(m), 0);
            }
        return r.MoveToOuterDisposeScope();
    }
}
