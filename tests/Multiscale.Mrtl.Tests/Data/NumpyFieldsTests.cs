using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Training;
using Multiscale.Tests.IO;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Data;

/// <summary>The documented fields layout exactly as numpy writes it (float64 fields and labels, int64 outputs) trains.</summary>
public class NumpyFieldsTests
{
    [Fact]
    public void NumpyWrittenFieldsWithIntegerOutputsTrain()
    {
        var dir = Directory.CreateTempSubdirectory("mrtl-numpy-");
        try
        {
            // Two outputs, each with its own smooth planted weight map on an 8×12 grid; label = <W_o, X_t> + noise.
            Python.Run("""
import numpy as np
rng = np.random.default_rng(5)
T, R, C = 400, 8, 12
r, c = np.meshgrid(np.linspace(0, 1, R), np.linspace(0, 1, C), indexing='ij')
W = np.stack([np.exp(-((r - 0.3) ** 2 + (c - 0.3) ** 2) / 0.05), -np.exp(-((r - 0.7) ** 2 + (c - 0.6) ** 2) / 0.05)])
X = rng.standard_normal((T, R, C))
outputs = rng.integers(0, 2, size=T)
labels = np.einsum('trc,trc->t', X, W[outputs]) / 4 + 0.05 * rng.standard_normal(T)
np.save('fields.npy', X)
np.save('labels.npy', labels)
np.save('outputs.npy', outputs)
assert np.load('outputs.npy').dtype == np.int64
""", dir.FullName);
            var data = MrtlDataLoader.LoadFieldsNpy(Path.Combine(dir.FullName, "fields.npy"), Path.Combine(dir.FullName, "labels.npy"), 1,
                outputsPath: Path.Combine(dir.FullName, "outputs.npy"));
            Assert.Equal(2, data.Outputs);
            Assert.Equal(400, data.Count);
            var split = data.Split(0);
            var options = new MrtlTrainerOptions
            {
                Schedule = ResolutionSchedule.Parse("4x6;8x12", "8x12"),
                Rank = 2,
                Finegrain = Multiscale.Mrtl.Finegraining.FinegrainMethod.Bilinear,
                FullRank = new StageOptions { LearningRate = 0.02, MaxEpochs = 30, BatchSize = 16 },
                LowRank = new StageOptions { LearningRate = 0.01, MaxEpochs = 10, BatchSize = 16 },
                CriterionOptions = new() { Patience = 3 },
            };
            var result = MrtlTrainer.Train(split, options);
            try
            {
                double variance = split.Test.Labels.var().item<float>();
                Assert.True(result.TestMse < 0.5 * variance, $"test MSE {result.TestMse} vs label variance {variance}");
            }
            finally { result.Model.Dispose(); }
        }
        finally { dir.Delete(true); }
    }
}
