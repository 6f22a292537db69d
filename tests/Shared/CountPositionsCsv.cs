using System.Globalization;
using System.Text;

namespace Multiscale.Tests.Shared;

/// <summary>A user's MRTL positions file for the data-fingerprint tests of the Mrtl and CLI projects.</summary>
internal static class CountPositionsCsv
{
    /// <summary>200 samples on one 8×10 count mode; <paramref name="flip"/> changes the label rule, not the shape.</summary>
    public static string Write(bool flip)
    {
        var rng = new Random(1);
        var sb = new StringBuilder("sample,output,label,mode,row,col\n");
        for (int n = 0; n < 200; n++)
        {
            double r = rng.NextDouble() * 8, c = rng.NextDouble() * 10;
            int label = (r < 4) != flip ? 1 : 0;
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{n},{n % 2},{label},court,{r:F3},{c:F3}"));
        }
        return sb.ToString();
    }
}
