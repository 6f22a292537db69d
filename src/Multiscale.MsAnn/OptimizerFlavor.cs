namespace Multiscale.MsAnn;

/// <summary>Which optimizer every level uses (each level its own instance, all of the same flavor).</summary>
public enum OptimizerFlavor
{
    /// <summary>
    /// TensorFlow 1's <c>tf.train.RMSPropOptimizer</c>, which the reference MsANN code used: the accumulator starts at 1
    /// and ε sits under the square root, θ ← θ − lr·g/√(ms + ε).
    /// </summary>
    RmsPropTensorFlow1,
    /// <summary>PyTorch's <c>torch.optim.RMSprop</c>: the accumulator starts at 0 and θ ← θ − lr·g/(√ms + ε).</summary>
    RmsPropPyTorch,
    /// <summary>Adam as PyTorch's <c>torch.optim.Adam</c> (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, bias-corrected).</summary>
    Adam,
}

/// <summary>How optimizer flavors are spelled in settings and reports.</summary>
public static class OptimizerFlavorNames
{
    /// <summary>The spellings: rmsprop-tf1, rmsprop-torch, adam.</summary>
    public static ChoiceNames<OptimizerFlavor> Choices { get; } = new("optimizer",
        ("rmsprop-tf1", OptimizerFlavor.RmsPropTensorFlow1), ("rmsprop-torch", OptimizerFlavor.RmsPropPyTorch), ("adam", OptimizerFlavor.Adam));

    /// <summary>The spellings, in the enum's order.</summary>
    public static IReadOnlyList<string> All => Choices.Names;

    /// <summary>"rmsprop-tf1", "rmsprop-torch" or "adam".</summary>
    public static string Name(this OptimizerFlavor flavor) => Choices.Name(flavor);

    /// <summary>The flavor spelled <paramref name="name"/>; throws <see cref="MultiscaleException"/> for another spelling.</summary>
    public static OptimizerFlavor Parse(string name) => Choices.Parse(name);
}
