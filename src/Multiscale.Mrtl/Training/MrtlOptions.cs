using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using TorchSharp;

namespace Multiscale.Mrtl.Training;

/// <summary>Which algorithm a run follows.</summary>
public enum MrtlMethod
{
    /// <summary>Algorithm 1: full rank coarse → r0, CP-ALS, low rank r0 → R.</summary>
    Mrtl,
    /// <summary>Fixed resolution: full rank at the finest step, CP-ALS, low rank at the finest step.</summary>
    Fixed,
    /// <summary>Low rank at the finest step from seeded random factors (no full-rank stage).</summary>
    Random,
}

/// <summary>Which model the low-rank stage trains.</summary>
public enum MrtlModelKind
{
    /// <summary>The CP low-rank model of paper 001 eq. (2).</summary>
    LowRank,
    /// <summary>Paper 000 (31): a smooth CP term plus a sparse CP term with L1 (proximal) on its spatial factors.</summary>
    LowRankSparse,
}

/// <summary>How the low-rank + sparse model of paper 000 (31) starts from the trained full-rank weights W.</summary>
public enum SparseStart
{
    /// <summary>W^L = CP-ALS of W at rank K − K_S; W^S = CP-ALS of the residual W − W^L at rank K_S.</summary>
    Residual,
    /// <summary>One CP-ALS of W at rank K; the K_S components with the most peaked spatial factors (Hoyer) form W^S.</summary>
    Split,
    /// <summary>
    /// W^L = CP-ALS of W at rank K − K_S and W^S = 0 (a zero CP term gets no gradient, so it stays 0) up to the low-rank
    /// step <see cref="MrtlTrainerOptions.SparseStartStep"/>; on arriving there W^S = c·CP-ALS at rank K_S of the
    /// low-rank stage's own residual −∇_W L at that resolution, c by line search on the training loss.
    /// </summary>
    Gradient,
}

/// <summary>Optimizer settings of one stage (full rank or low rank).</summary>
public sealed record StageOptions
{
    /// <summary>Adam's initial learning rate, restored at every resolution.</summary>
    public double LearningRate { get; init; } = 1e-2;

    /// <summary>Learning-rate factor per epoch (StepLR, step 1; 0.95 in the paper).</summary>
    public double Decay { get; init; } = 0.95;

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Epoch cap per resolution.</summary>
    public int MaxEpochs { get; init; } = 20;

    /// <summary>Regularization coefficients.</summary>
    public Regularization Regularization { get; init; } = new();

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate(string stage)
    {
        if (!(LearningRate > 0)) throw new MultiscaleException($"{stage}: the learning rate must be positive (got {LearningRate})");
        if (!(Decay > 0 && Decay <= 1)) throw new MultiscaleException($"{stage}: the learning-rate decay must be in (0, 1] (got {Decay})");
        if (BatchSize < 1) throw new MultiscaleException($"{stage}: the batch size must be positive (got {BatchSize})");
        if (MaxEpochs < 1) throw new MultiscaleException($"{stage}: the epoch cap must be positive (got {MaxEpochs})");
        if (!(Regularization.L2 >= 0 && Regularization.Spatial >= 0 && Regularization.Sigma > 0))
            throw new MultiscaleException($"{stage}: regularization needs λ_L2 ≥ 0, λ_s ≥ 0 and σ > 0");
    }
}

/// <summary>Everything an MRTL run needs besides the data.</summary>
public sealed record MrtlTrainerOptions
{
    /// <summary>Mrtl, Fixed or Random.</summary>
    public MrtlMethod Method { get; init; } = MrtlMethod.Mrtl;

    /// <summary>The resolution chains (the baselines use its finest step).</summary>
    public ResolutionSchedule Schedule { get; init; } = ResolutionSchedule.Basketball;

    /// <summary>When to leave a resolution.</summary>
    public CriterionKind Criterion { get; init; } = CriterionKind.ValidationLoss;

    /// <summary>Criterion settings (patience, window, …); its MaxEpochs is replaced by each stage's cap.</summary>
    public CriterionOptions CriterionOptions { get; init; } = new();

    /// <summary>How weights move to the next resolution.</summary>
    public FinegrainMethod Finegrain { get; init; } = FinegrainMethod.Nearest;

    /// <summary>s of the optimized graph prolongation.</summary>
    public double OptimizedS { get; init; } = 1.0;

    /// <summary>Cache folder for optimized maps (null = none).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Training samples used to fit the output-preserving scale of optimized finegraining.</summary>
    public int ScaleFitSamples { get; init; } = 2048;

    /// <summary>CP rank K (20 in the paper).</summary>
    public int Rank { get; init; } = 20;

    /// <summary>The low-rank stage's model (the low-rank model, or low-rank + sparse of paper 000 (31)).</summary>
    public MrtlModelKind Model { get; init; } = MrtlModelKind.LowRank;

    /// <summary>
    /// Low-rank + sparse only: how many of the <see cref="Rank"/> CP components form the sparse term W^S (the other
    /// K − K_S form W^L); null = ⌊K/2⌋ (paper 000 §6: 10 smooth and 10 sparse of K = 20). Must be below K.
    /// </summary>
    public int? SparseRank { get; init; }

    /// <summary>
    /// λ₁ of the sparse term (low-rank + sparse only), the weight of λ₁ Σ_m w_m‖V_m‖₁ in the objective (w_m = 1/D_m with
    /// per-cell regularization): after every Adam step its spatial factors go through the proximal step in Adam's
    /// metric, the soft threshold at η_t·λ₁·w_m/(√v̂ + ε) per entry.
    /// </summary>
    public double LambdaSparse { get; init; } = 0.03;

    /// <summary>
    /// Low-rank + sparse only: how W^L and W^S start from the full-rank weights W — <see cref="Training.SparseStart.Residual"/>
    /// (default: W^L = CP of W at rank K − K_S, W^S = CP of the residual at rank K_S) or
    /// <see cref="Training.SparseStart.Split"/> (one CP of W at rank K, its most peaked K_S components to W^S).
    /// </summary>
    public SparseStart SparseStart { get; init; } = SparseStart.Residual;

    /// <summary>
    /// <see cref="Training.SparseStart.Gradient"/> only: the index in the low-rank chain of the step at whose arrival W^S
    /// starts from the residual; null = <see cref="DefaultSparseStartStep"/> (1 = the basketball chain's 20×25 court, where
    /// a 3-ft block is about 2 × 2 cells), or the last step of a shorter chain. A method whose low-rank chain is shorter
    /// than the schedule's (fixed: one step) starts it at its last step. A given step must be one of the schedule's
    /// low-rank steps.
    /// </summary>
    public int? SparseStartStep { get; init; }

    /// <summary>The start step when <see cref="SparseStartStep"/> is null.</summary>
    public const int DefaultSparseStartStep = 1;

    /// <summary>The low-rank step W^S starts at in a chain of <paramref name="steps"/> steps (<see cref="SparseStartStep"/>, at most the last).</summary>
    public int SparseStartStepIn(int steps) => Math.Max(0, Math.Min(SparseStartStep ?? DefaultSparseStartStep, steps - 1));

    /// <summary>K_S of the run: 0 for the low-rank model, else <see cref="SparseRank"/> or ⌊K/2⌋.</summary>
    public int SparseComponents => Model == MrtlModelKind.LowRankSparse ? SparseRank ?? Rank / 2 : 0;

    /// <summary>CP-ALS settings (its seed is replaced by <see cref="Seed"/>).</summary>
    public CpAlsOptions CpAls { get; init; } = new();

    /// <summary>Full-rank stage.</summary>
    public StageOptions FullRank { get; init; } = new();

    /// <summary>Low-rank stage.</summary>
    public StageOptions LowRank { get; init; } = new() { LearningRate = 2e-3 };

    /// <summary>Standard deviation of the random full-rank initialization (0 = zeros).</summary>
    public double FullInitScale { get; init; }

    /// <summary>Standard deviation of the random low-rank factors (Random method).</summary>
    public double RandomInitScale { get; init; } = 0.1;

    /// <summary>Seed of every random choice (initialization, shuffling, CP-ALS).</summary>
    public long Seed { get; init; }

    /// <summary>
    /// The compute device of the run (null = CPU, sharing the dataset's CPU tensors): models, each resolution's data,
    /// batches, kernels and checkpoints live there. Random draws (initialization, shuffling) are made on the CPU from
    /// the seeded generator and then moved, and CP-ALS runs on the CPU in float64, so a seed makes the same draws on
    /// every device. Resolve a user's name with <c>Multiscale.Runs.DeviceChoice.Resolve</c>.
    /// </summary>
    public torch.Device? Device { get; init; }

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Schedule);
        FullRank.Validate("full rank");
        LowRank.Validate("low rank");
        if (Rank < 1) throw new MultiscaleException($"CP rank must be at least 1 (got {Rank})");
        if (ScaleFitSamples < 1) throw new MultiscaleException($"the scale fit needs at least one sample (got {ScaleFitSamples})");
        if (Method == MrtlMethod.Mrtl && Schedule.FullRank.Count == 0)
            throw new MultiscaleException("MRTL needs a full-rank resolution chain (use method 'random' for low rank alone)");
        if (!(FullInitScale >= 0 && RandomInitScale > 0)) throw new MultiscaleException("initialization scales must be non-negative (random: positive)");
        if (!(LambdaSparse >= 0) || double.IsInfinity(LambdaSparse))
            throw new MultiscaleException($"the sparse term's λ₁ must be a finite number ≥ 0 (got {LambdaSparse})");
        if (Model == MrtlModelKind.LowRankSparse && (SparseComponents < 0 || SparseComponents >= Rank))
            throw new MultiscaleException($"the sparse term's rank must be between 0 and K − 1 = {Rank - 1}: the K = {Rank} CP components are split between the low-rank and the sparse term, and the low-rank term keeps at least one (got {SparseComponents})");
        if (Model == MrtlModelKind.LowRankSparse && SparseStart == SparseStart.Gradient && SparseStartStep is { } at && (at < 0 || at >= Math.Max(1, Schedule.LowRank.Count)))
            throw new MultiscaleException($"the sparse start step must be a step of the low-rank chain, 0 … {Math.Max(1, Schedule.LowRank.Count) - 1} (got {at})");
    }

    /// <summary>Parses "residual", "split" or "gradient".</summary>
    public static SparseStart ParseSparseStart(string text) => SparseStartNames.Parse(text);

    /// <summary>The sparse starts' spellings: residual, split, gradient.</summary>
    public static ChoiceNames<SparseStart> SparseStartNames { get; } = new("sparse start", ("residual", SparseStart.Residual), ("split", SparseStart.Split), ("gradient", SparseStart.Gradient));

    /// <summary>Parses "low-rank" or "low-rank+sparse".</summary>
    public static MrtlModelKind ParseModel(string text) => ModelNames.Parse(text);

    /// <summary>The models' spellings: low-rank, low-rank+sparse.</summary>
    public static ChoiceNames<MrtlModelKind> ModelNames { get; } = new("model", ("low-rank", MrtlModelKind.LowRank), ("low-rank+sparse", MrtlModelKind.LowRankSparse));

    /// <summary>The methods' spellings: mrtl, fixed, random.</summary>
    public static ChoiceNames<MrtlMethod> MethodNames { get; } = new("method", ("mrtl", MrtlMethod.Mrtl), ("fixed", MrtlMethod.Fixed), ("random", MrtlMethod.Random));

    /// <summary>The name <see cref="ParseModel"/> reads.</summary>
    public static string ModelName(MrtlModelKind model) => ModelNames.Name(model);

    /// <summary>Parses "mrtl", "fixed" or "random".</summary>
    public static MrtlMethod ParseMethod(string text) => MethodNames.Parse(text);
}

/// <summary>One epoch at one resolution (a row of metrics.csv).</summary>
/// <param name="Stage">"full" or "low".</param>
/// <param name="Step">Index of the resolution step within the stage.</param>
/// <param name="Resolution">The step's grids, e.g. "8x10,12x12".</param>
/// <param name="Epoch">Epoch at this resolution (1-based; 0 is the evaluation on arrival).</param>
/// <param name="StageSeconds">Training seconds of this stage so far (steps, validation, finegraining; not data preparation).</param>
/// <param name="TotalSeconds">Training seconds of the run so far (CP-ALS included).</param>
/// <param name="TrainLoss">Mean objective (loss + regularizer, + the L1 term of the low-rank + sparse model) over the epoch's steps (NaN at epoch 0).</param>
/// <param name="ValidationLoss">Validation loss (weighted BCE or MSE, no regularizer).</param>
/// <param name="ValidationMetric">Validation F1 (classification) or MSE (regression).</param>
/// <param name="Criterion">The criterion's last statistic (NaN when it has none).</param>
/// <param name="Event">"finegrain: …" when the run left this resolution after this epoch, else null.</param>
public sealed record MrtlEpochRecord(string Stage, int Step, string Resolution, int Epoch, double StageSeconds, double TotalSeconds,
    double TrainLoss, double ValidationLoss, double ValidationMetric, double Criterion, string? Event);

/// <summary>A move to a finer resolution.</summary>
/// <param name="Stage">"full" or "low".</param>
/// <param name="From">Grids before.</param>
/// <param name="To">Grids after.</param>
/// <param name="Method">Finegrain method.</param>
/// <param name="Scale">Extra output-preserving scale fitted for the optimized map (1 otherwise).</param>
/// <param name="Reason">Why the previous resolution ended.</param>
/// <param name="ValidationLossBefore">Best validation loss at the coarse resolution (the checkpoint carried over).</param>
/// <param name="ValidationLossAfter">Validation loss right after finegraining, before any training.</param>
/// <param name="TotalSeconds">Run time when it happened.</param>
public sealed record MrtlFinegrainEvent(string Stage, string From, string To, FinegrainMethod Method, double Scale, string Reason,
    double ValidationLossBefore, double ValidationLossAfter, double TotalSeconds);

/// <summary>What a run produced. The caller owns (and disposes) <see cref="Model"/>.</summary>
public sealed record MrtlResult
{
    /// <summary>The method run.</summary>
    public required MrtlMethod Method { get; init; }
    /// <summary>The trained low-rank model at the finest resolution.</summary>
    public required LowRankModel Model { get; init; }
    /// <summary>The trained full-rank model CP-ALS decomposed (null for Random, which has no full-rank stage).</summary>
    public MrtlFullRankWeights? FullRank { get; init; }
    /// <summary>Full-rank stage seconds (CP-ALS excluded).</summary>
    public required double SecondsFull { get; init; }
    /// <summary>Low-rank stage seconds (CP-ALS excluded).</summary>
    public required double SecondsLow { get; init; }
    /// <summary>CP-ALS seconds.</summary>
    public required double SecondsCp { get; init; }
    /// <summary>Full + CP + low.</summary>
    public double SecondsTotal => SecondsFull + SecondsCp + SecondsLow;
    /// <summary>CP-ALS fit 1 − ‖W − Ŵ‖/‖W‖ (NaN for Random).</summary>
    public required double CpFit { get; init; }
    /// <summary>
    /// <see cref="SparseStart.Gradient"/>: CP-ALS fit of the residual −∇_W L that W^S started from (NaN otherwise, or
    /// when the run never reached the start step).
    /// </summary>
    public double SparseStartFit { get; init; } = double.NaN;
    /// <summary><see cref="SparseStart.Gradient"/>: the line-search step along that residual's CP (0: W^S stayed 0; NaN otherwise).</summary>
    public double SparseStartScale { get; init; } = double.NaN;
    /// <summary>Null when the low-rank stage started from CP-ALS (or at random for Random); else why it started otherwise (weak data).</summary>
    public string? LowRankStartNote { get; init; }
    /// <summary>Best validation loss of the full-rank stage at its last resolution (NaN for Random).</summary>
    public required double FullValidationLoss { get; init; }
    /// <summary>Validation loss of the final model.</summary>
    public required double ValidationLoss { get; init; }
    /// <summary>Test loss of the final model.</summary>
    public required double TestLoss { get; init; }
    /// <summary>Test F1 at threshold 0.5 (classification), else null.</summary>
    public double? TestF1 { get; init; }
    /// <summary>Test MSE (regression), else null.</summary>
    public double? TestMse { get; init; }
    /// <summary>Positive weight β = negatives/positives of the training labels (1 for regression).</summary>
    public required double PositiveWeight { get; init; }
    /// <summary>True when the token stopped the run early.</summary>
    public bool Cancelled { get; init; }
    /// <summary>True when the stop was saved as a checkpoint: the run continues from there, not from this result.</summary>
    public bool Stopped { get; init; }
    /// <summary>Full-rank chain run, "a,b;c,d" form (empty for Random).</summary>
    public required string FullResolutions { get; init; }
    /// <summary>Low-rank chain run.</summary>
    public required string LowResolutions { get; init; }
    /// <summary>Every epoch.</summary>
    public required IReadOnlyList<MrtlEpochRecord> Epochs { get; init; }
    /// <summary>Every finegraining.</summary>
    public required IReadOnlyList<MrtlFinegrainEvent> Finegrains { get; init; }
}
