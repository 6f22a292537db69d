using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Models;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Training;

/// <summary>What <see cref="SparseGradientStart.Start"/> did.</summary>
/// <param name="Model">The model with its new sparse term (the caller owns it; the given model is not changed).</param>
/// <param name="Fit">CP-ALS fit 1 − ‖R − R̂‖/‖R‖ of the residual tensor R = −∇_W L at rank K_S (NaN when R is zero).</param>
/// <param name="Scale">The line-search step c along the rank-K_S direction R̂ (0: no step lowered the training loss, W^S stays 0).</param>
/// <param name="LossBefore">Training loss (no regularizer) of the model without its sparse term.</param>
/// <param name="LossAfter">Training loss of the returned model.</param>
internal sealed record SparseGradientStartResult(LowRankSparseModel Model, double Fit, double Scale, double LossBefore, double LossAfter);

/// <summary>
/// The sparse term of paper 000 (31) started from the low-rank stage's own residual at the current resolution
/// (<see cref="SparseStart.Gradient"/>). The full-rank stage cannot learn past its coarsest court grid on small data
/// (docs/mrtl.md), so a W^S taken from the full-rank weights starts on 10-ft cells; this start instead waits until the
/// low-rank chain reaches a grid fine enough for few-cell blocks and takes W^S from what the trained W^L leaves
/// unexplained there. For a generalized linear model that residual, as a tensor over W's entries, is the negative
/// gradient of the training loss with respect to W at the current model: R = −∇_W L = −(1/N) Σ_n ℓ'(z_n) x_n
/// (for squared loss −(2/N) Σ_n (z_n − y_n) x_n, the residuals correlated with the inputs; for the weighted BCE the
/// same with y − σ(z) weighted). W^S = c·CP_{K_S}(R): the rank-K_S CP-ALS of R (the steepest rank-K_S direction in
/// the sense of a greedy/boosting step) times the c ≥ 0 that minimizes the training loss along it (golden section).
/// </summary>
internal static class SparseGradientStart
{
    /// <summary>
    /// R = −∇_W of the mean task loss (no regularizer) on all of <paramref name="train"/> at the model's
    /// W = W^L (+ W^S when <paramref name="withSparse"/>) and bias: float64 on the CPU, shaped [I, F₁…, D₁…] as CP-ALS
    /// decomposes it. Computed through a full-rank model of that W, in chunks (the sum of the chunks' mean losses
    /// weighted by their share of the samples is the mean loss).
    /// </summary>
    public static Tensor Residual(LowRankModel model, DiscreteData train, double positiveWeight, bool withSparse = false, int chunk = 4096)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        using var scope = NewDisposeScope();
        Tensor w;
        using (no_grad())
        {
            if (withSparse || model is not LowRankSparseModel) w = model.FullTensor();
            else
            {
                using var smooth = new LowRankModel(model.Task, model.Outputs, model.FeatureShape, model.Grids, model.Factors.Select(f => (Tensor)f.detach()).ToArray(), model.Bias.detach(), model.Device);
                w = smooth.FullTensor();
            }
        }
        using var full = new FullRankModel(model.Task, model.Outputs, model.FeatureShape, model.Grids, w, model.Bias.detach(), model.Device);
        int n = train.Count;
        for (int s = 0; s < n; s += chunk)
        {
            using var inner = NewDisposeScope();
            var idx = arange(s, Math.Min(n, s + chunk), dtype: ScalarType.Int64, device: train.Device);
            var loss = full.Loss(train.Batch(idx), positiveWeight) * ((double)idx.shape[0] / n);
            loss.backward();
        }
        var shape = new long[] { model.Outputs }.Concat(model.FeatureShape.Select(f => (long)f)).Concat(model.Grids.Select(g => (long)g.Cells)).ToArray();
        return (-full.Weights.grad!.detach().reshape(shape).to(ScalarType.Float64, CPU)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The model with W^S replaced by c·CP_{K_S}(R) (R from <see cref="Residual"/> at W^L alone, K_S = the model's
    /// sparse rank), each of its N factors carrying c^(1/N) of the scale and the CP weights spread as CP-ALS's
    /// <see cref="CpDecomposition.SpreadFactors"/>; W^L and the bias unchanged. A zero residual (a model at a stationary
    /// point of the loss) or a direction along which no step lowers the training loss leaves W^S at zero (Scale 0).
    /// </summary>
    public static SparseGradientStartResult Start(LowRankSparseModel model, DiscreteData train, double positiveWeight, CpAlsOptions cpAls)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(cpAls);
        if (model.SparseRank == 0) throw new MultiscaleException("the sparse term has rank 0: there is nothing to start");
        using var scope = NewDisposeScope();
        var residual = Residual(model, train, positiveWeight);
        var sizes = residual.shape;
        using var smooth = new LowRankModel(model.Task, model.Outputs, model.FeatureShape, model.Grids, model.Factors.Select(f => (Tensor)f.detach()).ToArray(), model.Bias.detach(), model.Device);
        var zBase = smooth.Predict(train);
        var labels = train.Labels;
        double Loss(Tensor z) => TensorModel.LossOf(z, labels, model.Task, positiveWeight).to(ScalarType.Float64).item<double>();
        double before = Loss(zBase);
        Tensor[] Zero() => sizes.Select(s => zeros(new long[] { s, model.SparseRank }, dtype: ScalarType.Float64)).ToArray();
        LowRankSparseModel Built(IReadOnlyList<Tensor> sparse) => new(model.Task, model.Outputs, model.FeatureShape, model.Grids,
            model.Factors.Select(f => (Tensor)f.detach()).ToArray(), sparse.Select(f => f.to(ScalarType.Float32)).ToArray(), model.Bias.detach(), model.Device);
        if (linalg.norm(residual).item<double>() == 0)
            return new SparseGradientStartResult(Built(Zero()), double.NaN, 0, before, before);

        using var cp = CpAls.Decompose(residual, model.SparseRank, cpAls);
        var direction = cp.SpreadFactors();
        using var unit = new LowRankModel(model.Task, model.Outputs, model.FeatureShape, model.Grids, direction, zeros(model.Outputs), model.Device);
        var zDir = unit.Predict(train) - unit.Bias.detach().index_select(0, train.OutputIndex);
        double c = LineSearch(t => Loss(zBase + (float)t * zDir), zDir.std().item<float>(), before);
        if (c == 0) return new SparseGradientStartResult(Built(Zero()), cp.Fit, 0, before, before);
        double each = Math.Pow(c, 1.0 / direction.Count);
        var result = Built(direction.Select(f => f * each).ToArray());
        double after = Loss(result.Predict(train));
        return new SparseGradientStartResult(result, cp.Fit, c, before, after);
    }

    /// <summary>
    /// The c ≥ 0 minimizing <paramref name="loss"/>(c) on a bracket found by doubling from a step that moves the
    /// logits by 10⁻³ of a unit (1e-3/<paramref name="spread"/>), then golden-section search (60 shrinks, relative
    /// width 10⁻¹²); 0 when no c found lowers the loss below <paramref name="atZero"/>.
    /// </summary>
    internal static double LineSearch(Func<double, double> loss, double spread, double atZero)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (!(spread > 0) || !double.IsFinite(spread)) return 0;
        double c = 1e-3 / spread;
        double lc = loss(c);
        double lo, hi;
        if (!(lc < atZero)) { lo = 0; hi = c; }
        else
        {
            double previous = 0;
            // Doubling while the loss still falls: the minimum then lies between the step before last and the last.
            for (int k = 0; k < 80; k++)
            {
                double next = 2 * c, ln = loss(next);
                if (!(ln < lc)) break;
                previous = c;
                c = next;
                lc = ln;
            }
            lo = previous;
            hi = 2 * c;
        }
        double phi = (Math.Sqrt(5) - 1) / 2;
        double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
        double la = loss(a), lb = loss(b);
        for (int k = 0; k < 60; k++)
        {
            if (la < lb) { hi = b; b = a; lb = la; a = hi - phi * (hi - lo); la = loss(a); }
            else { lo = a; a = b; la = lb; b = lo + phi * (hi - lo); lb = loss(b); }
        }
        double best = la < lb ? a : b, lbest = Math.Min(la, lb);
        if (lc < lbest && lo <= c && c <= hi) { best = c; lbest = lc; }
        return lbest < atZero && best > 0 ? best : 0;
    }
}
