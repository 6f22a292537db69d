namespace Multiscale.Matching;

/// <summary>
/// The minimal eigenvalue matching m*(A₁, A₂) of paper 004 eq. (3.2): match each of the n₁ coarse eigenvalues
/// λ⁽¹⁾ to a distinct one of the n₂ ≥ n₁ fine eigenvalues λ⁽²⁾, minimising Σⱼ (λ⁽¹⁾ⱼ − λ⁽²⁾ᵢⱼ)², and among minimal
/// matchings take the lexicographically first. Solved exactly by dynamic programming in O(n₁ · (n₂ − n₁ + 1)) time.
/// </summary>
/// <remarks>
/// <para>
/// Why a dynamic program is exact: the cost is a convex function of the difference, so for sorted values the
/// rearrangement inequality says that sorting the fine indices of any matching (keeping the set of used fine values)
/// never raises its cost. Some optimum is therefore monotone (j &lt; j′ ⇒ iⱼ &lt; iⱼ′), and coarse j then lies at fine
/// index iⱼ ∈ [j, n₂ − n₁ + j]: the "band". Sorting also never makes a vector lexicographically larger, so the
/// lexicographically first optimum is monotone too, and searching monotone matchings loses nothing.
/// </para>
/// <para>
/// Tie-break (the paper's): matchings are ordered by their vector (i₀, i₁, …, i_{n₁−1}) and the first of minimal cost
/// is returned. A backward pass computes g(j, i), the least cost of matching coarse j.. into fine i.., and records one
/// bit per band cell: whether matching j to i attains g(j, i) (compared with ≤, so an exact tie counts as attaining).
/// The forward pass then matches each coarse value to the first fine index whose bit is set, which gives each iⱼ its
/// smallest optimal value in turn. "Exact tie" means equality of the double sums the backward pass forms; values that
/// tie in exact arithmetic but round differently are separated by their rounding.
/// </para>
/// <para>Memory: n₂ − n₁ + 1 doubles of cost state and n₁ · (n₂ − n₁ + 1) decision bits.</para>
/// </remarks>
public static class SpectralMatching
{
    /// <summary>
    /// The lexicographically first minimal matching of ascending <paramref name="coarse"/> values into ascending
    /// <paramref name="fine"/> values.
    /// </summary>
    /// <param name="coarse">n₁ finite values in ascending (non-decreasing) order.</param>
    /// <param name="fine">n₂ ≥ n₁ finite values in ascending (non-decreasing) order.</param>
    /// <returns>For each coarse index j the fine index matched to it; strictly increasing in j.</returns>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    /// <exception cref="MultiscaleException">
    /// A value is NaN or infinite, a list is not ascending, or there are fewer fine than coarse values.
    /// </exception>
    public static int[] Solve(IReadOnlyList<double> coarse, IReadOnlyList<double> fine)
    {
        var c = Validate(coarse, nameof(coarse), requireSorted: true);
        var f = Validate(fine, nameof(fine), requireSorted: true);
        CheckSizes(c.Length, f.Length);
        return SolveSorted(c, f);
    }

    /// <summary>Like <see cref="Solve"/>, also returning the total cost Σⱼ (coarse[j] − fine[iⱼ])², summed in j order.</summary>
    /// <param name="coarse">n₁ finite values in ascending order.</param>
    /// <param name="fine">n₂ ≥ n₁ finite values in ascending order.</param>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    /// <exception cref="MultiscaleException">
    /// A value is NaN or infinite, a list is not ascending, or there are fewer fine than coarse values.
    /// </exception>
    public static MatchingResult SolveWithCost(IReadOnlyList<double> coarse, IReadOnlyList<double> fine)
    {
        var fineOfCoarse = Solve(coarse, fine);
        return new MatchingResult(fineOfCoarse, TotalCost(coarse, fine, fineOfCoarse));
    }

    /// <summary>
    /// A minimal matching of values in any order: both lists are sorted (stably, so equal values keep their
    /// original relative order), matched with <see cref="Solve"/>, and the result mapped back to original indices.
    /// </summary>
    /// <remarks>
    /// The tie-break is the lexicographically first optimum with respect to the <em>sorted</em> positions, not the
    /// original indices; when both lists are already ascending the result equals <see cref="SolveWithCost"/>.
    /// </remarks>
    /// <param name="coarse">n₁ finite values in any order.</param>
    /// <param name="fine">n₂ ≥ n₁ finite values in any order.</param>
    /// <returns>For each original coarse index j, the original fine index matched to it, and the total cost.</returns>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    /// <exception cref="MultiscaleException">A value is NaN or infinite, or there are fewer fine than coarse values.</exception>
    public static MatchingResult SolveUnsorted(IReadOnlyList<double> coarse, IReadOnlyList<double> fine)
    {
        var c = Validate(coarse, nameof(coarse), requireSorted: false);
        var f = Validate(fine, nameof(fine), requireSorted: false);
        CheckSizes(c.Length, f.Length);
        var coarseOrder = StableOrder(c);
        var fineOrder = StableOrder(f);
        var sortedCoarse = new double[c.Length];
        var sortedFine = new double[f.Length];
        for (int k = 0; k < c.Length; k++) sortedCoarse[k] = c[coarseOrder[k]];
        for (int k = 0; k < f.Length; k++) sortedFine[k] = f[fineOrder[k]];

        var sortedMatch = SolveSorted(sortedCoarse, sortedFine);
        var fineOfCoarse = new int[c.Length];
        for (int k = 0; k < c.Length; k++) fineOfCoarse[coarseOrder[k]] = fineOrder[sortedMatch[k]];
        return new MatchingResult(fineOfCoarse, TotalCost(c, f, fineOfCoarse));
    }

    /// <summary>
    /// The matching problem as an assignment cost matrix, so that <see cref="Munkres"/> can solve the same problem:
    /// cost[i, j] = (coarse[j] − fine[i])², rows = fine values, columns = coarse values.
    /// </summary>
    /// <param name="coarse">The n₁ coarse values (any order).</param>
    /// <param name="fine">The n₂ fine values (any order).</param>
    /// <returns>An n₂ × n₁ matrix.</returns>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    public static double[,] CostMatrix(IReadOnlyList<double> coarse, IReadOnlyList<double> fine)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        ArgumentNullException.ThrowIfNull(fine);
        var cost = new double[fine.Count, coarse.Count];
        for (int i = 0; i < fine.Count; i++)
        {
            double fi = fine[i];
            for (int j = 0; j < coarse.Count; j++)
            {
                double d = coarse[j] - fi;
                cost[i, j] = d * d;
            }
        }
        return cost;
    }

    private static double TotalCost(IReadOnlyList<double> coarse, IReadOnlyList<double> fine, int[] fineOfCoarse)
    {
        double total = 0;
        for (int j = 0; j < fineOfCoarse.Length; j++)
        {
            double d = coarse[j] - fine[fineOfCoarse[j]];
            total += d * d;
        }
        return total;
    }

    private static double[] Validate(IReadOnlyList<double> values, string name, bool requireSorted)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        var copy = new double[values.Count];
        for (int k = 0; k < copy.Length; k++)
        {
            double x = values[k];
            if (!double.IsFinite(x))
                throw new MultiscaleException($"{name} eigenvalue {k} is {(double.IsNaN(x) ? "NaN" : x > 0 ? "+infinity" : "-infinity")}: every eigenvalue must be a finite number");
            if (requireSorted && k > 0 && x < copy[k - 1])
                throw new MultiscaleException($"{name} eigenvalues must be ascending, but value {k} ({x:R}) is below value {k - 1} ({copy[k - 1]:R})");
            copy[k] = x;
        }
        return copy;
    }

    private static void CheckSizes(int coarseCount, int fineCount)
    {
        if (fineCount < coarseCount)
            throw new MultiscaleException(
                $"cannot match {coarseCount} coarse eigenvalues into {fineCount} fine eigenvalues: every coarse eigenvalue needs a distinct fine one");
    }

    /// <summary>Indices that sort the values ascending, equal values in original order.</summary>
    private static int[] StableOrder(double[] values)
    {
        var order = new int[values.Length];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        // Array.Sort is unstable; comparing the index on equal values makes the order total, hence stable.
        Array.Sort(order, (a, b) =>
        {
            int byValue = values[a].CompareTo(values[b]);
            return byValue != 0 ? byValue : a.CompareTo(b);
        });
        return order;
    }

    /// <summary>The DP of the type remarks, on validated ascending arrays with n₂ ≥ n₁.</summary>
    private static int[] SolveSorted(double[] coarse, double[] fine)
    {
        int n1 = coarse.Length, n2 = fine.Length;
        var fineOfCoarse = new int[n1];
        if (n1 == 0) return fineOfCoarse;

        // Band cells are addressed by the offset k = i − j ∈ [0, slack]. g(j + 1, i + 1) has the same offset as
        // g(j, i), so one array indexed by k holds row j + 1 until it is overwritten, in descending k, by row j.
        int slack = n2 - n1;
        int width = slack + 1;
        long cells = (long)n1 * width;
        long words = (cells + 63) >> 6;
        if (words > Array.MaxLength)
            throw new MultiscaleException(
                $"matching {n1} coarse into {n2} fine eigenvalues needs {cells} decision bits, more than one array can hold");
        var matchBits = new ulong[words];
        var g = new double[width];   // row n1: nothing left to match costs 0

        for (int j = n1 - 1; j >= 0; j--)
        {
            double cj = coarse[j];
            long rowBase = (long)j * width;
            // k = slack: fine i = j + slack is the last that leaves room for coarse j + 1.., so j must take it.
            double d = cj - fine[j + slack];
            g[slack] = d * d + g[slack];
            SetBit(matchBits, rowBase + slack);
            for (int k = slack - 1; k >= 0; k--)
            {
                d = cj - fine[j + k];
                double take = d * d + g[k];
                double skip = g[k + 1];
                if (take <= skip)
                {
                    g[k] = take;
                    SetBit(matchBits, rowBase + k);
                }
                else
                {
                    g[k] = skip;
                }
            }
        }

        int offset = 0;
        for (int j = 0; j < n1; j++)
        {
            long rowBase = (long)j * width;
            // Terminates within the band: the bit at offset = slack is always set.
            while (!GetBit(matchBits, rowBase + offset)) offset++;
            fineOfCoarse[j] = j + offset;
        }
        return fineOfCoarse;
    }

    private static void SetBit(ulong[] bits, long index) => bits[index >> 6] |= 1UL << (int)(index & 63);

    private static bool GetBit(ulong[] bits, long index) => (bits[index >> 6] & (1UL << (int)(index & 63))) != 0;
}
