using Multiscale.Matching;
using Multiscale.Mrtl.Decomposition;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Decomposition;

public class CpAlsTests
{
    private static Tensor[] PlantedFactors(long seed, params long[] sizes)
    {
        var g = new Generator((ulong)seed);
        return sizes.Select(s => randn(s, 3, dtype: ScalarType.Float64, generator: g)).ToArray();
    }

    private static Tensor Outer(IReadOnlyList<Tensor> factors, Tensor? weights = null)
    {
        int k = (int)factors[0].shape[1];
        var shape = factors.Select(f => f.shape[0]).ToArray();
        var total = zeros(shape, dtype: ScalarType.Float64);
        for (int r = 0; r < k; r++)
        {
            var term = factors[0][.., r];
            for (int n = 1; n < factors.Count; n++) term = term.unsqueeze(-1) * factors[n][.., r].reshape(Enumerable.Repeat(1L, n).Append(factors[n].shape[0]).ToArray());
            total += (weights is null ? 1.0 : weights[r].item<double>()) * term;
        }
        return total;
    }

    [Fact]
    public void RecoversAPlantedRank3TensorAndItsFactors()
    {
        using var scope = NewDisposeScope();
        var planted = PlantedFactors(7, 6, 7, 8);
        var x = Outer(planted);
        using var cp = CpAls.Decompose(x, 3);
        Assert.True(cp.Fit >= 0.999999, $"fit {cp.Fit}");
        Assert.True(cp.Converged);
        var w = cp.Weights.data<double>().ToArray();
        Assert.True(w[0] >= w[1] && w[1] >= w[2] && w[2] >= 0);
        for (int n = 0; n < 3; n++)
        {
            var learned = cp.Factors[n];
            Assert.True((linalg.vector_norm(learned, dims: new long[] { 0 }) - 1).abs().max().item<double>() < 1e-12);
            var p = planted[n] / linalg.vector_norm(planted[n], dims: new long[] { 0 });
            var cos = learned.T.matmul(p).abs(); // [learned, planted]
            var cost = new double[3, 3];
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) cost[i, j] = -cos[i, j].item<double>();
            var rowOfColumn = Munkres.Solve(cost);
            for (int j = 0; j < 3; j++) Assert.True(-cost[rowOfColumn[j], j] > 0.99999, $"mode {n} factor {j}: |cos| {-cost[rowOfColumn[j], j]}");
        }
        using var rec = cp.Reconstruct();
        Assert.True((linalg.norm(rec - x) / linalg.norm(x)).item<double>() < 1e-6);
    }

    /// <summary>A long spatial mode against short others (the climate weight tensor's shape) starts from the small Gram.</summary>
    [Fact]
    public void RecoversATensorWithOneModeLongerThanTheRest()
    {
        using var scope = NewDisposeScope();
        var planted = PlantedFactors(11, 4, 3, 500);
        var x = Outer(planted);
        using var cp = CpAls.Decompose(x, 3, new CpAlsOptions { Tolerance = 1e-14, MaxIterations = 3000 });
        Assert.True(cp.Fit >= 0.999999, $"fit {cp.Fit}");
        using var noise = CpAls.Decompose(randn(new long[] { 3, 2, 400 }, dtype: ScalarType.Float64, generator: new Generator(3)), 8, new CpAlsOptions { MaxIterations = 5 });
        Assert.Equal(8, noise.Rank);
        Assert.True(noise.Factors.All(f => isfinite(f).all().item<bool>()));
    }

    [Fact]
    public void RankOneIsExactWithTheProductOfNormsAsWeight()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var a = randn(5, 1, dtype: ScalarType.Float64, generator: g);
        var b = randn(4, 1, dtype: ScalarType.Float64, generator: g);
        var c = randn(3, 1, dtype: ScalarType.Float64, generator: g);
        var x = Outer(new[] { a, b, c }).to(ScalarType.Float32); // float32 input is accepted
        using var cp = CpAls.Decompose(x, 1);
        Assert.True(cp.Fit > 1 - 1e-6, $"fit {cp.Fit}");
        double expected = a.norm().item<double>() * b.norm().item<double>() * c.norm().item<double>();
        Assert.Equal(expected, cp.Weights[0].item<double>(), expected * 1e-5);
        Assert.Equal(ScalarType.Float64, cp.Weights.dtype);
    }

    [Fact]
    public void MatrixCaseIsTheTruncatedSvd()
    {
        // For N = 2 the SVD start is already an ALS fixed point: weights = singular values and the fit is Eckart–Young's.
        using var scope = NewDisposeScope();
        var x = randn(9, 6, dtype: ScalarType.Float64, generator: new Generator(11));
        using var cp = CpAls.Decompose(x, 2);
        var s = linalg.svdvals(x);
        Assert.True((cp.Weights - s[..2]).abs().max().item<double>() < 1e-9);
        double tail = s[2..].pow(2).sum().sqrt().item<double>();
        Assert.Equal(1 - tail / x.norm().item<double>(), cp.Fit, 1e-10);
    }

    [Fact]
    public void FitNeverDecreasesAcrossSweeps()
    {
        using var scope = NewDisposeScope();
        // Rank-4 approximation of a noisy tensor: ALS improves the fit monotonically (each step is an exact block minimizer).
        var x = Outer(PlantedFactors(5, 5, 6, 7)) + 0.3 * randn(new long[] { 5, 6, 7 }, dtype: ScalarType.Float64, generator: new Generator(9));
        double previous = double.NegativeInfinity;
        for (int it = 1; it <= 12; it++)
        {
            using var cp = CpAls.Decompose(x, 4, new CpAlsOptions { MaxIterations = it, Tolerance = 0, Init = CpInit.Random, Seed = 2 });
            Assert.Equal(it, cp.Iterations);
            Assert.True(cp.Fit >= previous - 1e-12, $"sweep {it}: fit {cp.Fit} < {previous}");
            previous = cp.Fit;
        }
    }

    [Fact]
    public void SpreadFactorsReconstructTheSameTensorInOrder4()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(21);
        var planted = new[] { 3L, 4, 5, 6 }.Select(s => randn(s, 2, dtype: ScalarType.Float64, generator: g)).ToArray();
        var x = Outer(planted);
        using var cp = CpAls.Decompose(x, 2);
        Assert.True(cp.Fit >= 0.99999, $"fit {cp.Fit}");
        var spread = cp.SpreadFactors();
        var fromSpread = Outer(spread);
        using var rec = cp.Reconstruct();
        Assert.True((fromSpread - rec).abs().max().item<double>() < 1e-10);
        // Every spread column has norm w_k^(1/N).
        var root = cp.Weights.pow(0.25);
        foreach (var f in spread) Assert.True((linalg.vector_norm(f, dims: new long[] { 0 }) - root).abs().max().item<double>() < 1e-10);
    }

    [Fact]
    public void SameSeedSameResultAndRankAboveModeSizeIsPadded()
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 3, 4, 5 }, dtype: ScalarType.Float64, generator: new Generator(1));
        var opts = new CpAlsOptions { MaxIterations = 20, Seed = 42 };
        using var a = CpAls.Decompose(x, 5, opts); // 5 > 3 and > 4: padded SVD start
        using var b = CpAls.Decompose(x, 5, opts);
        Assert.True(a.Weights.eq(b.Weights).all().item<bool>());
        for (int n = 0; n < 3; n++) Assert.True(a.Factors[n].eq(b.Factors[n]).all().item<bool>());
        Assert.Equal(new long[] { 3, 5 }, a.Factors[0].shape);
        using var c = CpAls.Decompose(x, 5, opts with { Seed = 43 });
        Assert.False(a.Weights.eq(c.Weights).all().item<bool>());
        using var r1 = CpAls.Decompose(x, 2, new CpAlsOptions { Init = CpInit.Random, Seed = 1, MaxIterations = 3 });
        using var r2 = CpAls.Decompose(x, 2, new CpAlsOptions { Init = CpInit.Random, Seed = 2, MaxIterations = 3 });
        Assert.False(r1.Weights.eq(r2.Weights).all().item<bool>());
    }

    [Fact]
    public void TheDecompositionOutlivesTheCallersDisposeScope()
    {
        CpDecomposition cp;
        using (var scope = NewDisposeScope())
            cp = CpAls.Decompose(randn(new long[] { 3, 4, 5 }, dtype: ScalarType.Float64, generator: new Generator(4)), 2);
        using (cp)
        {
            Assert.Equal(2, cp.Weights.shape[0]);
            using var rec = cp.Reconstruct();
            Assert.Equal(new long[] { 3, 4, 5 }, rec.shape);
        }
    }

    [Fact]
    public void RejectsBadInput()
    {
        using var scope = NewDisposeScope();
        var x = ones(3, 4, dtype: ScalarType.Float64);
        Assert.Contains("rank", Assert.Throws<MultiscaleException>(() => CpAls.Decompose(x, 0)).Message);
        Assert.Contains("order", Assert.Throws<MultiscaleException>(() => CpAls.Decompose(ones(5), 1)).Message);
        var bad = x.clone(); bad[1, 2] = double.NaN;
        Assert.Contains("NaN", Assert.Throws<MultiscaleException>(() => CpAls.Decompose(bad, 1)).Message);
        var inf = x.clone(); inf[0, 0] = double.PositiveInfinity;
        Assert.Contains("infinite", Assert.Throws<MultiscaleException>(() => CpAls.Decompose(inf, 1)).Message);
        Assert.Contains("zeros", Assert.Throws<MultiscaleException>(() => CpAls.Decompose(zeros(2, 2), 1)).Message);
        Assert.Throws<MultiscaleException>(() => CpAls.Decompose(x, 1, new CpAlsOptions { MaxIterations = 0 }));
    }
}
