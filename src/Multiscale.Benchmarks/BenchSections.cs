using Multiscale.Runs;
namespace Multiscale.Benchmarks;

/// <summary>
/// Which sections a bench runs, and how far it has got: at a terminal each section that starts moves the overall line
/// of the host's <see cref="IBenchProgress"/> (sections done of those wanted, with an ETA), above the section's own progress.
/// </summary>
internal sealed class BenchSections(string bench, HashSet<string> only, int sectionCount, int repeats = 1, IBenchProgress? progress = null)
{
    private readonly int _total = (only.Count == 0 ? sectionCount : only.Count) * repeats;
    private int _started;

    /// <summary>True when <paramref name="name"/> runs (no <c>--only</c>, or named in it); counts it as started.</summary>
    public bool Wanted(string name)
    {
        if (only.Count > 0 && !only.Contains(name)) return false;
        progress?.Overall($"{bench}: section {Math.Min(_started + 1, _total)} of {_total}, {name}", _started, _total);
        _started++;
        return true;
    }

    /// <summary>The problem of field <c>only</c> when <paramref name="only"/> names a section not in <paramref name="known"/>, else null.</summary>
    public static SettingsException? Problem(IReadOnlySet<string> only, IReadOnlyCollection<string> known)
    {
        ArgumentNullException.ThrowIfNull(only);
        foreach (var s in only)
            if (!known.Contains(s)) return new SettingsException("only", $"names an unknown section '{s}'; choose from {string.Join(", ", known)}");
        return null;
    }

    /// <summary>Throws <see cref="MultiscaleException"/> with <paramref name="problem"/>'s message when there is one.</summary>
    public static void Throw(SettingsException? problem)
    {
        if (problem is not null) throw new MultiscaleException(problem.Message, problem);
    }
}
