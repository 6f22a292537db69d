using System.Globalization;

namespace Multiscale.Graphs;

/// <summary>
/// The compact text form of a graph used by the command line:
/// <c>path:N</c>, <c>cycle:N</c>, <c>grid:AxBx…</c> (aperiodic), <c>torus:AxBx…</c> (periodic),
/// <c>rgg:N[:SEED]</c> (a random geometric graph, <see cref="GraphFactory.RandomGeometric"/>),
/// <c>file:PATH</c> (an edge list, see <see cref="EdgeListReader"/>), and products
/// <c>box(SPEC,SPEC,…)</c> / <c>cross(SPEC,SPEC,…)</c>, folded left and nestable.
/// </summary>
public static class GraphSpec
{
    /// <summary>A one-line description of the grammar, for help texts and error messages.</summary>
    public const string Grammar = "path:N | cycle:N | grid:AxB[x…] | torus:AxB[x…] | rgg:N[:SEED] | file:PATH | box(SPEC,SPEC[,…]) | cross(SPEC,SPEC[,…])";

    /// <summary>Builds the graph a spec describes; relative file paths resolve against <paramref name="baseDirectory"/> (default: the current directory).</summary>
    public static Graph Parse(string spec, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Trim();
        if (text.Length == 0) throw new MultiscaleException($"empty graph spec; expected {Grammar}");
        int pos = 0;
        var g = ParseTerm(text, ref pos, baseDirectory);
        SkipSpaces(text, ref pos);
        if (pos != text.Length) throw Error(text, $"unexpected '{text[pos..]}' at position {pos + 1}");
        return g;
    }

    private static Graph ParseTerm(string text, ref int pos, string? baseDirectory)
    {
        SkipSpaces(text, ref pos);
        foreach (var product in new[] { "box", "cross" })
        {
            if (string.CompareOrdinal(text, pos, product + "(", 0, product.Length + 1) != 0) continue;
            pos += product.Length + 1;
            var factors = new List<Graph> { ParseTerm(text, ref pos, baseDirectory) };
            SkipSpaces(text, ref pos);
            while (pos < text.Length && text[pos] == ',')
            {
                pos++;
                factors.Add(ParseTerm(text, ref pos, baseDirectory));
                SkipSpaces(text, ref pos);
            }
            if (pos >= text.Length || text[pos] != ')') throw Error(text, $"missing ')' to close {product}(");
            pos++;
            if (factors.Count < 2) throw Error(text, $"{product}( needs at least two graphs");
            var g = factors[0];
            for (int i = 1; i < factors.Count; i++)
                g = product == "box" ? GraphFactory.BoxProduct(g, factors[i]) : GraphFactory.CrossProduct(g, factors[i]);
            return g;
        }

        int colon = text.IndexOf(':', pos);
        if (colon < 0) throw Error(text, $"'{text[pos..]}' is not a graph");
        string family = text[pos..colon].Trim();
        int end = colon + 1;
        if (family == "file")
        {
            // A file path runs to the end, or to the ',' / ')' that closes it inside a product.
            while (end < text.Length && text[end] != ',' && text[end] != ')') end++;
        }
        else
        {
            while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || family == "rgg" && text[end] == ':')) end++;
        }
        string argument = text[(colon + 1)..end].Trim();
        pos = end;
        switch (family)
        {
            case "path": return GraphFactory.Path(ParseSize(text, argument, family));
            case "cycle": return GraphFactory.Cycle(ParseSize(text, argument, family));
            case "grid":
            case "torus":
                var sides = argument.Split('x').Select(a => ParseSize(text, a, family)).ToArray();
                return GraphFactory.Grid(sides, periodic: family == "torus");
            case "rgg":
                var parts = argument.Split(':');
                if (parts.Length > 2) throw Error(text, "rgg takes rgg:N or rgg:N:SEED");
                long seed = 0;
                if (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out seed))
                    throw Error(text, $"rgg seed '{parts[1]}' must be a non-negative integer");
                return GraphFactory.RandomGeometric(ParseSize(text, parts[0], family), seed);
            case "file":
                if (argument.Length == 0) throw Error(text, "file: needs a path");
                string path = Path.IsPathRooted(argument) || baseDirectory is null ? argument : Path.Combine(baseDirectory, argument);
                return EdgeListReader.Read(path, $"file:{argument}");
            default:
                throw Error(text, $"unknown graph family '{family}'");
        }
    }

    private static int ParseSize(string text, string argument, string family)
    {
        if (!int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw Error(text, argument.Length > 0 && argument.All(char.IsAsciiDigit) && argument.TrimStart('0').Length > 0
                ? $"{family} size '{argument}' is too large (at most {int.MaxValue} vertices)"
                : $"{family} size '{argument}' must be a positive integer");
        return n;
    }

    private static void SkipSpaces(string text, ref int pos)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
    }

    private static MultiscaleException Error(string text, string problem) =>
        new($"graph spec '{text}': {problem}; expected {Grammar}");
}
