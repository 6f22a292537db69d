namespace Multiscale.IO;

/// <summary>Which files a matrix is written as: numpy's dense <c>.npy</c>, sparse MatrixMarket <c>.mtx</c>, or both.</summary>
public enum MatrixFileFormat
{
    /// <summary>Dense <c>.npy</c> (float64, C order).</summary>
    Npy,

    /// <summary>MatrixMarket coordinate <c>.mtx</c>: only the nonzeros.</summary>
    Mtx,

    /// <summary>Both files, side by side.</summary>
    Both,
}
