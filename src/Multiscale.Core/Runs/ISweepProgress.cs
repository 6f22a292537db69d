namespace Multiscale.Runs;

/// <summary>Where a sweep says what it does, for a host that shows it (console lines, a terminal's overall line).</summary>
public interface ISweepProgress
{
    /// <summary>A line for a person watching ("[2/9] g1-L1-k002: finished earlier, skipped", "wrote …").</summary>
    void Line(string text);

    /// <summary>Run <paramref name="done"/> + 1 of <paramref name="total"/> (named <paramref name="id"/>) starts training.</summary>
    void Run(int done, int total, string id);
}
