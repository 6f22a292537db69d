using System.Text.Json.Nodes;
using Multiscale.Runs;

namespace Multiscale.Tests.Runs;

public class SettingsReaderTests
{
    private static SettingsReader Reader(string json) => new(JsonNode.Parse(json)!.AsObject());

    [Fact]
    public void MissingAndNullFieldsTakeTheirDefaultsAndPresentOnesTheirValues()
    {
        var r = Reader("""{"budget": 1000, "lr": null, "name": "x", "on": true, "seed": 12345678901}""");
        Assert.Equal(1000, r.Double("budget", 5));
        Assert.Equal(0.25, r.Double("lr", 0.25));
        Assert.Null(r.OptionalDouble("lr"));
        Assert.Equal("x", r.String("name", "y"));
        Assert.Equal("z", r.String("missing", "z"));
        Assert.True(r.Bool("on", false));
        Assert.Equal(12345678901L, r.Long("seed", 0));
        Assert.Equal(7, r.Int("absent", 7));
        r.Finish();
    }

    [Fact]
    public void NumbersAndBooleansMayBeWrittenAsStringsAsACommandLineWouldGiveThem()
    {
        var r = Reader("""{"budget": "1e6", "k": "4", "flag": "false", "whole": 3.0}""");
        Assert.Equal(1e6, r.Double("budget", 0));
        Assert.Equal(4, r.Int("k", 0));
        Assert.False(r.Bool("flag", true));
        Assert.Equal(3, r.Int("whole", 0));
    }

    [Theory]
    [InlineData("""{"k": 2.5}""", "k", "must be an integer")]
    [InlineData("""{"k": "four"}""", "k", "must be an integer")]
    [InlineData("""{"k": 0}""", "k", "must be an integer ≥ 1")]
    [InlineData("""{"k": 99999999999}""", "k", "must be an integer ≥ 1")]
    [InlineData("""{"lr": "fast"}""", "lr", "must be a finite number")]
    [InlineData("""{"lr": [1]}""", "lr", "must be a finite number")]
    [InlineData("""{"on": 1}""", "on", "must be true or false")]
    [InlineData("""{"name": 3}""", "name", "must be a string")]
    [InlineData("""{"mode": "c"}""", "mode", "must be one of a, b")]
    public void ABadValueIsAnErrorNamingItsField(string json, string field, string problem)
    {
        var r = Reader(json);
        var e = Assert.Throws<SettingsException>(() =>
        {
            _ = field switch
            {
                "k" => (object)r.Int("k", 1, min: 1),
                "lr" => r.Double("lr", 1),
                "on" => r.Bool("on", false),
                "name" => r.String("name", ""),
                _ => r.Choice("mode", "a", "a", "b"),
            };
        });
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Problem);
        Assert.StartsWith($"settings field '{field}' ", e.Message);
    }

    [Fact]
    public void AFieldNoReadAskedForIsAnErrorSoAMisspellingIsNotIgnored()
    {
        var r = Reader("""{"budget": 1, "budjet": 2}""");
        r.Double("budget", 0);
        var e = Assert.Throws<SettingsException>(r.Finish);
        Assert.Equal("budjet", e.Field);
        Assert.Contains("budget", e.Problem);   // the settings it has, to spot the misspelling
    }

    [Fact]
    public void NonFiniteNumbersAreRefused()
    {
        var r = Reader("""{"a": "NaN", "b": "Infinity"}""");
        Assert.Throws<SettingsException>(() => r.Double("a", 0));
        Assert.Throws<SettingsException>(() => r.Double("b", 0));
    }

    [Fact]
    public void NonFiniteNumbersBuiltInCodeAreRefusedNamingTheirValue()
    {
        var r = new SettingsReader(new System.Text.Json.Nodes.JsonObject { ["a"] = double.NaN, ["b"] = double.PositiveInfinity, ["c"] = double.NaN, ["d"] = double.NaN });
        Assert.Equal("must be a finite number (got NaN)", Assert.Throws<SettingsException>(() => r.Double("a", 0)).Problem);
        Assert.Equal("must be a finite number (got Infinity)", Assert.Throws<SettingsException>(() => r.Double("b", 0)).Problem);
        Assert.Equal("must be an integer (got NaN)", Assert.Throws<SettingsException>(() => r.Int("c", 0)).Problem);
        Assert.Equal("must be a string (got NaN)", Assert.Throws<SettingsException>(() => r.String("d", "")).Problem);
    }
}
