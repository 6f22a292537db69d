using System.Globalization;

namespace Multiscale.Graphs;

/// <summary>
/// Reads a plain edge list: one edge per line as <c>u v [weight]</c> (whitespace separated), <c>#</c> starts a
/// comment, blank lines are skipped. If every vertex id is a non-negative integer the ids are used as given
/// (n = largest id + 1, so unused ids become isolated vertices); otherwise every id is a label, numbered 0, 1, …
/// in order of first appearance. Errors name the file and the line.
/// </summary>
public static class EdgeListReader
{
    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static Graph Read(string path, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new MultiscaleException($"edge-list file '{path}' does not exist");
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MultiscaleException($"cannot read edge-list file '{path}': {e.Message}", e);
        }
        return Parse(lines, path, name ?? $"file:{path}");
    }

    /// <summary>Parses edge-list lines; <paramref name="source"/> names them in error messages.</summary>
    public static Graph Parse(IReadOnlyList<string> lines, string source, string name)
    {
        var raw = new List<(string U, string V, double W, int Line)>();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length is not (2 or 3))
                throw new MultiscaleException($"{source}:{i + 1}: expected 'u v [weight]' but found {fields.Length} field(s): '{lines[i].Trim()}'");
            double w = 1;
            if (fields.Length == 3 && !double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out w))
                throw new MultiscaleException($"{source}:{i + 1}: weight '{fields[2]}' is not a number");
            raw.Add((fields[0], fields[1], w, i + 1));
        }
        if (raw.Count == 0) throw new MultiscaleException($"{source}: contains no edges");

        bool integerIds = raw.All(r => IsVertexIndex(r.U) && IsVertexIndex(r.V));
        int n;
        Func<string, int> id;
        List<string>? labels = null;
        if (integerIds)
        {
            long max = raw.Max(r => Math.Max(long.Parse(r.U, CultureInfo.InvariantCulture), long.Parse(r.V, CultureInfo.InvariantCulture)));
            if (max >= 50_000_000) throw new MultiscaleException($"{source}: vertex id {max} is too large (ids must be 0..n−1)");
            // Unused ids become isolated vertices, but a few edges naming a huge id are a corrupt file, not a graph.
            if (max >= 1_000_000 + 64L * raw.Count)
                throw new MultiscaleException($"{source}: vertex id {max} is far beyond what {raw.Count} edges can use (ids must be 0..n−1 with few unused)");
            n = (int)max + 1;
            id = s => int.Parse(s, CultureInfo.InvariantCulture);
        }
        else
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            labels = new List<string>();
            foreach (var r in raw)
                foreach (var s in new[] { r.U, r.V })
                    if (!index.ContainsKey(s)) { index[s] = labels.Count; labels.Add(s); }
            n = labels.Count;
            id = s => index[s];
        }

        SizeLimits.EnsureGraphFits(name, n, raw.Count);
        var builder = new GraphBuilder(name, n);
        foreach (var r in raw) builder.Add(id(r.U), id(r.V), r.W, $"{source}:{r.Line}");
        return builder.Build(labels);
    }

    private static bool IsVertexIndex(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);
}
