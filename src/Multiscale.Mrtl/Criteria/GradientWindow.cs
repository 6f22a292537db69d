using System.Text.Json.Nodes;
using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Criteria;

/// <summary>
/// The last T gradients of every weight, a ring buffer [T, #weights] (bounded memory) shared by the criteria that read
/// per-weight gradient distributions. It lives on the CPU in float64 whatever the training device: gradients are read there.
/// </summary>
internal sealed class GradientWindow(int length) : IDisposable
{
    private Tensor? _window;
    private int _filled;
    private int _next;

    /// <summary>Adds one step's gradient (any shape; flattened), replacing the oldest once T are held.</summary>
    public void Observe(Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        using var scope = NewDisposeScope();
        var g = gradient.detach().to(ScalarType.Float64, CPU).reshape(-1);
        if (!isfinite(g).all().item<bool>()) throw new MultiscaleException("ObserveGradient: the gradient contains NaN or infinite entries");
        if (_window is null)
            _window = zeros(length, g.shape[0], dtype: ScalarType.Float64).DetachFromDisposeScope();
        else if (_window.shape[1] != g.shape[0])
            throw new MultiscaleException($"ObserveGradient: the gradient has {g.shape[0]} entries, earlier steps had {_window.shape[1]}; Reset the criterion after finegraining");
        _window[_next].copy_(g);
        _next = (_next + 1) % length;
        _filled = Math.Min(_filled + 1, length);
    }

    /// <summary>The steps held so far, [min(steps, T), #weights] (a view: valid until the next call); throws when none.</summary>
    public Tensor Steps(string criterion) =>
        _window is null || _filled == 0
            ? throw new MultiscaleException($"the {criterion} criterion has seen no gradient yet")
            : _window.narrow(0, 0, _filled);

    /// <summary>Adds the window to a criterion's saved state.</summary>
    public void Save(JsonObject state, Checkpoint checkpoint, string prefix)
    {
        state["filled"] = _filled;
        state["next"] = _next;
        if (_window is not null) checkpoint.Put(prefix + "window", _window);
    }

    /// <summary>Reads what <see cref="Save"/> added.</summary>
    public void Restore(JsonObject state, Checkpoint checkpoint, string prefix)
    {
        Reset();
        _filled = state["filled"]!.GetValue<int>();
        _next = state["next"]!.GetValue<int>();
        if (checkpoint.Has(prefix + "window")) _window = checkpoint.Get(prefix + "window").clone().DetachFromDisposeScope();
    }

    /// <summary>Forgets every step (after finegraining the weights change shape).</summary>
    public void Reset()
    {
        _window?.Dispose();
        _window = null;
        _filled = 0;
        _next = 0;
    }

    /// <inheritdoc />
    public void Dispose() => Reset();
}
