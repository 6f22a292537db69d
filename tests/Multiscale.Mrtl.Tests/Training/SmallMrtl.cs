using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Training;

namespace Multiscale.Mrtl.Tests.Training;

/// <summary>The small seeded datasets and basketball settings several test classes train on (generated once per run).</summary>
internal static class SmallMrtl
{
    public static readonly MrtlSplit Basketball = BasketballSynthetic.Generate(BasketballOptions.Small).Split(0);
    public static readonly MrtlSplit Climate = ClimateSynthetic.Generate(ClimateOptions.Small).Split(0);

    /// <summary>The small climate chain, bilinear finegraining, K = 3, patience 2.</summary>
    public static MrtlTrainerOptions ClimateTraining() => new()
    {
        Schedule = ResolutionSchedule.ClimateSmall,
        Rank = 3,
        Finegrain = Multiscale.Mrtl.Finegraining.FinegrainMethod.Bilinear,
        FullRank = new StageOptions { LearningRate = 0.01, MaxEpochs = 6, BatchSize = 16 },
        LowRank = new StageOptions { LearningRate = 0.005, MaxEpochs = 4, BatchSize = 16 },
        CriterionOptions = new() { Patience = 2 },
    };

    /// <summary>Two full-rank and two low-rank steps on the small court, K = 2, patience 2.</summary>
    public static MrtlTrainerOptions BasketballTraining(int epochs = 3) => new()
    {
        Schedule = ResolutionSchedule.Parse("4x5,6x6;8x10,12x12", "8x10,12x12;20x25,12x12"),
        Rank = 2,
        CpAls = new CpAlsOptions { MaxIterations = 30, Tolerance = 1e-6 },
        FullRank = new StageOptions { LearningRate = 0.01, MaxEpochs = epochs, BatchSize = 128 },
        LowRank = new StageOptions { LearningRate = 0.002, MaxEpochs = epochs, BatchSize = 128 },
        CriterionOptions = new() { Patience = 2 },
        Seed = 3,
    };
}
