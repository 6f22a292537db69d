namespace Multiscale;

/// <summary>
/// The spellings of a closed set of choices (an optimizer, a model, a criterion, a file format): one table gives both
/// directions, so settings, reports and error messages spell every choice the same way. Parsing ignores case and
/// surrounding blanks; an unknown name is one <see cref="MultiscaleException"/> listing the names.
/// </summary>
/// <typeparam name="T">The choice's type (usually an enum).</typeparam>
public sealed class ChoiceNames<T> where T : notnull
{
    private readonly (string Name, T Value)[] _choices;
    private readonly (string Name, T Value)[] _aliases;

    /// <summary>Names <paramref name="what"/> (for messages: "optimizer") and its choices; the first name of a value is how it is written.</summary>
    public ChoiceNames(string what, params (string Name, T Value)[] choices) : this(what, choices, Array.Empty<(string, T)>()) { }

    /// <summary>As the other constructor, with <paramref name="aliases"/>: other spellings read but never written or listed.</summary>
    public ChoiceNames(string what, (string Name, T Value)[] choices, (string Name, T Value)[] aliases)
    {
        ArgumentNullException.ThrowIfNull(what);
        ArgumentNullException.ThrowIfNull(choices);
        ArgumentNullException.ThrowIfNull(aliases);
        if (choices.Length == 0) throw new ArgumentException("a choice needs at least one name", nameof(choices));
        var all = choices.Concat(aliases).Select(c => c.Name.ToLowerInvariant()).ToList();
        if (all.Distinct().Count() != all.Count) throw new ArgumentException($"the names of {what} repeat", nameof(choices));
        What = what;
        _choices = choices;
        _aliases = aliases;
    }

    /// <summary>What the choice is, as messages name it.</summary>
    public string What { get; }

    /// <summary>Every name, in order (aliases left out).</summary>
    public IReadOnlyList<string> Names => _choices.Select(c => c.Name).ToList();

    /// <summary>The names as a message lists them: "a, b or c".</summary>
    public string Expected => Names.Count == 1 ? Names[0] : $"{string.Join(", ", Names.Take(Names.Count - 1))} or {Names[^1]}";

    /// <summary>How <paramref name="value"/> is written.</summary>
    public string Name(T value)
    {
        foreach (var (name, v) in _choices)
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"no name for this {What}");
    }

    /// <summary>The choice spelled <paramref name="text"/>, or false.</summary>
    public bool TryParse(string? text, out T value)
    {
        string key = (text ?? "").Trim();
        foreach (var (name, v) in _choices.Concat(_aliases))
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase)) { value = v; return true; }
        value = default!;
        return false;
    }

    /// <summary>The choice spelled <paramref name="text"/>; throws "unknown WHAT 'text' (expected a, b or c)".</summary>
    public T Parse(string text) =>
        TryParse(text, out var value) ? value : throw new MultiscaleException($"unknown {What} '{text}' (expected {Expected})");
}
