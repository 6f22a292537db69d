using static TorchSharp.torch;

namespace Multiscale.Runs;

/// <summary>
/// A named array a method hands back for the host to keep (trained weights, factors): a CPU copy in C order, float32
/// (<see cref="float"/>[]) or float64 (<see cref="double"/>[]), so the record holds no native memory.
/// </summary>
/// <param name="Name">The array's name inside <c>weights.npz</c> (no <c>/</c>).</param>
/// <param name="Shape">The dimensions; their product is the number of values.</param>
/// <param name="Values">The values, row-major: a <see cref="float"/>[] or a <see cref="double"/>[].</param>
public sealed record RunArray(string Name, long[] Shape, Array Values)
{
    /// <summary>A copy of <paramref name="tensor"/> (any device): float32 stays float32, every other dtype becomes float64.</summary>
    public static RunArray Of(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().to(CPU).contiguous();
        Array values = cpu.dtype == ScalarType.Float32
            ? cpu.data<float>().ToArray()
            : cpu.to_type(ScalarType.Float64).data<double>().ToArray();
        return new RunArray(name, cpu.shape, values);
    }

    /// <summary>A new CPU tensor holding the values (the caller disposes it).</summary>
    public Tensor ToTensor()
    {
        long count = Shape.Aggregate(1L, (a, b) => a * b);
        if (Values.LongLength != count)
            throw new ArgumentException($"array '{Name}' has {Values.LongLength} values for shape [{string.Join(",", Shape)}]");
        return Values switch
        {
            float[] f => tensor(f, Shape),
            double[] d => tensor(d, Shape),
            _ => throw new ArgumentException($"array '{Name}' holds {Values.GetType().Name}; float[] or double[] expected"),
        };
    }
}
