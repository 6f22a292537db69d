using System.Text.Json.Nodes;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Criteria;

/// <summary>
/// A criterion that reads each weight's last T = <see cref="CriterionOptions.Window"/> gradients (spatial entropy and
/// the gradient-moment thresholds): the window is observed, checkpointed, reset and released here once for all of them.
/// </summary>
internal abstract class WindowedGradientCriterion : FinegrainCriterion
{
    /// <summary>Creates the criterion with an empty window.</summary>
    private protected WindowedGradientCriterion(CriterionOptions options) : base(options) => Window = new GradientWindow(options.Window);

    /// <summary>The window of recent gradients.</summary>
    private protected GradientWindow Window { get; }

    /// <inheritdoc />
    public override void ObserveGradient(Tensor gradient) => Window.Observe(gradient);

    /// <inheritdoc />
    protected override void SaveSummaries(JsonObject state, Checkpoint checkpoint, string prefix) => Window.Save(state, checkpoint, prefix);

    /// <inheritdoc />
    protected override void RestoreSummaries(JsonObject state, Checkpoint checkpoint, string prefix) => Window.Restore(state, checkpoint, prefix);

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        Window.Reset();
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        Window.Dispose();
        base.Dispose();
    }
}
