using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>
/// A summary step on top of a sweep's rows: the mean ± sd over seeds (<see cref="SeedSummary"/>) for any method, a
/// method's own table (MsANN's Tables 1–3) beside it. A step reads only the generic rows (<see cref="SweepRows"/>), so
/// it gives the same files for a sweep run whole and for its shards merged.
/// </summary>
public interface ISweepSummary
{
    /// <summary>The step's name: a part file lists it, and its files are <c>summary-&lt;name&gt;.*</c> unless it is the sweep's first step.</summary>
    string Name { get; }

    /// <summary>
    /// Fields a row carries beside its report for a reader of part files (null: none), computed from the row. Throws
    /// <see cref="MultiscaleException"/> when the report lacks what the step needs; a sweep then trains that run again.
    /// </summary>
    JsonObject? RowFields(JsonObject row);

    /// <summary>Writes the step's JSON, Markdown and CSV files.</summary>
    void Write(SweepSummaryFiles files, SweepRows sweep);
}
