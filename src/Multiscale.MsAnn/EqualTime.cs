using System.Text.Json.Nodes;

namespace Multiscale.MsAnn;

/// <summary>One time at which two runs' validation curves are read.</summary>
/// <param name="Factor">The time as a multiple of default training's seconds to 1/10.</param>
/// <param name="Seconds">The training seconds.</param>
/// <param name="MsAnnMse">The multilevel run's validation MSE then.</param>
/// <param name="DefaultMse">Default training's validation MSE then.</param>
/// <param name="MsAnnEnded">The multilevel run had spent its budget before (its final MSE is given).</param>
/// <param name="DefaultEnded">Default training had spent its budget before (its final MSE is given).</param>
public sealed record EqualTimePoint(double Factor, double Seconds, double MsAnnMse, double DefaultMse, bool MsAnnEnded, bool DefaultEnded);

/// <summary>
/// Two runs compared at equal wall-clock time: both validation curves read on one time axis, at default training's
/// seconds to 1/10 of its initial MSE and at 2× and 4× it, so "reaches the error sooner" and "is better at the same
/// time" are read from the same numbers.
/// </summary>
/// <param name="DefaultSecondsToTenth">Default training's seconds to 1/10, the unit of the time axis.</param>
/// <param name="Points">The readings at 1×, 2× and 4× it.</param>
/// <param name="CpuClock">The time axis is the training thread's CPU seconds (<see cref="MsAnnMetrics.CpuSeconds"/>), not wall-clock.</param>
public sealed record EqualTime(double DefaultSecondsToTenth, IReadOnlyList<EqualTimePoint> Points, bool CpuClock = false)
{
    /// <summary>The multiples of default's seconds to 1/10 at which the curves are read.</summary>
    public static IReadOnlyList<double> Factors { get; } = new[] { 1.0, 2.0, 4.0 };

    /// <summary>
    /// The comparison, or null when default training never reached 1/10 of its initial MSE. With
    /// <paramref name="cpuClock"/> both curves are read on the training thread's CPU-time axis (the unit is default
    /// training's CPU seconds to 1/10): the same reading, robust to other work on the machine.
    /// </summary>
    public static EqualTime? Compare(MsAnnResult msann, MsAnnResult @default, bool cpuClock = false)
    {
        ArgumentNullException.ThrowIfNull(msann);
        ArgumentNullException.ThrowIfNull(@default);
        if ((cpuClock ? @default.CpuSecondsToTenth : @default.SecondsToTenth) is not { } unit) return null;
        double End(MsAnnResult r) => cpuClock ? r.Metrics[^1].CpuSeconds : r.Metrics[^1].Seconds;
        return new EqualTime(unit, Factors.Select(f =>
        {
            double t = f * unit;
            return new EqualTimePoint(f, t, MseAtSeconds(msann, t, cpuClock), MseAtSeconds(@default, t, cpuClock), t > End(msann), t > End(@default));
        }).ToList(), cpuClock);
    }

    /// <summary>
    /// The validation MSE at <paramref name="seconds"/> of training (wall-clock, or the training thread's CPU seconds
    /// with <paramref name="cpuClock"/>), linearly interpolated between the evaluations around it; past the last
    /// evaluation the run has ended and its final MSE is returned.
    /// </summary>
    public static double MseAtSeconds(MsAnnResult run, double seconds, bool cpuClock = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        var m = run.Metrics;
        if (m.Count == 0) throw new ArgumentException("the run has no metrics rows", nameof(run));
        double T(int i) => cpuClock ? m[i].CpuSeconds : m[i].Seconds;
        if (seconds <= T(0)) return m[0].ValidationMse;
        for (int i = 1; i < m.Count; i++)
        {
            if (T(i) < seconds) continue;
            double span = T(i) - T(i - 1);
            double w = span > 0 ? (seconds - T(i - 1)) / span : 1;
            return m[i - 1].ValidationMse + w * (m[i].ValidationMse - m[i - 1].ValidationMse);
        }
        return m[^1].ValidationMse;
    }

    /// <summary>As report.json holds it.</summary>
    public JsonObject ToJson() => new()
    {
        [CpuClock ? "default_cpu_seconds_to_tenth" : "default_seconds_to_tenth"] = DefaultSecondsToTenth,
        ["points"] = new JsonArray(Points.Select(p => (JsonNode)new JsonObject
        {
            ["factor"] = p.Factor,
            [CpuClock ? "cpu_seconds" : "seconds"] = p.Seconds,
            ["msann_mse"] = p.MsAnnMse,
            ["default_mse"] = p.DefaultMse,
            ["msann_ended"] = p.MsAnnEnded,
            ["default_ended"] = p.DefaultEnded,
        }).ToArray()),
    };
}
