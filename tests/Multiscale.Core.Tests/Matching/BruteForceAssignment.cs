namespace Multiscale.Tests.Matching;

/// <summary>Reference solver: tries every injective column → row assignment (small matrices only).</summary>
internal static class BruteForceAssignment
{
    /// <summary>
    /// The minimal cost and, among assignments of exactly that (column-order summed) cost, the lexicographically
    /// first vector (rowOfColumn[0], rowOfColumn[1], …). Enumeration runs in lexicographic order and only a strictly
    /// smaller cost replaces the incumbent, which is what makes the first one stick.
    /// </summary>
    internal static (int[] RowOfColumn, double Cost) Solve(double[,] cost)
    {
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        var current = new int[columns];
        var used = new bool[rows];
        int[] best = new int[columns];
        double bestCost = double.PositiveInfinity;

        void Recurse(int j)
        {
            if (j == columns)
            {
                double total = 0;
                for (int c = 0; c < columns; c++) total += cost[current[c], c];
                if (total < bestCost)
                {
                    bestCost = total;
                    best = (int[])current.Clone();
                }
                return;
            }
            for (int r = 0; r < rows; r++)
            {
                if (used[r]) continue;
                used[r] = true;
                current[j] = r;
                Recurse(j + 1);
                used[r] = false;
            }
        }

        Recurse(0);
        return (best, columns == 0 ? 0 : bestCost);
    }

    /// <summary>Asserts that <paramref name="rowOfColumn"/> gives every column a distinct, in-range row.</summary>
    internal static void AssertValidAssignment(int[] rowOfColumn, int rows, int columns)
    {
        Assert.Equal(columns, rowOfColumn.Length);
        var seen = new HashSet<int>();
        foreach (int r in rowOfColumn)
        {
            Assert.InRange(r, 0, rows - 1);
            Assert.True(seen.Add(r), $"row {r} assigned twice in [{string.Join(", ", rowOfColumn)}]");
        }
    }
}
