using System.Globalization;
using ScottPlot;

namespace Multiscale.Cli.Plots;

/// <summary>
/// Ticks for an axis whose coordinates are log10 of the data (ScottPlot 5 has no logarithmic axis, so figures plot
/// log10 values). Labels show the real values: 10ᵏ at decades, plain numbers when fewer than two decades are visible.
/// </summary>
internal sealed class LogTickGenerator : ITickGenerator
{
    // Pixels each major label needs along the axis; vertical labels are short, horizontal ones wide.
    private const float VerticalPixelsPerTick = 40;
    private const float HorizontalPixelsPerTick = 70;

    private static readonly int[] AllMantissas = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    private static readonly int[][] MantissaSets = [AllMantissas, [1, 2, 5], [1]];

    /// <summary>The ticks computed by the last <see cref="Regenerate"/>.</summary>
    public Tick[] Ticks { get; set; } = [];

    /// <summary>Upper bound on the number of ticks (major and minor) kept.</summary>
    public int MaxTickCount { get; set; } = 1000;

    /// <summary>Recomputes <see cref="Ticks"/> for the visible range (in log10 units) and axis length.</summary>
    public void Regenerate(CoordinateRange range, Edge edge, PixelLength size, Paint paint, LabelStyle labelStyle)
    {
        float perTick = edge.IsVertical() ? VerticalPixelsPerTick : HorizontalPixelsPerTick;
        int maxMajors = Math.Clamp((int)(size.Length / perTick), 2, 10);
        Ticks = Generate(Math.Min(range.Min, range.Max), Math.Max(range.Min, range.Max), maxMajors)
            .Take(MaxTickCount)
            .ToArray();
    }

    /// <summary>Ticks for the log10 range [<paramref name="lo"/>, <paramref name="hi"/>], at most <paramref name="maxMajors"/> labelled.</summary>
    internal static List<Tick> Generate(double lo, double hi, int maxMajors)
    {
        var ticks = new List<Tick>();
        if (!double.IsFinite(lo) || !double.IsFinite(hi) || hi <= lo) return ticks;

        double firstDecade = Math.Ceiling(lo), lastDecade = Math.Floor(hi);
        if (lastDecade - firstDecade >= 1)
        {
            // Two or more decades visible: label decades only, every step-th one when they would crowd.
            int step = (int)Math.Ceiling((lastDecade - firstDecade + 1) / maxMajors);
            double start = Math.Ceiling(firstDecade / step) * step;
            for (double k = start; k <= lastDecade; k += step) ticks.Add(Tick.Major(k, DecadeLabel((int)k)));
            // Minor ticks at 2..9 × 10ᵏ keep the log scale readable; skipped when decades are thinned.
            if (step == 1 && hi - lo <= 12) AddMantissaMinors(ticks, lo, hi, majorMantissas: [1]);
            else for (double k = firstDecade; k <= lastDecade; k++) if ((k - start) % step != 0) ticks.Add(Tick.Minor(k));
            return ticks;
        }

        // Less than two decades: label m × 10ᵏ for the densest mantissa set that fits.
        foreach (int[] mantissas in MantissaSets)
        {
            var positions = MantissaPositions(lo, hi, mantissas).ToList();
            if (positions.Count < 2 || positions.Count > maxMajors) continue;
            foreach (var (position, mantissa, decade) in positions)
                ticks.Add(Tick.Major(position, mantissa == 1 ? DecadeLabel(decade) : RealLabel(mantissa * Math.Pow(10, decade))));
            AddMantissaMinors(ticks, lo, hi, mantissas);
            return ticks;
        }

        // A narrow range (less than a factor of about two): evenly spaced real values, which look even here too.
        double a = Math.Pow(10, lo), b = Math.Pow(10, hi);
        double spacing = NiceStep((b - a) / maxMajors);
        for (double i = Math.Ceiling(a / spacing); i * spacing <= b; i++)
            ticks.Add(Tick.Major(Math.Log10(i * spacing), RealLabel(i * spacing)));
        return ticks;
    }

    /// <summary>The label of 10^<paramref name="k"/>, written with superscript digits.</summary>
    internal static string DecadeLabel(int k)
    {
        const string superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹";
        string digits = Math.Abs(k).ToString(CultureInfo.InvariantCulture);
        var chars = digits.Select(c => superscripts[c - '0']);
        return "10" + (k < 0 ? "⁻" : "") + string.Concat(chars);
    }

    // Real values on log axes are short: 4 significant digits avoids float noise such as 0.30000000000000004.
    private static string RealLabel(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static IEnumerable<(double Position, int Mantissa, int Decade)> MantissaPositions(double lo, double hi, int[] mantissas)
    {
        for (int decade = (int)Math.Floor(lo); decade <= (int)Math.Ceiling(hi); decade++)
            foreach (int m in mantissas)
            {
                double position = decade + Math.Log10(m);
                if (position >= lo && position <= hi) yield return (position, m, decade);
            }
    }

    private static void AddMantissaMinors(List<Tick> ticks, double lo, double hi, int[] majorMantissas)
    {
        var minors = AllMantissas.Except(majorMantissas).ToArray();
        foreach (var (position, _, _) in MantissaPositions(lo, hi, minors)) ticks.Add(Tick.Minor(position));
    }

    private static double NiceStep(double rough)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / magnitude;
        double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }
}
