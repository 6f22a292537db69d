using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Models;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Training;

/// <summary>How the low-rank stage was started.</summary>
/// <param name="Model">The low-rank model to train (the caller owns it).</param>
/// <param name="Fit">CP-ALS fit 1 − ‖W − Ŵ‖/‖W‖; NaN when CP-ALS could not run.</param>
/// <param name="Note">Null for the CP-ALS start; otherwise why and how it started differently (for the run report).</param>
public sealed record LowRankStartResult(LowRankModel Model, double Fit, string? Note);

/// <summary>
/// The start of the low-rank stage from the full-rank checkpoint (Algorithm 1's CP-ALS step). On data with little
/// learnable signal no full-rank epoch may improve the validation loss, so the best checkpoint is the untrained zero
/// model: its CP decomposition is undefined (every direction fits a zero tensor equally well). Such a run is not an
/// error — the low-rank stage then starts from seeded small random factors (as the random-initialization baseline
/// does) with the checkpoint's biases, and the note says so.
/// </summary>
public static class LowRankStart
{
    /// <summary>CP-ALS of <paramref name="full"/>'s weights at <paramref name="rank"/>, or the seeded random start when they are all zero.</summary>
    public static LowRankStartResult FromFullRank(FullRankModel full, int rank, CpAlsOptions cpAls, Generator generator, double randomScale)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(cpAls);
        ArgumentNullException.ThrowIfNull(generator);
        bool zero;
        using (NewDisposeScope())
            zero = !full.Weights.detach().ne(0).any().item<bool>();
        if (!zero)
        {
            var (model, fit) = full.ToLowRank(rank, cpAls);
            return new LowRankStartResult(model, fit, null);
        }
        var low = LowRankModel.Random(full.Task, full.Outputs, full.FeatureShape, full.Grids, rank, generator, randomScale, full.Device);
        using (no_grad())
            low.Bias.copy_(full.Bias.detach());
        return new LowRankStartResult(low, double.NaN,
            $"the best full-rank checkpoint is the zero model (no full-rank epoch improved the validation loss), so CP-ALS has nothing to decompose: the low-rank stage started from seeded random factors (N(0, {randomScale:G3}²)) instead");
    }
}
