using Multiscale.IO;

namespace Multiscale.Cli.Commands;

/// <summary>What the plugins' <c>bench</c> commands share: <c>--only</c> sections and the all-or-nothing Markdown write.</summary>
internal static class BenchOutput
{
    /// <summary>The sections named by <c>--only</c> (comma or space separated), each checked against <paramref name="known"/>.</summary>
    public static HashSet<string> Sections(string[]? only, IReadOnlyCollection<string> known)
    {
        var sections = (only ?? Array.Empty<string>()).SelectMany(x => x.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet();
        foreach (var s in sections)
            if (!known.Contains(s)) throw new MultiscaleException($"unknown section '{s}'; choose from {string.Join(", ", known)}");
        return sections;
    }

    /// <summary>Writes the report atomically, or nothing when the run was cancelled (exit code 130).</summary>
    public static int Write(string markdown, bool cancelled, FileInfo file, TextWriter output, TextWriter error)
    {
        if (cancelled)
        {
            error.WriteLine("cancelled: nothing was written");
            return 130;
        }
        AtomicFile.WriteAllText(file.FullName, markdown);
        output.WriteLine($"wrote {file.FullName}");
        return 0;
    }
}
