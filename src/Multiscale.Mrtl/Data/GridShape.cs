namespace Multiscale.Mrtl.Data;

/// <summary>A rectangular discretization of one spatial mode: <see cref="Rows"/> × <see cref="Cols"/> cells, indexed row-major.</summary>
public readonly record struct GridShape
{
    /// <summary>A grid of <paramref name="rows"/> × <paramref name="cols"/> cells; both must be positive.</summary>
    public GridShape(int rows, int cols)
    {
        if (rows <= 0 || cols <= 0)
            throw new MultiscaleException($"a grid needs positive sides, got {rows}x{cols}");
        Rows = rows;
        Cols = cols;
    }

    /// <summary>Cells along the first axis.</summary>
    public int Rows { get; }

    /// <summary>Cells along the second axis.</summary>
    public int Cols { get; }

    /// <summary>Number of cells, D = Rows · Cols.</summary>
    public int Cells => Rows * Cols;

    /// <summary>Row-major cell index of (row, col).</summary>
    public int Index(int row, int col) => row * Cols + col;

    /// <inheritdoc />
    public override string ToString() => $"{Rows}x{Cols}";

    /// <summary>Parses "RxC" (e.g. "40x50").</summary>
    public static GridShape Parse(string text)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var r) || !int.TryParse(parts[1], out var c))
            throw new MultiscaleException($"'{text}' is not a grid shape; expected ROWSxCOLS, e.g. 40x50");
        return new GridShape(r, c);
    }
}
