using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Multiscale.Runs;

/// <summary>What a finished run leaves behind: its figures of merit, its curves as a table, the figures to draw and the trained arrays.</summary>
/// <param name="Report">The final figures (<c>report.json</c>).</param>
/// <param name="Metrics">One row per evaluation (<c>metrics.csv</c>).</param>
/// <param name="Figures">Figures for the host to render (<c>&lt;name&gt;.png</c>); a host without a renderer skips them.</param>
/// <param name="Arrays">Trained weights and factors, by name (<c>weights.npz</c>); null or empty: none.</param>
public sealed record RunRecord(JsonObject Report, MetricsTable Metrics, IReadOnlyList<RunFigure> Figures, IReadOnlyList<RunArray>? Arrays = null);

/// <summary>A CSV table built row by row; numbers are written round-trip in the invariant culture.</summary>
public sealed class MetricsTable
{
    private readonly List<object?[]> _rows = new();

    /// <summary>Creates an empty table with these column names.</summary>
    public MetricsTable(params string[] columns)
    {
        if (columns.Length == 0) throw new ArgumentException("a metrics table needs at least one column", nameof(columns));
        Columns = columns;
    }

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The rows added so far.</summary>
    public IReadOnlyList<object?[]> Rows => _rows;

    /// <summary>Adds a row: one value per column (string, number, bool or null).</summary>
    public void Add(params object?[] values)
    {
        if (values.Length != Columns.Count)
            throw new ArgumentException($"a metrics row needs {Columns.Count} values ({string.Join(",", Columns)}), got {values.Length}", nameof(values));
        _rows.Add(values);
    }

    /// <summary>The table as CSV (RFC 4180 quoting, "\n" line ends).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', Columns.Select(Quote)).Append('\n');
        foreach (var row in _rows) csv.AppendJoin(',', row.Select(Format)).Append('\n');
        return csv.ToString();
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Quote(value.ToString() ?? ""),
    };

    private static string Quote(string text) =>
        text.IndexOfAny(new[] { ',', '"', '\n', '\r' }) < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>A figure a method asks for; the host renders it to <c>&lt;Name&gt;.png</c>.</summary>
/// <param name="Name">File stem, e.g. <c>loss</c> or <c>factors_ball</c>.</param>
/// <param name="Title">Figure title.</param>
public abstract record RunFigure(string Name, string Title);

/// <summary>Curves against a common axis (loss against time or cost).</summary>
public sealed record LineFigure(string Name, string Title, string XLabel, string YLabel, IReadOnlyList<FigureSeries> Series,
    bool LogX = false, bool LogY = false) : RunFigure(Name, Title);

/// <summary>A matrix drawn as |value| (row 0 on top); non-finite cells are drawn apart (separators between panels).</summary>
public sealed record HeatmapFigure(string Name, string Title, string XLabel, string YLabel, double[,] Values) : RunFigure(Name, Title);

/// <summary>One named curve; points where either coordinate is not finite are left out.</summary>
public sealed record FigureSeries(string Label, double[] X, double[] Y);
