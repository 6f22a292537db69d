using Multiscale.Mrtl.Criteria;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Decomposition;
using Multiscale.Mrtl.Finegraining;
using Multiscale.Mrtl.Models;
using Multiscale.Mrtl.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Training;

/// <summary>
/// <see cref="MrtlTrainerOptions.Device"/>. This machine has no GPU, so placement is checked on libtorch's meta device
/// (shapes without data): a real second device that rejects mixing with CPU tensors exactly like CUDA does. Meta has no
/// gather kernels, so forward passes are covered by the CPU runs through the same device path (explicit CPU).
/// </summary>
public class MrtlDeviceTests
{
    private static readonly MrtlSplit Basketball = SmallMrtl.Basketball;
    private static readonly MrtlSplit Climate = SmallMrtl.Climate;
    private static readonly Device Meta = new(DeviceType.META);
    private static readonly GridShape[] Coarse = { new(4, 5), new(6, 6) };
    private static readonly GridShape[] Fine = { new(8, 10), new(12, 12) };

    private static MrtlTrainerOptions Small(string task, MrtlMethod method, FinegrainMethod finegrain, CriterionKind criterion) => task == "climate"
        ? new MrtlTrainerOptions
        {
            Method = method,
            Schedule = ResolutionSchedule.ClimateSmall,
            Rank = 3,
            Finegrain = finegrain,
            Criterion = criterion,
            FullRank = new StageOptions { LearningRate = 0.01, MaxEpochs = 2, BatchSize = 16 },
            LowRank = new StageOptions { LearningRate = 0.005, MaxEpochs = 2, BatchSize = 16 },
            Seed = 5,
        }
        : SmallMrtl.BasketballTraining(epochs: 2) with
        {
            Method = method,
            Finegrain = finegrain,
            Criterion = criterion,
            CriterionOptions = new(),
            FullInitScale = 0.01,
        };

    [Theory]
    [InlineData("basketball", MrtlMethod.Mrtl, FinegrainMethod.Optimized, CriterionKind.GradientNorm)]   // fit batches, gradients read on the CPU
    [InlineData("basketball", MrtlMethod.Random, FinegrainMethod.Nearest, CriterionKind.ValidationLoss)]
    [InlineData("climate", MrtlMethod.Mrtl, FinegrainMethod.Bilinear, CriterionKind.SpatialEntropy)]     // field mode
    public void AnExplicitCpuDeviceRepeatsTheDefaultRunExactly(string task, MrtlMethod method, FinegrainMethod finegrain, CriterionKind criterion)
    {
        var split = task == "climate" ? Climate : Basketball;
        var options = Small(task, method, finegrain, criterion);
        var byDefault = MrtlTrainer.Train(split, options);
        var onCpu = MrtlTrainer.Train(split, options with { Device = CPU });
        try
        {
            Assert.Equal(DeviceType.CPU, onCpu.Model.Device.type);
            // The default shares the dataset's tensors, the explicit device copies them: the numbers must not notice.
            Assert.Equal(byDefault.Epochs.Select(e => (e.Stage, e.Resolution, e.Epoch, e.TrainLoss, e.ValidationLoss, e.ValidationMetric, e.Criterion, e.Event)),
                onCpu.Epochs.Select(e => (e.Stage, e.Resolution, e.Epoch, e.TrainLoss, e.ValidationLoss, e.ValidationMetric, e.Criterion, e.Event)));
            Assert.Equal(byDefault.Finegrains.Select(e => (e.Scale, e.ValidationLossAfter)), onCpu.Finegrains.Select(e => (e.Scale, e.ValidationLossAfter)));
            Assert.Equal((byDefault.ValidationLoss, byDefault.TestLoss, byDefault.TestF1, byDefault.TestMse), (onCpu.ValidationLoss, onCpu.TestLoss, onCpu.TestF1, onCpu.TestMse));
            Assert.Equal(byDefault.CpFit, onCpu.CpFit);
            for (int k = 0; k < byDefault.Model.Parameters.Count; k++)
                Assert.True(byDefault.Model.Parameters[k].eq(onCpu.Model.Parameters[k]).all().item<bool>(), $"parameter {k} differs");
        }
        finally
        {
            byDefault.Model.Dispose();
            onCpu.Model.Dispose();
        }
    }

    [Fact]
    public void LiveTensorsDoNotGrowWithEpochsOnAnExplicitDevice()
    {
        // The device copies of each resolution's data belong to that resolution's scope.
        long Leak(int epochs)
        {
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            var options = Small("basketball", MrtlMethod.Mrtl, FinegrainMethod.Optimized, CriterionKind.ValidationLoss);
            var r = MrtlTrainer.Train(Basketball, options with
            {
                Device = CPU,
                CriterionOptions = new() { Patience = 100 },
                FullRank = options.FullRank with { MaxEpochs = epochs },
                LowRank = options.LowRank with { MaxEpochs = epochs },
            });
            r.Model.Dispose();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        long one = Leak(1), three = Leak(3);
        Assert.Equal(one, three);
        Assert.True(one <= 0, $"{one} tensors left alive");
    }

    [Fact]
    public void DiscretizingForADeviceMovesEveryTensorABatchIsGatheredFrom()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(4);
        var src = Basketball.Train;
        var withFeatures = new MrtlDataset(src.Task, src.Outputs, src.OutputIndex, src.Labels, src.Modes, randn(src.Count, 2, generator: g));
        var counts = withFeatures.Discretize(Coarse, Meta);
        Assert.All(new[] { counts.OutputIndex, counts.Labels, counts.Features! }, t => Assert.Equal(DeviceType.META, t.device_type));
        Assert.All(counts.Modes.Cast<CountInput>(), c => Assert.True(c.Cells.device_type == DeviceType.META && c.Weights.device_type == DeviceType.META));
        Assert.Equal(DeviceType.META, counts.Device.type);
        var fields = Climate.Train.Discretize(new[] { new GridShape(4, 9) }, Meta);
        var field = (FieldInput)fields.Modes[0];
        Assert.True(field.Series.device_type == DeviceType.META && field.TimeIndex.device_type == DeviceType.META && fields.Labels.device_type == DeviceType.META);
        // The resolution-free dataset stays on the CPU, and without a device nothing is copied.
        Assert.Equal(DeviceType.CPU, src.Labels.device_type);
        var shared = src.Discretize(Coarse);
        Assert.Same(src.Labels, shared.Labels);
        // Indices from another device are one clear error, not a hidden per-step copy.
        var e = Assert.Throws<MultiscaleException>(() => counts.Batch(arange(3, dtype: ScalarType.Int64)));
        Assert.Contains("batch indices are on cpu but the data is on meta", e.Message);
    }

    [Fact]
    public void ModelsKernelsAndFinegrainingStayOnTheModelsDevice()
    {
        using var scope = NewDisposeScope();
        var data = Basketball.Train;
        using var kernel0 = new SpatialKernel(Coarse[0]);
        using var kernel1 = new SpatialKernel(Coarse[1]);
        var kernels = new[] { kernel0, kernel1 };
        using var full = new FullRankModel(data.Task, data.Outputs, data.FeatureShape, Coarse, new Generator(1), 0.1, Meta);
        using var low = LowRankModel.Random(data.Task, data.Outputs, data.FeatureShape, Coarse, 3, new Generator(2), 0.1, Meta);
        foreach (TensorModel model in new TensorModel[] { full, low })
        {
            AllOn(model.Parameters, DeviceType.META);
            // Regularizer (the kernels copy themselves to the weights' device), backward and an Adam step all on meta.
            var r = model.Regularizer(new Regularization(), kernels);
            Assert.Equal(DeviceType.META, r.device_type);
            r.backward();
            AllOn(model.Parameters.SkipLast(1).Select(p => p.grad!), DeviceType.META);   // the bias is not regularized
            using var adam = optim.Adam(model.Parameters, lr: 0.01);
            adam.step();
            foreach (var method in Enum.GetValues<FinegrainMethod>())
            {
                var (moved, _) = MrtlTrainer.Finegrain(model, Fine, method);
                using (moved) AllOn(moved.Parameters, DeviceType.META);
            }
        }
        // Data for another device than the model's is refused with a message naming both.
        var e = Assert.Throws<MultiscaleException>(() => low.Logits(data.Discretize(Coarse).All()));
        Assert.Contains("the batch is on cpu but the model is on meta", e.Message);
    }

    [Fact]
    public void SeededInitializationDrawsOnTheCpuWhateverTheDevice()
    {
        using var scope = NewDisposeScope();
        var data = Basketball.Train;
        var g1 = new Generator(7);
        var g2 = new Generator(7);
        var g3 = new Generator(7);
        using var byDefault = new FullRankModel(data.Task, data.Outputs, data.FeatureShape, Coarse, g1, 0.1);
        using var onCpu = new FullRankModel(data.Task, data.Outputs, data.FeatureShape, Coarse, g2, 0.1, CPU);
        using var onMeta = new FullRankModel(data.Task, data.Outputs, data.FeatureShape, Coarse, g3, 0.1, Meta);
        Assert.True(byDefault.Weights.eq(onCpu.Weights).all().item<bool>());
        // Meta weights hold no values; that the meta model made the same draws from the CPU generator shows in the
        // generators' next draws, which agree.
        var next = randn(8, generator: g1);
        Assert.True(next.eq(randn(8, generator: g2)).all().item<bool>());
        Assert.True(next.eq(randn(8, generator: g3)).all().item<bool>());
    }

    private static void AllOn(IEnumerable<Tensor> tensors, DeviceType type) =>
        Assert.All(tensors, t => Assert.Equal(type, t.device_type));
}
