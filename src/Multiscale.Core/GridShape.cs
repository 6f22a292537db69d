using System.Globalization;

namespace Multiscale;

/// <summary>
/// The shape of a rectangular grid: its sides n₀ × n₁ × …, cells indexed row-major (the last axis fastest), which is
/// the vertex order of <see cref="Graphs.GraphFactory.Grid"/> and of a Kronecker product of per-axis maps. One type for
/// lineage specs (<c>grid:8x9</c>), MsANN's grid layers and MRTL's spatial modes, with one parser of "8x9".
/// </summary>
public readonly struct GridShape : IEquatable<GridShape>
{
    private readonly int[]? _sides;
    private readonly int _cells;

    /// <summary>A grid of the given sides (one or more, each positive); <c>new GridShape(rows, cols)</c> for 2-D.</summary>
    public GridShape(params int[] sides)
    {
        ArgumentNullException.ThrowIfNull(sides);
        if (sides.Length == 0) throw new MultiscaleException("a grid needs at least one side");
        if (sides.Any(s => s <= 0))
            throw new MultiscaleException($"a grid needs positive sides, got {string.Join('x', sides)}");
        long cells = 1;
        foreach (int s in sides) cells *= s;
        if (cells > int.MaxValue) throw new MultiscaleException($"a {string.Join('x', sides)} grid has more than {int.MaxValue} cells");
        _sides = (int[])sides.Clone();
        _cells = (int)cells;
    }

    /// <summary>The sides, first (slowest) axis first; empty for <c>default(GridShape)</c>.</summary>
    public IReadOnlyList<int> Sides => _sides ?? Array.Empty<int>();

    /// <summary>Number of axes.</summary>
    public int Dimensions => Sides.Count;

    /// <summary>Number of cells, the product of the sides (0 for <c>default(GridShape)</c>).</summary>
    public int Cells => _cells;

    /// <summary>Cells along the first axis of a 2-D grid.</summary>
    public int Rows => Side2D(0);

    /// <summary>Cells along the second axis of a 2-D grid.</summary>
    public int Cols => Side2D(1);

    /// <summary>Row-major cell index of (row, col) in a 2-D grid.</summary>
    public int Index(int row, int col) => row * Cols + col;

    /// <summary>This grid with side <paramref name="axis"/> replaced by <paramref name="size"/>.</summary>
    public GridShape WithSide(int axis, int size)
    {
        if (axis < 0 || axis >= Dimensions) throw new MultiscaleException($"axis {axis} does not exist in a {this} grid");
        var sides = Sides.ToArray();
        sides[axis] = size;
        return new GridShape(sides);
    }

    /// <summary>
    /// The 2-D rows × cols layout of <paramref name="n"/> cells closest to square (rows ≤ cols, rows the largest divisor
    /// of n not above √n): MsANN's layout of an image-like layer.
    /// </summary>
    public static GridShape NearSquare(int n)
    {
        if (n < 1) throw new MultiscaleException($"a grid needs at least one cell (got {n})");
        int rows = (int)Math.Floor(Math.Sqrt(n));
        while (n % rows != 0) rows--;
        return new GridShape(rows, n / rows);
    }

    /// <summary>"8x9" (sides joined by 'x').</summary>
    public override string ToString() => string.Join('x', Sides);

    /// <summary>
    /// Parses "AxBx…" (e.g. "40x50"; 'X' also separates). <paramref name="dimensions"/>, when given, is the number of
    /// sides required (MRTL's spatial modes are 2-D); otherwise one side or more.
    /// </summary>
    public static GridShape Parse(string text, int? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, dimensions, out var shape))
        {
            string expected = dimensions switch
            {
                2 => "ROWSxCOLS, e.g. 40x50",
                1 => "a positive size, e.g. 40",
                { } n => $"{n} positive sides joined by 'x', e.g. {string.Join('x', Enumerable.Repeat(8, n))}",
                null => "positive sides joined by 'x', e.g. 40x50",
            };
            throw new MultiscaleException($"'{text}' is not a grid shape; expected {expected}");
        }
        return shape;
    }

    /// <summary><see cref="Parse"/> without the exception: false when <paramref name="text"/> is not such a shape.</summary>
    public static bool TryParse(string? text, int? dimensions, out GridShape shape)
    {
        shape = default;
        if (text is null) return false;
        var parts = text.Trim().Split('x', 'X');
        if (dimensions is { } d && parts.Length != d) return false;
        var sides = new int[parts.Length];
        long cells = 1;
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sides[i]) || sides[i] < 1) return false;
            cells *= sides[i];
            if (cells > int.MaxValue) return false;
        }
        shape = new GridShape(sides);
        return true;
    }

    /// <summary>
    /// Reads a graph spec of the grid families — <c>path:N</c>, <c>cycle:N</c>, <c>grid:AxB…</c>, <c>torus:AxB…</c> — as
    /// its family and shape (cycle and torus are the periodic ones). False for any other spec. The one reader of these
    /// specs for everything that builds maps axis by axis (lineages, closed-form grid maps).
    /// </summary>
    public static bool TryParseGraphSpec(string? spec, out string family, out GridShape shape)
    {
        family = "";
        shape = default;
        if (spec is null) return false;
        var text = spec.Trim();
        int colon = text.IndexOf(':');
        if (colon < 0) return false;
        var name = text[..colon];
        // Lower-case 'x' only, as GraphSpec writes and reads these specs.
        if (name is not ("path" or "cycle" or "grid" or "torus") || text[(colon + 1)..].Any(c => c == 'X' || char.IsWhiteSpace(c))) return false;
        if (!TryParse(text[(colon + 1)..], null, out shape)) return false;
        family = name;
        return true;
    }

    /// <inheritdoc />
    public bool Equals(GridShape other) => Sides.SequenceEqual(other.Sides);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GridShape other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int s in Sides) hash.Add(s);
        return hash.ToHashCode();
    }

    /// <summary>Same sides.</summary>
    public static bool operator ==(GridShape left, GridShape right) => left.Equals(right);

    /// <summary>Different sides.</summary>
    public static bool operator !=(GridShape left, GridShape right) => !left.Equals(right);

    private int Side2D(int axis)
    {
        if (Dimensions != 2) throw new InvalidOperationException($"Rows and Cols are the sides of a 2-D grid; this one is {this}");
        return Sides[axis];
    }
}
