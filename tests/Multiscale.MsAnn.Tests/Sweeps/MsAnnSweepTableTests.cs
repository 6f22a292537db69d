using System.Text.Json.Nodes;
using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;

namespace Multiscale.MsAnn.Tests.Sweeps;

/// <summary>The Table 1–3 summary step on hand-made rows: which run each line picks, ties, ratios and N/A.</summary>
public class MsAnnSweepTableTests
{
    private static MsAnnSweepRow Row(string id, int levels, double finalMse, double? costToTenth, double totalSeconds = 2, double? secondsToTenth = null) =>
        new(id, levels == 0 ? null : 1, levels, levels == 0 ? null : 1, 1.0, finalMse, costToTenth, secondsToTenth ?? costToTenth / 100, 1000, totalSeconds);

    [Fact]
    public void TheLinesPickBestWorstFastestAndDefaultWithTiesToTheEarlierRun()
    {
        var rows = new[]
        {
            Row("default", 0, 0.4, 800, totalSeconds: 4, secondsToTenth: 2),
            Row("a", 1, 0.2, 600),
            Row("b", 2, 0.1, null),   // the best MSE never reached 1/10: not a candidate for the cost line
            Row("c", 1, 0.1, 300),    // ties b on MSE: b is earlier
            Row("d", 3, 0.3, 300),    // ties c on cost: c is earlier
            Row("e", 2, 0.3, 900),    // ties d on worst MSE: d is earlier
        };
        var lines = MsAnnSweepTable.Lines(rows);
        Assert.Equal(new[] { "b", "d", "c", "default" }, lines.Select(l => l.Row?.Id));
        Assert.Equal(0.1 / 0.4, lines[0].MseRatio!.Value, 12);
        Assert.Null(lines[0].CostRatio);                       // b has no cost to 1/10: N/A
        Assert.Equal(300.0 / 800, lines[2].CostRatio!.Value, 12);
        Assert.Equal(3.0 / 2, lines[2].SecondsToTenthRatio!.Value, 12);
        Assert.Equal(2.0 / 4, lines[1].TotalSecondsRatio!.Value, 12);
        Assert.Equal(1.0, lines[3].MseRatio);
    }

    [Fact]
    public void MissingRunsAndAMissingDefaultAreNotApplicable()
    {
        var noneReached = MsAnnSweepTable.Lines(new[] { Row("default", 0, 0.4, 800), Row("a", 1, 0.2, null) });
        Assert.Null(noneReached[2].Row);
        Assert.Null(noneReached[2].MseRatio);
        var noDefault = MsAnnSweepTable.Lines(new[] { Row("a", 1, 0.2, 100), Row("b", 1, 0.3, 50) });
        Assert.Null(noDefault[3].Row);
        Assert.All(noDefault, l => Assert.Null(l.MseRatio));
        Assert.Equal("b", noDefault[2].Row!.Id);
        var onlyDefault = MsAnnSweepTable.Lines(new[] { Row("default", 0, 0.4, null) });
        Assert.All(onlyDefault.Take(3), l => Assert.Null(l.Row));
        Assert.Null(onlyDefault[3].CostRatio);
    }

    [Fact]
    public void ARowIsReadFromTheGenericSweepRowAndAReportLackingAFieldIsAnError()
    {
        var point = new SettingsGridPoint(0, "g2-L3-k004", new JsonObject { ["gamma"] = 2, ["levels"] = 3, ["k"] = 4 });
        var report = new JsonObject
        {
            ["initial_mse"] = 0.5, ["final_mse"] = 0.05, ["cost_to_tenth"] = null, ["seconds_to_tenth"] = null, ["total_cost"] = 1e4, ["total_seconds"] = 3.5,
            ["seconds_split"] = new JsonObject { ["fine_steps"] = 1.0, ["coarse_steps"] = 2.0, ["visit_setup"] = 0.5 },
            ["levels"] = 3, ["gamma"] = 2, ["k"] = 4,
        };
        var row = SettingsSweep.Row(point, report, new ISweepSummary[] { new MsAnnSweepTable() });
        var read = MsAnnSweepRow.FromSweepRow(row);
        Assert.Equal(new MsAnnSweepRow("g2-L3-k004", 2, 3, 4, 0.5, 0.05, null, null, 1e4, 3.5, 1.0, 2.0, 0.5), read);
        // The part row carries the table's fields beside the report, as the earlier msann sweep's rows did.
        Assert.Equal(3, row["levels"]!.GetValue<int>());
        Assert.Equal(0.05, row["final_mse"]!.GetValue<double>());
        Assert.Equal(0.05, row["report"]!["final_mse"]!.GetValue<double>());
        report.Remove("final_mse");
        var e = Assert.Throws<MultiscaleException>(() => MsAnnSweepRow.FromSweepRow(SettingsSweep.Row(point, report)));
        Assert.Contains("g2-L3-k004", e.Message);
        Assert.Contains("final_mse", e.Message);
    }

    [Fact]
    public void TheTrainingThreadsCpuSecondsAreReadAndSetAgainstDefaultTraining()
    {
        var point = new SettingsGridPoint(0, "g1-L1-k016", new JsonObject { ["gamma"] = 1, ["levels"] = 1, ["k"] = 16 });
        JsonObject Report(int levels, double cpuToTenth, double cpuTotal) => new()
        {
            ["initial_mse"] = 0.25, ["final_mse"] = 0.01, ["cost_to_tenth"] = 2e4, ["seconds_to_tenth"] = 3.0, ["total_cost"] = 6.4e4,
            ["total_seconds"] = 9.0, ["cpu_seconds_to_tenth"] = cpuToTenth, ["cpu_total_seconds"] = cpuTotal, ["levels"] = levels, ["gamma"] = 1, ["k"] = 16,
        };
        var run = MsAnnSweepRow.FromSweepRow(SettingsSweep.Row(point, Report(1, 1.5, 8.0)));
        var @default = MsAnnSweepRow.FromSweepRow(SettingsSweep.Row(new SettingsGridPoint(1, "L0", new JsonObject { ["levels"] = 0 }), Report(0, 3.0, 8.5)));
        Assert.Equal(1.5, run.CpuSecondsToTenth);
        Assert.Equal(8.0, run.CpuTotalSeconds);
        Assert.Equal(1.5, run.ToJson()["cpu_seconds_to_tenth"]!.GetValue<double>());
        var lines = MsAnnSweepTable.Lines(new[] { @default, run });
        Assert.Equal(0.5, lines[0].CpuSecondsToTenthRatio!.Value, 12);
        Assert.Equal(0.5, lines[0].ToJson()["cpu_seconds_to_tenth_ratio"]!.GetValue<double>(), 12);
        Assert.Equal(1.0, lines[3].CpuSecondsToTenthRatio);
        // A report from before the CPU clock: N/A, not zero.
        var old = Report(1, 0, 0);
        old.Remove("cpu_seconds_to_tenth");
        old.Remove("cpu_total_seconds");
        var oldRow = MsAnnSweepRow.FromSweepRow(SettingsSweep.Row(point, old));
        Assert.Null(oldRow.CpuSecondsToTenth);
        Assert.Null(MsAnnSweepTable.Lines(new[] { @default, oldRow })[0].CpuSecondsToTenthRatio);
    }
}
