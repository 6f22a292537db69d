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
public sealed record EqualTime(double DefaultSecondsToTenth, IReadOnlyList<EqualTimePoint> Points)
{
    /// <summary>The multiples of default's seconds to 1/10 at which the curves are read.</summary>
    public static IReadOnlyList<double> Factors { get; } = new[] { 1.0, 2.0, 4.0 };

    /// <summary>The comparison, or null when default training never reached 1/10 of its initial MSE.</summary>
    public static EqualTime? Compare(MsAnnResult msann, MsAnnResult @default)
    {
        ArgumentNullException.ThrowIfNull(msann);
        ArgumentNullException.ThrowIfNull(@default);
        if (@default.SecondsToTenth is not { } unit) return null;
        return new EqualTime(unit, Factors.Select(f =>
        {
            double t = f * unit;
            return new EqualTimePoint(f, t, MseAtSeconds(msann, t), MseAtSeconds(@default, t), t > msann.Metrics[^1].Seconds, t > @default.Metrics[^1].Seconds);
        }).ToList());
    }

    /// <summary>
    /// The validation MSE at <paramref name="seconds"/> of training, linearly interpolated between the evaluations
    /// around it; past the last evaluation the run has ended and its final MSE is returned.
    /// </summary>
    public static double MseAtSeconds(MsAnnResult run, double seconds)
    {
        ArgumentNullException.ThrowIfNull(run);
        var m = run.Metrics;
        if (m.Count == 0) throw new ArgumentException("the run has no metrics rows", nameof(run));
        if (seconds <= m[0].Seconds) return m[0].ValidationMse;
        for (int i = 1; i < m.Count; i++)
        {
            if (m[i].Seconds < seconds) continue;
            double span = m[i].Seconds - m[i - 1].Seconds;
            double w = span > 0 ? (seconds - m[i - 1].Seconds) / span : 1;
            return m[i - 1].ValidationMse + w * (m[i].ValidationMse - m[i - 1].ValidationMse);
        }
        return m[^1].ValidationMse;
    }

    /// <summary>As report.json holds it.</summary>
    public JsonObject ToJson() => new()
    {
        ["default_seconds_to_tenth"] = DefaultSecondsToTenth,
        ["points"] = new JsonArray(Points.Select(p => (JsonNode)new JsonObject
        {
            ["factor"] = p.Factor,
            ["seconds"] = p.Seconds,
            ["msann_mse"] = p.MsAnnMse,
            ["default_mse"] = p.DefaultMse,
            ["msann_ended"] = p.MsAnnEnded,
            ["default_ended"] = p.DefaultEnded,
        }).ToArray()),
    };
}
