using System.Text.Json.Nodes;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Training;
using Multiscale.Tests.Shared;
using Xunit;

namespace Multiscale.Mrtl.Tests.Data;

/// <summary>
/// What a resume compares (Describe) holds a content fingerprint of user data: the same path and shape with other
/// values describes differently, the same values describe the same, and synthetic data (determined by its settings) has none.
/// </summary>
public class DataFingerprintTests
{
    private static readonly MultiresolutionTensorLearning Method = new();

    private static JsonObject Describe(MrtlDataSource data) => Method.Describe(new MrtlSettings(data, new MrtlTrainerOptions(), new[] { MrtlMethod.Mrtl }));

    /// <summary>The fields of two descriptions that differ.</summary>
    private static string[] Differences(JsonObject a, JsonObject b) =>
        a.Select(p => p.Key).Union(b.Select(p => p.Key)).Where(k => !JsonNode.DeepEquals(a[k], b[k])).ToArray();

    [Fact]
    public void TheSameFileWithOtherValuesOfTheSameShapeDescribesDifferently()
    {
        var dir = Directory.CreateTempSubdirectory("mrtl-fingerprint-");
        try
        {
            string path = Path.Combine(dir.FullName, "p.csv");
            var source = new PositionsCsvSource(path, MrtlDataSource.ParseModes("court:8x10"));
            File.WriteAllText(path, CountPositionsCsv.Write(false));
            var first = Describe(source);
            var hash = first["data_sha256"]!.GetValue<string>();
            Assert.Matches("^[0-9a-f]{64}$", hash);
            Assert.Equal(first.ToJsonString(), Describe(source).ToJsonString());

            File.WriteAllText(path, CountPositionsCsv.Write(true));
            var other = Describe(source);
            Assert.Equal(new[] { "data_sha256" }, Differences(first, other));
            // Both load to datasets of one shape: only the content tells them apart.
            Assert.Equal(200, source.Load(0).Count);

            File.WriteAllText(path, CountPositionsCsv.Write(false));
            Assert.Equal(hash, Describe(source)["data_sha256"]!.GetValue<string>());
            // ReadSettings accepts the field (config.json repeats it) and Describe recomputes it from the file.
            Assert.Equal(hash, Method.Describe(Method.ReadSettings(first))["data_sha256"]!.GetValue<string>());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void FieldFilesAreFingerprintedTogetherAndAMissingFileHasNone()
    {
        var dir = Directory.CreateTempSubdirectory("mrtl-fingerprint-");
        try
        {
            string fields = Path.Combine(dir.FullName, "fields.npy"), labels = Path.Combine(dir.FullName, "labels.npy");
            File.WriteAllBytes(fields, new byte[] { 1, 2, 3 });
            File.WriteAllBytes(labels, new byte[] { 4, 5 });
            var source = new FieldsNpySource(fields, labels);
            var a = Describe(source)["data_sha256"]!.GetValue<string>();
            File.WriteAllBytes(labels, new byte[] { 4, 6 });
            Assert.NotEqual(a, Describe(source)["data_sha256"]!.GetValue<string>());
            File.WriteAllBytes(labels, new byte[] { 4, 5 });
            Assert.Equal(a, Describe(source)["data_sha256"]!.GetValue<string>());
            // Bytes moved from one file to the other are other data.
            File.WriteAllBytes(fields, new byte[] { 1, 2 });
            File.WriteAllBytes(labels, new byte[] { 3, 4, 5 });
            Assert.NotEqual(a, Describe(source)["data_sha256"]!.GetValue<string>());
            Assert.Null(Describe(new PositionsCsvSource(Path.Combine(dir.FullName, "none.csv"), MrtlDataSource.ParseModes("court:8x10")))["data_sha256"]);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ADatasetInMemoryIsFingerprintedByItsValuesAndSyntheticDataHasNone()
    {
        var options = BasketballOptions.Small with { Samples = 100 };
        var a = BasketballSynthetic.Generate(options);
        var again = BasketballSynthetic.Generate(options);
        var other = BasketballSynthetic.Generate(options with { Seed = options.Seed + 1 });
        Assert.Equal(a.Count, other.Count);
        string Of(MrtlDataset d) => Describe(new InMemorySource(d, "mine"))["data_sha256"]!.GetValue<string>();
        Assert.Equal(Of(a), Of(again));
        Assert.NotEqual(Of(a), Of(other));
        // One label flipped is other data.
        var labels = a.Labels.clone();
        labels[0] = 1 - a.Labels[0];
        var flipped = new MrtlDataset(a.Task, a.Outputs, a.OutputIndex, labels, a.Modes, a.Features);
        Assert.NotEqual(Of(a), Of(flipped));
        Assert.False(Describe(new BasketballSource(Small: true)).ContainsKey("data_sha256"));
    }
}
