namespace Multiscale.MsAnn.Tests;

public class CycleScheduleTests
{
    [Fact]
    public void VCycleVisitsDownAndUp()
    {
        var visits = new CycleSchedule(2, 1, 4).Visits();
        Assert.Equal(new[] { 0, 1, 2, 1, 0 }, visits.Select(v => v.Level));
        Assert.All(visits, v => Assert.Equal(4, v.Batches));
    }

    [Fact]
    public void WCycleFollowsAlgorithm31()
    {
        // Cycle(0): 0, [Cycle(1): 1, 2, 1, 2, 1], 0, [Cycle(1)], 0
        var levels = new CycleSchedule(2, 2, 1).Visits().Select(v => v.Level);
        Assert.Equal(new[] { 0, 1, 2, 1, 2, 1, 0, 1, 2, 1, 2, 1, 0 }, levels);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(6, 3)]
    public void VisitCountsMatchTheClosedForm(int depth, int gamma)
    {
        var schedule = new CycleSchedule(depth, gamma, 2);
        var visits = schedule.Visits();
        for (int l = 0; l <= depth; l++) Assert.Equal(schedule.VisitsTo(l), visits.Count(v => v.Level == l));
    }

    [Fact]
    public void DefaultTrainingIsOneVisitAtTheFinestLevel()
    {
        Assert.Equal(new[] { new CycleVisit(0, 8) }, new CycleSchedule(0, 3, 8).Visits());
    }

    [Theory]
    [InlineData(-1, 1, 1, "depth")]
    [InlineData(2, 0, 1, "γ")]
    [InlineData(2, 1, 0, "k")]
    public void RejectsBadParameters(int depth, int gamma, int k, string fragment)
    {
        var e = Assert.Throws<MultiscaleException>(() => new CycleSchedule(depth, gamma, k));
        Assert.Contains(fragment, e.Message);
    }
}
