namespace Multiscale.MsAnn.Tests;

public class EqualTimeTests
{
    private static MsAnnResult Curve(params (double Seconds, double Mse)[] points) =>
        new(points[0].Mse, points[^1].Mse, null, points.FirstOrDefault(p => p.Mse <= points[0].Mse / 10) is { Mse: > 0 } hit ? hit.Seconds : null,
            0, points[^1].Seconds, points.Select((p, i) => new MsAnnMetrics(i, 0, i, p.Seconds, p.Mse)).ToList());

    [Fact]
    public void CurvesAreReadOnOneTimeAxisByLinearInterpolation()
    {
        var line = Curve((0, 1.0), (2, 0.6), (4, 0.2));
        Assert.Equal(1.0, EqualTime.MseAtSeconds(line, 0), 12);
        Assert.Equal(0.8, EqualTime.MseAtSeconds(line, 1), 12);
        Assert.Equal(0.4, EqualTime.MseAtSeconds(line, 3), 12);
        Assert.Equal(0.2, EqualTime.MseAtSeconds(line, 9), 12);   // ended: its final MSE
    }

    [Fact]
    public void TheComparisonIsAtOneTwoAndFourTimesDefaultsSecondsToATenth()
    {
        var @default = Curve((0, 1.0), (1, 0.5), (2, 0.1), (3, 0.08));   // 1/10 at 2 s
        var msann = Curve((0, 1.0), (2, 0.2), (6, 0.05), (10, 0.01));
        var equal = EqualTime.Compare(msann, @default)!;
        Assert.Equal(2, equal.DefaultSecondsToTenth);
        Assert.Equal(new[] { 2.0, 4.0, 8.0 }, equal.Points.Select(p => p.Seconds));
        Assert.Equal(0.2, equal.Points[0].MsAnnMse, 12);
        Assert.Equal(0.125, equal.Points[1].MsAnnMse, 12);
        Assert.Equal(0.03, equal.Points[2].MsAnnMse, 12);
        Assert.Equal(0.1, equal.Points[0].DefaultMse, 12);
        Assert.Equal(0.08, equal.Points[1].DefaultMse, 12);
        Assert.Equal(0.08, equal.Points[2].DefaultMse, 12);
        Assert.Equal(new[] { false, true, true }, equal.Points.Select(p => p.DefaultEnded));
        Assert.All(equal.Points, p => Assert.False(p.MsAnnEnded));
        var json = equal.ToJson();
        Assert.Equal(3, json["points"]!.AsArray().Count);
    }

    [Fact]
    public void ThereIsNoComparisonWhenDefaultNeverReachedATenth()
    {
        var @default = Curve((0, 1.0), (1, 0.5));
        Assert.Null(EqualTime.Compare(Curve((0, 1.0), (1, 0.05)), @default));
    }
}
