namespace Multiscale.Matching;

/// <summary>
/// The rectangular assignment problem (Munkres 1957, the Hungarian method): given a rows × columns matrix of real
/// costs with rows ≥ columns, assign every column a distinct row so that the summed cost is minimal.
/// </summary>
/// <remarks>
/// <para>
/// Algorithm: shortest augmenting paths with dual potentials (the O(n³) form of the Hungarian method). Columns, the
/// smaller side, are inserted one at a time; each insertion runs a Dijkstra-like search over rows on reduced costs
/// cost[r, c] − u[c] − v[r], then flips the alternating path it found. Time O(columns² · rows), memory
/// O(rows · columns) for one column-major copy of the matrix plus O(rows + columns).
/// </para>
/// <para>
/// Tie-break (deterministic: the result is a function of the matrix values alone, with no randomness, hashing or
/// threads). Columns are inserted in increasing index order. Within one insertion the search scans rows in increasing
/// index order, and (1) the next row it reaches is the unreached row of least slack; on equal slack a free (unmatched)
/// row beats a matched one, and otherwise the lower index wins (strict <c>&lt;</c> in the increasing scan); (2) a row's
/// predecessor changes only when a strictly smaller slack is found, so it keeps the earliest-reached tree row that
/// gave it its minimal slack. The search stops at the first free row it reaches and flips the path to it. For example,
/// an all-equal matrix yields the identity (column j gets row j). The result is an optimum but not, in general, the
/// lexicographically first one.
/// </para>
/// <para>
/// Numerics: no tolerances. Potentials are plain doubles; a reduced cost that rounds slightly below zero only
/// reorders the search, and each search step reaches a new row, so an insertion takes at most rows + 1 steps whatever
/// the rounding. Costs whose largest magnitude lies outside [2⁻⁵⁰⁰, 2⁵⁰⁰] are first multiplied by a power of two
/// (exact, and it does not change which assignments are optimal) so that sums of costs and potentials can neither
/// overflow nor sink into subnormals.
/// </para>
/// </remarks>
public static class Munkres
{
    private const int ScaleLimitExponent = 500;

    /// <summary>
    /// Solves the assignment problem for <paramref name="cost"/> (cost[i, j] = cost of giving row i to column j).
    /// </summary>
    /// <param name="cost">Finite costs; at least as many rows as columns. Zero columns gives an empty assignment.</param>
    /// <returns>rowOfColumn: for each column j the distinct row assigned to it (length = number of columns).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cost"/> is null.</exception>
    /// <exception cref="MultiscaleException">An entry is NaN or infinite, or there are fewer rows than columns.</exception>
    public static int[] Solve(double[,] cost)
    {
        var (columnMajor, rows, columns) = Prepare(cost);
        return SolvePrepared(columnMajor, rows, columns);
    }

    /// <summary>Like <see cref="Solve"/>, also returning the total cost of the assignment found.</summary>
    /// <param name="cost">Finite costs; at least as many rows as columns.</param>
    /// <exception cref="ArgumentNullException"><paramref name="cost"/> is null.</exception>
    /// <exception cref="MultiscaleException">An entry is NaN or infinite, or there are fewer rows than columns.</exception>
    public static MatchingResult SolveWithCost(double[,] cost)
    {
        var rowOfColumn = Solve(cost);
        return new MatchingResult(rowOfColumn, TotalCost(cost, rowOfColumn));
    }

    /// <summary>Sum over columns j, in increasing order, of cost[rowOfColumn[j], j].</summary>
    /// <param name="cost">The cost matrix (rows × columns).</param>
    /// <param name="rowOfColumn">An assignment: one distinct, in-range row per column.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// The assignment's length is not the number of columns, or a row is out of range or used twice.
    /// </exception>
    public static double TotalCost(double[,] cost, int[] rowOfColumn)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(rowOfColumn);
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        if (rowOfColumn.Length != columns)
            throw new ArgumentException($"assignment has {rowOfColumn.Length} entries but the cost matrix has {columns} columns", nameof(rowOfColumn));
        var taken = new bool[rows];
        double total = 0;
        for (int j = 0; j < columns; j++)
        {
            int i = rowOfColumn[j];
            if ((uint)i >= (uint)rows)
                throw new ArgumentException($"column {j} is assigned row {i}, outside 0..{rows - 1}", nameof(rowOfColumn));
            if (taken[i])
                throw new ArgumentException($"row {i} is assigned to more than one column", nameof(rowOfColumn));
            taken[i] = true;
            total += cost[i, j];
        }
        return total;
    }

    /// <summary>Validates the matrix and copies it column-major (the search reads one column at a time).</summary>
    private static (double[] ColumnMajor, int Rows, int Columns) Prepare(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        if (rows < columns)
            throw new MultiscaleException(
                $"cost matrix has {rows} rows and {columns} columns: every column needs a distinct row, so there must be at least as many rows as columns");

        var columnMajor = new double[checked((long)rows * columns)];
        double maxAbs = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double x = cost[i, j];
                if (!double.IsFinite(x))
                    throw new MultiscaleException($"cost matrix entry [{i}, {j}] is {Describe(x)}: every cost must be a finite number");
                columnMajor[(long)j * rows + i] = x;
                double a = Math.Abs(x);
                if (a > maxAbs) maxAbs = a;
            }
        }

        if (maxAbs > 0)
        {
            int exponent = Math.ILogB(maxAbs);
            if (exponent > ScaleLimitExponent || exponent < -ScaleLimitExponent)
            {
                // A power of two keeps every comparison between sums of costs intact (barring underflow of entries
                // far below the largest, which cannot affect an optimum at double precision anyway).
                int shift = -exponent;
                for (long k = 0; k < columnMajor.LongLength; k++) columnMajor[k] = Math.ScaleB(columnMajor[k], shift);
            }
        }
        return (columnMajor, rows, columns);
    }

    private static string Describe(double x) =>
        double.IsNaN(x) ? "NaN" : x > 0 ? "+infinity" : "-infinity";

    /// <summary>
    /// The search proper. Index 0 on the row side is a virtual row that holds the column being inserted, so rows
    /// are 1-based here (row r is matrix row r − 1) and columns are 1-based (column c is matrix column c − 1).
    /// </summary>
    private static int[] SolvePrepared(double[] a, int rows, int columns)
    {
        var columnPotential = new double[columns + 1];
        var rowPotential = new double[rows + 1];
        var columnOfRow = new int[rows + 1];      // 0 = row free
        var predecessor = new int[rows + 1];      // previous row on the shortest alternating path
        var minSlack = new double[rows + 1];
        var reached = new bool[rows + 1];

        for (int c = 1; c <= columns; c++)
        {
            columnOfRow[0] = c;
            int r0 = 0;
            Array.Fill(minSlack, double.PositiveInfinity);
            Array.Clear(reached);
            do
            {
                reached[r0] = true;
                int c0 = columnOfRow[r0];
                long offset = (long)(c0 - 1) * rows - 1;
                double u0 = columnPotential[c0];
                double delta = double.PositiveInfinity;
                int r1 = -1;
                for (int r = 1; r <= rows; r++)
                {
                    if (reached[r]) continue;
                    double slack = a[offset + r] - u0 - rowPotential[r];
                    if (slack < minSlack[r])
                    {
                        minSlack[r] = slack;
                        predecessor[r] = r0;
                    }
                    // A free row at the minimal slack ends the search at once; without this preference, costs with
                    // many ties grow the tree through matched rows first and the search degrades to O(rows) steps.
                    double s = minSlack[r];
                    if (s < delta || (s == delta && columnOfRow[r] == 0 && r1 >= 0 && columnOfRow[r1] != 0))
                    {
                        delta = s;
                        r1 = r;
                    }
                }
                // Unreachable with finite, scaled costs (some unreached row always exists since rows ≥ columns);
                // kept so that a broken invariant cannot turn into an endless loop.
                if (r1 < 0) throw new InvalidOperationException("Munkres search found no row to extend to; potentials are no longer finite");

                for (int r = 0; r <= rows; r++)
                {
                    if (reached[r])
                    {
                        columnPotential[columnOfRow[r]] += delta;
                        rowPotential[r] -= delta;
                    }
                    else
                    {
                        minSlack[r] -= delta;
                    }
                }
                r0 = r1;
            } while (columnOfRow[r0] != 0);

            // Flip the alternating path back to the virtual row.
            do
            {
                int r1 = predecessor[r0];
                columnOfRow[r0] = columnOfRow[r1];
                r0 = r1;
            } while (r0 != 0);
        }

        var rowOfColumn = new int[columns];
        for (int r = 1; r <= rows; r++)
            if (columnOfRow[r] != 0) rowOfColumn[columnOfRow[r] - 1] = r - 1;
        return rowOfColumn;
    }
}
