using System.Text.Json.Nodes;
using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;
using Xunit;

namespace Multiscale.Mrtl.Tests;

/// <summary>Settings are plain data: what Describe writes, ReadSettings reads back to the same settings.</summary>
public class MrtlSettingsTests
{
    private static readonly MultiresolutionTensorLearning Method = new();

    public static readonly TheoryData<string> Cases = new() { "defaults", "small-sparse", "small-sparse-gradient", "climate-user-chains", "positions-file", "fields-folder", "every-field" };

    private static MrtlSettings Case(string name, string folder) => name switch
    {
        "defaults" => new(new BasketballSource(), new MrtlTrainerOptions(), new[] { MrtlMethod.Mrtl }),
        "small-sparse" => new(new BasketballSource(Small: true, Samples: 800, SparseRank: 2),
            new MrtlTrainerOptions { Rank = 6, Model = MrtlModelKind.LowRankSparse, SparseRank = 2, LambdaSparse = 0.3, SparseStart = SparseStart.Split, Criterion = CriterionKind.SigmaThreshold },
            new[] { MrtlMethod.Mrtl, MrtlMethod.Random }),
        "small-sparse-gradient" => new(new BasketballSource(Small: true, Samples: 800, SparseRank: 2),
            new MrtlTrainerOptions { Rank = 6, Model = MrtlModelKind.LowRankSparse, SparseRank = 3, SparseStart = SparseStart.Gradient, SparseStartStep = 2 },
            new[] { MrtlMethod.Mrtl }),
        "climate-user-chains" => new(new ClimateSource(Small: true, Months: 120),
            new MrtlTrainerOptions
            {
                Schedule = ResolutionSchedule.Parse("4x9", "4x9;8x18"), Finegrain = FinegrainMethod.Optimized,
                FullRank = new StageOptions { BatchSize = 32 }, LowRank = new StageOptions { BatchSize = 32, LearningRate = 2e-3 },
            },
            new[] { MrtlMethod.Mrtl, MrtlMethod.Fixed, MrtlMethod.Random }),
        "positions-file" => new(new PositionsCsvSource(Path.Combine(folder, "p.csv"), new[] { new CountModeSpec("ball", 40, 50), new CountModeSpec("defenders", 12, 12) }),
            new MrtlTrainerOptions(), new[] { MrtlMethod.Fixed }),
        "fields-folder" => new(new FieldsNpySource(Path.Combine(folder, "fields.npy"), Path.Combine(folder, "labels.npy"), 3, null, folder),
            new MrtlTrainerOptions { Schedule = ResolutionSchedule.Climate, Finegrain = FinegrainMethod.Bilinear, FullRank = new StageOptions { BatchSize = 32 }, LowRank = new StageOptions { BatchSize = 32, LearningRate = 2e-3 } },
            new[] { MrtlMethod.Mrtl }),
        _ => new(new BasketballSource(Small: true),
            new MrtlTrainerOptions
            {
                Schedule = ResolutionSchedule.Parse("4x5,6x6", "4x5,6x6;8x10,12x12"),
                Criterion = CriterionKind.SpatialEntropy,
                CriterionOptions = new CriterionOptions
                {
                    Patience = 3, Window = 5, MinEpochs = 2, MaxEpochs = 9, Fraction = 0.5, Threshold = 0.125, Bins = 16,
                    Thresholds = new ThresholdOptions { Loss = 1e-4, Sigma = 2e-3, Mu = 1e-4, Fraction = 0.2 },
                },
                OptimizedS = 0.5, ScaleFitSamples = 100, Rank = 3,
                CpAls = new CpAlsOptions { MaxIterations = 17, Tolerance = 1e-6, Init = CpInit.Random, Seed = 4 },
                FullRank = new StageOptions { LearningRate = 0.03, Decay = 0.9, BatchSize = 64, MaxEpochs = 4, Regularization = new Regularization(1e-2, 0.5, 0.1, false) },
                LowRank = new StageOptions { LearningRate = 0.004, Decay = 0.8, BatchSize = 128, MaxEpochs = 5, Regularization = new Regularization(1e-4, 2, 0.2, true) },
                FullInitScale = 0.01, RandomInitScale = 0.2, Seed = 99,
            },
            new[] { MrtlMethod.Random, MrtlMethod.Mrtl }),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void WhatDescribeWritesReadSettingsReadsBack(string name)
    {
        var dir = Directory.CreateTempSubdirectory("mrtl-settings-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "fields.npy"), "");
            File.WriteAllText(Path.Combine(dir.FullName, "labels.npy"), "");
            var settings = Case(name, dir.FullName);
            var json = Method.Describe(settings);
            var back = Method.ReadSettings(JsonNode.Parse(json.ToJsonString())!.AsObject());
            Assert.Equal(settings.Data, back.Data);
            Assert.Equal(settings.Methods, back.Methods);
            Assert.Equal(ResolutionSchedule.Format(settings.Options.Schedule.FullRank), ResolutionSchedule.Format(back.Options.Schedule.FullRank));
            Assert.Equal(ResolutionSchedule.Format(settings.Options.Schedule.LowRank), ResolutionSchedule.Format(back.Options.Schedule.LowRank));
            // Every option but the schedule (compared as text above; its grids are lists) and the host's (cache, device).
            var expected = settings.Options with { Schedule = back.Options.Schedule };
            Assert.Equal(expected, back.Options);
            Assert.Equal(json.ToJsonString(), Method.Describe(back).ToJsonString());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void EmptySettingsAreTheCommandsDefaults()
    {
        var s = Method.ReadSettings(new JsonObject());
        Assert.Equal(new BasketballSource(), s.Data);
        Assert.Equal(new[] { MrtlMethod.Mrtl }, s.Methods);
        Assert.Equal(ResolutionSchedule.Format(ResolutionSchedule.Basketball.FullRank), ResolutionSchedule.Format(s.Options.Schedule.FullRank));
        Assert.Equal(FinegrainMethod.Nearest, s.Options.Finegrain);
        Assert.Equal(256, s.Options.FullRank.BatchSize);
        var climate = Method.ReadSettings(new JsonObject { ["task"] = "climate", ["size"] = "small" });
        Assert.Equal(FinegrainMethod.Bilinear, climate.Options.Finegrain);
        Assert.Equal(32, climate.Options.LowRank.BatchSize);
        Assert.Equal(ResolutionSchedule.Format(ResolutionSchedule.ClimateSmall.LowRank), ResolutionSchedule.Format(climate.Options.Schedule.LowRank));
    }

    [Theory]
    [InlineData("""{"task": "hockey"}""", "task")]
    [InlineData("""{"method": "mrtl,best"}""", "method")]
    [InlineData("""{"criterion": "luck"}""", "criterion")]
    [InlineData("""{"full": "4x5"}""", "low")]
    [InlineData("""{"full": "4x5", "low": "2x2"}""", "full")]
    [InlineData("""{"positions": "p.csv"}""", "positions")]
    [InlineData("""{"positions": "p.csv", "modes": "ball"}""", "modes")]
    [InlineData("""{"fields": "f.npy", "full": "4x9", "low": "4x9"}""", "fields")]
    [InlineData("""{"data": "/no/such/folder"}""", "data")]
    [InlineData("""{"lambda_sparse": 0.5}""", "lambda_sparse")]
    [InlineData("""{"samples": 0}""", "samples")]
    [InlineData("""{"data_in_memory": "weak"}""", "data_in_memory")]
    [InlineData("""{"rnak": 4}""", "rnak")]
    public void ABadFieldIsOneErrorNamingIt(string json, string field)
    {
        var e = Assert.Throws<SettingsException>(() => Method.ReadSettings(JsonNode.Parse(json)!.AsObject()));
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void AMethodNamedTwiceIsAnError() =>
        Assert.ThrowsAny<MultiscaleException>(() => Method.ReadSettings(new JsonObject { ["method"] = "mrtl,mrtl" }));

    [Fact]
    public void UserDataWithoutChainsIsAnError()
    {
        var e = Assert.Throws<SettingsException>(() => Method.ReadSettings(new JsonObject { ["positions"] = "p.csv", ["modes"] = "ball:40x50" }));
        Assert.Equal("full", e.Field);
    }

    [Fact]
    public void ADatasetHeldInMemoryIsNamedButCannotBeReadBack()
    {
        var data = BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 100 });
        var json = Method.Describe(new MrtlSettings(new InMemorySource(data, "mine"), new MrtlTrainerOptions(), new[] { MrtlMethod.Mrtl }));
        Assert.Equal("mine", json["data_in_memory"]!.GetValue<string>());
        Assert.Throws<SettingsException>(() => Method.ReadSettings(json));
    }
}
