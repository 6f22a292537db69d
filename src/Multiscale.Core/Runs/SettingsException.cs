namespace Multiscale.Runs;

/// <summary>
/// A settings field has a value the method cannot use. <see cref="Field"/> names the field as the settings JSON
/// spells it and <see cref="Problem"/> says what is wrong, so a host can name the field the way its user gave it
/// (a command-line option, a line of a settings file). Other fields the problem mentions are written in backticks
/// (<c>`model`</c>), so a host can name them its way too (<see cref="Render"/>).
/// </summary>
public sealed class SettingsException : MultiscaleException
{
    /// <summary>Creates the error for <paramref name="field"/>; <paramref name="problem"/> reads after the field's name ("must be positive (got -1)").</summary>
    public SettingsException(string field, string problem) : base($"settings field '{field}' {Render(problem, f => $"'{f}'")}")
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>The field's name in the settings JSON (<c>coarse_model</c>).</summary>
    public string Field { get; }

    /// <summary>What is wrong with its value, phrased to follow the field's name; other fields in backticks.</summary>
    public string Problem { get; }

    /// <summary>The problem with each backticked field name replaced by <paramref name="name"/>(field).</summary>
    public static string Render(string problem, Func<string, string> name)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(name);
        var text = new System.Text.StringBuilder();
        int at = 0;
        while (at < problem.Length)
        {
            int open = problem.IndexOf('`', at), close = open < 0 ? -1 : problem.IndexOf('`', open + 1);
            if (close < 0) { text.Append(problem, at, problem.Length - at); break; }
            text.Append(problem, at, open - at).Append(name(problem[(open + 1)..close]));
            at = close + 1;
        }
        return text.ToString();
    }
}
