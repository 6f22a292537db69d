using Multiscale.Graphs;

namespace Multiscale.Prolongation;

/// <summary>
/// The memory one solve of eq. (3.3) needs, counted from what <see cref="ProlongationSolver"/> allocates, checked
/// before it starts (see <see cref="SizeLimits"/>).
/// </summary>
public static class ProlongationSizes
{
    /// <summary>
    /// Dense n × n matrices per graph alive at the peak with the spectral frame: T, the array it was made from, the
    /// frame's eigenvectors and dense frame Laplacian, and the eigendecomposition's input copy and workspace.
    /// </summary>
    public const double FrameMatrices = 8;

    /// <summary>Without the frame: T, the array it was made from, and the Munkres start's Laplacian spectrum (6, transient).</summary>
    public const double PlainMatrices = 7;

    /// <summary>
    /// Fine × coarse matrices alive during the optimization: the point, gradient, search direction and previous
    /// gradient, the products with T and L and their residuals, the retraction's QR, the preconditioner, and the
    /// assignment start's cost matrix.
    /// </summary>
    public const double MapMatrices = 16;

    /// <summary>
    /// Fine × coarse matrices the saddle probe adds (<see cref="CurvatureProbe"/>): its Lanczos basis, the gradient
    /// it differences against, and the escape direction.
    /// </summary>
    public const double ProbeMatrices = ProlongationSolver.ProbeSteps + 4;

    /// <summary>Peak bytes of a solve between n₁ (coarse) and n₂ (fine) vertices.</summary>
    public static long Bytes(long coarse, long fine, bool spectralFrame, bool escapeSaddles = true)
    {
        double perGraph = spectralFrame ? FrameMatrices : PlainMatrices;
        double perMap = MapMatrices + (escapeSaddles ? ProbeMatrices : 0);
        double bytes = 8.0 * (perGraph * ((double)coarse * coarse + (double)fine * fine) + perMap * (double)coarse * fine);
        return bytes >= long.MaxValue ? long.MaxValue : (long)bytes;
    }

    /// <summary>Whether a solve with <paramref name="options"/> uses the spectral frame (the solver's rule).</summary>
    public static bool UsesFrame(int fine, ProlongationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.SpectralFrame ?? fine <= 4096;
    }

    /// <summary>
    /// Throws <see cref="MultiscaleException"/> when a solve between <paramref name="coarse"/> and
    /// <paramref name="fine"/> cannot fit the available memory, naming the bytes needed and the largest fine size that
    /// fits at the same ratio n₁/n₂.
    /// </summary>
    public static void EnsureFits(Graph coarse, Graph fine, ProlongationOptions options)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        ArgumentNullException.ThrowIfNull(fine);
        int n1 = coarse.VertexCount, n2 = fine.VertexCount;
        bool frame = UsesFrame(n2, options);
        double ratio = (double)n1 / n2;
        SizeLimits.EnsureFits($"the map {coarse.Name} ({n1}) → {fine.Name} ({n2})", Bytes(n1, n2, frame, options.EscapeSaddles),
            // The frame rule is applied at each size, so the size reported is one the solver would really run.
            n => Bytes((long)Math.Ceiling(ratio * n), n, UsesFrame((int)Math.Min(n, int.MaxValue), options), options.EscapeSaddles),
            $"fine graph (at n₁/n₂ = {ratio:G3})");
    }
}
