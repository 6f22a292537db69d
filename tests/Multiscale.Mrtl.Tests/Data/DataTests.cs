using Multiscale.IO;
using Multiscale.Mrtl.Data;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Data;

public class DataTests
{
    private static readonly MrtlDataset Basketball = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 2000 });

    [Fact]
    public void CountsSumIsTheSameAtEveryResolution()
    {
        Tensor? reference = null;
        foreach (var court in new[] { "4x5", "8x10", "20x25", "40x50" })
        {
            var d = Basketball.Discretize(new[] { GridShape.Parse(court), new GridShape(6, 6) });
            var ball = (CountInput)d.Modes[0];
            var defenders = (CountInput)d.Modes[1];
            var grid = GridShape.Parse(court);
            Assert.True(ball.Cells.min().item<long>() >= 0 && ball.Cells.max().item<long>() < grid.Cells);
            var perSample = ball.Weights.sum(dim: 1) + defenders.Weights.sum(dim: 1);
            if (reference is null) reference = perSample; else Assert.True(perSample.eq(reference).all().item<bool>());
        }
    }

    [Fact]
    public void IntegerRatioCellsNestInCoarseCells()
    {
        var coarse = (CountInput)Basketball.Discretize(new[] { new GridShape(4, 5), new GridShape(6, 6) }).Modes[0];
        var fine = (CountInput)Basketball.Discretize(new[] { new GridShape(40, 50), new GridShape(12, 12) }).Modes[0];
        var fr = fine.Cells.div(50, rounding_mode: RoundingMode.floor);
        var fc = fine.Cells.remainder(50);
        var parent = fr.div(10, rounding_mode: RoundingMode.floor) * 5 + fc.div(10, rounding_mode: RoundingMode.floor);
        Assert.True(parent.eq(coarse.Cells).all().item<bool>());
    }

    [Fact]
    public void AreaAverageIsTheBlockMeanForIntegerRatios()
    {
        var g = new Generator(3);
        var x = randn(new long[] { 2, 8, 12 }, generator: g, dtype: ScalarType.Float64);
        var y = AreaAverage.Apply(x, new GridShape(4, 3));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++)
            {
                var block = x[.., (2 * i)..(2 * i + 2), (4 * j)..(4 * j + 4)].mean(new long[] { 1, 2 });
                Assert.True(allclose(block, y[.., i, j], 1e-12, 1e-12));
            }
    }

    [Theory]
    [InlineData(40, 60)]   // 1.5
    [InlineData(10, 25)]   // 2.5
    [InlineData(60, 80)]   // 4/3
    public void AreaAverageConservesMassAndLinearFieldsForNonIntegerRatios(int coarse, int fine)
    {
        var a = AreaAverage.AxisMatrix(coarse, fine);
        Assert.True(allclose(a.sum(dim: 1), ones(coarse, ScalarType.Float64), 1e-12, 1e-12));
        // Every fine cell gives away exactly its own area: column sums × coarse width = 1.
        Assert.True(allclose(a.sum(dim: 0) * ((double)fine / coarse), ones(fine, ScalarType.Float64), 1e-12, 1e-12));
        // A linear field x(t) = t sampled at fine centres lands within a quarter fine cell of the coarse centres
        // (boundary cells count with their centre value over their overlapping fraction).
        var centresFine = arange(fine, ScalarType.Float64) + 0.5;
        var centresCoarse = (arange(coarse, ScalarType.Float64) + 0.5) * ((double)fine / coarse);
        Assert.True((matmul(a, centresFine) - centresCoarse).abs().max().item<double>() <= 0.25);
    }

    [Fact]
    public void BasketballHasAboutTwelvePercentPositivesAndRepeats()
    {
        Assert.InRange(Basketball.PositiveFraction, 0.09, 0.15);
        var again = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 2000 });
        Assert.True(again.Labels.eq(Basketball.Labels).all().item<bool>());
        var other = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 2000, Seed = 1 });
        Assert.False(other.Labels.eq(Basketball.Labels).all().item<bool>());
        Assert.Equal(new long[] { 2000, 2 }, Basketball.Planted!.SpatialFactors[0].shape);
        Assert.Equal(new long[] { 144, 2 }, Basketball.Planted!.SpatialFactors[1].shape);
    }

    [Fact]
    public void BasketballPlantedModelExplainsTheLabels()
    {
        // Positives are rarer where the planted logit is low: the labels depend on the planted spatial factors.
        var big = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 20000 });
        var d = big.Discretize(big.Planted!.Grids);
        var ball = (CountInput)d.Modes[0]; var def = (CountInput)d.Modes[1];
        var c = big.Planted.SpatialFactors[0].index_select(0, ball.Cells.squeeze(1));
        var e = (big.Planted.SpatialFactors[1].index_select(0, def.Cells.flatten()).reshape(def.Cells.shape[0], def.Cells.shape[1], -1) * def.Weights.unsqueeze(-1)).sum(dim: 1);
        var logit = (big.Planted.OutputFactor.index_select(0, big.OutputIndex) * c * e).sum(dim: 1);
        var high = logit.gt(logit.median());
        double rateHigh = big.Labels[high].mean().item<float>(), rateLow = big.Labels[~high].mean().item<float>();
        Assert.True(rateHigh > 2 * rateLow, $"{rateHigh} vs {rateLow}");
    }

    [Fact]
    public void ClimateFieldsAreTemporallyCorrelatedAndAverageDown()
    {
        var data = ClimateSynthetic.Generate(ClimateOptions.Small);
        var field = (FieldMode)data.Modes[0];
        Assert.Equal(new[] { 6, 2 }, data.FeatureShape);
        var s = field.Series.flatten(1);
        var a = s[..^1] - s[..^1].mean(new long[] { 0 }); var b = s[1..] - s[1..].mean(new long[] { 0 });
        double corr = ((a * b).sum() / (a.square().sum() * b.square().sum()).sqrt()).item<float>();
        Assert.InRange(corr, 0.5, 0.9);
        var coarse = (FieldInput)data.Discretize(new[] { new GridShape(8, 18) }).Modes[0];
        Assert.Equal(new long[] { field.Series.shape[0], 2, 144 }, coarse.Series.shape);
        // Area averaging keeps the spatial mean of every field.
        Assert.True(allclose(coarse.Series.mean(new long[] { 2 }), field.Series.mean(new long[] { 2, 3 }), 1e-4, 1e-4));
        var x = coarse.Gather(tensor(new long[] { 0, 5 }));
        Assert.Equal(new long[] { 2, 12, 144 }, x.shape);
        // Lag 0 of sample 5 is lag 1 of sample 6: consecutive samples share months.
        var x6 = coarse.Gather(tensor(new long[] { 6 }));
        Assert.True(x[1, 0..2].eq(x6[0, 2..4]).all().item<bool>());
    }

    [Fact]
    public void SplitIsSixtyTwentyTwentyDisjointAndSeeded()
    {
        var data = new MrtlDataset(MrtlTask.Regression, 1, zeros(100, ScalarType.Int64), arange(100, ScalarType.Float32),
            new SpatialMode[] { new CountMode("p", 1, 1, zeros(100, 1), zeros(100, 1), ones(100, 1)) });
        var split = data.Split(7);
        Assert.Equal((60, 20, 20), (split.Train.Count, split.Validation.Count, split.Test.Count));
        var all = cat(new[] { split.Train.Labels, split.Validation.Labels, split.Test.Labels }).sort().Values;
        Assert.True(all.eq(arange(100, ScalarType.Float32)).all().item<bool>());
        Assert.True(data.Split(7).Train.Labels.eq(split.Train.Labels).all().item<bool>());
        Assert.False(data.Split(8).Train.Labels.eq(split.Train.Labels).all().item<bool>());
    }

    [Fact]
    public void BadInputIsRejectedWithClearErrors()
    {
        var mode = new CountMode("p", 1, 1, zeros(4, 1), zeros(4, 1), ones(4, 1));
        Assert.Contains("NaN", Assert.Throws<MultiscaleException>(() => new MrtlDataset(MrtlTask.Regression, 1, zeros(4, ScalarType.Int64), tensor(new[] { 1f, float.NaN, 0, 0 }), new[] { mode })).Message);
        Assert.Contains("samples", Assert.Throws<MultiscaleException>(() => new MrtlDataset(MrtlTask.Regression, 1, zeros(5, ScalarType.Int64), zeros(5), new[] { mode })).Message);
        Assert.Contains("0 or 1", Assert.Throws<MultiscaleException>(() => new MrtlDataset(MrtlTask.Classification, 1, zeros(4, ScalarType.Int64), full(4, 2f), new[] { mode })).Message);
        Assert.Contains("output index", Assert.Throws<MultiscaleException>(() => new MrtlDataset(MrtlTask.Regression, 1, ones(4, ScalarType.Int64), zeros(4), new[] { mode })).Message);
        Assert.Contains("outside", Assert.Throws<MultiscaleException>(() => new CountMode("p", 1, 1, full(4, 1, 2f), zeros(4, 1), ones(4, 1))).Message);
        Assert.Contains("NaN", Assert.Throws<MultiscaleException>(() => new CountMode("p", 1, 1, full(4, 1, float.NaN), zeros(4, 1), ones(4, 1))).Message);
        Assert.Contains("shape", Assert.Throws<MultiscaleException>(() => new CountMode("p", 1, 1, zeros(4, 1), zeros(4, 2), ones(4, 1))).Message);
        Assert.Contains("coarse→fine", Assert.Throws<MultiscaleException>(() => ResolutionSchedule.Parse("8x10;4x5", "4x5")).Message);
        Assert.Contains("coarse→fine", Assert.Throws<MultiscaleException>(() => ResolutionSchedule.Parse("", "8x10,12x12;20x25,6x6")).Message);
        Assert.Contains("start where", Assert.Throws<MultiscaleException>(() => ResolutionSchedule.Parse("4x5", "8x10")).Message);
        Assert.Contains("grids", Assert.Throws<MultiscaleException>(() => Basketball.Discretize(new[] { new GridShape(4, 5) })).Message);
        var climate = ClimateSynthetic.Generate(ClimateOptions.Small with { Months = 20 });
        Assert.Contains("finer", Assert.Throws<MultiscaleException>(() => climate.Discretize(new[] { new GridShape(32, 72) })).Message);
    }

    [Fact]
    public void SchedulesOfAppendixBParse()
    {
        var b = ResolutionSchedule.Basketball;
        Assert.Equal(3, b.FullRank.Count);
        Assert.Equal("8x10,12x12;20x25,12x12;40x50,12x12", ResolutionSchedule.Format(b.LowRank));
        Assert.Equal(6, ResolutionSchedule.Climate.LowRank.Count);
        Assert.Equal("40x50,12x12", ResolutionSchedule.Describe(b.AtFinest().FullRank[0]));
    }

    [Fact]
    public void PositionsCsvLoadsAndValidates()
    {
        var dir = Directory.CreateTempSubdirectory("mrtl-csv");
        try
        {
            var path = Path.Combine(dir.FullName, "p.csv");
            File.WriteAllLines(path, new[]
            {
                "sample,output,label,mode,row,col", "10,0,1,ball,3.5,20", "10,0,1,def,1,1", "10,0,1,def,2,2",
                "11,1,0,ball,39.9,49.9", "11,1,0,def,,",
            });
            var specs = new[] { new CountModeSpec("ball", 40, 50), new CountModeSpec("def", 12, 12) };
            var data = MrtlDataLoader.LoadPositionsCsv(path, specs, MrtlTask.Classification);
            Assert.Equal(2, data.Count);
            Assert.Equal(2, data.Outputs);
            var d = data.Discretize(new[] { new GridShape(4, 5), new GridShape(6, 6) });
            Assert.Equal(new long[] { 0 * 5 + 2, 3 * 5 + 4 }, ((CountInput)d.Modes[0]).Cells.flatten().data<long>().ToArray());
            Assert.Equal(new float[] { 2, 0 }, ((CountInput)d.Modes[1]).Weights.sum(dim: 1).data<float>().ToArray());
            File.WriteAllLines(path, new[] { "sample,output,label,mode,row,col", "1,0,1,ball,3.5,NaN" });
            Assert.Contains("line 2", Assert.Throws<MultiscaleException>(() => MrtlDataLoader.LoadPositionsCsv(path, specs, MrtlTask.Classification)).Message);
            File.WriteAllLines(path, new[] { "sample,output,mode,row,col", "1,0,ball,3.5,1" });
            Assert.Contains("label", Assert.Throws<MultiscaleException>(() => MrtlDataLoader.LoadPositionsCsv(path, specs, MrtlTask.Classification)).Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void FieldsNpyLoadsAndValidates()
    {
        var dir = Directory.CreateTempSubdirectory("mrtl-npy");
        try
        {
            string f = Path.Combine(dir.FullName, "fields.npy"), l = Path.Combine(dir.FullName, "labels.npy");
            Npy.Write(f, arange(10 * 2 * 4 * 6, ScalarType.Float64).reshape(10, 2, 4, 6));
            Npy.Write(l, zeros(8, ScalarType.Float64));
            var data = MrtlDataLoader.LoadFieldsNpy(f, l, 3);
            Assert.Equal(8, data.Count);
            Assert.Equal(new[] { 3, 2 }, data.FeatureShape);
            Npy.Write(l, zeros(9, ScalarType.Float64));
            Assert.Contains("expected 8 labels", Assert.Throws<MultiscaleException>(() => MrtlDataLoader.LoadFieldsNpy(f, l, 3)).Message);
            var nan = zeros(10, 2, 4, 6, ScalarType.Float64); nan[3, 1, 2, 2] = double.NaN;
            Npy.Write(f, nan);
            Npy.Write(l, zeros(8, ScalarType.Float64));
            Assert.Contains("NaN", Assert.Throws<MultiscaleException>(() => MrtlDataLoader.LoadFieldsNpy(f, l, 3)).Message);
        }
        finally { dir.Delete(true); }
    }
}
