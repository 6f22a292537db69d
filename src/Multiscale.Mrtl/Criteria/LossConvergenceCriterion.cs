using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Criteria;

/// <summary>
/// Loss convergence, paper 000 eq. (22): finegrain when |L_t − L̄_t| &lt; τ_L, with L_t the epoch's loss and L̄_t the
/// historical mean of the earlier epochs' losses at this resolution, (1/(t−1)) Σ_{s&lt;t} L_s (so the first epoch
/// never triggers). L_t is the mean training objective of the epoch when the trainer reports it through
/// <see cref="ObserveTrainingLoss"/> (the paper's "training at the present resolution converges"); an epoch without
/// one uses the validation loss given to <see cref="FinegrainCriterion.EndEpoch"/>. The statistic in
/// <see cref="FinegrainCriterion.History"/> is |L_t − L̄_t| (NaN at the first epoch). Patience does not apply.
/// </summary>
internal sealed class LossConvergenceCriterion : FinegrainCriterion
{
    private double _sum;
    private int _count;
    private double _training = double.NaN;

    internal LossConvergenceCriterion(CriterionOptions options) : base(options) => Threshold = options.Thresholds.Loss;

    /// <inheritdoc />
    public override CriterionKind Kind => CriterionKind.LossConvergence;

    /// <summary>τ_L.</summary>
    public double Threshold { get; }

    /// <summary>Gradients are not needed here; the call only checks its argument.</summary>
    public override void ObserveGradient(Tensor gradient) => ArgumentNullException.ThrowIfNull(gradient);

    /// <summary>The epoch's mean training objective, used as L_t instead of the validation loss at the next <see cref="FinegrainCriterion.EndEpoch"/>.</summary>
    public void ObserveTrainingLoss(double loss)
    {
        if (!double.IsFinite(loss)) throw new MultiscaleException($"the loss-convergence criterion needs a finite training loss (got {loss})");
        _training = loss;
    }

    /// <inheritdoc />
    protected override double EpochStatistic(double validationLoss)
    {
        double loss = double.IsNaN(_training) ? validationLoss : _training;
        _training = double.NaN;
        if (!double.IsFinite(loss)) throw new MultiscaleException($"the loss-convergence criterion needs a finite loss (got {loss})");
        double gap = _count == 0 ? double.NaN : Math.Abs(loss - _sum / _count);
        _sum += loss;
        _count++;
        return gap;
    }

    /// <inheritdoc />
    protected override string? Triggered(double statistic) =>
        statistic < Threshold
            ? string.Create(CultureInfo.InvariantCulture, $"loss converged: |L − L̄| = {statistic:G3} < τ_L = {Threshold:G3}")
            : null;

    /// <inheritdoc />
    protected override void SaveSummaries(JsonObject state, Checkpoint checkpoint, string prefix)
    {
        state["loss_sum"] = Checkpoint.Number(_sum);
        state["loss_count"] = _count;
        state["training_loss"] = Checkpoint.Number(_training);
    }

    /// <inheritdoc />
    protected override void RestoreSummaries(JsonObject state, Checkpoint checkpoint, string prefix)
    {
        _sum = Checkpoint.ToDouble(state["loss_sum"]);
        _count = state["loss_count"]!.GetValue<int>();
        _training = Checkpoint.ToDouble(state["training_loss"]);
    }

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        _sum = 0;
        _count = 0;
        _training = double.NaN;
    }
}
