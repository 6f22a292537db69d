using System.Diagnostics;
using Multiscale.MsAnn;
using static TorchSharp.torch;

namespace Multiscale.Benchmarks.MsAnn;

/// <summary>The bench's map-product section (issue 11 item 2): the level maps applied as banded blocks against dense products.</summary>
static partial class MsAnnBench
{
    private sealed partial class Bench
    {
        /// <summary>
        /// CPU milliseconds of Pro_in ΔW Pro_outᵀ over every layer (what ending a visit adds to the kept sums) and of a
        /// faithful step's prolongation forward and backward, with the composed maps as dense float32 matrices and as
        /// <see cref="BandedMatrix"/> blocks (what <see cref="LayerMaps"/> uses), at n = 1024 and 4096.
        /// </summary>
        private void MapProductsSection()
        {
            Section("Level-map products: banded blocks against dense products (issue 11 item 2)",
                "Interpolation maps, layers n-n/4-n/8-n/4-n (the τ sections' shapes), torch threads 1. *visit end*: Pro_in ΔW Pro_outᵀ for every " +
                "layer (a visit's change added to the kept sums; also the τ transfers' kind of product); *step*: the same product forward and " +
                "backward (a faithful step at that level). Milliseconds of this process's **CPU time** (one thread; far less disturbed by " +
                "other work on a shared machine than wall-clock), the least of 3 rounds. ÷ = dense ÷ banded. A level whose maps keep the " +
                "dense product (blocks would keep > 30 % of the work) shows ÷ ≈ 1 up to noise.");
            _md.AppendLine("| n | level | visit end: dense ms | banded ms | ÷ | step forward + backward: dense ms | banded ms | ÷ |");
            _md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (int n0 in quick ? new[] { 256 } : new[] { 1024, 4096 })
            {
                var sizes = new[] { n0, n0 / 4, n0 / 8, n0 / 4, n0 };
                using var maps = new LayerMaps(new HierarchyShape(sizes, 3), LayerMapStrategy.Interpolation);
                int reps = n0 > 2000 ? 3 : 20;
                double Cpu(Action a)
                {
                    a();
                    using var process = Process.GetCurrentProcess();
                    var t0 = process.TotalProcessorTime;
                    for (int i = 0; i < reps; i++)
                    {
                        using var scope = NewDisposeScope();
                        a();
                    }
                    process.Refresh();
                    return (process.TotalProcessorTime - t0).TotalMilliseconds / reps;
                }
                for (int l = 1; l <= 3; l++)
                {
                    if (cancel.IsCancellationRequested) return;
                    using var scope = NewDisposeScope();
                    var generator = new TorchSharp.torch.Generator(5);
                    var ws = Enumerable.Range(0, 4).Select(j => randn(sizes[j] >> l, sizes[j + 1] >> l, generator: generator)).ToArray();
                    var wg = ws.Select(w => w.clone().requires_grad_(true)).ToArray();
                    var gs = Enumerable.Range(0, 4).Select(j => randn(sizes[j], sizes[j + 1], generator: generator)).ToArray();
                    var dense = Enumerable.Range(0, 5).Select(j => maps.ToFinest(sizes[j], l).Matrix.to_type(ScalarType.Float32)).ToArray();
                    double dEnd = double.PositiveInfinity, bEnd = dEnd, dStep = dEnd, bStep = dEnd;
                    for (int round = 0; round < 3; round++)
                    {
                        dEnd = Math.Min(dEnd, Cpu(() => { using var ng = no_grad(); for (int j = 0; j < 4; j++) dense[j].matmul(ws[j]).matmul(dense[j + 1].T); }));
                        bEnd = Math.Min(bEnd, Cpu(() => { using var ng = no_grad(); for (int j = 0; j < 4; j++) maps.ProlongWeights(ws[j], sizes[j], sizes[j + 1], l); }));
                        dStep = Math.Min(dStep, Cpu(() => { for (int j = 0; j < 4; j++) { (dense[j].matmul(wg[j]).matmul(dense[j + 1].T) * gs[j]).sum().backward(); wg[j].grad!.zero_(); } }));
                        bStep = Math.Min(bStep, Cpu(() => { for (int j = 0; j < 4; j++) { (maps.ProlongWeights(wg[j], sizes[j], sizes[j + 1], l) * gs[j]).sum().backward(); wg[j].grad!.zero_(); } }));
                    }
                    _md.AppendLine($"| {n0} | {l} | {F(dEnd, "F2")} | {F(bEnd, "F2")} | {F(dEnd / bEnd, "F2")} | {F(dStep, "F2")} | {F(bStep, "F2")} | {F(dStep / bStep, "F2")} |");
                }
            }
            _md.AppendLine();
        }
    }
}
