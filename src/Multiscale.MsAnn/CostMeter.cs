using System.Diagnostics;

namespace Multiscale.MsAnn;

/// <summary>
/// The paper's cost proxy C(t) (§4.1): a batch at level l costs |M_l|/|M_0| × batch size; and the wall-clock time beside
/// it, which the paper does not report and a user cares about as much.
/// </summary>
internal sealed class CostMeter
{
    private readonly HierarchyShape _shape;
    private readonly Stopwatch _clock = new();

    /// <summary>Creates a meter for a hierarchy; the clock starts with the first recorded batch.</summary>
    public CostMeter(HierarchyShape shape) => _shape = shape ?? throw new ArgumentNullException(nameof(shape));

    /// <summary>C(t) so far.</summary>
    public double Cost { get; private set; }

    /// <summary>Batches recorded, all levels.</summary>
    public long Batches { get; private set; }

    /// <summary>Wall-clock seconds since the first batch.</summary>
    public double Seconds => _clock.Elapsed.TotalSeconds;

    /// <summary>Continues from a checkpoint's C(t) and batch count (the clock starts anew).</summary>
    public void Restore(double cost, long batches)
    {
        if (!(cost >= 0) || batches < 0) throw new ArgumentOutOfRangeException(nameof(cost));
        Cost = cost;
        Batches = batches;
    }

    /// <summary>Adds one batch that trains every level's variables at once: Σ_l |M_l|/|M_0| × batch size.</summary>
    public void RecordAllLevels(int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        if (!_clock.IsRunning) _clock.Start();
        for (int l = 0; l <= _shape.Depth; l++) Cost += (double)_shape.ParameterCount(l) / _shape.ParameterCount(0) * batchSize;
        Batches++;
    }

    /// <summary>
    /// Adds <paramref name="examples"/> evaluated at <paramref name="level"/> outside a training step (the τ term and
    /// acceptance tests of τ-corrected visits): charged like a batch, not counted as one.
    /// </summary>
    public void RecordEvaluation(int level, int examples)
    {
        if (level < 0 || level > _shape.Depth) throw new ArgumentOutOfRangeException(nameof(level));
        if (examples < 1) throw new ArgumentOutOfRangeException(nameof(examples));
        if (!_clock.IsRunning) _clock.Start();
        Cost += (double)_shape.ParameterCount(level) / _shape.ParameterCount(0) * examples;
    }

    /// <summary>Adds one batch of <paramref name="batchSize"/> examples at <paramref name="level"/>.</summary>
    public void Record(int level, int batchSize)
    {
        if (level < 0 || level > _shape.Depth) throw new ArgumentOutOfRangeException(nameof(level));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        if (!_clock.IsRunning) _clock.Start();
        Cost += (double)_shape.ParameterCount(level) / _shape.ParameterCount(0) * batchSize;
        Batches++;
    }
}
