using System.Text.Json.Nodes;
using Multiscale.Graphs.Coarsening;
using Multiscale.IO;
using Multiscale.Manifolds;
using Multiscale.Prolongation;
using Multiscale.Runs;

namespace Multiscale.Core.Tests.Prolongation;

/// <summary>
/// The settings of the map commands (<see cref="ProlongSettings"/>, <see cref="LineageSettings"/>, the solver's
/// <see cref="ProlongationOptionsJson"/>) read back what they write, take the solver's defaults for missing fields,
/// and name a bad field.
/// </summary>
public class MapSettingsTests
{
    private static readonly ProlongationOptions EveryFieldChanged = new()
    {
        S = 0.25,
        Alpha = ScaleParameter.Fixed(2),
        Beta = ScaleParameter.Auto,
        Init = InitKind.Interpolation,
        RandomStarts = 3,
        RandomStartsTime = TimeSpan.FromSeconds(7.5),
        Canonicalize = false,
        InterpolationStart = false,
        AssignmentStart = false,
        EscapeSaddles = false,
        Precondition = false,
        SpectralFrame = true,
        Optimizer = OptimizerKind.Lbfgs,
        MaxIterations = 17,
        Tolerance = 1e-9,
        MinGradientNorm = 1e-12,
        MaxTime = TimeSpan.FromSeconds(42),
        Seed = 11,
        Retraction = StiefelRetraction.Polar,
    };

    [Fact]
    public void SolverOptionsRoundTripWithEveryFieldChanged()
    {
        var json = ProlongationOptionsJson.Describe(EveryFieldChanged);
        var back = ProlongationOptionsJson.Read((JsonObject)JsonNode.Parse(json.ToJsonString())!);
        Assert.Equal(EveryFieldChanged, back);
        Assert.Equal(json.ToJsonString(), ProlongationOptionsJson.Describe(back).ToJsonString());
        // Every property of the options that decides a map has a field (the device is the one left out).
        int decided = typeof(ProlongationOptions).GetProperties().Count(p => p.CanWrite && p.Name != nameof(ProlongationOptions.Device));
        Assert.Equal(decided, json.Count);
    }

    [Fact]
    public void MissingSolverFieldsAreTheSolversDefaults()
    {
        Assert.Equal(new ProlongationOptions { S = 0.5 }, ProlongationOptionsJson.Read(new JsonObject()));
        Assert.Equal(new ProlongationOptions { S = 1 }, ProlongationOptionsJson.Read(null, defaultS: 1));
        Assert.Equal(new ProlongationOptions { S = 0.75 }, ProlongationOptionsJson.Read(new JsonObject(), fixedS: 0.75));
    }

    [Theory]
    [InlineData("""{ "max_seconds": 0 }""", "solver.max_seconds", "must be positive")]
    [InlineData("""{ "random_starts_seconds": 5 }""", "solver.random_starts_seconds", "it needs `solver.random_starts` N")]
    [InlineData("""{ "alpha": "-1" }""", "solver.alpha", "'auto' or a positive number")]
    [InlineData("""{ "beta": "x" }""", "solver.beta", "'paper', 'auto' or a positive number")]
    [InlineData("""{ "optimizer": "newton" }""", "solver.optimizer", "tr, cg, sd or lbfgs")]
    [InlineData("""{ "max_iterations": -1 }""", "solver.max_iterations", "≥ 0")]
    [InlineData("""{ "s": 2 }""", "solver.s", "in [0, 1]")]
    [InlineData("""{ "spectral_frame": "maybe" }""", "solver.spectral_frame", "auto, yes, no")]
    [InlineData("""{ "max_iter": 5 }""", "solver.max_iter", "is not a setting")]
    public void ABadSolverFieldIsNamed(string solver, string field, string fragment)
    {
        var e = Assert.Throws<SettingsException>(() => ProlongationOptionsJson.Read((JsonObject)JsonNode.Parse(solver)!, prefix: "solver."));
        Assert.Equal(field, e.Field);
        Assert.Contains(fragment, e.Problem);
    }

    [Fact]
    public void ProlongSettingsRoundTripAndReadSAsListNumberOrText()
    {
        var settings = new ProlongSettings("path:6", "path:12", new[] { 0.25, 0.75 }, MatrixFileFormat.Both, EveryFieldChanged);
        var json = settings.Describe();
        Assert.Equal("[0.25,0.75]", json["s"]!.ToJsonString());
        Assert.Null(json["solver"]!["s"]);
        var back = ProlongSettings.Read((JsonObject)JsonNode.Parse(json.ToJsonString())!);
        Assert.Equal(json.ToJsonString(), back.Describe().ToJsonString());
        Assert.Equal(new[] { 0.25, 0.75 }, back.PerS.Select(o => o.S));
        Assert.Equal(EveryFieldChanged with { S = 0.75 }, back.PerS[1]);

        Assert.Equal(new[] { 0.5 }, ProlongSettings.Read(Json("""{ "coarse": "path:4", "fine": "path:8" }""")).S);
        Assert.Equal(new[] { 1.0 }, ProlongSettings.Read(Json("""{ "coarse": "path:4", "fine": "path:8", "s": 1 }""")).S);
        Assert.Equal(new[] { 0, 0.5, 1.0 }, ProlongSettings.Read(Json("""{ "coarse": "path:4", "fine": "path:8", "s": "0,0.5,1" }""")).S);
    }

    [Theory]
    [InlineData("""{ "fine": "path:8" }""", "coarse", "is required")]
    [InlineData("""{ "coarse": "path:4", "fine": "path:8", "s": [0.5, 0.5] }""", "s", "twice")]
    [InlineData("""{ "coarse": "path:4", "fine": "path:8", "s": "0.5,x" }""", "s", "numbers in [0, 1] (got 'x')")]
    [InlineData("""{ "coarse": "path:4", "fine": "path:8", "s": [] }""", "s", "at least one")]
    [InlineData("""{ "coarse": "path:4", "fine": "path:8", "format": "csv" }""", "format", "npy, mtx or both")]
    [InlineData("""{ "coarse": "path:4", "fine": "path:8", "solver": { "s": 0.5 } }""", "solver.s", "is not a setting")]
    [InlineData("""{ "coarse": "path:4", "fine": "path:8", "solver": 3 }""", "solver", "JSON object")]
    public void ABadProlongFieldIsNamed(string text, string field, string fragment)
    {
        var e = Assert.Throws<SettingsException>(() => ProlongSettings.Read(Json(text)));
        Assert.Equal(field, e.Field);
        Assert.Contains(fragment, e.Problem);
    }

    [Fact]
    public void LineageSettingsRoundTripForEachKindOfLineage()
    {
        foreach (var settings in new[]
        {
            new LineageSettings("path:16", null, 2, null, MapSource.Optimized, MatrixFileFormat.Npy, new ProlongationOptions { S = 1 }),
            new LineageSettings(null, new[] { "grid:8x8", "grid:4x4" }, 3, null, MapSource.Kronecker, MatrixFileFormat.Mtx, EveryFieldChanged),
            new LineageSettings("grid:6x6", null, 2, CoarseningMethod.Aggregation, MapSource.Aggregation, MatrixFileFormat.Npy, new ProlongationOptions { S = 0.5 }),
        })
        {
            var json = settings.Describe();
            var back = LineageSettings.Read((JsonObject)JsonNode.Parse(json.ToJsonString())!);
            Assert.Equal(json.ToJsonString(), back.Describe().ToJsonString());
            Assert.Equal(settings.Solver, back.Solver);
        }
        var halving = LineageSettings.Read(Json("""{ "graph": "path:16", "levels": 2 }"""));
        Assert.Equal(new[] { "path:16", "path:8", "path:4" }, halving.Specs);
        Assert.Equal(LineageSettings.DefaultS, halving.Solver.S);
        Assert.Equal(new[] { "path:8", "path:4" }, LineageSettings.Read(Json("""{ "graphs": ["path:8", "path:4"] }""")).Specs);
        Assert.Null(LineageSettings.Read(Json("""{ "graph": "path:16", "coarsen": "heavy-edge" }""")).Specs);
    }

    [Theory]
    [InlineData("""{ }""", "graph", "or `graphs` is required")]
    [InlineData("""{ "graph": "path:8", "graphs": "path:8;path:4" }""", "graph", "exactly one of `graph`")]
    [InlineData("""{ "graphs": "path:8;path:4", "coarsen": "heavy-edge" }""", "coarsen", "needs `graph`")]
    [InlineData("""{ "graph": "path:8", "coarsen": "metis" }""", "coarsen", "heavy-edge or aggregation")]
    [InlineData("""{ "graph": "path:8", "source": "spectral" }""", "source", "optimized, kronecker, aggregation or interpolation")]
    [InlineData("""{ "graph": "path:8", "levels": 0 }""", "levels", "≥ 1")]
    [InlineData("""{ "graphs": "path:8" }""", "graphs", "at least two")]
    [InlineData("""{ "graph": "path:8", "solver": { "s": -1 } }""", "solver.s", "in [0, 1]")]
    public void ABadLineageFieldIsNamed(string text, string field, string fragment)
    {
        var e = Assert.Throws<SettingsException>(() => LineageSettings.Read(Json(text)));
        Assert.Equal(field, e.Field);
        Assert.Contains(fragment, e.Problem);
    }

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;
}
