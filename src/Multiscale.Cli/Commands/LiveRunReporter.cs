using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// Feeds a method's curve points to the terminal's live display (<see cref="TerminalProgress"/>) on their way to the
/// run folder: MsANN's validation MSE against the cost budget (bar and ETA) with its level, MRTL's validation loss by
/// epoch (no fixed total: rate and elapsed time only).
/// </summary>
internal sealed class LiveRunReporter(IRunReporter inner, TerminalProgress live, string method, double? budget) : IRunReporter
{
    private const string LevelTag = "validation_mse/by_cost_last_level_";
    private string _what = "";
    private long _epoch = -1;

    /// <summary><paramref name="inner"/> itself when no live display runs (redirected output).</summary>
    public static IRunReporter Wrap(IRunReporter inner, string method, JsonObject? describe = null)
    {
        if (TerminalProgress.Current is not { } live) return inner;
        double? budget = describe?["budget"] is JsonValue v
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double b) ? b : null;
        return new LiveRunReporter(inner, live, method, budget);
    }

    public void Line(string text)
    {
        inner.Line(text);
        // MRTL names the stage and resolution only in its epoch line (printed right after the epoch's points).
        if (_epoch >= 0 && text.Contains(" epoch ", StringComparison.Ordinal)) live.Update(text.Trim(), _epoch, null, "epochs");
    }

    public void Scalar(string? run, string tag, double value, long step, double seconds)
    {
        inner.Scalar(run, tag, value, step, seconds);
        string who = run is null ? method : $"{method} [{run}]";
        if (tag == "validation_mse/by_cost")
        {
            _what = string.Create(CultureInfo.InvariantCulture, $"{who}  validation MSE {value:G4}");
            live.Update(_what, step, budget, "cost");
        }
        else if (tag.StartsWith(LevelTag, StringComparison.Ordinal))
        {
            live.Update($"{_what}  level {tag[LevelTag.Length..]}", step, budget, "cost");
        }
        else if (tag == "loss/validation")
        {
            _epoch = step;
            live.Update(string.Create(CultureInfo.InvariantCulture, $"{who}  epoch {step}  validation loss {value:G4}"), step, null, "epochs");
        }
    }
}
