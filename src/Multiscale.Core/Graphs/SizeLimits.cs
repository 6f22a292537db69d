using System.Globalization;

namespace Multiscale.Graphs;

/// <summary>
/// Memory estimates checked before anything large is allocated, so that a graph or an operator that cannot fit is a
/// <see cref="MultiscaleException"/> naming the bytes needed and the largest size that fits, not an out-of-memory
/// crash. The estimates count what the code holds at its peak (docs/graphs.md, "Sizes"); they are deliberately on the
/// generous side of the measurements.
/// </summary>
public static class SizeLimits
{
    /// <summary>Environment variable that overrides the available memory, in bytes (suffixes K, M, G, T: powers of 1024).</summary>
    public const string OverrideVariable = "MULTISCALE_MEMORY_LIMIT";

    /// <summary>Bytes per vertex of a built graph: its CSR row starts, QuikGraph's adjacency entry, degrees, labels aside.</summary>
    public const long BytesPerVertex = 160;

    /// <summary>
    /// Bytes per edge of a built graph at its peak: the sorted edge array (16) with the sort's buffers while it is built
    /// (≈ 80 measured for products), QuikGraph's edge object and two adjacency references (≈ 180 measured for
    /// connectivity), and the CSR adjacency (24).
    /// </summary>
    public const long BytesPerEdge = 240;

    private static readonly AsyncLocal<long?> Scoped = new();

    /// <summary>
    /// The memory this process may use: the override when set (<see cref="WithAvailableBytes"/>, then
    /// <see cref="OverrideVariable"/>), otherwise the smaller of /proc/meminfo's MemAvailable and the runtime's limit
    /// (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>, which honours container limits).
    /// </summary>
    public static long AvailableBytes
    {
        get
        {
            if (Scoped.Value is { } scoped) return scoped;
            if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } text)
                return ParseBytes(text) ?? throw new MultiscaleException($"{OverrideVariable}='{text}' is not a byte count (e.g. 8G, 512M, 1000000)");
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (MemAvailable() is { } free) available = Math.Min(available, free);
            return available;
        }
    }

    /// <summary>Makes <see cref="AvailableBytes"/> return <paramref name="bytes"/> in this async flow until disposed (for tests).</summary>
    public static IDisposable WithAvailableBytes(long bytes)
    {
        var previous = Scoped.Value;
        Scoped.Value = bytes;
        return new Restore(previous);
    }

    /// <summary>Peak bytes of building a graph with <paramref name="vertices"/> and <paramref name="edges"/> and finding its components.</summary>
    public static long GraphBytes(long vertices, long edges) => Saturate((double)BytesPerVertex * vertices + (double)BytesPerEdge * edges);

    /// <summary>Bytes of <paramref name="count"/> dense n × n float64 matrices.</summary>
    public static long DenseBytes(long n, double count = 1) => Saturate(8.0 * n * n * count);

    /// <summary>
    /// Throws when a graph of <paramref name="vertices"/> vertices and <paramref name="edges"/> edges cannot be built:
    /// more than int.MaxValue vertices, or more memory than is available. The largest size that fits assumes the same
    /// edges per vertex.
    /// </summary>
    public static void EnsureGraphFits(string name, long vertices, long edges)
    {
        long need = GraphBytes(vertices, edges), available = AvailableBytes;
        if (need > available)
        {
            double perVertex = BytesPerVertex + BytesPerEdge * (vertices == 0 ? 0 : (double)edges / vertices);
            long largest = (long)Math.Min(available / perVertex, int.MaxValue);
            throw new MultiscaleException(
                $"graph '{name}' ({vertices.ToString(CultureInfo.InvariantCulture)} vertices, {edges.ToString(CultureInfo.InvariantCulture)} edges) needs about {Bytes(need)} of memory but {Bytes(available)} is available; the largest graph of this density that fits has about {largest.ToString(CultureInfo.InvariantCulture)} vertices");
        }
        if (vertices > int.MaxValue)
            throw new MultiscaleException($"graph '{name}' has {vertices.ToString(CultureInfo.InvariantCulture)} vertices, more than the {int.MaxValue.ToString(CultureInfo.InvariantCulture)} a graph can hold");
        if (2 * edges > Array.MaxLength)
            throw new MultiscaleException($"graph '{name}' has {edges.ToString(CultureInfo.InvariantCulture)} edges, more than the {(Array.MaxLength / 2).ToString(CultureInfo.InvariantCulture)} a graph can hold");
    }

    /// <summary>
    /// Throws when <paramref name="count"/> dense n × n float64 matrices of <paramref name="graph"/> (for
    /// <paramref name="purpose"/>, e.g. "its distance matrix") cannot fit, naming the largest n that fits.
    /// </summary>
    public static void EnsureDenseFits(Graph graph, double count, string purpose)
    {
        ArgumentNullException.ThrowIfNull(graph);
        EnsureFits($"'{graph.Name}' ({graph.VertexCount} vertices): {purpose}", DenseBytes(graph.VertexCount, count),
            n => DenseBytes(n, count), "n");
    }

    /// <summary>
    /// Throws when <paramref name="bytes"/> exceed the available memory. <paramref name="bytesAt"/> is the estimate as
    /// a function of the size (increasing), used to report the largest size that fits.
    /// </summary>
    public static void EnsureFits(string what, long bytes, Func<long, long> bytesAt, string sizeName)
    {
        ArgumentNullException.ThrowIfNull(bytesAt);
        long available = AvailableBytes;
        if (bytes <= available) return;
        long largest = LargestFitting(bytesAt, available);
        throw new MultiscaleException(
            $"{what} needs about {Bytes(bytes)} of memory but {Bytes(available)} is available; the largest {sizeName} that fits is {largest.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>The largest size n ≥ 0 with <paramref name="bytesAt"/>(n) ≤ <paramref name="available"/> (bisection).</summary>
    public static long LargestFitting(Func<long, long> bytesAt, long available)
    {
        ArgumentNullException.ThrowIfNull(bytesAt);
        long lo = 0, hi = 1;
        while (hi < int.MaxValue && bytesAt(hi) <= available) hi *= 2;
        if (hi >= int.MaxValue && bytesAt(int.MaxValue) <= available) return int.MaxValue;
        while (hi - lo > 1)
        {
            long mid = lo + (hi - lo) / 2;
            if (bytesAt(mid) <= available) lo = mid; else hi = mid;
        }
        return lo;
    }

    /// <summary>A byte count for messages: 1.5 GiB, 820 MiB, 12 KiB.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    /// <summary>A byte count with an optional K/M/G/T suffix (powers of 1024); null when it is not one.</summary>
    public static long? ParseBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        long scale = 1;
        if (text.Length > 0 && "KMGT".IndexOf(char.ToUpperInvariant(text[^1])) is int u and >= 0)
        {
            scale = 1L << (10 * (u + 1));
            text = text[..^1];
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= 0) || v * scale > long.MaxValue) return null;
        return (long)(v * scale);
    }

    private static long Saturate(double bytes) => bytes >= long.MaxValue ? long.MaxValue : (long)bytes;

    private static long? MemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kib)) return kib * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    private sealed class Restore(long? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }
}
