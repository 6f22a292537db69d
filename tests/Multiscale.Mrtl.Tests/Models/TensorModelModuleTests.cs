using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Models;
using Multiscale.Runs;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Models;

/// <summary>
/// The models as TorchSharp modules: parameters registered under stable names (state_dict keys and shapes per model
/// kind), checkpoints through the state dict bit for bit (and the earlier positional format still read), moves that
/// replace the tensors with an optimizer rebuilt after them, and no tensor left alive after dispose.
/// </summary>
public class TensorModelModuleTests
{
    private static readonly GridShape[] Tiny = { new(2, 3), new(3, 3) };

    public static readonly TheoryData<string> Kinds = new() { "full", "low", "low-sparse", "low-sparse-empty", "field-full", "field-low" };

    private static readonly MrtlDataset Counts = WithFeatures(BasketballSynthetic.Generate(BasketballOptions.Small with { Samples = 64, Players = 3 }));
    private static readonly MrtlDataset Fields = ClimateSynthetic.Generate(ClimateOptions.Small with { Months = 50 });

    private static MrtlDataset WithFeatures(MrtlDataset b) =>
        new(b.Task, b.Outputs, b.OutputIndex, b.Labels, b.Modes, randn(b.Count, 2, generator: new Generator(5)));

    private static MrtlDataset DataOf(string kind) => kind.StartsWith("field", StringComparison.Ordinal) ? Fields : Counts;

    private static GridShape[] GridsOf(string kind) => kind.StartsWith("field", StringComparison.Ordinal) ? new[] { new GridShape(4, 9) } : Tiny;

    /// <summary>A seeded model of the kind, on the CPU, with a non-zero bias (so every parameter carries information).</summary>
    private static TensorModel Build(string kind, ulong seed = 3)
    {
        var data = DataOf(kind);
        var grids = GridsOf(kind);
        var g = new Generator(seed);
        using var scope = NewDisposeScope();
        TensorModel model = kind switch
        {
            "full" or "field-full" => new FullRankModel(data.Task, data.Outputs, data.FeatureShape, grids, g, 0.5),
            "low" or "field-low" => LowRankModel.Random(data.Task, data.Outputs, data.FeatureShape, grids, 3, g, 0.5),
            "low-sparse" => LowRankSparseModel.Random(data.Task, data.Outputs, data.FeatureShape, grids, 2, 2, g, 0.5),
            _ => LowRankSparseModel.Random(data.Task, data.Outputs, data.FeatureShape, grids, 2, 0, g, 0.5),
        };
        using (no_grad()) model.Bias.copy_(randn(data.Outputs, generator: g));
        return model;
    }

    /// <summary>The keys and shapes each kind's state dict must have, written out by hand.</summary>
    private static (string Key, long[] Shape)[] Expected(string kind)
    {
        var data = DataOf(kind);
        long i = data.Outputs;
        switch (kind)
        {
            case "full": return new[] { ("weight", new[] { i, 2L, 6, 9 }), ("bias", new[] { i }) };
            case "field-full": return new[] { ("weight", new[] { i, (long)data.FeatureCount, 36 }), ("bias", new[] { i }) };
            case "field-low":
                return new[]
                {
                    ("output", new[] { i, 3L }), ("feature0", new[] { (long)data.FeatureShape[0], 3L }), ("feature1", new[] { (long)data.FeatureShape[1], 3L }),
                    ("spatial0", new[] { 36L, 3 }), ("bias", new[] { i }),
                };
        }
        (string, long[])[] Term(string prefix, long k) =>
            new[] { ($"{prefix}output", new[] { i, k }), ($"{prefix}feature0", new[] { 2L, k }), ($"{prefix}spatial0", new[] { 6L, k }), ($"{prefix}spatial1", new[] { 9L, k }) };
        return kind switch
        {
            "low" => Term("", 3).Append(("bias", new[] { i })).ToArray(),
            "low-sparse" => Term("", 2).Concat(Term("sparse_", 2)).Append(("bias", new[] { i })).ToArray(),
            _ => Term("", 2).Concat(Term("sparse_", 0)).Append(("bias", new[] { i })).ToArray(),
        };
    }

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheStateDictNamesEveryParameterWithItsShapeAndNamedParametersAreParameters(string kind)
    {
        using var model = Build(kind);
        var dict = model.state_dict();
        var expected = Expected(kind);
        Assert.Equal(expected.Select(e => e.Key), dict.Keys);
        foreach (var (key, shape) in expected) Assert.Equal(shape, dict[key].shape);
        // named_parameters() is Parameters, object for object and in order (weights first, bias last).
        var named = model.named_parameters().ToArray();
        Assert.Equal(model.Parameters.Count, named.Length);
        for (int k = 0; k < named.Length; k++) Assert.Same(model.Parameters[k], named[k].parameter);
        Assert.Same(model.Bias, dict["bias"]);
        if (model is FullRankModel full) Assert.Same(full.Weights, dict["weight"]);
        if (model is LowRankModel low)
        {
            Assert.Same(low.Factors[0], dict["output"]);
            for (int m = 0; m < low.Grids.Count; m++) Assert.Same(low.SpatialFactor(m), dict[$"spatial{m}"]);
        }
        if (model is LowRankSparseModel ls)
        {
            Assert.Equal(ls.Factors.Count + ls.SparseFactors.Count + 1, named.Length);
            Assert.Same(ls.SparseFactors[0], dict["sparse_output"]);
            for (int m = 0; m < ls.Grids.Count; m++) Assert.Same(ls.SparseSpatialFactor(m), dict[$"sparse_spatial{m}"]);
        }
        // forward is the logits of a batch.
        var batch = DataOf(kind).Discretize(GridsOf(kind)).All();
        Assert.True(Same(model.Logits(batch), model.call(batch)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveAndLoadThroughTheStateDictAndAFileAreBitForBit(string kind)
    {
        var data = DataOf(kind);
        var grids = GridsOf(kind);
        using var model = Build(kind);
        var dir = Directory.CreateTempSubdirectory("mrtl-module-");
        try
        {
            string path = Path.Combine(dir.FullName, "c.zip");
            using (var checkpoint = new Checkpoint())
            {
                model.Save(checkpoint, "model/");
                Assert.Equal(Expected(kind).Select(e => "model/" + e.Key).Order(), checkpoint.TensorNames.Order());
                checkpoint.Save(path);
            }
            using var read = Checkpoint.Load(path);
            using var loaded = TensorModel.Load(read, "model/", model is LowRankModel, data.Task, data.Outputs, data.FeatureShape, grids, CPU,
                sparseTerm: model is LowRankSparseModel);
            Assert.Equal(model.GetType(), loaded.GetType());
            var a = model.state_dict();
            var b = loaded.state_dict();
            Assert.Equal(a.Keys, b.Keys);
            foreach (var key in a.Keys) Assert.True(Same(a[key], b[key]), key);
            var batch = data.Discretize(grids).All();
            Assert.True(Same(model.Logits(batch), loaded.Logits(batch)));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("full")]
    [InlineData("low")]
    [InlineData("low-sparse")]
    public void ACheckpointOfTheEarlierPositionalFormatStillLoads(string kind)
    {
        var data = DataOf(kind);
        using var model = Build(kind);
        using var checkpoint = new Checkpoint();
        // What the earlier TensorModel.Save wrote: the parameters under prefix + their index in Parameters order.
        for (int k = 0; k < model.Parameters.Count; k++) checkpoint.Put($"model/{k}", model.Parameters[k]);
        using var loaded = TensorModel.Load(checkpoint, "model/", model is LowRankModel, data.Task, data.Outputs, data.FeatureShape, Tiny, CPU,
            sparseTerm: model is LowRankSparseModel);
        Assert.Equal(model.Parameters.Count, loaded.Parameters.Count);
        for (int k = 0; k < model.Parameters.Count; k++) Assert.True(Same(model.Parameters[k], loaded.Parameters[k]), $"parameter {k}");
    }

    [Fact]
    public void ACheckpointWithoutTheModelOrWithOtherShapesIsOneError()
    {
        var data = Counts;
        using var model = Build("low");
        using var checkpoint = new Checkpoint();
        model.Save(checkpoint, "model/");
        var none = Assert.Throws<MultiscaleException>(() => TensorModel.Load(checkpoint, "other/", true, data.Task, data.Outputs, data.FeatureShape, Tiny, CPU));
        Assert.Contains("holds no model under 'other/'", none.Message);
        var grids = new[] { new GridShape(4, 5), new GridShape(3, 3) };
        var shape = Assert.Throws<MultiscaleException>(() => TensorModel.Load(checkpoint, "model/", true, data.Task, data.Outputs, data.FeatureShape, grids, CPU));
        Assert.Contains("'model/spatial0' has shape [6,3], the model's spatial0 [20,3]", shape.Message);
        // A full-rank model asked of a checkpoint holding a low-rank one names the missing tensor.
        var kind = Assert.Throws<MultiscaleException>(() => TensorModel.Load(checkpoint, "model/", false, data.Task, data.Outputs, data.FeatureShape, Tiny, CPU));
        Assert.Contains("'model/weight'", kind.Message);
    }

    /// <summary>One Adam step (lr 0.05) on loss + regularizer over <paramref name="model"/>'s parameters as they are now.</summary>
    private static void Step(TensorModel model, MrtlBatch batch)
    {
        using var scope = NewDisposeScope();
        // Parameters is an array of the tensors registered now (TorchSharp's Adam keeps a lazy sequence and would re-read it).
        using var adam = optim.Adam(model.Parameters, lr: 0.05);
        var kernels = model.Grids.Select(g => new SpatialKernel(g, 0.05)).ToArray();
        for (int t = 0; t < 2; t++)
        {
            adam.zero_grad();
            (model.Loss(batch) + model.Regularizer(new Regularization(), kernels)).backward();
            adam.step();
        }
        foreach (var k in kernels) k.Dispose();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AnOptimizerBuiltAfterAMoveStepsExactlyAsWithoutTheMove(string kind)
    {
        var batch = DataOf(kind).Discretize(GridsOf(kind)).All();
        using var reference = Build(kind);
        Step(reference, batch);

        // to(CPU) on a CPU model keeps its tensors (TorchSharp copies only when the device changes).
        using var same = Build(kind);
        var before = same.Parameters;
        same.to(CPU);
        for (int k = 0; k < before.Count; k++) Assert.Same(before[k], same.Parameters[k]);
        Step(same, batch);

        // A move that replaces every tensor (to float64 and back: exact): the accessors follow it, and an optimizer
        // built before it holds none of the module's parameters any more.
        using var moved = Build(kind);
        var old = moved.Parameters;
        using var stale = optim.Adam(moved.Parameters, lr: 0.05);
        moved.to(ScalarType.Float64);
        Assert.All(moved.Parameters, p => Assert.Equal(ScalarType.Float64, p.dtype));
        moved.to(ScalarType.Float32);
        Assert.Equal(old.Count, moved.Parameters.Count);
        for (int k = 0; k < old.Count; k++) Assert.NotSame(old[k], moved.Parameters[k]);
        Assert.DoesNotContain(stale.parameters(), p => moved.parameters().Any(q => ReferenceEquals(p, q)));
        Assert.Same(moved.Bias, moved.Parameters[^1]);
        // TorchSharp disposed the replaced tensors: the stale optimizer could not step them.
        Assert.All(old, p => Assert.True(p.IsInvalid));
        if (moved is LowRankSparseModel ls) Assert.Same(ls.SparseSpatialFactor(1), ls.Parameters[^2]);
        else if (moved is LowRankModel low) Assert.Same(low.SpatialFactor(low.Grids.Count - 1), low.Parameters[^2]);
        else Assert.Same(((FullRankModel)moved).Weights, moved.Parameters[0]);
        Step(moved, batch);

        var expected = reference.state_dict();
        foreach (var model in new[] { same, moved })
        {
            var got = model.state_dict();
            foreach (var key in expected.Keys) Assert.True(Same(expected[key], got[key]), $"{key} after the step");
        }
    }

    [Fact]
    public void DisposedModelsLeaveNoLiveTensors()
    {
        var kinds = new[] { "full", "low", "low-sparse", "low-sparse-empty", "field-full", "field-low" };
        var batches = kinds.ToDictionary(k => k, k => DataOf(k).Discretize(GridsOf(k)));
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (var kind in batches.Keys)
        {
            var data = DataOf(kind);
            using var model = Build(kind);
            using (var scope = NewDisposeScope())
            {
                using var checkpoint = new Checkpoint();
                model.Save(checkpoint, "m/");
                using var loaded = TensorModel.Load(checkpoint, "m/", model is LowRankModel, data.Task, data.Outputs, data.FeatureShape, GridsOf(kind), CPU,
                    sparseTerm: model is LowRankSparseModel);
                loaded.to(ScalarType.Float64).to(ScalarType.Float32).to(CPU);
                _ = loaded.Logits(batches[kind].All());
                Step(loaded, batches[kind].All());
            }
        }
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.True(after - before <= 0, $"{after - before} tensors left alive");
    }
}
