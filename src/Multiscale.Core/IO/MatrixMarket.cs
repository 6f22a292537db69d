using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>
/// MatrixMarket coordinate files (<c>.mtx</c>, what <c>scipy.io.mmread</c>/<c>mmwrite</c> use): written with only the
/// nonzeros (the lower triangle when the matrix is exactly symmetric), read for real, integer and pattern fields with
/// general, symmetric and skew-symmetric storage. Errors name the file and the line.
/// </summary>
public static class MatrixMarket
{
    /// <summary>Rows per block when scanning a dense matrix for nonzeros, so a dense operator is never copied whole.</summary>
    private const long BlockElements = 1 << 22;

    /// <summary>
    /// Writes a 2-D tensor (a 1-D tensor as one column) as real coordinate entries, skipping zeros; square matrices
    /// equal to their transpose are stored symmetric (lower triangle), everything else general. Values round-trip exactly.
    /// </summary>
    public static void Write(string path, Tensor matrix)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.dim() is not (1 or 2)) throw new MultiscaleException($"cannot write a {matrix.dim()}-D tensor as MatrixMarket (matrices and vectors only)");
        if (matrix.is_complex()) throw new MultiscaleException("cannot write a complex tensor as MatrixMarket (real only)");
        using var scope = NewDisposeScope();
        var m = matrix.detach().cpu().to_type(ScalarType.Float64);
        if (m.dim() == 1) m = m.unsqueeze(1);
        long rows = m.shape[0], cols = m.shape[1];
        bool symmetric = rows == cols && rows > 0 && m.eq(m.t()).all().item<bool>();
        long rowsPerBlock = Math.Max(1, BlockElements / Math.Max(1, cols));
        long nnz = 0;
        for (long r0 = 0; r0 < rows; r0 += rowsPerBlock)
        {
            using var inner = NewDisposeScope();
            var mask = Mask(m, r0, Math.Min(rowsPerBlock, rows - r0), symmetric);
            nnz += mask.count_nonzero().item<long>();
        }
        AtomicFile.Write(path, s =>
        {
            using var writer = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            writer.WriteLine($"%%MatrixMarket matrix coordinate real {(symmetric ? "symmetric" : "general")}");
            writer.WriteLine("% written by Multiscale");
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rows} {cols} {nnz}"));
            var line = new StringBuilder();
            for (long r0 = 0; r0 < rows; r0 += rowsPerBlock)
            {
                using var inner = NewDisposeScope();
                long count = Math.Min(rowsPerBlock, rows - r0);
                var mask = Mask(m, r0, count, symmetric);
                var at = mask.nonzero().contiguous();
                var values = m.narrow(0, r0, count).masked_select(mask).contiguous();
                long k = at.shape[0];
                if (k == 0) continue;
                var ij = at.data<long>().ToArray();
                var v = values.data<double>().ToArray();
                for (long e = 0; e < k; e++)
                {
                    line.Clear();
                    line.Append(r0 + ij[2 * e] + 1).Append(' ').Append(ij[2 * e + 1] + 1).Append(' ')
                        .Append(Format(v[e]));
                    writer.WriteLine(line);
                }
            }
        });
    }

    /// <summary>Reads a coordinate file into its entries (symmetric storage mirrored).</summary>
    public static CoordinateMatrix Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new MultiscaleException($"'{path}' does not exist");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return Parse(reader, stream.Length, path);
        }
        catch (IOException e) { throw new MultiscaleException($"'{path}' cannot be read: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { throw new MultiscaleException($"'{path}' cannot be read: {e.Message}", e); }
    }

    /// <summary>Reads a coordinate file as a dense float64 tensor (its size checked against memory first).</summary>
    public static Tensor ReadDense(string path, Device? device = null) => Read(path).ToDense(device, path);

    private static CoordinateMatrix Parse(TextReader reader, long fileBytes, string path)
    {
        int lineNumber = 0;
        string? Next()
        {
            lineNumber++;
            return reader.ReadLine();
        }
        MultiscaleException Error(string what) => new($"'{path}' line {lineNumber}: {what}");

        string? banner = Next();
        if (banner is null) throw new MultiscaleException($"'{path}' is empty (expected a %%MatrixMarket header)");
        var head = banner.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (head.Length != 5 || !head[0].Equals("%%MatrixMarket", StringComparison.OrdinalIgnoreCase))
            throw Error("expected '%%MatrixMarket matrix coordinate <field> <symmetry>'");
        string obj = head[1].ToLowerInvariant(), format = head[2].ToLowerInvariant(), field = head[3].ToLowerInvariant(), symmetry = head[4].ToLowerInvariant();
        if (obj != "matrix") throw Error($"object '{head[1]}' is not supported (matrix only)");
        if (format != "coordinate") throw Error($"format '{head[2]}' is not supported (coordinate only; dense arrays belong in .npy)");
        if (field is not ("real" or "double" or "integer" or "pattern")) throw Error($"field '{head[3]}' is not supported (real, integer, pattern)");
        if (symmetry is not ("general" or "symmetric" or "skew-symmetric")) throw Error($"symmetry '{head[4]}' is not supported (general, symmetric, skew-symmetric)");
        bool pattern = field == "pattern";

        string? line;
        do line = Next();
        while (line is not null && (line.TrimStart().StartsWith('%') || string.IsNullOrWhiteSpace(line)));
        if (line is null) throw Error("the size line 'rows columns entries' is missing");
        var size = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (size.Length != 3 || !long.TryParse(size[0], NumberStyles.None, CultureInfo.InvariantCulture, out long rows)
            || !long.TryParse(size[1], NumberStyles.None, CultureInfo.InvariantCulture, out long cols)
            || !long.TryParse(size[2], NumberStyles.None, CultureInfo.InvariantCulture, out long declared))
            throw Error($"expected 'rows columns entries' (non-negative integers), found '{Shown(line)}'");
        if (symmetry != "general" && rows != cols) throw Error($"a {symmetry} matrix must be square (got {rows}×{cols})");
        // Every entry takes at least four bytes ("1 1\n"): a count beyond that is a corrupt header, not an allocation.
        if (declared > fileBytes / 4 || declared > Array.MaxLength / 2)
            throw Error($"{declared} entries cannot fit in a file of {fileBytes} bytes");
        int expected = (int)declared;
        int capacity = symmetry == "general" ? expected : 2 * expected;
        var ri = new List<long>(capacity);
        var ci = new List<long>(capacity);
        var vs = new List<double>(capacity);
        int seen = 0;
        while ((line = Next()) is not null)
        {
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('%')) continue;
            if (seen == expected) throw Error($"more entries than the {expected} the size line declares");
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != (pattern ? 2 : 3)) throw Error($"expected '{(pattern ? "row column" : "row column value")}', found '{Shown(line)}'");
            if (!long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out long i) || i < 1 || i > rows)
                throw Error($"row '{f[0]}' is not an index in 1..{rows}");
            if (!long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long j) || j < 1 || j > cols)
                throw Error($"column '{f[1]}' is not an index in 1..{cols}");
            double v = 1;
            if (!pattern && !TryValue(f[2], field == "integer", out v)) throw Error($"value '{f[2]}' is not {(field == "integer" ? "an integer" : "a number")}");
            if (symmetry == "skew-symmetric" && i == j) throw Error("a skew-symmetric matrix has a zero diagonal; entries on it are not stored");
            ri.Add(i - 1); ci.Add(j - 1); vs.Add(v);
            if (symmetry != "general" && i != j)
            {
                ri.Add(j - 1); ci.Add(i - 1); vs.Add(symmetry == "skew-symmetric" ? -v : v);
            }
            seen++;
        }
        if (seen != expected) throw new MultiscaleException($"'{path}': the size line declares {expected} entries but the file holds {seen} (truncated?)");
        return new CoordinateMatrix(rows, cols, ri.ToArray(), ci.ToArray(), vs.ToArray());
    }

    private static bool TryValue(string text, bool integer, out double value)
    {
        if (integer)
        {
            bool ok = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l);
            value = l;
            return ok;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        // Python and C print infinities and NaN as inf/-inf/nan.
        switch (text.ToLowerInvariant())
        {
            case "inf" or "+inf" or "infinity" or "+infinity": value = double.PositiveInfinity; return true;
            case "-inf" or "-infinity": value = double.NegativeInfinity; return true;
            case "nan" or "+nan" or "-nan": value = double.NaN; return true;
            default: return false;
        }
    }

    private static string Format(double v) =>
        double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : double.IsNaN(v) ? "nan" : v.ToString("R", CultureInfo.InvariantCulture);

    private static Tensor Mask(Tensor m, long row0, long count, bool lowerOnly)
    {
        var block = m.narrow(0, row0, count);
        var mask = block.ne(0);
        if (!lowerOnly) return mask;
        // Entry (row0 + a, b) is in the lower triangle when b ≤ row0 + a.
        var r = arange(row0, row0 + count, ScalarType.Int64).unsqueeze(1);
        var c = arange(m.shape[1], ScalarType.Int64).unsqueeze(0);
        return mask.logical_and(c.le(r));
    }

    private static string Shown(string line) => line.Length > 80 ? line[..80] + "…" : line;
}
