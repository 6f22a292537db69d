using System.Globalization;
using Multiscale.IO;
using nietras.SeparatedValues;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Data;

/// <summary>A count mode of a positions file: its name and continuous domain.</summary>
public sealed record CountModeSpec(string Name, double Height, double Width);

/// <summary>
/// Readers for user data.
/// <para><b>Positions CSV</b> (count modes, e.g. ball handler and defenders): a header
/// <c>sample,output,label,mode,row,col</c> with an optional <c>weight</c> column (default 1), then one line per point.
/// <c>sample</c> is any integer id (samples keep the order of first appearance), <c>output</c> the output index
/// (0-based), <c>label</c> the sample's label (repeated on each of its lines), <c>mode</c> a mode name, <c>row</c>/<c>col</c>
/// the continuous position in [0, Height] × [0, Width]. A line with empty row and col marks a sample with no point in
/// that mode.</para>
/// <para><b>Fields NPY</b> (one field mode): <c>fields.npy</c> float [T, V, R, C] (or [T, R, C]) on the finest grid,
/// <c>labels.npy</c> [T − L + 1], where sample n reads time steps n+L−1 (lag 0) down to n and has label n; optionally
/// <c>outputs.npy</c> [T − L + 1] with integer output indices.</para>
/// </summary>
public static class MrtlDataLoader
{
    /// <summary>Reads a positions CSV into a dataset with one <see cref="CountMode"/> per spec (in the given order).</summary>
    public static MrtlDataset LoadPositionsCsv(string path, IReadOnlyList<CountModeSpec> modes, MrtlTask task)
    {
        ArgumentNullException.ThrowIfNull(modes);
        if (!File.Exists(path)) throw new MultiscaleException($"'{path}' does not exist");
        if (modes.Count == 0) throw new MultiscaleException("a positions file needs at least one mode");
        using var rows = CsvRows(path).GetEnumerator();
        if (!rows.MoveNext()) throw new MultiscaleException($"'{path}' has no data lines");
        var header = rows.Current.Fields.Select(s => s.ToLowerInvariant()).ToArray();
        int Col(string name, bool required = true)
        {
            int c = Array.IndexOf(header, name);
            if (c < 0 && required) throw new MultiscaleException($"'{path}': the header lacks the column '{name}' (expected sample,output,label,mode,row,col[,weight])");
            return c;
        }
        int cs = Col("sample"), co = Col("output"), cl = Col("label"), cm = Col("mode"), cr = Col("row"), cc = Col("col"), cw = Col("weight", false);
        var modeIndex = modes.Select((m, i) => (m.Name, i)).ToDictionary(t => t.Name, t => t.i);
        var order = new Dictionary<long, int>();
        var outputs = new List<long>();
        var labels = new List<float>();
        var points = modes.Select(_ => new List<List<(float R, float C, float W)>>()).ToArray();
        bool any = false;
        while (rows.MoveNext())
        {
            var (f, line) = rows.Current;
            any = true;
            string Where() => $"'{path}' line {line}";
            if (f.Length < header.Length) throw new MultiscaleException($"{Where()}: expected {header.Length} fields, got {f.Length}");
            if (!long.TryParse(f[cs], NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)) throw new MultiscaleException($"{Where()}: sample '{f[cs]}' is not an integer");
            if (!int.TryParse(f[co], NumberStyles.Integer, CultureInfo.InvariantCulture, out var output) || output < 0) throw new MultiscaleException($"{Where()}: output '{f[co]}' is not a non-negative integer");
            if (!float.TryParse(f[cl], NumberStyles.Float, CultureInfo.InvariantCulture, out var label) || float.IsNaN(label)) throw new MultiscaleException($"{Where()}: label '{f[cl]}' is not a number");
            if (!modeIndex.TryGetValue(f[cm].Trim(), out var m)) throw new MultiscaleException($"{Where()}: unknown mode '{f[cm]}' (expected {string.Join(", ", modeIndex.Keys)})");
            if (!order.TryGetValue(id, out var s))
            {
                s = order[id] = order.Count;
                outputs.Add(output);
                labels.Add(label);
                foreach (var list in points) list.Add(new());
            }
            else if (outputs[s] != output || labels[s] != label)
                throw new MultiscaleException($"{Where()}: sample {id} has a different output or label than on its first line");
            if (f[cr].Trim().Length == 0 && f[cc].Trim().Length == 0) continue;
            if (!float.TryParse(f[cr], NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || !float.TryParse(f[cc], NumberStyles.Float, CultureInfo.InvariantCulture, out var c) || float.IsNaN(r) || float.IsNaN(c))
                throw new MultiscaleException($"{Where()}: position '{f[cr]},{f[cc]}' is not a pair of numbers");
            float w = 1;
            if (cw >= 0 && f[cw].Trim().Length > 0 && (!float.TryParse(f[cw], NumberStyles.Float, CultureInfo.InvariantCulture, out w) || float.IsNaN(w)))
                throw new MultiscaleException($"{Where()}: weight '{f[cw]}' is not a number");
            points[m][s].Add((r, c, w));
        }
        if (!any) throw new MultiscaleException($"'{path}' has no data lines");
        // The dataset's own checks (domain, labels, outputs) do not know the file: name it here.
        try
        {
            int n = order.Count;
            var spatial = new SpatialMode[modes.Count];
            for (int m = 0; m < modes.Count; m++)
            {
                int p = Math.Max(1, points[m].Max(l => l.Count));
                if ((long)n * p > Array.MaxLength)
                    throw new MultiscaleException($"mode '{modes[m].Name}': {n} samples padded to the {p} points of the fullest one are too many to hold");
                var rr = new float[n * p]; var ccs = new float[n * p]; var ww = new float[n * p];
                for (int s = 0; s < n; s++)
                    for (int j = 0; j < points[m][s].Count; j++)
                        (rr[s * p + j], ccs[s * p + j], ww[s * p + j]) = points[m][s][j];
                spatial[m] = new CountMode(modes[m].Name, modes[m].Height, modes[m].Width,
                    tensor(rr, new long[] { n, p }), tensor(ccs, new long[] { n, p }), tensor(ww, new long[] { n, p }));
            }
            return new MrtlDataset(task, (int)outputs.Max() + 1, tensor(outputs.ToArray()), tensor(labels.ToArray()), spatial);
        }
        catch (MultiscaleException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new MultiscaleException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The non-blank records of a CSV file (RFC 4180 through Sep: quoted fields, a BOM, CRLF or LF line ends), fields
    /// trimmed, each with the line it starts on. A malformed file is one error naming it.
    /// </summary>
    private static IEnumerable<(string[] Fields, int Line)> CsvRows(string path)
    {
        SepReader reader;
        try
        {
            reader = Sep.New(',').Reader(o => o with { HasHeader = false, Unescape = true, Trim = SepTrim.All, DisableColCountCheck = true }).FromFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new MultiscaleException($"'{path}' cannot be read as CSV: {e.Message}", e);
        }
        using (reader)
        {
            using var rows = reader.GetEnumerator();
            while (true)
            {
                string[] fields;
                int line;
                try
                {
                    if (!rows.MoveNext()) yield break;
                    var row = rows.Current;
                    line = row.LineNumberFrom;
                    fields = new string[row.ColCount];
                    for (int i = 0; i < fields.Length; i++) fields[i] = row[i].ToString();
                }
                catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
                {
                    throw new MultiscaleException($"'{path}' is not valid CSV: {e.Message}", e);
                }
                if (fields.Length == 1 && fields[0].Length == 0) continue;
                yield return (fields, line);
            }
        }
    }

    /// <summary>Reads fields, labels and optional output indices (see the class remarks) into a one-field-mode dataset.</summary>
    public static MrtlDataset LoadFieldsNpy(string fieldsPath, string labelsPath, int lags, MrtlTask task = MrtlTask.Regression,
        string? outputsPath = null, string modeName = "field")
    {
        if (lags < 1) throw new MultiscaleException($"lags must be at least 1 (got {lags})");
        using var scope = NewDisposeScope();
        // As stored, then float32: a large float32 file never passes through a float64 copy.
        var fields = Npy.ReadStored(fieldsPath).to_type(ScalarType.Float32);
        if (fields.dim() == 3) fields = fields.unsqueeze(1);
        if (fields.dim() != 4) throw new MultiscaleException($"'{fieldsPath}': fields must be [time, variables, rows, cols] or [time, rows, cols]; got {fields.dim()} axes");
        long steps = fields.shape[0];
        int n = (int)(steps - lags + 1);
        if (n < 1) throw new MultiscaleException($"'{fieldsPath}': {steps} time steps are fewer than {lags} lags");
        var labels = Npy.Read(labelsPath);
        if (labels.dim() != 1 || labels.shape[0] != n)
            throw new MultiscaleException($"'{labelsPath}': expected {n} labels (time steps {steps} − lags {lags} + 1), got [{string.Join(",", labels.shape)}]");
        Tensor outputIndex = zeros(n, ScalarType.Int64);
        int outputs = 1;
        if (outputsPath is not null)
        {
            // numpy writes integer indices as int64 ('<i8'); read them as stored so no index passes through float64.
            var o = Npy.ReadStored(outputsPath);
            if (o.dim() != 1 || o.shape[0] != n) throw new MultiscaleException($"'{outputsPath}': expected {n} output indices, got [{string.Join(",", o.shape)}]");
            if (o.dtype == ScalarType.Bool) throw new MultiscaleException($"'{outputsPath}': output indices must be integers, not booleans");
            if (o.is_floating_point() && !o.eq(o.round()).all().item<bool>()) throw new MultiscaleException($"'{outputsPath}': output indices must be non-negative integers");
            outputIndex = o.to_type(ScalarType.Int64);
            if (outputIndex.min().item<long>() < 0) throw new MultiscaleException($"'{outputsPath}': output indices must be non-negative integers");
            outputs = (int)outputIndex.max().item<long>() + 1;
        }
        var times = arange(n, ScalarType.Int64).unsqueeze(1) + (lags - 1) - arange(lags, ScalarType.Int64).unsqueeze(0);
        try
        {
            return new MrtlDataset(task, outputs, outputIndex, labels, new SpatialMode[] { new FieldMode(modeName, fields, times) });
        }
        catch (MultiscaleException e) when (!e.Message.Contains(fieldsPath, StringComparison.Ordinal))
        {
            // The dataset's own checks (NaN, labels, outputs) do not know the files: name them here.
            throw new MultiscaleException($"'{fieldsPath}' with '{labelsPath}': {e.Message}", e);
        }
    }
}
