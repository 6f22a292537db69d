using Multiscale.Runs;

namespace Multiscale.Mrtl.Training;

/// <summary>
/// The full-rank stage's trained model, kept for the run's weights after CP-ALS has decomposed it: W [I, F₁…F_k, D₁…D_M] (the shape CP-ALS decomposes,
/// as <c>&lt;method&gt;.tensor</c>) and the bias [I] at the last full-rank resolution, as CPU copies (no native memory).
/// </summary>
/// <param name="Weights">W in mode order (outputs, feature modes, spatial cells).</param>
/// <param name="Bias">One bias per output.</param>
/// <param name="Grids">The spatial grids W is on, in the schedule's "a,b" form.</param>
public sealed record MrtlFullRankWeights(RunArray Weights, RunArray Bias, string Grids)
{
    /// <summary>Keeps W and the bias in <paramref name="checkpoint"/> under <paramref name="prefix"/> (the grids go with the caller's JSON state).</summary>
    internal void Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        using var scope = TorchSharp.torch.NewDisposeScope();
        checkpoint.Put($"{prefix}full_rank/weights", Weights.ToTensor());
        checkpoint.Put($"{prefix}full_rank/bias", Bias.ToTensor());
    }

    /// <summary>What <see cref="Save"/> kept under <paramref name="prefix"/>, on the grids the caller's JSON state names.</summary>
    internal static MrtlFullRankWeights Load(Checkpoint checkpoint, string prefix, string grids)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new MrtlFullRankWeights(RunArray.Of("weights", checkpoint.Get($"{prefix}full_rank/weights")),
            RunArray.Of("bias", checkpoint.Get($"{prefix}full_rank/bias")), grids);
    }
}
