using System.Text;
using System.Text.Json.Nodes;

namespace Multiscale.Tests.Shared;

/// <summary>What "the same run, timings aside" means in the resume tests of every project.</summary>
internal static class RunComparison
{
    /// <summary>The report as JSON text without any field whose name holds "seconds" (at any depth).</summary>
    public static string WithoutSeconds(JsonNode report)
    {
        var copy = report.DeepClone();
        Strip(copy);
        return copy.ToJsonString();
    }

    private static void Strip(JsonNode? node)
    {
        if (node is JsonObject o)
            foreach (var key in o.Select(p => p.Key).ToList())
                if (key.Contains("seconds", StringComparison.Ordinal)) o.Remove(key);
                else Strip(o[key]);
        else if (node is JsonArray a) foreach (var x in a) Strip(x);
    }

    /// <summary>The fields of a CSV line (RFC 4180 quotes: MRTL's resolution column holds commas).</summary>
    public static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
