using System.Text.Json.Nodes;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;
using Xunit;

namespace Multiscale.Mrtl.Tests.Training;

/// <summary>
/// A checkpoint of the earlier format — the model's parameters kept by position (<c>model/0</c>, <c>model/1</c>, …),
/// before the models were modules with a named state dict — still resumes, to the numbers of the run never stopped.
/// </summary>
public class MrtlLegacyCheckpointTests
{
    /// <summary>The position of a state-dict name in Parameters order (weights, smooth factors by mode, sparse factors, bias).</summary>
    private static int Position(string name)
    {
        if (name == "bias") return 1_000_000;
        int sparse = name.StartsWith("sparse_", StringComparison.Ordinal) ? 1000 : 0;
        string n = sparse > 0 ? name["sparse_".Length..] : name;
        if (n is "weight" or "output") return sparse;
        if (n.StartsWith("feature", StringComparison.Ordinal)) return sparse + 1 + int.Parse(n["feature".Length..]);
        return sparse + 100 + int.Parse(n["spatial".Length..]);
    }

    /// <summary>The checkpoint as the earlier format wrote it: the same state, parts and tensors, the model's by position.</summary>
    private static Checkpoint AsEarlierFormat(Checkpoint c)
    {
        var legacy = new Checkpoint();
        foreach (var (key, value) in c.State) legacy.State[key] = value?.DeepClone();
        byte[] adam = Array.Empty<byte>();
        c.ReadPart("adam", r => adam = r.ReadBytes((int)r.BaseStream.Length));
        legacy.PutPart("adam", w => w.Write(adam));
        var model = c.TensorNames.Where(n => n.StartsWith("model/", StringComparison.Ordinal)).OrderBy(n => Position(n["model/".Length..])).ToArray();
        Assert.Contains("model/bias", model);
        for (int k = 0; k < model.Length; k++) legacy.Put($"model/{k}", c.Get(model[k]));
        foreach (var name in c.TensorNames.Except(model)) legacy.Put(name, c.Get(name));
        return legacy;
    }

    [Fact]
    public void ALowRankSparseRunResumedFromEarlierFormatCheckpointsEndsAsTheUninterruptedRun()
    {
        var options = SmallMrtl.BasketballTraining(2) with { Rank = 4, Model = MrtlModelKind.LowRankSparse, LambdaSparse = 0.3 };
        var split = SmallMrtl.Basketball;
        var straight = MrtlTrainer.Train(split, options);
        int steps = straight.Epochs.Count(e => e.Epoch > 0) * (int)Math.Ceiling(split.Train.Count / 128.0);
        var dir = Directory.CreateTempSubdirectory("mrtl-legacy-");
        try
        {
            string path = Path.Combine(dir.FullName, RunFolder.CheckpointFile);
            var stopsAt = new Queue<int>(new[] { steps / 5, steps / 2 });
            var stages = new List<string>();
            MrtlResult? resumed = null;
            while (resumed is null)
            {
                using var stop = new CancellationTokenSource();
                int at = stopsAt.Count > 0 ? stopsAt.Dequeue() : int.MaxValue, seen = 0;
                Checkpoint? legacy = null;
                if (File.Exists(path))
                    using (var saved = Checkpoint.Load(path))
                    {
                        stages.Add(((JsonObject)saved.State["trainer"]!)["stage"]!.GetValue<string>());
                        legacy = AsEarlierFormat(saved);
                    }
                using (legacy)
                {
                    var checkpointing = new MrtlCheckpointing(legacy, _ =>
                    {
                        if (++seen == at) stop.Cancel();
                        return false;
                    }, c => c.Save(path));
                    var result = MrtlTrainer.Train(split, options, null, stop.Token, checkpointing);
                    if (stop.IsCancellationRequested) result.Model.Dispose();
                    else resumed = result;
                }
            }
            // One earlier-format checkpoint from each stage: the full-rank model's and the low-rank + sparse model's.
            Assert.Equal(new[] { "full", "low" }, stages);
            using (straight.Model)
            using (resumed.Model)
            {
                Assert.Equal(straight.Epochs.Select(e => e with { StageSeconds = 0, TotalSeconds = 0 }), resumed.Epochs.Select(e => e with { StageSeconds = 0, TotalSeconds = 0 }));
                Assert.Equal(straight.ValidationLoss, resumed.ValidationLoss);
                Assert.Equal(straight.TestLoss, resumed.TestLoss);
                var a = straight.Model.state_dict();
                var b = resumed.Model.state_dict();
                Assert.Equal(a.Keys, b.Keys);
                foreach (var key in a.Keys) Assert.True(a[key].equal(b[key]).all().item<bool>(), key);
            }
        }
        finally { dir.Delete(true); }
    }
}
