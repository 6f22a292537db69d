using System.Text.Json;
using System.Text.Json.Serialization;
using Multiscale.IO;
using Multiscale.Manifolds;
using Multiscale.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>Where a map came from, saved beside it. Unknown fields are null.</summary>
public sealed record MapProvenance
{
    /// <summary>How the map was made: optimized, pair-aggregation, interpolation, cycle-double-cover, kronecker, composed, shuffled, random, loaded.</summary>
    public string Method { get; init; } = "unknown";

    /// <summary>Spec or name of the coarse graph G₁.</summary>
    public string? CoarseGraph { get; init; }

    /// <summary>Spec or name of the fine graph G₂.</summary>
    public string? FineGraph { get; init; }

    /// <summary>Locality weight s.</summary>
    public double? S { get; init; }

    /// <summary>Diffusion scale α.</summary>
    public double? Alpha { get; init; }

    /// <summary>Locality scale β.</summary>
    public double? Beta { get; init; }

    /// <summary>Value of eq. (3.3) at this map.</summary>
    public double? Objective { get; init; }

    /// <summary>Unweighted diffusion term.</summary>
    public double? Diffusion { get; init; }

    /// <summary>Unweighted locality term.</summary>
    public double? Locality { get; init; }

    /// <summary>Starting point of the optimization (munkres, random:SEED, identity).</summary>
    public string? Start { get; init; }

    /// <summary>Optimizer (cg, sd).</summary>
    public string? Optimizer { get; init; }

    /// <summary>Iterations the optimizer took.</summary>
    public int? Iterations { get; init; }

    /// <summary>Free-form details (e.g. the factors of a Kronecker map).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }
}

/// <summary>
/// A prolongation map P (fine × coarse, n₂ × n₁, n₂ ≥ n₁), float64, with its provenance. Restriction is Pᵀ; when
/// PᵀP = I, Res∘Pro = I. Shared by MsANN (P_in W P_outᵀ on weights, P b on biases) and MRTL (one spatial mode of
/// a tensor). Tensors passed in may be float32 or float64 on any device: the map is converted (and cached) to match.
/// </summary>
public sealed class ProlongationMap : IDisposable
{
    private readonly Dictionary<(ScalarType, string), Tensor> _converted = new();

    /// <summary>Wraps a copy of <paramref name="matrix"/> (converted to float64).</summary>
    public ProlongationMap(Tensor matrix, MapProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(provenance);
        if (matrix.dim() != 2) throw new MultiscaleException($"a prolongation map must be a matrix (got {matrix.dim()} dimensions)");
        if (matrix.shape[0] < matrix.shape[1])
            throw new MultiscaleException($"a prolongation map is fine × coarse with rows ≥ columns (got {matrix.shape[0]} × {matrix.shape[1]})");
        using (var scope = NewDisposeScope())
            Matrix = matrix.detach().to_type(ScalarType.Float64).contiguous().clone().DetachFromDisposeScope();
        Provenance = provenance;
    }

    /// <summary>P, n₂ × n₁, float64.</summary>
    public Tensor Matrix { get; }

    /// <summary>n₂ (rows).</summary>
    public int FineSize => (int)Matrix.shape[0];

    /// <summary>n₁ (columns).</summary>
    public int CoarseSize => (int)Matrix.shape[1];

    /// <summary>Where the map came from.</summary>
    public MapProvenance Provenance { get; }

    /// <summary>‖PᵀP − I‖_F.</summary>
    public double OrthogonalityError => Stiefel.OrthogonalityError(Matrix);

    /// <summary>P·x for a coarse vector [n₁] or a matrix whose rows are coarse [n₁, k] (columns prolonged).</summary>
    public Tensor Prolong(Tensor coarse)
    {
        RequireLeading(coarse, CoarseSize, "Prolong");
        return As(coarse).matmul(coarse);
    }

    /// <summary>Pᵀ·x for a fine vector [n₂] or a matrix [n₂, k].</summary>
    public Tensor Restrict(Tensor fine)
    {
        RequireLeading(fine, FineSize, "Restrict");
        return As(fine).T.matmul(fine);
    }

    /// <summary>Eq. (3.4): P_in · W · P_outᵀ for a coarse weight matrix W [n₁(in), n₁(out)].</summary>
    public static Tensor ProlongWeights(ProlongationMap input, Tensor weights, ProlongationMap output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        RequireShape(weights, input.CoarseSize, output.CoarseSize, "ProlongWeights");
        return input.As(weights).matmul(weights).matmul(output.As(weights).T);
    }

    /// <summary>Eq. (3.4): P_inᵀ · W · P_out for a fine weight matrix W [n₂(in), n₂(out)].</summary>
    public static Tensor RestrictWeights(ProlongationMap input, Tensor weights, ProlongationMap output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        RequireShape(weights, input.FineSize, output.FineSize, "RestrictWeights");
        return input.As(weights).T.matmul(weights).matmul(output.As(weights));
    }

    /// <summary>Applies P along one mode of a tensor (size n₁ there), giving size n₂ there (MRTL's finegraining).</summary>
    public Tensor ProlongMode(Tensor tensor, int mode)
    {
        int m = CheckMode(tensor, mode, CoarseSize, "ProlongMode");
        return TensorAlgebra.ModeProduct(tensor, As(tensor), m);
    }

    /// <summary>Applies Pᵀ along one mode of a tensor (size n₂ there), giving size n₁ there.</summary>
    public Tensor RestrictMode(Tensor tensor, int mode)
    {
        int m = CheckMode(tensor, mode, FineSize, "RestrictMode");
        return TensorAlgebra.ModeProduct(tensor, As(tensor), m, transpose: true);
    }

    /// <summary>
    /// Composition with a map one level coarser: Pro_{k+1→k−1} = P(this) · P(coarser) (the coarser map's fine size
    /// must equal this map's coarse size).
    /// </summary>
    public ProlongationMap Compose(ProlongationMap coarser)
    {
        ArgumentNullException.ThrowIfNull(coarser);
        if (coarser.FineSize != CoarseSize)
            throw new MultiscaleException($"cannot compose a {FineSize}×{CoarseSize} map with a {coarser.FineSize}×{coarser.CoarseSize} map: inner sizes differ");
        using var product = Matrix.matmul(coarser.Matrix);
        return new ProlongationMap(product, new MapProvenance
        {
            Method = "composed",
            CoarseGraph = coarser.Provenance.CoarseGraph,
            FineGraph = Provenance.FineGraph,
        });
    }

    /// <summary>Writes P as <c>.npy</c> (float64, C order) and the provenance as JSON beside it (same name, <c>.json</c>).</summary>
    public void Save(string npyPath) => Save(npyPath, MatrixFileFormat.Npy);

    /// <summary>
    /// Writes P in <paramref name="format"/> (the path's extension is replaced by <c>.npy</c> and/or <c>.mtx</c>) and the
    /// provenance as JSON beside it (same name, <c>.json</c>).
    /// </summary>
    public void Save(string path, MatrixFileFormat format)
    {
        ArgumentNullException.ThrowIfNull(path);
        MatrixFiles.Write(Path.ChangeExtension(path, null), Matrix, format);
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(Provenance, JsonOptions) + "\n");
    }

    /// <summary>
    /// Reads a map written by <see cref="Save(string, MatrixFileFormat)"/>: <c>.npy</c>, or MatrixMarket when the path
    /// ends in <c>.mtx</c> (the JSON is optional: without it the method is "loaded").
    /// </summary>
    public static ProlongationMap Load(string npyPath, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(npyPath);
        if (npyPath.EndsWith(".mtx", StringComparison.OrdinalIgnoreCase))
        {
            using var dense = MatrixMarket.ReadDense(npyPath, device);
            return new ProlongationMap(dense, ReadProvenance(npyPath));
        }
        var (data, shape) = Npy.ReadArray(npyPath);
        if (shape.Length != 2) throw new MultiscaleException($"'{npyPath}' holds a {shape.Length}-D array; a map is a matrix");
        using var t = tensor(data, shape, ScalarType.Float64, device);
        return new ProlongationMap(t, ReadProvenance(npyPath));
    }

    private static MapProvenance ReadProvenance(string npyPath)
    {
        var meta = Path.ChangeExtension(npyPath, ".json");
        MapProvenance provenance = new() { Method = "loaded" };
        if (File.Exists(meta))
        {
            try { provenance = JsonSerializer.Deserialize<MapProvenance>(File.ReadAllText(meta), JsonOptions) ?? provenance; }
            catch (JsonException e) { throw new MultiscaleException($"'{meta}' is not valid map metadata: {e.Message}", e); }
        }
        return provenance;
    }

    /// <summary>JSON settings for provenance files (snake_case, nulls omitted).</summary>
    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Releases P and its converted copies.</summary>
    public void Dispose()
    {
        foreach (var t in _converted.Values) t.Dispose();
        _converted.Clear();
        Matrix.Dispose();
    }

    private Tensor As(Tensor like)
    {
        if (like.dtype == ScalarType.Float64 && like.device == Matrix.device) return Matrix;
        var key = (like.dtype, like.device.ToString());
        lock (_converted)
        {
            if (!_converted.TryGetValue(key, out var t))
                _converted[key] = t = Matrix.to(like.dtype, like.device).DetachFromDisposeScope();
            return t;
        }
    }

    private static void RequireLeading(Tensor t, int size, string what)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() is < 1 or > 2 || t.shape[0] != size)
            throw new MultiscaleException($"{what}: expected a vector or matrix with {size} rows, got shape ({string.Join(", ", t.shape)})");
    }

    private static void RequireShape(Tensor t, int rows, int cols, string what)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 2 || t.shape[0] != rows || t.shape[1] != cols)
            throw new MultiscaleException($"{what}: expected a {rows}×{cols} weight matrix, got shape ({string.Join(", ", t.shape)})");
    }

    private static int CheckMode(Tensor t, int mode, int size, string what)
    {
        ArgumentNullException.ThrowIfNull(t);
        int m = mode < 0 ? mode + (int)t.dim() : mode;
        if (m < 0 || m >= t.dim()) throw new MultiscaleException($"{what}: mode {mode} does not exist in a {t.dim()}-mode tensor");
        if (t.shape[m] != size) throw new MultiscaleException($"{what}: mode {mode} has size {t.shape[m]}, the map needs {size}");
        return m;
    }
}
