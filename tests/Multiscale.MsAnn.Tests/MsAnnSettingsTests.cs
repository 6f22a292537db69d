using System.Text.Json.Nodes;
using Multiscale.MsAnn.Data;
using Multiscale.Runs;

namespace Multiscale.MsAnn.Tests;

/// <summary>Settings are plain data: what Describe writes, ReadSettings reads back to the same settings.</summary>
public class MsAnnSettingsTests
{
    private static readonly MsAnnMethod Method = new();

    public static readonly TheoryData<string> Cases = new() { "paper", "tau", "adam-mnist", "galerkin-all-together" };

    private static MsAnnSettings Case(string name) => name switch
    {
        "paper" => new(AutoencoderDataSource.SyntheticObjects(1), new[] { 1024, 256, 128, 256, 1024 }, new CycleSchedule(4, 2, 4),
            LayerMapStrategy.Interpolation, new MsAnnTrainingOptions { Budget = 256_000, EvaluateEvery = 1280 }, Seed: 0),
        "tau" => new(AutoencoderDataSource.SyntheticObjects(2), new[] { 64, 16, 64 }, new CycleSchedule(2, 1, 3), LayerMapStrategy.Aggregation,
            new MsAnnTrainingOptions
            {
                Budget = 1500, BatchSize = 32, LearningRate = 5e-3, EvaluateEvery = 256, Optimizer = OptimizerFlavor.RmsPropPyTorch,
                TauCorrection = new TauCorrectionOptions { Acceptance = false, Batches = 3, Average = 0.8 },
                CoarseUntil = 900, ZeroCoarseInit = true,
            }, Seed: 8, CompareDefault: true),
        "adam-mnist" => new(AutoencoderDataSource.Mnist("/data/mnist"), new[] { 1024, 256, 1024 }, new CycleSchedule(1, 1, 1), LayerMapStrategy.OptimizedGrid,
            new MsAnnTrainingOptions { Budget = 10_000, BatchSize = 64, LearningRate = 3e-3, EvaluateEvery = 64, Optimizer = OptimizerFlavor.Adam }, Seed: 12345678901),
        _ => new(AutoencoderDataSource.SyntheticObjects(1), new[] { 64, 16, 64 }, new CycleSchedule(2, 2, 2), LayerMapStrategy.Random,
            new MsAnnTrainingOptions { Budget = 1000, BatchSize = 16, LearningRate = 1e-3, EvaluateEvery = 100, CoarseSteps = true, AllTogether = true }, Seed: 3),
    };

    private static void AssertSame(MsAnnSettings expected, MsAnnSettings actual)
    {
        Assert.Equal(expected.Data, actual.Data);
        Assert.Equal(expected.Sizes, actual.Sizes);
        Assert.Equal(expected.Schedule.Depth, actual.Schedule.Depth);
        Assert.Equal(expected.Schedule.Gamma, actual.Schedule.Gamma);
        Assert.Equal(expected.Schedule.BatchesPerVisit, actual.Schedule.BatchesPerVisit);
        Assert.Equal(expected.Maps, actual.Maps);
        Assert.Equal(expected.Training, actual.Training);
        Assert.Equal(expected.Seed, actual.Seed);
        Assert.Equal(expected.CompareDefault, actual.CompareDefault);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WhatDescribeWritesReadSettingsReadsBack(string name)
    {
        var settings = Case(name);
        var json = Method.Describe(settings);
        // Through text, as config.json holds it.
        var back = Method.ReadSettings(JsonNode.Parse(json.ToJsonString())!.AsObject());
        AssertSame(settings, back);
        Assert.Equal(json.ToJsonString(), Method.Describe(back).ToJsonString());
    }

    [Fact]
    public void EmptySettingsAreTheCommandsDefaultsAndDerivedFieldsFollowTheirSources()
    {
        var defaults = Method.ReadSettings(new JsonObject());
        AssertSame(Case("paper"), defaults);
        // lr follows the optimizer and the evaluation interval the budget, unless given.
        var adam = Method.ReadSettings(new JsonObject { ["optimizer"] = "adam", ["budget"] = 20_000 });
        Assert.Equal(3e-3, adam.Training.LearningRate);
        Assert.Equal(128, adam.Training.EvaluateEvery);   // max(20,000/200, batch 128)
        var described = Method.Describe(adam);
        Assert.Null(described["lr"]);
        Assert.Null(described["evaluate_every"]);
        var given = Method.Describe(Method.ReadSettings(new JsonObject { ["optimizer"] = "adam", ["lr"] = 1e-3 }));
        Assert.Equal(1e-3, given["lr"]!.GetValue<double>());
    }

    [Fact]
    public void LayersMayBeAJsonArray()
    {
        var s = Method.ReadSettings(new JsonObject { ["layers"] = new JsonArray(64, 16, 64), ["levels"] = 1 });
        Assert.Equal(new[] { 64, 16, 64 }, s.Sizes);
    }

    [Theory]
    [InlineData("""{"task": "three-object"}""", "task")]
    [InlineData("""{"task": "mnist"}""", "data")]
    [InlineData("""{"layers": "64,16,32"}""", "layers")]
    [InlineData("""{"layers": "64,x,64"}""", "layers")]
    [InlineData("""{"maps": "spline"}""", "maps")]
    [InlineData("""{"optimizer": "sgd"}""", "optimizer")]
    [InlineData("""{"coarse_model": "galerkin"}""", "coarse_model")]
    [InlineData("""{"tau_acceptance": "maybe", "coarse_model": "tau"}""", "tau_acceptance")]
    [InlineData("""{"budjet": 1000}""", "budjet")]
    public void ABadFieldIsOneErrorNamingIt(string json, string field)
    {
        var e = Assert.Throws<SettingsException>(() => Method.ReadSettings(JsonNode.Parse(json)!.AsObject()));
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void RangeErrorsAreCheckedBeforeAnyData()
    {
        foreach (var bad in new[]
        {
            new JsonObject { ["budget"] = -5 }, new JsonObject { ["coarse_model"] = "tau", ["levels"] = 0 },
            new JsonObject { ["layers"] = "8,4,8", ["levels"] = 6 }, new JsonObject { ["levels"] = -1 }, new JsonObject { ["k"] = 0 },
            new JsonObject { ["coarse_model"] = "tau", ["tau_batches"] = 0 }, new JsonObject { ["coarse_model"] = "tau", ["all_together"] = true },
        })
            Assert.ThrowsAny<MultiscaleException>(() => Method.ReadSettings(bad));
    }

    [Fact]
    public void OpenedDataRunsAsItIsAndIsLeftToItsOwner()
    {
        using var data = new SyntheticObjectsData(64, 1, 3, TorchSharp.torch.CPU);
        var source = AutoencoderDataSource.Opened(data);
        using (source.Open(64, 3, TorchSharp.torch.CPU)) { }
        Assert.False(data.Validation.Input.IsInvalid);   // not disposed by the run's using
        Assert.Throws<MultiscaleException>(() => source.Open(128, 3, TorchSharp.torch.CPU));
    }
}
