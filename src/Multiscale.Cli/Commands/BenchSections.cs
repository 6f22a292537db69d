namespace Multiscale.Cli.Commands;

/// <summary>
/// Which sections a bench runs, and how far it has got: at a terminal each section that starts moves the overall line
/// of <see cref="TerminalProgress"/> (sections done of those wanted, with an ETA), above the section's own progress.
/// </summary>
internal sealed class BenchSections(string bench, HashSet<string> only, int sectionCount, int repeats = 1)
{
    private readonly int _total = (only.Count == 0 ? sectionCount : only.Count) * repeats;
    private int _started;

    /// <summary>True when <paramref name="name"/> runs (no <c>--only</c>, or named in it); counts it as started.</summary>
    public bool Wanted(string name)
    {
        if (only.Count > 0 && !only.Contains(name)) return false;
        TerminalProgress.Current?.Overall($"{bench}: section {Math.Min(_started + 1, _total)} of {_total}, {name}", _started, _total, "sections");
        _started++;
        return true;
    }
}
