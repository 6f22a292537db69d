namespace Multiscale.Mrtl.Finegraining;

/// <summary>How finegraining methods are spelled in settings and reports.</summary>
public static class FinegrainMethodNames
{
    /// <summary>The spellings: nearest, bilinear, optimized.</summary>
    public static ChoiceNames<FinegrainMethod> Choices { get; } = new("finegrain method",
        ("nearest", FinegrainMethod.Nearest), ("bilinear", FinegrainMethod.Bilinear), ("optimized", FinegrainMethod.Optimized));
}
