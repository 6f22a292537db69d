using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Manifolds;
using Multiscale.Runs;

namespace Multiscale.Prolongation;

/// <summary>
/// The solver settings of a map (<see cref="ProlongationOptions"/>) as JSON and back: the <c>solver</c> object of a
/// <c>prolong</c> or <c>lineage</c> run's settings. Every field that decides a map is written (the device is not: it
/// changes rounding, not the problem); a missing field reads as the solver's default.
/// </summary>
public static class ProlongationOptionsJson
{
    /// <summary>How the first start is spelled: munkres, assignment, interpolation, random, identity.</summary>
    public static ChoiceNames<InitKind> InitNames { get; } = new("start",
        ("munkres", InitKind.Munkres), ("assignment", InitKind.Assignment), ("interpolation", InitKind.Interpolation),
        ("random", InitKind.Random), ("identity", InitKind.Identity));

    /// <summary>How the retraction is spelled: qr, polar.</summary>
    public static ChoiceNames<StiefelRetraction> RetractionNames { get; } = new("retraction",
        ("qr", StiefelRetraction.Qr), ("polar", StiefelRetraction.Polar));

    /// <summary>The settings that decide a map; <paramref name="withS"/> false leaves s out (a run lists its values beside).</summary>
    public static JsonObject Describe(ProlongationOptions o, bool withS = true)
    {
        ArgumentNullException.ThrowIfNull(o);
        var json = new JsonObject();
        if (withS) json["s"] = o.S;
        json["alpha"] = o.Alpha.ToString();
        json["beta"] = o.Beta?.ToString() ?? "paper";
        json["init"] = InitNames.Name(o.Init);
        json["random_starts"] = o.RandomStarts;
        json["random_starts_seconds"] = o.RandomStartsTime?.TotalSeconds;
        json["canonicalize"] = o.Canonicalize;
        json["interpolation_start"] = o.InterpolationStart;
        json["assignment_start"] = o.AssignmentStart;
        json["escape_saddles"] = o.EscapeSaddles;
        json["precondition"] = o.Precondition;
        json["spectral_frame"] = o.SpectralFrame is { } f ? (f ? "yes" : "no") : "auto";
        json["optimizer"] = OptimizerKindNames.Choices.Name(o.Optimizer);
        json["max_iterations"] = o.MaxIterations;
        json["tolerance"] = o.Tolerance;
        json["min_gradient_norm"] = o.MinGradientNorm;
        json["max_seconds"] = o.MaxTime?.TotalSeconds;
        json["seed"] = o.Seed;
        json["retraction"] = RetractionNames.Name(o.Retraction);
        return json;
    }

    /// <summary>
    /// The inverse of <see cref="Describe"/>. With <paramref name="fixedS"/> given, s is not a field (a run with several
    /// values reads one options per value); otherwise it is read, <paramref name="defaultS"/> when missing. Errors name
    /// the field as <paramref name="prefix"/> + its name (<c>solver.max_iterations</c>); other fields they mention are
    /// in backticks.
    /// </summary>
    public static ProlongationOptions Read(JsonObject? json, double? fixedS = null, double defaultS = 0.5, string prefix = "")
    {
        json ??= new JsonObject();
        try
        {
            var r = new SettingsReader(json);
            var defaults = new ProlongationOptions();
            double sValue = fixedS ?? r.Double("s", defaultS);
            if (!(sValue >= 0 && sValue <= 1))
                throw new SettingsException("s", $"must be in [0, 1] (got {sValue.ToString(CultureInfo.InvariantCulture)})");
            var alpha = Scale(r, "alpha", "auto", "'auto' or a positive number");
            string betaText = r.String("beta", "paper");
            ScaleParameter? beta = betaText.Trim().Equals("paper", StringComparison.OrdinalIgnoreCase) ? null : Scale(r, "beta", betaText, "'paper', 'auto' or a positive number");
            int? randomStarts = r.OptionalInt("random_starts", min: 0);
            double? startsSeconds = r.OptionalDouble("random_starts_seconds");
            if (startsSeconds is { } b && !(b > 0)) throw new SettingsException("random_starts_seconds", $"must be positive (got {b.ToString(CultureInfo.InvariantCulture)})");
            if (startsSeconds is not null && randomStarts is not > 0)
                throw new SettingsException("random_starts_seconds", $"budgets the random starts: it needs `{prefix}random_starts` N with N ≥ 1");
            double? maxSeconds = r.OptionalDouble("max_seconds");
            if (maxSeconds is { } m && !(m > 0)) throw new SettingsException("max_seconds", $"must be positive (got {m.ToString(CultureInfo.InvariantCulture)})");
            double tolerance = r.Double("tolerance", defaults.Tolerance);
            if (!(tolerance >= 0)) throw new SettingsException("tolerance", $"must be ≥ 0 (got {tolerance.ToString(CultureInfo.InvariantCulture)})");
            double minGradient = r.Double("min_gradient_norm", defaults.MinGradientNorm);
            if (!(minGradient >= 0)) throw new SettingsException("min_gradient_norm", $"must be ≥ 0 (got {minGradient.ToString(CultureInfo.InvariantCulture)})");
            string frame = r.Choice("spectral_frame", "auto", "auto", "yes", "no");
            var options = new ProlongationOptions
            {
                S = sValue,
                Alpha = alpha,
                Beta = beta,
                Init = r.Choice("init", defaults.Init, InitNames),
                RandomStarts = randomStarts,
                RandomStartsTime = startsSeconds is { } rs ? TimeSpan.FromSeconds(rs) : null,
                Canonicalize = r.Bool("canonicalize", defaults.Canonicalize),
                InterpolationStart = r.Bool("interpolation_start", defaults.InterpolationStart),
                AssignmentStart = r.Bool("assignment_start", defaults.AssignmentStart),
                EscapeSaddles = r.Bool("escape_saddles", defaults.EscapeSaddles),
                Precondition = r.Bool("precondition", defaults.Precondition),
                SpectralFrame = frame switch { "yes" => true, "no" => false, _ => null },
                Optimizer = r.Choice("optimizer", defaults.Optimizer, OptimizerKindNames.Choices),
                MaxIterations = r.Int("max_iterations", defaults.MaxIterations, min: 0),
                Tolerance = tolerance,
                MinGradientNorm = minGradient,
                MaxTime = maxSeconds is { } sec ? TimeSpan.FromSeconds(sec) : null,
                Seed = r.Long("seed", defaults.Seed),
                Retraction = r.Choice("retraction", defaults.Retraction, RetractionNames),
            };
            r.Finish();
            options.Validate();
            return options;
        }
        catch (SettingsException e) when (prefix.Length > 0)
        {
            throw new SettingsException(prefix + e.Field, e.Problem);
        }
    }

    private static ScaleParameter Scale(SettingsReader r, string field, string fallback, string expected)
    {
        string text = r.String(field, fallback);
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return ScaleParameter.Auto;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && !double.IsInfinity(v)
            ? ScaleParameter.Fixed(v)
            : throw new SettingsException(field, $"must be {expected} (got '{text}')");
    }
}
