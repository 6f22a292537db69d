namespace Multiscale.MsAnn;

/// <summary>
/// The layer sizes of M₀ … M_L: every layer of M_l is the matching layer of M₀ divided by the coarsening factor l
/// times (halving by default), so all models share one aspect ratio (§3.4).
/// </summary>
public sealed class HierarchyShape
{
    private readonly int[][] _layers;

    /// <summary>Builds the shape; throws <see cref="MultiscaleException"/> when a layer cannot be coarsened L times.</summary>
    public HierarchyShape(IReadOnlyList<int> finestLayers, int depth, int factor = 2)
    {
        ArgumentNullException.ThrowIfNull(finestLayers);
        if (finestLayers.Count < 2) throw new MultiscaleException("a network needs at least an input and an output layer");
        if (depth < 0) throw new MultiscaleException($"the hierarchy depth L must be ≥ 0 (got {depth})");
        if (factor < 2) throw new MultiscaleException($"the coarsening factor must be ≥ 2 (got {factor})");
        foreach (var n in finestLayers)
            if (n < 1) throw new MultiscaleException($"layer sizes must be positive (got {string.Join(',', finestLayers)})");
        long divisor = (long)Math.Pow(factor, depth);
        var bad = finestLayers.FirstOrDefault(n => n % divisor != 0);
        if (bad != 0)
            throw new MultiscaleException(
                $"layer size {bad} cannot be coarsened {depth} times by {factor} (it must be divisible by {divisor}); layers {string.Join(',', finestLayers)}");
        Depth = depth;
        Factor = factor;
        _layers = Enumerable.Range(0, depth + 1)
            .Select(l => finestLayers.Select(n => (int)(n / (long)Math.Pow(factor, l))).ToArray())
            .ToArray();
    }

    /// <summary>L.</summary>
    public int Depth { get; }

    /// <summary>The coarsening factor between consecutive levels.</summary>
    public int Factor { get; }

    /// <summary>Number of layers (weights connect consecutive layers).</summary>
    public int LayerCount => _layers[0].Length;

    /// <summary>Layer sizes of model M_l.</summary>
    public IReadOnlyList<int> Layers(int level) => _layers[level];

    /// <summary>|M_l|: weights and biases of model M_l (the cost meter's unit, §4.1).</summary>
    public long ParameterCount(int level)
    {
        var layers = _layers[level];
        long count = 0;
        for (int i = 0; i + 1 < layers.Length; i++) count += (long)layers[i] * layers[i + 1] + layers[i + 1];
        return count;
    }
}
