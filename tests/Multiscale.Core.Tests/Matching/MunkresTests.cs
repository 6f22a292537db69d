using FsCheck.Xunit;
using Multiscale.Matching;

namespace Multiscale.Tests.Matching;

/// <summary>Munkres against exhaustive search, its documented tie-break, determinism and input validation.</summary>
public class MunkresTests
{
    /// <summary>How the entries of a random test matrix are drawn.</summary>
    public enum CostKind
    {
        /// <summary>Uniform in [0, 1): ties practically never occur.</summary>
        Uniform,
        /// <summary>Integers 0..3: many ties, and all sums are exact.</summary>
        SmallIntegers,
        /// <summary>Integers 0..1: mostly ties.</summary>
        Binary,
        /// <summary>Uniform in [0, 1e-30): entries only ~1e-30 apart.</summary>
        Tiny,
        /// <summary>Integers 0..9 times 2¹⁰⁰⁰: exact, but near the top of the double range.</summary>
        HugeIntegers,
        /// <summary>Integers 0..9 times 2⁻¹⁰⁶⁰: exact subnormals.</summary>
        SubnormalIntegers,
        /// <summary>Uniform in [−5, 5): negative costs.</summary>
        Signed,
    }

    internal static double[,] RandomCost(int seed, int rows, int columns, CostKind kind)
    {
        var rng = new Random(seed);
        var cost = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                cost[i, j] = kind switch
                {
                    CostKind.Uniform => rng.NextDouble(),
                    CostKind.SmallIntegers => rng.Next(4),
                    CostKind.Binary => rng.Next(2),
                    CostKind.Tiny => 1e-30 * rng.NextDouble(),
                    CostKind.HugeIntegers => Math.ScaleB(rng.Next(10), 1000),
                    CostKind.SubnormalIntegers => Math.ScaleB(rng.Next(10), -1060),
                    CostKind.Signed => 10 * rng.NextDouble() - 5,
                    _ => throw new ArgumentOutOfRangeException(nameof(kind)),
                };
        return cost;
    }

    /// <summary>Every shape rows × columns with 1 ≤ columns ≤ 5 and columns ≤ rows ≤ 7.</summary>
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        for (int columns = 1; columns <= 5; columns++)
            for (int rows = columns; rows <= 7; rows++) data.Add(rows, columns);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesBruteForceOnEveryShape(int rows, int columns)
    {
        foreach (var kind in Enum.GetValues<CostKind>())
        {
            for (int seed = 0; seed < 6; seed++)
            {
                var cost = RandomCost(1000 * rows + 100 * columns + seed, rows, columns, kind);
                var (_, expected) = BruteForceAssignment.Solve(cost);
                var result = Munkres.SolveWithCost(cost);
                BruteForceAssignment.AssertValidAssignment(result.RowOfColumn, rows, columns);
                Assert.Equal(Munkres.TotalCost(cost, result.RowOfColumn), result.TotalCost);
                switch (kind)
                {
                    case CostKind.SmallIntegers or CostKind.Binary or CostKind.HugeIntegers or CostKind.SubnormalIntegers:
                        // Sums of these are exact in double, so the optimum must be hit exactly.
                        Assert.Equal(expected, result.TotalCost);
                        break;
                    default:
                        double scale = kind switch { CostKind.Tiny => 1e-30, CostKind.Signed => 5.0, _ => 1.0 };
                        Assert.True(Math.Abs(expected - result.TotalCost) <= 1e-9 * scale,
                            $"{kind} seed {seed}: brute force {expected:R}, Munkres {result.TotalCost:R}");
                        break;
                }
            }
        }
    }

    [Fact]
    public void AllEqualCostsGiveTheIdentity()
    {
        // The documented scan order: lowest-index row first on equal slack, columns inserted in order.
        var cost = new double[7, 5];
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 5; j++) cost[i, j] = 3.25;
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, Munkres.Solve(cost));
    }

    [Fact]
    public void EqualSlackPrefersTheLowerRow()
    {
        // Column 0 may take row 1 or row 3 at cost 0; row 1 is reached first.
        var cost = new double[,] { { 5, 1 }, { 0, 2 }, { 9, 0 }, { 0, 7 } };
        Assert.Equal(new[] { 1, 2 }, Munkres.Solve(cost));
    }

    [Fact]
    public void EqualSlackPrefersAFreeRowOverAMatchedOne()
    {
        // Column 0 takes row 0. For column 1, matched row 0 and free row 2 tie at slack 0; going through row 0 would
        // reach free row 1 at slack 0 as well and give [1, 0], but the free row 2 is taken at once.
        var cost = new double[,] { { 0, 0 }, { 0, 1 }, { 5, 0 } };
        Assert.Equal(new[] { 0, 2 }, Munkres.Solve(cost));
    }

    [Fact]
    public void SameInputGivesSameAssignment()
    {
        var cost = RandomCost(42, 60, 45, CostKind.Binary);
        var copy = (double[,])cost.Clone();
        var first = Munkres.Solve(cost);
        var second = Munkres.Solve(cost);
        var third = Munkres.Solve(copy);
        Assert.Equal(first, second);
        Assert.Equal(first, third);
        BruteForceAssignment.AssertValidAssignment(first, 60, 45);
    }

    [Fact]
    public void InputIsNotModified()
    {
        var cost = RandomCost(7, 9, 6, CostKind.Uniform);
        var copy = (double[,])cost.Clone();
        Munkres.Solve(cost);
        Assert.Equal(copy, cost);
    }

    [Property(MaxTest = 100)]
    public void OptimalCostIsInvariantUnderPermutingRowsAndColumns(int seed)
    {
        // Integer costs keep every sum exact, so the two optima must agree exactly.
        var rng = new Random(seed);
        int columns = 1 + rng.Next(25), rows = columns + rng.Next(10);
        var cost = RandomCost(seed, rows, columns, CostKind.SmallIntegers);
        var rowPerm = Enumerable.Range(0, rows).OrderBy(_ => rng.Next()).ToArray();
        var colPerm = Enumerable.Range(0, columns).OrderBy(_ => rng.Next()).ToArray();
        var permuted = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) permuted[i, j] = cost[rowPerm[i], colPerm[j]];
        Assert.Equal(Munkres.SolveWithCost(cost).TotalCost, Munkres.SolveWithCost(permuted).TotalCost);
    }

    [Fact]
    public void SquareIdentityPlusOffDiagonalPenaltyIsSolvedOnTheDiagonal()
    {
        const int n = 50;
        var cost = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) cost[i, j] = i == j ? 0 : 1 + (i * 7 + j * 3) % 5;
        var result = Munkres.SolveWithCost(cost);
        Assert.Equal(Enumerable.Range(0, n), result.RowOfColumn);
        Assert.Equal(0.0, result.TotalCost);
    }

    [Fact]
    public void ZeroColumnsGiveAnEmptyAssignment()
    {
        Assert.Empty(Munkres.Solve(new double[3, 0]));
        Assert.Empty(Munkres.Solve(new double[0, 0]));
        Assert.Equal(0.0, Munkres.SolveWithCost(new double[4, 0]).TotalCost);
    }

    [Fact]
    public void NullIsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => Munkres.Solve(null!));
        Assert.Throws<ArgumentNullException>(() => Munkres.TotalCost(null!, Array.Empty<int>()));
        Assert.Throws<ArgumentNullException>(() => Munkres.TotalCost(new double[1, 1], null!));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+infinity")]
    [InlineData(double.NegativeInfinity, "-infinity")]
    public void NonFiniteEntriesAreRejectedWithTheirPosition(double bad, string word)
    {
        var cost = RandomCost(3, 4, 3, CostKind.Uniform);
        cost[1, 2] = bad;
        var e = Assert.Throws<MultiscaleException>(() => Munkres.Solve(cost));
        Assert.Contains("[1, 2]", e.Message);
        Assert.Contains(word, e.Message);
        Assert.Contains("finite", e.Message);
    }

    [Fact]
    public void FewerRowsThanColumnsIsRejected()
    {
        var e = Assert.Throws<MultiscaleException>(() => Munkres.Solve(new double[2, 3]));
        Assert.Contains("2 rows", e.Message);
        Assert.Contains("3 columns", e.Message);
        Assert.Contains("distinct row", e.Message);
    }

    [Fact]
    public void TotalCostRejectsInvalidAssignments()
    {
        var cost = new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } };
        Assert.Equal(2 + 5, Munkres.TotalCost(cost, new[] { 2, 0 }));
        Assert.Throws<ArgumentException>(() => Munkres.TotalCost(cost, new[] { 0 }));
        Assert.Throws<ArgumentException>(() => Munkres.TotalCost(cost, new[] { 0, 3 }));
        Assert.Throws<ArgumentException>(() => Munkres.TotalCost(cost, new[] { 1, 1 }));
    }
}
