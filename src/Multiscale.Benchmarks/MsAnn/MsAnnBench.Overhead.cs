using System.Diagnostics;
using Multiscale.MsAnn;
using Multiscale.MsAnn.Data;
using Multiscale.MsAnn.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.MsAnn;

/// <summary>The bench's per-step overhead and optimizer-flavor sections (issue 11: wall-clock as a first-class axis).</summary>
static partial class MsAnnBench
{
    private sealed partial class Bench
    {
        /// <summary>
        /// Milliseconds per step of MsANN's trainer against a plain TorchSharp loop written here doing the same arithmetic
        /// per step (the step at level l forms F + Pro θ⁽ˡ⁾ with F constant, as a visit's steps do; at L = 0 it is the bare
        /// network), on the same data, batch and torch threads, in this process. The plain loops use TorchSharp's own
        /// optimizers, so the rows also compare MsANN's optimizers with them.
        /// </summary>
        private void Overhead()
        {
            int plainSteps = quick ? 40 : 100;
            int repeats = quick ? 1 : 3;
            double stepBudget = plainSteps * 128.0;
            Section("Per-step overhead against a plain TorchSharp loop",
                $"Layers {string.Join('-', _sizes)}, batch 128, one-object data, torch threads {get_num_threads()}. Each MsANN run has budget " +
                $"{stepBudget:F0} (default training: {plainSteps} steps); its milliseconds per step are its training seconds (visits included, " +
                $"evaluation excluded) over its steps. Each MsANN run and its plain loop alternate {repeats} times and the fastest of each is kept " +
                "(the minimum is the least disturbed by other work on the machine). *CPU*: the training thread's CPU milliseconds per step " +
                "(`ThreadCpuTime`; with one torch thread the ops run on it), the load-robust clock, and its ratio; *wall*: wall-clock, the same way. " +
                "*thread ÷ process CPU* and *thread CPU ÷ wall* are the plain loop's (fastest repeat): 1 and 1 on an idle core when every op " +
                "runs on the calling thread. The plain loop runs the same number of steps at the same levels in the same order, " +
                "with TorchSharp's `optim.RMSProp` / `optim.Adam`: at L = 0 a forward pass with the weights, backward and an update; at a level l of " +
                "a hierarchy the weight F + Pro θ⁽ˡ⁾ with F a constant, which is what a visit's step must compute. Ratio = MsANN ÷ plain " +
                "(1 = no overhead). Measured one after another in one process: compare ratios, not absolute times across machines.");
            using var source = new SyntheticObjectsData(_sizes[0], 1, 0, CPU);
            var modes = new (string Name, CycleSchedule Schedule)[]
            {
                ("default training (L = 0, k = 1)", new CycleSchedule(0, 1, 1)),
                ("default training (L = 0, k = 500)", new CycleSchedule(0, 1, 500)),
                ("V-cycle γ = 1, L = 2, k = 1", new CycleSchedule(2, 1, 1)),
                ("V-cycle γ = 1, L = 2, k = 4", new CycleSchedule(2, 1, 4)),
                ("W-cycle γ = 2, L = 3, k = 1", new CycleSchedule(3, 2, 1)),
                ("W-cycle γ = 2, L = 3, k = 4", new CycleSchedule(3, 2, 4)),
            };
            _md.AppendLine("| optimizer | run | steps | CPU: MsANN ms/step | CPU: plain ms/step | CPU ratio | wall: MsANN ms/step | wall: plain ms/step | wall ratio | CPU fine / coarse / visit setup s | plain: thread ÷ process CPU | plain: thread CPU ÷ wall |");
            _md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            MsAnnResult? wCycle = null;
            foreach (var flavor in new[] { OptimizerFlavor.RmsPropPyTorch, OptimizerFlavor.Adam })
            {
                double lr = flavor == OptimizerFlavor.Adam ? MsAnnMethod.DefaultLearningRate(OptimizerFlavor.Adam) : 5e-4;
                foreach (var (name, schedule) in flavor == OptimizerFlavor.Adam ? modes.Take(1) : modes)
                {
                    if (cancel.IsCancellationRequested) return;
                    var shape = new HierarchyShape(_sizes, schedule.Depth);
                    log.WriteLine($"  {name}, {flavor.Name()}");
                    MsAnnResult? r = null;
                    double ms = double.PositiveInfinity, cpuMs = double.PositiveInfinity;
                    PlainTiming plain = new(double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity);
                    for (int rep = 0; rep < repeats && !cancel.IsCancellationRequested; rep++)
                    {
                        var run = TrainRun(source, _sizes, schedule, LayerMapStrategy.Interpolation, Options(stepBudget, false, flavor, lr) with { EvaluateEvery = stepBudget / 4 }, 0);
                        double runMs = 1000 * run.TotalSeconds / run.Metrics[^1].Step, runCpuMs = 1000 * run.CpuTotalSeconds / run.Metrics[^1].Step;
                        ms = Math.Min(ms, runMs);
                        if (runCpuMs < cpuMs) (cpuMs, r) = (runCpuMs, run);
                        var p = PlainLoop(source, shape, StepLevels(schedule, run.Metrics[^1].Step), flavor, lr);
                        if (p.CpuMs < plain.CpuMs) plain = plain with { CpuMs = p.CpuMs, ProcessCpuMs = p.ProcessCpuMs };
                        plain = plain with { WallMs = Math.Min(plain.WallMs, p.WallMs) };
                    }
                    if (r is null) return;
                    long steps = r.Metrics[^1].Step;
                    if (schedule.Depth == 3 && schedule.BatchesPerVisit == 1) wCycle = r;
                    var t = r.CpuTimeSplit;
                    _md.AppendLine($"| {flavor.Name()} | {name} | {steps} | {F(cpuMs, "F2")} | {F(plain.CpuMs, "F2")} | **{F(cpuMs / plain.CpuMs, "F3")}** | " +
                        $"{F(ms, "F2")} | {F(plain.WallMs, "F2")} | {F(ms / plain.WallMs, "F2")} | " +
                        $"{F(t.FineSteps, "F2")} / {F(t.CoarseSteps, "F2")} / {F(t.VisitSetup, "F2")} | {F(plain.CpuMs / plain.ProcessCpuMs, "F3")} | {F(plain.CpuMs / plain.WallMs, "F2")} |");
                }
            }
            if (cancel.IsCancellationRequested) return;
            Profile(source, plainSteps, wCycle);
        }

        /// <summary>The level of each of the first <paramref name="steps"/> steps of a schedule's cycles.</summary>
        private static List<int> StepLevels(CycleSchedule schedule, long steps)
        {
            var visits = schedule.Visits();
            var levels = new List<int>();
            while (levels.Count < steps)
                foreach (var v in visits)
                    for (int b = 0; b < v.Batches && levels.Count < steps; b++) levels.Add(v.Level);
            return levels;
        }

        private static optim.Optimizer TorchOptimizer(OptimizerFlavor flavor, IEnumerable<Parameter> parameters, double lr) => flavor == OptimizerFlavor.Adam
            ? optim.Adam(parameters, lr)
            : optim.RMSProp(parameters, lr, alpha: 0.9, eps: 1e-10);

        /// <summary>Milliseconds per step of a plain loop: the thread's CPU time, the process's CPU time, wall-clock.</summary>
        private readonly record struct PlainTiming(double CpuMs, double ProcessCpuMs, double WallMs);

        /// <summary>The plain loop's milliseconds per step over <paramref name="levels"/> (one step per entry).</summary>
        private static PlainTiming PlainLoop(IAutoencoderData source, HierarchyShape shape, IReadOnlyList<int> levels, OptimizerFlavor flavor, double lr)
        {
            using var maps = new LayerMaps(shape, LayerMapStrategy.Interpolation);
            var generator = new Generator(1);
            var sizes = shape.Layers(0);
            int layers = sizes.Count - 1;
            var weights = new Parameter[shape.Depth + 1][];
            var biases = new Parameter[shape.Depth + 1][];
            var constants = new List<Tensor>();
            for (int l = 0; l <= shape.Depth; l++)
            {
                var n = shape.Layers(l);
                weights[l] = Enumerable.Range(0, layers).Select(j => new Parameter(randn(n[j], n[j + 1], generator: generator) * Math.Sqrt(2.0 / (n[j] + n[j + 1])), requires_grad: true)).ToArray();
                biases[l] = Enumerable.Range(0, layers).Select(j => new Parameter(zeros(n[j + 1]), requires_grad: true)).ToArray();
            }
            // The other levels' sum, constant during a visit: a fixed tensor of the finest sizes.
            var frozenW = Enumerable.Range(0, layers).Select(j => randn(sizes[j], sizes[j + 1], generator: generator) * 0.01).ToArray();
            var frozenB = Enumerable.Range(0, layers).Select(j => zeros(sizes[j + 1])).ToArray();
            var optimizers = Enumerable.Range(0, shape.Depth + 1).Select(l => TorchOptimizer(flavor, weights[l].Concat(biases[l]), lr)).ToArray();
            var batches = source.Batches(new Generator(2));
            double cpu0 = ThreadCpuTime.Seconds, process0 = ThreadCpuTime.ProcessSeconds;
            var clock = Stopwatch.StartNew();
            foreach (int level in levels)
            {
                using var scope = NewDisposeScope();
                var (x, y) = batches(128);
                optimizers[level].zero_grad();
                var h = x;
                for (int j = 0; j < layers; j++)
                {
                    Tensor w, b;
                    if (shape.Depth == 0)
                    {
                        w = weights[0][j];
                        b = biases[0][j];
                    }
                    else
                    {
                        w = frozenW[j] + maps.ProlongWeights(weights[level][j], sizes[j], sizes[j + 1], level);
                        b = frozenB[j] + maps.ProlongRows(biases[level][j], sizes[j + 1], level);
                    }
                    h = (h.matmul(w) + b).sigmoid();
                }
                (h - y).square().mean().backward();
                optimizers[level].step();
            }
            var timing = new PlainTiming(1000 * (ThreadCpuTime.Seconds - cpu0) / levels.Count, 1000 * (ThreadCpuTime.ProcessSeconds - process0) / levels.Count,
                clock.Elapsed.TotalMilliseconds / levels.Count);
            foreach (var o in optimizers) o.Dispose();
            foreach (var t in weights.SelectMany(w => w).Concat(biases.SelectMany(b => b)).Concat(frozenW).Concat(frozenB)) t.Dispose();
            return timing;
        }

        /// <summary>Where a default-training step's time goes, and a W-cycle's split into steps and visit setup.</summary>
        private void Profile(IAutoencoderData source, int steps, MsAnnResult? wCycle)
        {
            var profile = StepProfile.Measure(source, _sizes, steps);
            _md.AppendLine().AppendLine($"Where a default-training step's time goes ({steps} steps, median ms per step; rmsprop-torch):").AppendLine();
            _md.AppendLine("| batch generation | forward + backward | MsANN's RMSProp step | TorchSharp's optim.RMSProp step | an empty dispose scope |");
            _md.AppendLine("|---|---|---|---|---|");
            _md.AppendLine($"| {F(profile.BatchMs, "F3")} | {F(profile.ForwardBackwardMs, "F3")} | {F(profile.StepMs, "F3")} | {F(profile.TorchStepMs, "F3")} | {F(profile.EmptyScopeMs, "F4")} |");
            _md.AppendLine().AppendLine("No step reads a value back (`item()`): on the CPU every op completes when it returns, and validation MSE, the only " +
                "read-back, is measured at evaluations, outside the timed training.");
            if (wCycle is null) return;
            var schedule = new CycleSchedule(3, 2, 1);
            var levels = StepLevels(schedule, wCycle.Metrics[^1].Step);
            int fine = levels.Count(l => l == 0), coarse = levels.Count - fine;
            var split = wCycle.CpuTimeSplit;
            _md.AppendLine().AppendLine(
                $"The W-cycle γ = 2, L = 3, k = 1 (rmsprop-torch): {fine} fine steps at {F(1000 * split.FineSteps / fine, "F2")} CPU ms, {coarse} coarse steps " +
                $"at {F(1000 * split.CoarseSteps / coarse, "F2")} ms, and {levels.Count} visits whose setup (reading the kept sums, adding the visit's " +
                $"prolonged change back) cost {F(1000 * split.VisitSetup / levels.Count, "F2")} ms each: {F(100 * split.VisitSetup / split.Total, "F1")} % of the training time.");
        }

        /// <summary>
        /// Default training in the three optimizer flavors (Adam's learning rate tuned, the best kept) against the best
        /// faithful Table 1 setting with the same flavor: proxy cost, seconds to 1/10 and MSE at equal wall-clock, side by side.
        /// </summary>
        private void Flavors()
        {
            var s = quick ? new Setting(3, 3, 2) : new Setting(3, 6, 4);
            var adamRates = quick ? new[] { 1e-3, 3e-3 } : new[] { 1e-3, 2e-3, 3e-3, 5e-3 };
            Section("Optimizer flavors at equal wall-clock (one-object)",
                $"Layers {string.Join('-', _sizes)}, interpolation maps. Default training (L = 0) runs to {DefaultBudget:F0} in each flavor; Adam's " +
                $"learning rate is tuned over {string.Join(", ", adamRates)} for default training (the earliest to 1/10 is kept) and the same rate is " +
                $"used for the multilevel run; RMSProp uses 5e-4. The faithful MsANN run ({s}, the best Table 1 setting) has budget {Budget:F0} and " +
                "the same flavor. *MSE at t×*: validation MSE at t times the same flavor's default seconds to 1/10, both curves read on one time " +
                "axis (linear interpolation between evaluations; † = the run had already ended, its final MSE). Seconds are training wall-clock " +
                "time in this process, split into fine steps, coarse steps (levels ≥ 1) and visit setup.");
            using var source = new SyntheticObjectsData(_sizes[0], 1, 0, CPU);
            var tuning = new List<(double Lr, MsAnnResult R)>();
            foreach (var lr in adamRates)
            {
                if (cancel.IsCancellationRequested) return;
                tuning.Add((lr, Train(source, new Setting(1, 0, 1), LayerMapStrategy.Interpolation, DefaultBudget, flavor: OptimizerFlavor.Adam, lr: lr)));
            }
            if (cancel.IsCancellationRequested) return;
            _md.AppendLine("Adam's learning rate for default training:").AppendLine();
            _md.AppendLine("| lr | seconds to 1/10 | cost to 1/10 | final MSE |").AppendLine("|---|---|---|---|");
            foreach (var (lr, r) in tuning)
                _md.AppendLine($"| {lr:G3} | {F(r.SecondsToTenth, "F2")} | {F(r.CostToTenth, "F0")} | {F(r.FinalMse)} |");
            var bestAdam = tuning.OrderBy(t => t.R.CostToTenth ?? double.PositiveInfinity).ThenBy(t => t.R.FinalMse).First();
            _md.AppendLine().AppendLine($"Kept: lr {bestAdam.Lr:G3} (by cost to 1/10, which repeats exactly; seconds follow it within the noise).").AppendLine();

            _md.AppendLine("| optimizer | lr | run | final MSE at cost " + $"{Budget:F0}" + " | cost to 1/10 | seconds to 1/10 | training seconds | fine / coarse / visit setup s | MSE at 1× | MSE at 2× | MSE at 4× |");
            _md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var flavor in new[] { OptimizerFlavor.RmsPropTensorFlow1, OptimizerFlavor.RmsPropPyTorch, OptimizerFlavor.Adam })
            {
                if (cancel.IsCancellationRequested) return;
                double lr = flavor == OptimizerFlavor.Adam ? bestAdam.Lr : 5e-4;
                var baseline = flavor == OptimizerFlavor.Adam ? bestAdam.R : Train(source, new Setting(1, 0, 1), LayerMapStrategy.Interpolation, DefaultBudget, flavor: flavor);
                if (cancel.IsCancellationRequested) return;
                var multilevel = Train(source, s, LayerMapStrategy.Interpolation, Budget, flavor: flavor, lr: lr);
                var equal = EqualTime.Compare(multilevel, baseline);
                string At(Func<EqualTimePoint, (double Mse, bool Ended)> pick, int i) =>
                    equal is null ? "N/A" : F(pick(equal.Points[i]).Mse) + (pick(equal.Points[i]).Ended ? " †" : "");
                void Row(string name, MsAnnResult r, double final, double seconds, Func<EqualTimePoint, (double, bool)> pick)
                {
                    var t = r.TimeSplit;
                    _md.AppendLine($"| {flavor.Name()} | {lr:G3} | {name} | {F(final)} | {F(r.CostToTenth, "F0")} | {F(r.SecondsToTenth, "F2")} | {F(seconds, "F1")} | " +
                        $"{F(t.FineSteps, "F1")} / {F(t.CoarseSteps, "F1")} / {F(t.VisitSetup, "F1")} | {At(pick, 0)} | {At(pick, 1)} | {At(pick, 2)} |");
                }
                Row("default (L = 0)", baseline, MseAt(baseline, Budget), SecondsAt(baseline, Budget), p => (p.DefaultMse, p.DefaultEnded));
                Row($"faithful {s}", multilevel, multilevel.FinalMse, multilevel.TotalSeconds, p => (p.MsAnnMse, p.MsAnnEnded));
            }
        }
    }
}
