namespace Multiscale.IO;

/// <summary>How <see cref="Npy"/> lays an array out on disk; the defaults are what numpy writes on x86 and ARM.</summary>
/// <param name="FortranOrder">Column-major data (numpy's <c>fortran_order: True</c>) instead of row-major.</param>
/// <param name="BigEndian">Big-endian elements ('&gt;' dtypes) instead of little-endian.</param>
public sealed record NpyWriteOptions(bool FortranOrder = false, bool BigEndian = false)
{
    /// <summary>Row-major, little-endian.</summary>
    public static NpyWriteOptions Default { get; } = new();
}
