using TorchSharp;

namespace Multiscale.Runs;

/// <summary>What a host gives a method for one run: where to compute, when to stop, whom to tell.</summary>
public sealed class RunContext
{
    /// <summary>
    /// Creates a context; <paramref name="reporter"/> defaults to one that drops everything, and without
    /// <paramref name="checkpoints"/> the run neither checkpoints nor resumes.
    /// </summary>
    public RunContext(torch.Device device, IRunReporter? reporter = null, CancellationToken cancellation = default, RunCheckpoints? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        Reporter = reporter ?? SilentReporter.Instance;
        Cancellation = cancellation;
        Checkpoints = checkpoints;
    }

    /// <summary>A CPU context that reports nothing and cannot be cancelled (tests, library use).</summary>
    public static RunContext Cpu() => new(torch.CPU);

    /// <summary>The device the run trains on (models and batches); small bookkeeping such as decompositions and reports may stay on the CPU.</summary>
    public torch.Device Device { get; }

    /// <summary>Receives progress lines and curve points.</summary>
    public IRunReporter Reporter { get; }

    /// <summary>Set when the host wants the run to stop (Ctrl-C, SIGTERM).</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>
    /// Where the run checkpoints and what it resumes from (null: neither). A method that supports it saves its whole
    /// training state when <see cref="RunCheckpoints.Due"/> says so and when <see cref="Cancellation"/> fires, and a run
    /// resumed from a checkpoint ends with the same numbers as one never stopped.
    /// </summary>
    public RunCheckpoints? Checkpoints { get; }

    private sealed class SilentReporter : IRunReporter
    {
        public static readonly SilentReporter Instance = new();
        public void Line(string text) { }
        public void Scalar(string? run, string tag, double value, long step, double seconds) { }
    }
}

/// <summary>Where a method reports while it trains.</summary>
public interface IRunReporter
{
    /// <summary>A progress line for a person watching (the method decides how often).</summary>
    void Line(string text);

    /// <summary>
    /// One point of a curve: <paramref name="tag"/> at <paramref name="step"/>, <paramref name="seconds"/> of
    /// training clock after the run started. <paramref name="run"/> names a sub-run (a baseline trained in the same
    /// call, e.g. MsANN's default model or MRTL's fixed-resolution baseline); null is the main run.
    /// </summary>
    void Scalar(string? run, string tag, double value, long step, double seconds);
}
