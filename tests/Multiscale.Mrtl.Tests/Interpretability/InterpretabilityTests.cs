using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Interpretability;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Interpretability;

public class MoransITests
{
    private static double BruteForce(double[,] v)
    {
        int rows = v.GetLength(0), cols = v.GetLength(1), n = rows * cols;
        double mean = 0;
        foreach (var x in v) mean += x / n;
        double num = 0, den = 0, w = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                den += (v[r, c] - mean) * (v[r, c] - mean);
                foreach (var (dr, dc) in new[] { (1, 0), (-1, 0), (0, 1), (0, -1) })
                {
                    int r2 = r + dr, c2 = c + dc;
                    if (r2 < 0 || r2 >= rows || c2 < 0 || c2 >= cols) continue;
                    num += (v[r, c] - mean) * (v[r2, c2] - mean);
                    w += 1;
                }
            }
        return n / w * num / den;
    }

    [Fact]
    public void CheckerboardIsMinusOne()
    {
        var grid = new GridShape(4, 6);
        var v = new double[grid.Cells];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 6; c++) v[grid.Index(r, c)] = (r + c) % 2 == 0 ? 3 : -1;
        Assert.Equal(-1.0, MoransI.Compute(tensor(v), grid), 12);
    }

    [Fact]
    public void LinearRampMatchesBruteForceAndIsNearOne()
    {
        var grid = new GridShape(5, 7);
        var v = new double[5, 7];
        for (int r = 0; r < 5; r++) for (int c = 0; c < 7; c++) v[r, c] = r + 2 * c;
        double expected = BruteForce(v);
        var t = tensor(v.Cast<double>().ToArray(), new long[] { 5, 7 }, ScalarType.Float64);
        Assert.Equal(expected, MoransI.Compute(t, grid), 12);
        Assert.Equal(expected, MoransI.Compute(t.reshape(-1).to(ScalarType.Float32), grid), 5);
        Assert.True(expected > 0.8, $"I = {expected}");
    }

    [Fact]
    public void RandomNoiseAveragesMinusOneOverNMinusOne()
    {
        var grid = new GridShape(10, 10);
        var g = new Generator(17);
        double total = 0;
        const int trials = 200;
        for (int i = 0; i < trials; i++)
        {
            using var scope = NewDisposeScope();
            total += MoransI.Compute(randn(100, dtype: ScalarType.Float64, generator: g), grid);
        }
        Assert.Equal(-1.0 / 99, total / trials, 0.02);
    }

    [Fact]
    public void RejectsConstantFieldsAndWrongShapes()
    {
        var grid = new GridShape(3, 4);
        Assert.Contains("zero variance", Assert.Throws<MultiscaleException>(() => MoransI.Compute(full(12, 2.5), grid)).Message);
        Assert.Contains("3x4", Assert.Throws<MultiscaleException>(() => MoransI.Compute(ones(13), grid)).Message);
        Assert.Throws<MultiscaleException>(() => MoransI.Compute(ones(4, 3), grid));
    }
}

public class FactorRecoveryTests
{
    [Fact]
    public void PermutedSignFlippedScaledCopyIsRecoveredExactly()
    {
        using var scope = NewDisposeScope();
        var planted = randn(12, 4, dtype: ScalarType.Float64, generator: new Generator(2));
        int[] perm = { 2, 0, 3, 1 }; // learned column i = planted column perm[i]
        var learned = planted.index_select(1, tensor(perm.Select(p => (long)p).ToArray())) * tensor(new double[] { -2, 0.5, 3, -1 });
        var r = FactorRecovery.Compute(learned, planted);
        Assert.Equal(1.0, r.Mean, 12);
        for (int j = 0; j < 4; j++) Assert.Equal(j, perm[r.Assignment[j]]);
        Assert.All(r.Cosines, c => Assert.Equal(1.0, c, 12));
    }

    [Fact]
    public void OrthogonalFactorsScoreZero()
    {
        using var scope = NewDisposeScope();
        var eye6 = eye(6, dtype: ScalarType.Float64);
        var r = FactorRecovery.Compute(eye6[.., ..3], eye6[.., 3..]);
        Assert.Equal(0.0, r.Mean, 15);
    }

    [Fact]
    public void MatchesBruteForceOverPermutations()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        for (int trial = 0; trial < 5; trial++)
        {
            var learned = randn(6, 4, dtype: ScalarType.Float64, generator: g);
            var planted = randn(6, 4, dtype: ScalarType.Float64, generator: g);
            var cos = (learned / learned.norm(0, true)).T.matmul(planted / planted.norm(0, true)).abs();
            double best = Permutations(new[] { 0, 1, 2, 3 }).Max(p => Enumerable.Range(0, 4).Average(j => cos[p[j], j].item<double>()));
            var r = FactorRecovery.Compute(learned, planted);
            Assert.Equal(best, r.Mean, 12);
            Assert.Equal(4, r.Assignment.Distinct().Count());
        }
    }

    [Fact]
    public void UnequalCountsAndErrors()
    {
        using var scope = NewDisposeScope();
        var planted = randn(8, 2, dtype: ScalarType.Float64, generator: new Generator(6));
        var learned = cat(new[] { randn(8, 3, dtype: ScalarType.Float64, generator: new Generator(7)), planted.flip(1) }, 1); // 5 learned
        var r = FactorRecovery.Compute(learned, planted);
        Assert.Equal(1.0, r.Mean, 12);
        Assert.Equal(new[] { 4, 3 }, r.Assignment);
        // Fewer learned than planted: the unmatched planted factor counts as 0.
        var fewer = FactorRecovery.Compute(planted[.., ..1], planted);
        Assert.Equal(-1, fewer.Assignment[1]);
        Assert.Equal(0.5, fewer.Mean, 12);
        Assert.Throws<MultiscaleException>(() => FactorRecovery.Compute(ones(3, 2), ones(4, 2)));
        Assert.Contains("all zeros", Assert.Throws<MultiscaleException>(() => FactorRecovery.Compute(zeros(3, 2), ones(3, 2))).Message);
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Length; i++)
            foreach (var rest in Permutations(items.Where((_, k) => k != i).ToArray()))
                yield return new[] { items[i] }.Concat(rest).ToArray();
    }
}
