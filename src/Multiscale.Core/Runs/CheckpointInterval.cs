using System.Globalization;

namespace Multiscale.Runs;

/// <summary>
/// How often a run writes a checkpoint besides when it is stopped: every so much wall-clock time, or every so many of
/// the method's units (MRTL: epochs, MsANN: evaluations, the rows of its curve), or never. The default is every 5 minutes, so a killed run loses
/// at most that much work while short runs (tests, examples) spend nothing on it.
/// </summary>
public sealed record CheckpointInterval
{
    private CheckpointInterval(TimeSpan? time, int? units) => (Time, Units) = (time, units);

    /// <summary>Wall-clock time between checkpoints (null when counted in units or off).</summary>
    public TimeSpan? Time { get; }

    /// <summary>Method units between checkpoints (null when timed or off).</summary>
    public int? Units { get; }

    /// <summary>False for <see cref="Off"/>: no periodic checkpoints (a stopped run still writes one).</summary>
    public bool Periodic => Time is not null || Units is not null;

    /// <summary>Every five minutes.</summary>
    public static CheckpointInterval Default { get; } = new(TimeSpan.FromMinutes(5), null);

    /// <summary>No periodic checkpoints.</summary>
    public static CheckpointInterval Off { get; } = new(null, null);

    /// <summary>Every <paramref name="time"/> of wall-clock time.</summary>
    public static CheckpointInterval Every(TimeSpan time) =>
        time > TimeSpan.Zero ? new(time, null) : throw new MultiscaleException($"a checkpoint interval must be positive (got {time})");

    /// <summary>Every <paramref name="units"/> epochs or evaluations.</summary>
    public static CheckpointInterval EveryUnits(int units) =>
        units >= 1 ? new(null, units) : throw new MultiscaleException($"a checkpoint interval must be at least one unit (got {units})");

    /// <summary>
    /// Parses <c>30s</c>, <c>5m</c>, <c>1.5h</c> (time), a bare count such as <c>10</c> (epochs or evaluations), or
    /// <c>off</c>.
    /// </summary>
    public static CheckpointInterval Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t is "off" or "never" or "none") return Off;
        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int units) && units >= 1) return EveryUnits(units);
        if (t.Length >= 2 && "smh".Contains(t[^1])
            && double.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount) && amount > 0 && double.IsFinite(amount))
            return Every(t[^1] switch { 's' => TimeSpan.FromSeconds(amount), 'm' => TimeSpan.FromMinutes(amount), _ => TimeSpan.FromHours(amount) });
        throw new MultiscaleException($"unknown checkpoint interval '{text}' (expected a time such as 30s, 5m or 1h, a count of epochs or evaluations such as 10, or off)");
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Time is { } time ? (time.TotalSeconds < 60 ? $"{time.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s" : $"{time.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m")
        : Units is { } u ? u.ToString(CultureInfo.InvariantCulture) : "off";
}
