// Both training methods driven through the core's plugin contract, without the CLI: each run goes into a RunFolder
// (config.json, metrics.csv, report.json, TensorBoard events; figures need a renderer, which the CLI supplies).
// Run: dotnet run --project examples/HostedMethods [-- OUTDIR]
using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using Multiscale.Mrtl;
using Multiscale.Mrtl.Data;
using Multiscale.Mrtl.Training;
using Multiscale.Runs;
using static TorchSharp.torch;

string root = args.Length > 0 ? args[0] : Path.Combine("runs", "hosted-methods");
var device = DeviceChoice.Resolve("auto");

// One generic host serves every method: that is what the contract buys.
static void Host<TSettings>(IMultiscaleMethod<TSettings> method, TSettings settings, string folderPath, Device device)
{
    using var folder = new RunFolder(folderPath);
    var record = method.Run(settings, new RunContext(device, folder.Reporter(line => Console.WriteLine($"[{method.Name}] {line}"))));
    folder.Complete(record, RunFolder.Config(method.Name, arguments: null, method.Describe(settings)), renderer: null);
    Console.WriteLine($"[{method.Name}] wrote {folder.Directory}: {string.Join(", ", record.Report.Select(p => p.Key).Take(6))}, …");
}

// Settings are plain data (the data described, not opened), so config.json holds all a run needs:
// 'multiscale rerun runs/hosted-methods/msann --out again' repeats it.
var msann = new MsAnnSettings(AutoencoderDataSource.SyntheticObjects(objects: 1), new[] { 256, 64, 32, 64, 256 }, new CycleSchedule(3, 2, 4),
    LayerMapStrategy.Interpolation, new MsAnnTrainingOptions { Budget = 16_000, EvaluateEvery = 1024 }, Seed: 0, CompareDefault: true);
Host(new MsAnnMethod(), msann, Path.Combine(root, "msann"), device);

var mrtl = new MrtlSettings(new BasketballSource(Small: true), new MrtlTrainerOptions
{
    Schedule = ResolutionSchedule.Parse("4x5,6x6;8x10,12x12", "8x10,12x12;20x25,12x12"),
    Rank = 4,
    FullRank = new StageOptions { MaxEpochs = 5 },
    LowRank = new StageOptions { LearningRate = 2e-3, MaxEpochs = 5 },
}, new[] { MrtlMethod.Mrtl, MrtlMethod.Random });
Host(new MultiresolutionTensorLearning(), mrtl, Path.Combine(root, "mrtl"), device);
