using FsCheck.Xunit;
using Multiscale.Matching;

namespace Multiscale.Tests.Matching;

/// <summary>
/// The eigenvalue-matching DP against Munkres (same cost matrix) and exhaustive search, on random and on degenerate
/// (closed-form cycle and path) spectra, and its lexicographic tie-break.
/// </summary>
public class SpectralMatchingTests
{
    private static double[] SortedRandom(Random rng, int n, double low, double high, int? decimals = null)
    {
        var values = new double[n];
        for (int k = 0; k < n; k++)
        {
            double x = low + (high - low) * rng.NextDouble();
            values[k] = decimals is int d ? Math.Round(x, d) : x;
        }
        Array.Sort(values);
        return values;
    }

    /// <summary>Eigenvalues of L = A − D of the cycle C_n, −(2 − 2cos(2πk/n)), ascending.</summary>
    private static double[] CycleSpectrum(int n)
    {
        var values = new double[n];
        for (int k = 0; k < n; k++) values[k] = -(2 - 2 * Math.Cos(2 * Math.PI * k / n));
        Array.Sort(values);
        return values;
    }

    /// <summary>Eigenvalues of L = A − D of the path P_n, −(2 − 2cos(πk/n)), ascending.</summary>
    private static double[] PathSpectrum(int n)
    {
        var values = new double[n];
        for (int k = 0; k < n; k++) values[k] = -(2 - 2 * Math.Cos(Math.PI * k / n));
        Array.Sort(values);
        return values;
    }

    private static void AssertMonotoneInBand(int[] match, int n1, int n2)
    {
        Assert.Equal(n1, match.Length);
        for (int j = 0; j < n1; j++)
        {
            Assert.InRange(match[j], j, n2 - n1 + j);
            if (j > 0) Assert.True(match[j] > match[j - 1], $"not increasing at {j}: [{string.Join(", ", match)}]");
        }
    }

    private static void AssertSameCost(double expected, double actual, string what)
    {
        double tolerance = 1e-12 + 1e-9 * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");
    }

    [Fact]
    public void MatchesMunkresOnRandomSortedSpectra()
    {
        var rng = new Random(2024);
        for (int trial = 0; trial < 60; trial++)
        {
            int n1 = 1 + rng.Next(60);
            int n2 = n1 + rng.Next(61 - n1);
            // Every third trial rounds to one decimal, which makes repeated eigenvalues and exact ties common.
            int? decimals = trial % 3 == 0 ? 1 : null;
            var coarse = SortedRandom(rng, n1, -8, 0, decimals);
            var fine = SortedRandom(rng, n2, -8, 0, decimals);
            var dp = SpectralMatching.SolveWithCost(coarse, fine);
            AssertMonotoneInBand(dp.RowOfColumn, n1, n2);
            var cost = SpectralMatching.CostMatrix(coarse, fine);
            Assert.Equal(Munkres.TotalCost(cost, dp.RowOfColumn), dp.TotalCost);
            var munkres = Munkres.SolveWithCost(cost);
            AssertSameCost(munkres.TotalCost, dp.TotalCost, $"trial {trial} ({n1} into {n2})");
        }
    }

    public static TheoryData<string, int, int> DegenerateCases() => new()
    {
        { "cycle", 8, 16 }, { "cycle", 6, 9 }, { "cycle", 16, 32 }, { "cycle", 5, 10 }, { "cycle", 3, 7 },
        { "path", 4, 8 }, { "path", 5, 10 }, { "path", 8, 16 }, { "path", 6, 9 }, { "path", 16, 32 },
    };

    [Theory]
    [MemberData(nameof(DegenerateCases))]
    public void MatchesMunkresOnCycleAndPathSpectra(string family, int n1, int n2)
    {
        var coarse = family == "cycle" ? CycleSpectrum(n1) : PathSpectrum(n1);
        var fine = family == "cycle" ? CycleSpectrum(n2) : PathSpectrum(n2);
        var dp = SpectralMatching.SolveWithCost(coarse, fine);
        AssertMonotoneInBand(dp.RowOfColumn, n1, n2);
        var munkres = Munkres.SolveWithCost(SpectralMatching.CostMatrix(coarse, fine));
        AssertSameCost(munkres.TotalCost, dp.TotalCost, $"{family} {n1} → {n2}");
        if (n2 == 2 * n1)
        {
            // cos(2πk/n) = cos(2π·2k/2n): the coarse spectrum is a sub-multiset of the fine one.
            Assert.True(dp.TotalCost <= 1e-20, $"expected a zero-cost matching, got {dp.TotalCost:R}");
            for (int j = 0; j < n1; j++) Assert.Equal(coarse[j], fine[dp.RowOfColumn[j]], 12);
        }
        else
        {
            Assert.True(dp.TotalCost > 1e-6, $"{family} {n1} → {n2} cannot embed, yet cost is {dp.TotalCost:R}");
        }
    }

    [Fact]
    public void TiesGoToTheLexicographicallyFirstMatching()
    {
        double[] coarse = { 0, 0, 1 }, fine = { 0, 0, 0, 1, 1 };
        var expected = BruteForceAssignment.Solve(SpectralMatching.CostMatrix(coarse, fine)).RowOfColumn;
        Assert.Equal(new[] { 0, 1, 3 }, expected);
        Assert.Equal(expected, SpectralMatching.Solve(coarse, fine));
    }

    [Theory]
    [InlineData(new double[] { 1 }, new double[] { 0, 2 }, new[] { 0 })]
    [InlineData(new double[] { 1, 1 }, new double[] { 0, 0, 2, 2 }, new[] { 0, 1 })]
    [InlineData(new double[] { 0, 2 }, new double[] { 1, 1, 3 }, new[] { 0, 1 })]
    [InlineData(new double[] { 2, 2 }, new double[] { 0, 1, 3, 4 }, new[] { 1, 2 })]
    public void EquidistantChoicesTakeTheLowestIndex(double[] coarse, double[] fine, int[] expected)
    {
        Assert.Equal(expected, BruteForceAssignment.Solve(SpectralMatching.CostMatrix(coarse, fine)).RowOfColumn);
        Assert.Equal(expected, SpectralMatching.Solve(coarse, fine));
    }

    [Fact]
    public void LexicographicTieBreakAgreesWithBruteForceOnManyIntegerSpectra()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            int n1 = rng.Next(5), n2 = n1 + rng.Next(8 - n1);
            var coarse = Enumerable.Range(0, n1).Select(_ => (double)rng.Next(4)).Order().ToArray();
            var fine = Enumerable.Range(0, n2).Select(_ => (double)rng.Next(4)).Order().ToArray();
            var (expected, expectedCost) = BruteForceAssignment.Solve(SpectralMatching.CostMatrix(coarse, fine));
            var dp = SpectralMatching.SolveWithCost(coarse, fine);
            Assert.Equal(expectedCost, dp.TotalCost);
            Assert.True(expected.SequenceEqual(dp.RowOfColumn),
                $"coarse [{string.Join(", ", coarse)}] fine [{string.Join(", ", fine)}]: brute force [{string.Join(", ", expected)}], DP [{string.Join(", ", dp.RowOfColumn)}]");
        }
    }

    [Property(MaxTest = 200)]
    public void CostEqualsBruteForceOnSmallRandomProblems(int seed, byte coarseSize, byte extra)
    {
        var rng = new Random(seed);
        int n1 = coarseSize % 6, n2 = n1 + extra % (8 - n1);
        var coarse = SortedRandom(rng, n1, -4, 0);
        var fine = SortedRandom(rng, n2, -4, 0);
        var (_, expected) = BruteForceAssignment.Solve(SpectralMatching.CostMatrix(coarse, fine));
        var dp = SpectralMatching.SolveWithCost(coarse, fine);
        AssertMonotoneInBand(dp.RowOfColumn, n1, n2);
        AssertSameCost(expected, dp.TotalCost, $"{n1} into {n2}");
    }

    [Fact]
    public void UnsortedInputIsSortedAndMappedBack()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 30; trial++)
        {
            int n1 = 1 + rng.Next(20), n2 = n1 + rng.Next(15);
            var coarse = SortedRandom(rng, n1, -6, 0, 1).OrderBy(_ => rng.Next()).ToArray();
            var fine = SortedRandom(rng, n2, -6, 0, 1).OrderBy(_ => rng.Next()).ToArray();
            var result = SpectralMatching.SolveUnsorted(coarse, fine);
            BruteForceAssignment.AssertValidAssignment(result.RowOfColumn, n2, n1);
            var cost = SpectralMatching.CostMatrix(coarse, fine);
            Assert.Equal(Munkres.TotalCost(cost, result.RowOfColumn), result.TotalCost);
            AssertSameCost(Munkres.SolveWithCost(cost).TotalCost, result.TotalCost, $"trial {trial}");
            var sorted = SpectralMatching.SolveWithCost(coarse.Order().ToArray(), fine.Order().ToArray());
            AssertSameCost(sorted.TotalCost, result.TotalCost, $"trial {trial} sorted");
        }
    }

    [Fact]
    public void UnsortedOnSortedInputEqualsSolve()
    {
        double[] coarse = { -3, -1, -1, 0 }, fine = { -3, -2, -1, -1, -1, 0, 0 };
        var direct = SpectralMatching.SolveWithCost(coarse, fine);
        var viaSort = SpectralMatching.SolveUnsorted(coarse, fine);
        Assert.Equal(direct.RowOfColumn, viaSort.RowOfColumn);
        Assert.Equal(direct.TotalCost, viaSort.TotalCost);
    }

    [Fact]
    public void UnsortedKeepsEqualValuesInOriginalOrder()
    {
        // Stable sort puts fine index 1 before fine index 3 (both 5), and coarse index 0 before 1; the lex-first
        // sorted matching [0, 1] therefore maps coarse 0 → fine 1 and coarse 1 → fine 3. An unstable sort could swap.
        double[] coarse = { 5, 5 }, fine = { 9, 5, 7, 5 };
        Assert.Equal(new[] { 1, 3 }, SpectralMatching.SolveUnsorted(coarse, fine).RowOfColumn);
    }

    [Fact]
    public void CostMatrixHasFineRowsAndCoarseColumns()
    {
        double[] coarse = { -1, 0.5 }, fine = { -2, 0, 3 };
        var cost = SpectralMatching.CostMatrix(coarse, fine);
        Assert.Equal(3, cost.GetLength(0));
        Assert.Equal(2, cost.GetLength(1));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++) Assert.Equal((coarse[j] - fine[i]) * (coarse[j] - fine[i]), cost[i, j]);
    }

    [Fact]
    public void EmptyCoarseGivesAnEmptyMatching()
    {
        var result = SpectralMatching.SolveWithCost(Array.Empty<double>(), new double[] { 1, 2 });
        Assert.Empty(result.RowOfColumn);
        Assert.Equal(0.0, result.TotalCost);
        Assert.Empty(SpectralMatching.Solve(Array.Empty<double>(), Array.Empty<double>()));
    }

    [Fact]
    public void EqualSizesMatchInOrder()
    {
        var values = SortedRandom(new Random(9), 40, -3, 0);
        var fine = values.Select(v => v + 0.01).ToArray();
        Assert.Equal(Enumerable.Range(0, 40), SpectralMatching.Solve(values, fine));
    }

    [Fact]
    public void InvalidInputIsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => SpectralMatching.Solve(null!, new double[] { 1 }));
        Assert.Throws<ArgumentNullException>(() => SpectralMatching.Solve(new double[] { 1 }, null!));

        var unsorted = Assert.Throws<MultiscaleException>(() => SpectralMatching.Solve(new double[] { 0 }, new double[] { 0, 2, 1 }));
        Assert.Contains("fine", unsorted.Message);
        Assert.Contains("ascending", unsorted.Message);
        Assert.Contains("value 2", unsorted.Message);

        var nan = Assert.Throws<MultiscaleException>(() => SpectralMatching.Solve(new double[] { 0, double.NaN }, new double[] { 0, 1, 2 }));
        Assert.Contains("coarse eigenvalue 1", nan.Message);
        Assert.Contains("NaN", nan.Message);

        var inf = Assert.Throws<MultiscaleException>(() => SpectralMatching.SolveUnsorted(new double[] { 0 }, new double[] { double.NegativeInfinity, 1 }));
        Assert.Contains("fine eigenvalue 0", inf.Message);
        Assert.Contains("infinity", inf.Message);

        var tooFew = Assert.Throws<MultiscaleException>(() => SpectralMatching.Solve(new double[] { 0, 1, 2 }, new double[] { 0, 1 }));
        Assert.Contains("3 coarse", tooFew.Message);
        Assert.Contains("2 fine", tooFew.Message);
        Assert.Contains("distinct", tooFew.Message);
    }
}
