namespace Multiscale.Prolongation;

/// <summary>How the map optimizers are spelled on the command line, in settings and in reports.</summary>
public static class OptimizerKindNames
{
    /// <summary>The spellings: tr (also trust-regions), cg, sd, lbfgs.</summary>
    public static ChoiceNames<OptimizerKind> Choices { get; } = new("optimizer",
        new[] { ("tr", OptimizerKind.TrustRegions), ("cg", OptimizerKind.ConjugateGradient), ("sd", OptimizerKind.SteepestDescent), ("lbfgs", OptimizerKind.Lbfgs) },
        new[] { ("trust-regions", OptimizerKind.TrustRegions) });
}
