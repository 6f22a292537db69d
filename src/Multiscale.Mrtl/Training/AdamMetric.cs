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
}
