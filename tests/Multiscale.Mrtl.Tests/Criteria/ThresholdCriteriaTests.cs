using Multiscale.Mrtl.Criteria;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Criteria;

/// <summary>Paper 000's criteria (22), (29), (30) on constructed loss and gradient sequences whose answer is known.</summary>
public class ThresholdCriteriaTests
{
    private static CriterionOptions With(double loss = 1e-3, double sigma = 1e-3, double mu = 1e-4, double fraction = 0.1, int window = 4, int maxEpochs = 20) =>
        new() { Window = window, MaxEpochs = maxEpochs, Thresholds = new ThresholdOptions { Loss = loss, Sigma = sigma, Mu = mu, Fraction = fraction } };

    [Fact]
    public void LossConvergenceComparesWithTheMeanOfTheEarlierEpochs()
    {
        using var c = FinegrainCriterion.Create(CriterionKind.LossConvergence, With(loss: 0.05));
        // L̄ before epoch 2 is 1.0, before 3 is 0.8, before 4 is (1 + 0.6 + 0.7)/3 = 0.7667: gaps 0.4, 0.1, 0.0067.
        Assert.False(c.EndEpoch(1.0));
        Assert.False(c.EndEpoch(0.6));
        Assert.False(c.EndEpoch(0.7));
        Assert.True(c.EndEpoch(0.76));
        Assert.True(double.IsNaN(c.History[0]));
        Assert.Equal(0.4, c.History[1], 12);
        Assert.Equal(0.1, c.History[2], 12);
        Assert.Equal(Math.Abs(0.76 - 2.3 / 3), c.History[3], 12);
        Assert.StartsWith("loss converged", c.Reason);
    }

    [Fact]
    public void LossConvergenceIsStrictAndUsesTheTrainingLossWhenGiven()
    {
        // Exactly representable: the gap 0.5 equals τ_L and does not trigger; at epoch 3 L = L̄ = 0.75.
        using var strict = FinegrainCriterion.Create(CriterionKind.LossConvergence, With(loss: 0.5));
        Assert.False(strict.EndEpoch(1.0));
        Assert.False(strict.EndEpoch(0.5));
        Assert.True(strict.EndEpoch(0.75));
        Assert.Equal(0.0, strict.History[2]);

        // The reported training losses are used; the validation losses (wildly different) are not.
        using var train = (LossConvergenceCriterion)FinegrainCriterion.Create(CriterionKind.LossConvergence, With(loss: 0.5));
        foreach (var (t, v) in new[] { (1.0, 9.0), (0.5, -3.0), (0.75, 100.0) })
        {
            train.ObserveTrainingLoss(t);
            train.EndEpoch(v);
        }
        Assert.Equal(strict.History.Skip(1), train.History.Skip(1));
        Assert.NotNull(train.Reason);
        Assert.Contains("finite", Assert.Throws<MultiscaleException>(() => train.ObserveTrainingLoss(double.NaN)).Message);

        // A loss that keeps falling by halves never meets τ_L = 0.01 of its historical mean: the epoch cap ends it.
        using var falling = FinegrainCriterion.Create(CriterionKind.LossConvergence, With(loss: 1e-2, maxEpochs: 6));
        int epoch = 0;
        while (!falling.EndEpoch(Math.Pow(0.5, epoch))) epoch++;
        Assert.Equal(5, epoch);
        Assert.Equal("epoch cap 6", falling.Reason);
    }

    /// <summary>Four steps per epoch, g_t[j] = m_j ± a_j alternating: μ_j = m_j and σ_j = a_j exactly (population σ, even count).</summary>
    private static void Epoch(FinegrainCriterion c, double[] mean, double[] amplitude)
    {
        for (int t = 0; t < 4; t++)
            c.ObserveGradient(tensor(mean.Zip(amplitude, (m, a) => t % 2 == 0 ? m + a : m - a).ToArray()));
    }

    [Fact]
    public void SigmaThresholdFiresWhenTheFractionOfNoisyWeightsReachesP()
    {
        using var c = (GradientMomentCriterion)FinegrainCriterion.Create(CriterionKind.SigmaThreshold, With(sigma: 1.2, fraction: 0.5));
        var means = new double[] { 0, 3, 0, 0 };
        // Amplitudes 0.5e on two of four weights: σ = 0.5, 1, 1.5 over epochs 1..3; τ_σ = 1.2 is passed at epoch 3.
        int fired = 0;
        for (int e = 1; e <= 5 && fired == 0; e++)
        {
            Epoch(c, means, new[] { 0.5 * e, 0.5 * e, 0.1, 0.1 });
            if (c.EndEpoch(0)) fired = e;
        }
        Assert.Equal(3, fired);
        Assert.Equal(new[] { 0.0, 0.0, 0.5 }, c.History);
        var (mu, sigma) = c.WeightMoments();
        Assert.Equal(means, mu.data<double>().ToArray());
        Assert.Equal(new[] { 1.5, 1.5, 0.1, 0.1 }, sigma.data<double>().ToArray().Select(s => Math.Round(s, 12)));
        Assert.StartsWith("σ-threshold: 50 %", c.Reason);

        // σ exactly at τ_σ does not qualify (the paper's strict σ > τ_σ).
        using var edge = (GradientMomentCriterion)FinegrainCriterion.Create(CriterionKind.SigmaThreshold, With(sigma: 1.5, fraction: 0.5));
        Epoch(edge, means, new[] { 1.5, 1.5, 0.1, 0.1 });
        Assert.Equal(0.0, edge.CurrentFraction());
    }

    [Fact]
    public void MuSigmaThresholdAlsoNeedsTheMeanGradientNearZero()
    {
        using var c = FinegrainCriterion.Create(CriterionKind.MuSigmaThreshold, With(sigma: 1, mu: 0.3, fraction: 0.75));
        // Every weight is noisy (σ = 2 > 1); the means halve each epoch: [2,1,.5,0], [1,.5,.25,0], [.5,.25,.125,0], so
        // 1, 2, then 3 of the 4 weights have |μ| < 0.3 and the criterion fires at epoch 3.
        int fired = 0;
        for (int e = 1; e <= 5 && fired == 0; e++)
        {
            double s = Math.Pow(0.5, e - 1);
            Epoch(c, new[] { 2 * s, 1 * s, 0.5 * s, 0 }, new double[] { 2, 2, 2, 2 });
            if (c.EndEpoch(0)) fired = e;
        }
        Assert.Equal(3, fired);
        Assert.Equal(new[] { 0.25, 0.5, 0.75 }, c.History);
        Assert.StartsWith("μ, σ-threshold", c.Reason);

        // The same gradients under σ alone qualify at once (all four weights noisy).
        using var sigmaOnly = FinegrainCriterion.Create(CriterionKind.SigmaThreshold, With(sigma: 1, fraction: 0.75));
        Epoch(sigmaOnly, new double[] { 2, 1, 0.5, 0 }, new double[] { 2, 2, 2, 2 });
        Assert.True(sigmaOnly.EndEpoch(0));
        Assert.Equal(1.0, sigmaOnly.History[0]);
    }

    [Fact]
    public void MomentWindowKeepsOnlyTheLastTStepsAndResetForgets()
    {
        using var c = (GradientMomentCriterion)FinegrainCriterion.Create(CriterionKind.SigmaThreshold, With(sigma: 0.5, window: 2));
        c.ObserveGradient(tensor(new double[] { 1 }));
        Assert.Equal(0.0, c.CurrentFraction()); // one step: σ = 0
        c.ObserveGradient(tensor(new double[] { -1 }));
        Assert.Equal(1.0, c.CurrentFraction()); // σ = 1
        c.ObserveGradient(tensor(new double[] { 7 }));
        c.ObserveGradient(tensor(new double[] { 7 }));
        Assert.Equal(0.0, c.CurrentFraction()); // the ±1 steps left the window
        var (mu, _) = c.WeightMoments();
        Assert.Equal(7.0, mu.item<double>());
        Assert.Contains("earlier steps had 1", Assert.Throws<MultiscaleException>(() => c.ObserveGradient(ones(3))).Message);
        c.Reset();
        c.ObserveGradient(ones(3));
        Assert.False(c.EndEpoch(0));
    }

    [Theory]
    [InlineData(-1.0, 1e-3, 1e-4, 0.1, "τ_L")]
    [InlineData(0.0, 1e-3, 1e-4, 0.1, "τ_L")]
    [InlineData(1e-3, double.NaN, 1e-4, 0.1, "τ_σ")]
    [InlineData(1e-3, 1e-3, double.PositiveInfinity, 0.1, "τ_μ")]
    [InlineData(1e-3, 1e-3, 1e-4, 0.0, "fraction p")]
    [InlineData(1e-3, 1e-3, 1e-4, 1.5, "fraction p")]
    public void OutOfRangeThresholdsAreOneError(double loss, double sigma, double mu, double fraction, string named)
    {
        var options = With(loss, sigma, mu, fraction);
        foreach (var kind in new[] { CriterionKind.LossConvergence, CriterionKind.SigmaThreshold, CriterionKind.MuSigmaThreshold })
            Assert.Contains(named, Assert.Throws<MultiscaleException>(() => FinegrainCriterion.Create(kind, options)).Message);
        Assert.Contains(named, Assert.Throws<MultiscaleException>(() => options.Validate()).Message);
    }

    [Fact]
    public void NamesParse()
    {
        Assert.Equal(CriterionKind.LossConvergence, FinegrainCriterion.Parse("loss-convergence"));
        Assert.Equal(CriterionKind.SigmaThreshold, FinegrainCriterion.Parse("sigma-threshold"));
        Assert.Equal(CriterionKind.MuSigmaThreshold, FinegrainCriterion.Parse("mu-sigma-threshold"));
        Assert.Equal("mu-sigma-threshold", FinegrainCriterion.Name(CriterionKind.MuSigmaThreshold));
    }
}
