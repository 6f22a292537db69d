using Multiscale.Mrtl.Criteria;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Criteria;

public class FinegrainCriterionTests
{
    private static int FirstTrigger(FinegrainCriterion c, IEnumerable<double> losses)
    {
        int epoch = 0;
        foreach (var l in losses)
        {
            epoch++;
            if (c.EndEpoch(l)) return epoch;
        }
        return -1;
    }

    [Fact]
    public void ValidationLossTriggersOnARiseNotOnAFall()
    {
        using var rising = FinegrainCriterion.Create(CriterionKind.ValidationLoss, new CriterionOptions());
        Assert.Equal(3, FirstTrigger(rising, new[] { 1.0, 0.9, 0.95, 0.7 }));
        Assert.Equal("validation loss rose 1 time", rising.Reason);
        Assert.Equal(new[] { 1.0, 0.9, 0.95 }, rising.History);

        using var falling = FinegrainCriterion.Create(CriterionKind.ValidationLoss, new CriterionOptions { MaxEpochs = 50 });
        Assert.Equal(-1, FirstTrigger(falling, Enumerable.Range(0, 30).Select(i => 1.0 / (i + 1))));
        Assert.Null(falling.Reason);
    }

    [Fact]
    public void PatienceCountsRisesInTotalNotInARow()
    {
        using var c = FinegrainCriterion.Create(CriterionKind.ValidationLoss, new CriterionOptions { Patience = 3 });
        // Rises at epochs 2, 4 and 6, each followed by a fall.
        Assert.Equal(6, FirstTrigger(c, new[] { 1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7 }));
        Assert.Equal(3, c.Rises);
        Assert.Equal("validation loss rose 3 times", c.Reason);
    }

    [Fact]
    public void EpochCapAndMinimumEpochs()
    {
        using var capped = FinegrainCriterion.Create(CriterionKind.ValidationLoss, new CriterionOptions { MaxEpochs = 5 });
        Assert.Equal(5, FirstTrigger(capped, new[] { 5.0, 4, 3, 2, 1, 0.5 }));
        Assert.Equal("epoch cap 5", capped.Reason);

        using var late = FinegrainCriterion.Create(CriterionKind.ValidationLoss, new CriterionOptions { MinEpochs = 4 });
        Assert.Equal(4, FirstTrigger(late, new[] { 1.0, 2.0, 1.5, 1.4, 1.3 })); // rose at epoch 2, held back until 4
    }

    [Fact]
    public void GradientNormIsTheMeanSquaredNormPerEpoch()
    {
        using var c = FinegrainCriterion.Create(CriterionKind.GradientNorm, new CriterionOptions { MaxEpochs = 10 });
        var a = tensor(new double[] { 1, 2, 2 });     // ‖a‖² = 9
        var b = tensor(new float[] { 0, 3, 4, 0 }.Take(3).ToArray()); // ‖b‖² = 25, float32 accepted
        c.ObserveGradient(a); c.ObserveGradient(b);
        Assert.False(c.EndEpoch(double.NaN)); // the loss is not used
        Assert.Equal(17.0, c.History[0], 12);
        // Falling: each epoch's gradients shrink.
        for (int e = 1; e <= 5; e++)
        {
            c.ObserveGradient(a / (e + 1));
            Assert.False(c.EndEpoch(0));
        }
        // Rising.
        c.ObserveGradient(a * 10);
        Assert.True(c.EndEpoch(0));
        Assert.Equal("gradient norm rose 1 time", c.Reason);
        Assert.Equal(900.0, c.History[^1], 9);
    }

    [Fact]
    public void GradientVarianceIsTheVarianceOfTheEpochMeanGradient()
    {
        using var c = FinegrainCriterion.Create(CriterionKind.GradientVariance, new CriterionOptions());
        var g = new Generator(3);
        var steps = Enumerable.Range(0, 4).Select(_ => randn(2, 3, dtype: ScalarType.Float64, generator: g)).ToArray();
        foreach (var s in steps) c.ObserveGradient(s);
        Assert.False(c.EndEpoch(0));
        // Brute force: mean over steps, then population variance over the 6 entries.
        var mean = new double[6];
        foreach (var s in steps) { var d = s.data<double>().ToArray(); for (int i = 0; i < 6; i++) mean[i] += d[i] / 4; }
        double mu = mean.Average();
        Assert.Equal(mean.Sum(m => (m - mu) * (m - mu)) / 6, c.History[0], 12);
        // A spread-out mean gradient raises it.
        c.ObserveGradient(tensor(new double[] { -10, 10, -10, 10, -10, 10 }).reshape(2, 3));
        Assert.True(c.EndEpoch(0));
        Assert.Equal(100.0, c.History[1], 12);
    }

    [Fact]
    public void EntropyOfUniformIsLnNAndOfAPointMassIsZero()
    {
        Assert.Equal(Math.Log(7), FinegrainCriterion.Entropy(full(7, 1.0 / 7, dtype: ScalarType.Float64)), 12);
        Assert.Equal(0.0, FinegrainCriterion.Entropy(tensor(new double[] { 0, 1, 0, 0 })), 15);
        // Signs do not matter, only magnitudes; a zero gradient has entropy 0.
        Assert.Equal(Math.Log(6), FinegrainCriterion.MagnitudeEntropy(tensor(new double[] { 2, -2, 2, -2, 2, -2 })), 12);
        Assert.Equal(0.0, FinegrainCriterion.MagnitudeEntropy(zeros(5)));
        Assert.Equal(-(0.25 * Math.Log(0.25) + 0.75 * Math.Log(0.75)), FinegrainCriterion.MagnitudeEntropy(tensor(new double[] { 0, -1, 3 })), 12);
    }

    [Fact]
    public void GradientEntropyRisesWhenTheGradientSpreads()
    {
        using var c = FinegrainCriterion.Create(CriterionKind.GradientEntropy, new CriterionOptions());
        c.ObserveGradient(tensor(new double[] { 5, 0, 0, 0 }));
        Assert.False(c.EndEpoch(0));
        Assert.Equal(0.0, c.History[0], 15);
        c.ObserveGradient(tensor(new double[] { 1, -1, 1, -1 }));
        Assert.True(c.EndEpoch(0));
        Assert.Equal(Math.Log(4), c.History[1], 12);
        Assert.Equal("gradient entropy rose 1 time", c.Reason);

        using var concentrating = FinegrainCriterion.Create(CriterionKind.GradientEntropy, new CriterionOptions { MaxEpochs = 10 });
        for (int e = 0; e < 6; e++)
        {
            concentrating.ObserveGradient(tensor(new double[] { 1, Math.Pow(0.5, e + 1), Math.Pow(0.5, e + 1) }));
            Assert.False(concentrating.EndEpoch(0));
        }
    }

    [Fact]
    public void HistogramEntropyMatchesBruteForceOnATinyWindow()
    {
        var samples = new double[,] { { 0.0, 1, 3 }, { 0.1, 1, -1 }, { 0.2, 1, 3 }, { 1.0, 1, 0 }, { 0.9, 1, 3 } }; // T = 5, 3 weights
        const int bins = 4;
        var t = tensor(samples);
        var got = SpatialEntropyCriterion.HistogramEntropies(t, bins).data<double>().ToArray();
        for (int j = 0; j < 3; j++)
        {
            var col = Enumerable.Range(0, 5).Select(i => samples[i, j]).ToArray();
            double lo = col.Min(), hi = col.Max();
            var counts = new int[bins];
            foreach (var v in col) counts[hi > lo ? Math.Min((int)Math.Floor((v - lo) / (hi - lo) * bins), bins - 1) : 0]++;
            double h = -counts.Where(k => k > 0).Sum(k => k / 5.0 * Math.Log(k / 5.0));
            Assert.Equal(h, got[j], 12);
        }
        // Column 0: bins {0,0,0,3,3} → −(0.6 ln 0.6 + 0.4 ln 0.4); column 1 constant → 0.
        Assert.Equal(-(0.6 * Math.Log(0.6) + 0.4 * Math.Log(0.4)), got[0], 12);
        Assert.Equal(0.0, got[1]);
    }

    [Fact]
    public void SpatialEntropyTriggersOnNoisyGradientsNotOnSettledOnes()
    {
        var options = new CriterionOptions { Window = 10, Bins = 8, Fraction = 0.9, MaxEpochs = 20 };
        using var noisy = (SpatialEntropyCriterion)FinegrainCriterion.Create(CriterionKind.SpatialEntropy, options);
        Assert.Equal(0.5 * Math.Log(8), noisy.Threshold, 15);
        var g = new Generator(12);
        for (int step = 0; step < 25; step++) noisy.ObserveGradient(rand(new long[] { 6, 7 }, dtype: ScalarType.Float64, generator: g));
        Assert.True(noisy.CurrentFraction() >= 0.9);
        Assert.True(noisy.EndEpoch(double.NaN));
        Assert.StartsWith("spatial entropy:", noisy.Reason);

        using var settled = FinegrainCriterion.Create(CriterionKind.SpatialEntropy, options);
        var constant = rand(new long[] { 6, 7 }, dtype: ScalarType.Float64, generator: g);
        for (int epoch = 0; epoch < 5; epoch++)
        {
            for (int step = 0; step < 4; step++) settled.ObserveGradient(constant);
            Assert.False(settled.EndEpoch(0));
            Assert.Equal(0.0, settled.History[^1]);
        }
    }

    [Fact]
    public void SpatialEntropyWindowKeepsOnlyTheLastTSteps()
    {
        using var c = (SpatialEntropyCriterion)FinegrainCriterion.Create(CriterionKind.SpatialEntropy, new CriterionOptions { Window = 3, Bins = 4 });
        foreach (var v in new double[] { 100, -100, 1, 1, 1 }) c.ObserveGradient(tensor(new[] { v, v }));
        Assert.Equal(0.0, c.WeightEntropies().max().item<double>()); // the outliers left the window
    }

    [Theory]
    [InlineData(CriterionKind.GradientNorm)]
    [InlineData(CriterionKind.GradientVariance)]
    [InlineData(CriterionKind.GradientEntropy)]
    [InlineData(CriterionKind.SpatialEntropy)]
    public void KeepsNoReferenceToTheCallersGradient(CriterionKind kind)
    {
        var options = new CriterionOptions { Window = 4, Bins = 4 };
        using var a = FinegrainCriterion.Create(kind, options);
        using var b = FinegrainCriterion.Create(kind, options);
        var values = new[] { new double[] { 1, -2, 3 }, new double[] { 0.5, 4, -1 } };
        foreach (var v in values)
        {
            var g = tensor(v);
            a.ObserveGradient(g);
            g.mul_(1000); // changing the caller's tensor afterwards must not change what was recorded
            g.Dispose();  // and it may be freed
            b.ObserveGradient(tensor(v));
        }
        a.EndEpoch(0);
        b.EndEpoch(0);
        Assert.Equal(b.History[0], a.History[0], 12);
        a.ObserveGradient(tensor(new double[] { 1, 1, 1 }));
        a.EndEpoch(0);
        Assert.Equal(2, a.History.Count);
    }

    [Fact]
    public void SeveralGradientsAreConcatenatedAndResetStartsOver()
    {
        using var a = FinegrainCriterion.Create(CriterionKind.GradientVariance, new CriterionOptions());
        using var b = FinegrainCriterion.Create(CriterionKind.GradientVariance, new CriterionOptions());
        a.ObserveGradient(new[] { tensor(new double[] { 1, 2 }), tensor(new float[] { 3, 4, 5 }).reshape(3, 1) });
        b.ObserveGradient(tensor(new double[] { 1, 2, 3, 4, 5 }));
        a.EndEpoch(0); b.EndEpoch(0);
        Assert.Equal(b.History[0], a.History[0], 12);
        Assert.Contains("earlier steps had 5", Assert.Throws<MultiscaleException>(() => a.ObserveGradient(ones(7))).Message);
        a.Reset();
        Assert.Empty(a.History);
        a.ObserveGradient(ones(7)); // a finer resolution's size after Reset
        Assert.False(a.EndEpoch(0));
    }

    [Fact]
    public void ParsesNamesAndRejectsBadInput()
    {
        Assert.Equal(CriterionKind.ValidationLoss, FinegrainCriterion.Parse("val-loss"));
        Assert.Equal(CriterionKind.GradientNorm, FinegrainCriterion.Parse("grad-norm"));
        Assert.Equal(CriterionKind.GradientVariance, FinegrainCriterion.Parse("GRAD-VAR"));
        Assert.Equal(CriterionKind.GradientEntropy, FinegrainCriterion.Parse("grad-entropy"));
        Assert.Equal(CriterionKind.SpatialEntropy, FinegrainCriterion.Parse("spatial-entropy"));
        Assert.Equal(CriterionKind.SpatialEntropy, FinegrainCriterion.Parse("SpatialEntropy"));
        foreach (CriterionKind k in Enum.GetValues<CriterionKind>()) Assert.Equal(k, FinegrainCriterion.Parse(FinegrainCriterion.Name(k)));
        Assert.Contains("val-loss", Assert.Throws<MultiscaleException>(() => FinegrainCriterion.Parse("loss")).Message);
        Assert.Throws<MultiscaleException>(() => FinegrainCriterion.Create(CriterionKind.GradientNorm, new CriterionOptions { Patience = 0 }));
        Assert.Throws<MultiscaleException>(() => FinegrainCriterion.Create(CriterionKind.SpatialEntropy, new CriterionOptions { Fraction = 1.5 }));
        using var v = FinegrainCriterion.Create(CriterionKind.ValidationLoss, new CriterionOptions());
        Assert.Contains("finite validation loss", Assert.Throws<MultiscaleException>(() => v.EndEpoch(double.NaN)).Message);
        using var n = FinegrainCriterion.Create(CriterionKind.GradientNorm, new CriterionOptions());
        Assert.Contains("no gradient", Assert.Throws<MultiscaleException>(() => n.EndEpoch(0)).Message);
        Assert.Contains("NaN", Assert.Throws<MultiscaleException>(() => n.ObserveGradient(tensor(new[] { double.NaN }))).Message);
    }
}
