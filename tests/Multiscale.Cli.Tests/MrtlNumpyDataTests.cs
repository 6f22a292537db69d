using Multiscale.Tests.IO;

namespace Multiscale.Cli.Tests;

/// <summary><c>mrtl --task climate --data DIR</c> on a folder numpy wrote, with integer (int64) output indices.</summary>
public class MrtlNumpyDataTests
{
    [Fact]
    public void ANumpyWrittenFieldsFolderWithIntegerOutputsTrains()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            var data = Directory.CreateDirectory(Path.Combine(dir.FullName, "data"));
            Python.Run("""
import numpy as np
rng = np.random.default_rng(2)
X = rng.standard_normal((300, 8, 12)).astype(np.float32)
outputs = rng.integers(0, 3, size=300)
np.save('fields.npy', X)
np.save('labels.npy', X[:, 2:5, 3:7].sum(axis=(1, 2)) * (1 + outputs) / 4)
np.save('outputs.npy', outputs)
assert np.load('outputs.npy').dtype.str == '<i8'
""", data.FullName);
            var (code, output, error) = CliRunner.Run("mrtl", "--task", "climate", "--data", data.FullName, "--lags", "1",
                "--full", "4x6;8x12", "--low", "8x12", "--rank", "2", "--epochs-full", "2", "--epochs-low", "1", "--batch", "16",
                "--out", Path.Combine(dir.FullName, "run"));
            Assert.True(code == 0, error + output);
            Assert.Contains("300 samples, I = 3", output);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "run", "report.json")));
        }
        finally { dir.Delete(true); }
    }
}
