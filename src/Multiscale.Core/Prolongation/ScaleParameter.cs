using System.Globalization;

namespace Multiscale.Prolongation;

/// <summary>
/// The α (diffusion) or β (locality) rescaling of eq. (3.3): fixed, or <b>auto</b> — re-optimized in closed form at
/// every evaluation (for fixed P, α* = ‖P L₁‖_F / ‖L₂ P‖_F and likewise β*), which is block alternation taken to its
/// limit; the gradient in P at α* is the partial gradient (envelope theorem).
/// </summary>
public readonly record struct ScaleParameter
{
    private ScaleParameter(double? value) => Value = value;

    /// <summary>The fixed value, or null for auto.</summary>
    public double? Value { get; }

    /// <summary>True when the scale is optimized.</summary>
    public bool IsAuto => Value is null;

    /// <summary>The optimized scale.</summary>
    public static ScaleParameter Auto => new(null);

    /// <summary>A fixed positive scale.</summary>
    public static ScaleParameter Fixed(double value)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new MultiscaleException($"a scale (α or β) must be a positive number (got {value})");
        return new ScaleParameter(value);
    }

    /// <summary>Parses "auto" or a positive number; <paramref name="name"/> names the option in errors.</summary>
    public static ScaleParameter Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return Auto;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || double.IsInfinity(v))
            throw new MultiscaleException($"{name} must be 'auto' or a positive number (got '{text}')");
        return Fixed(v);
    }

    /// <inheritdoc />
    public override string ToString() => Value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "auto";
}
