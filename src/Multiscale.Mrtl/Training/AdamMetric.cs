using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Training;

/// <summary>
/// The diagonal metric of TorchSharp's Adam: after a step, the parameter moved by −(η/(1 − β₁ᵗ))·m / d with
/// d = √(v/(1 − β₂ᵗ)) + ε per coordinate (m, v Adam's moment estimates, t its step count). A proximal step consistent
/// with that update divides its threshold by the same d (<see cref="Models.LowRankSparseModel"/>).
/// </summary>
internal static class AdamMetric
{
    /// <summary>
    /// d of parameter <paramref name="parameter"/> (one of the parameters <paramref name="optimizer"/> was built with, in
    /// its one parameter group) after its latest step, a new tensor shaped like the parameter; all ones before any step
    /// (nothing was preconditioned yet).
    /// </summary>
    public static Tensor Denominator(Adam optimizer, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(parameter);
        var dict = optimizer.state_dict();
        if (dict.Options.Count != 1) throw new MultiscaleException($"the Adam metric is read from an optimizer with one parameter group (got {dict.Options.Count})");
        // The state list follows the parameters in order (TorchSharp's state_dict); the state objects are Adam's own.
        var parameters = optimizer.parameters().ToArray();
        int index = Array.FindIndex(parameters, p => ReferenceEquals(p, parameter) || p.Handle == parameter.Handle);
        if (index < 0) throw new MultiscaleException("the parameter is not one the optimizer updates");
        var state = dict.State[index] as Adam.State ?? throw new MultiscaleException("the optimizer's state is not Adam's");
        var options = dict.Options[0] as Adam.Options ?? throw new MultiscaleException("the optimizer's options are not Adam's");
        if (options.amsgrad == true) throw new MultiscaleException("the Adam metric with AMSGrad is not supported");
        if (state.step == 0) return ones_like(parameter).detach();
        using var scope = NewDisposeScope();
        double correction2 = 1 - Math.Pow(options.beta2!.Value, state.step);
        return (state.exp_avg_sq.sqrt() / Math.Sqrt(correction2)).add_(options.eps!.Value).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One divisor for the whole of <paramref name="parameter"/>: the mean of <see cref="Denominator"/> over the entries
    /// Adam has gradient statistics for (second moment v &gt; 0); 1 before any step or while no entry has had a
    /// gradient. It is the metric of the sparse term's proximal step (<see cref="Models.LowRankSparseModel"/>): with the
    /// per-entry divisor an entry whose gradient was never seen has d = ε, so its threshold η·λ₁·w/ε is ~10⁸ times any
    /// other and one step zeroes it, and entries seen rarely (a few-cell block's cells, by the few samples that visit
    /// them) are thresholded hardest — the entries a sparse factor exists for (measured in docs/mrtl.md).
    /// </summary>
    public static double FactorDenominator(Adam optimizer, Parameter parameter)
    {
        using var scope = NewDisposeScope();
        var d = Denominator(optimizer, parameter);
        var dict = optimizer.state_dict();
        var parameters = optimizer.parameters().ToArray();
        int index = Array.FindIndex(parameters, p => ReferenceEquals(p, parameter) || p.Handle == parameter.Handle);
        var state = (Adam.State)dict.State[index];
        if (state.step == 0) return 1.0;
        var seen = state.exp_avg_sq.gt(0);
        long count = seen.sum().item<long>();
        return count == 0 ? 1.0 : d.masked_select(seen).to(ScalarType.Float64).mean().item<double>();
    }
}
