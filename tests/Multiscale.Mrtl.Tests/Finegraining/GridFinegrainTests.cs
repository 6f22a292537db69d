using Multiscale.Graphs;
using Multiscale.Mrtl.Data;
using Multiscale.Prolongation;
using Multiscale.Mrtl.Finegraining;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Multiscale.Mrtl.Tests.Finegraining;

public class GridFinegrainTests
{
    [Fact]
    public void NearestMapsEachFineCentreToTheCoarseCellContainingIt()
    {
        using var scope = NewDisposeScope();
        using var f = GridFinegrain.Create(FinegrainMethod.Nearest, new GridShape(8, 10), new GridShape(20, 25)); // 2.5× both ways
        Assert.Equal(1.0, f.Scale);
        foreach (var (map, n1, n2) in new[] { (f.Rows, 8, 20), (f.Cols, 10, 25) })
        {
            var m = map.Matrix;
            Assert.True(m.eq(0).logical_or(m.eq(1)).all().item<bool>());
            Assert.True(m.sum(dim: 1).eq(1).all().item<bool>());
            for (int i = 0; i < n2; i++)
            {
                double centre = (i + 0.5) / n2;
                int j = Enumerable.Range(0, n1).Single(c => c / (double)n1 <= centre && centre < (c + 1) / (double)n1);
                Assert.Equal(1.0, m[i, j].item<double>());
            }
        }
    }

    [Fact]
    public void NearestKeepsModelOutputsOnSumPooledCounts()
    {
        // The paper's claim: with X_c = Nᵀ X_f (fine counts summed into the coarse cell holding each fine centre),
        // ⟨N W_c, X_f⟩ = ⟨W_c, X_c⟩ exactly.
        using var scope = NewDisposeScope();
        var coarse = new GridShape(8, 10);
        var fine = new GridShape(20, 25);
        using var f = GridFinegrain.Create(FinegrainMethod.Nearest, coarse, fine);
        var g = new Generator(5);
        var xf = randint(0, 4, new long[] { 6, fine.Cells }, dtype: ScalarType.Float64, generator: g); // 6 samples of counts
        var xc = f.Restrict(xf, 1);
        // Brute-force sum pooling by centres.
        var expected = zeros(6, coarse.Cells, dtype: ScalarType.Float64);
        var xfa = xf.data<double>().ToArray();
        var ea = new double[6 * coarse.Cells];
        for (int s = 0; s < 6; s++)
            for (int r = 0; r < fine.Rows; r++)
                for (int c = 0; c < fine.Cols; c++)
                {
                    int cr = (int)Math.Floor((r + 0.5) / fine.Rows * coarse.Rows), cc = (int)Math.Floor((c + 0.5) / fine.Cols * coarse.Cols);
                    ea[s * coarse.Cells + coarse.Index(cr, cc)] += xfa[s * fine.Cells + fine.Index(r, c)];
                }
        Assert.True(xc.eq(tensor(ea, new long[] { 6, coarse.Cells }, ScalarType.Float64)).all().item<bool>());
        // A 3-mode weight tensor [2, cells, 3] finegrained at mode 1.
        var wc = randn(new long[] { 2, coarse.Cells, 3 }, dtype: ScalarType.Float64, generator: g);
        var wf = f.Apply(wc, 1);
        Assert.Equal(new long[] { 2, fine.Cells, 3 }, wf.shape);
        var outFine = einsum("tdk,sd->stk", wf, xf);
        var outCoarse = einsum("tdk,sd->stk", wc, xc);
        Assert.True((outFine - outCoarse).abs().max().item<double>() < 1e-10);
        // Mode given from the end works the same.
        Assert.True(f.Apply(wc, -2).eq(wf).all().item<bool>());
    }

    [Fact]
    public void BilinearMatchesPyTorchOnAHandComputedCase()
    {
        using var scope = NewDisposeScope();
        using var f = GridFinegrain.Create(FinegrainMethod.Bilinear, new GridShape(2, 2), new GridShape(4, 4));
        Assert.Equal(0.25, f.Scale);
        // torch.nn.functional.interpolate([[1,2],[3,4]], size=(4,4), mode='bilinear', align_corners=False)
        var expected = tensor(new double[] { 1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4 });
        var got = f.Apply(tensor(new double[] { 1, 2, 3, 4 }), 0);
        Assert.True((got - 0.25 * expected).abs().max().item<double>() < 1e-12);
        // 1-D weights by hand for 2 → 4: x = (i + ½)/2 − ½ clamped at 0.
        var rows = f.Rows.Matrix;
        Assert.True((rows - tensor(new double[] { 1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1 }, new long[] { 4, 2 }, ScalarType.Float64)).abs().max().item<double>() < 1e-15);
    }

    [Fact]
    public void BilinearReproducesALinearFieldInTheInterior()
    {
        using var scope = NewDisposeScope();
        var coarse = new GridShape(5, 6);
        var fine = new GridShape(12, 15);
        using var f = GridFinegrain.Create(FinegrainMethod.Bilinear, coarse, fine);
        // Field 2 + 0.5·row + 1.5·col in coarse cell coordinates.
        var field = new double[coarse.Cells];
        for (int r = 0; r < coarse.Rows; r++) for (int c = 0; c < coarse.Cols; c++) field[coarse.Index(r, c)] = 2 + 0.5 * r + 1.5 * c;
        var outp = (f.Apply(tensor(field), 0) / f.Scale).data<double>().ToArray();
        int interior = 0;
        for (int r = 0; r < fine.Rows; r++)
            for (int c = 0; c < fine.Cols; c++)
            {
                double y = (r + 0.5) * coarse.Rows / fine.Rows - 0.5, x = (c + 0.5) * coarse.Cols / fine.Cols - 0.5;
                if (y < 0 || x < 0 || y > coarse.Rows - 1 || x > coarse.Cols - 1) continue; // clamped edge cells
                interior++;
                Assert.Equal(2 + 0.5 * y + 1.5 * x, outp[fine.Index(r, c)], 1e-12);
            }
        Assert.True(interior > fine.Cells / 2);
    }

    [Fact]
    public void BilinearApproximatelyKeepsOutputsOnAreaAveragedData()
    {
        using var scope = NewDisposeScope();
        var coarse = new GridShape(8, 10);
        var fine = new GridShape(16, 20);
        using var f = GridFinegrain.Create(FinegrainMethod.Bilinear, coarse, fine);
        Tensor Field(GridShape g, Func<double, double, double> fn)
        {
            var v = new double[g.Cells];
            for (int r = 0; r < g.Rows; r++) for (int c = 0; c < g.Cols; c++) v[g.Index(r, c)] = fn((r + 0.5) / g.Rows, (c + 0.5) / g.Cols);
            return tensor(v);
        }
        // Data: a smooth field sampled on the fine grid, averaged over each coarse cell's 2×2 fine block.
        var xf = Field(fine, (u, v) => 1 + Math.Sin(3 * u) * Math.Cos(2 * v));
        var xc = xf.reshape(8, 2, 10, 2).mean(new long[] { 1, 3 }).reshape(-1);
        var wc = Field(coarse, (u, v) => Math.Exp(-u) + v * v);
        double coarseOut = (wc * xc).sum().item<double>();
        double fineOut = (f.Apply(wc, 0) * xf).sum().item<double>();
        Assert.True(Math.Abs(fineOut / coarseOut - 1) < 0.01, $"coarse {coarseOut}, fine {fineOut}");
        // Without the 1/4 rescale the output would be 4 times too large.
        Assert.True(Math.Abs(fineOut / f.Scale / coarseOut - 4) < 0.04);
        Assert.True((f.ApplyUnscaled(wc, 0) * f.Scale - f.Apply(wc, 0)).abs().max().item<double>() < 1e-15);
        // The output scale fitted on this data restores the coarse output exactly (a single output here).
        var unscaled = (f.ApplyUnscaled(wc, 0) * xf).sum();
        double c = GridFinegrain.FitOutputScale(tensor(new[] { coarseOut }), unscaled.reshape(1));
        Assert.Equal(coarseOut, c * unscaled.item<double>(), 1e-9);
    }

    [Fact]
    public void OptimizedMapsAreOrthonormalLocalSmoothAndCached()
    {
        using var scope = NewDisposeScope();
        var coarse = new GridShape(4, 5);
        var fine = new GridShape(8, 12);
        var cache = Directory.CreateTempSubdirectory("mrtl-finegrain-").FullName;
        try
        {
            using var f = GridFinegrain.Create(FinegrainMethod.Optimized, coarse, fine, cacheDirectory: cache);
            Assert.Equal(Math.Sqrt(96.0 / 20.0), f.Scale, 1e-15);
            Assert.True(f.Rows.OrthogonalityError < 1e-10 && f.Cols.OrthogonalityError < 1e-10);
            var w = randn(new long[] { 3, coarse.Cells }, dtype: ScalarType.Float64, generator: new Generator(8));
            var back = f.Restrict(f.Apply(w, 1), 1);
            Assert.True((back - f.Scale * w).abs().max().item<double>() < 1e-10);

            // A smooth coarse field: optimized output is at least as smooth as nearest's (Dirichlet energy per unit
            // norm on the fine grid) and lies close to it (not mirrored, not sign-flipped).
            using var near = GridFinegrain.Create(FinegrainMethod.Nearest, coarse, fine);
            var field = new double[coarse.Cells];
            for (int r = 0; r < coarse.Rows; r++) for (int c = 0; c < coarse.Cols; c++) field[coarse.Index(r, c)] = 1 + 0.3 * r + Math.Sin(0.5 * c);
            var po = f.Apply(tensor(field), 0).reshape(fine.Rows, fine.Cols);
            var pn = near.Apply(tensor(field), 0).reshape(fine.Rows, fine.Cols);
            double Energy(Tensor t) => ((t[1..] - t[..^1]).pow(2).sum() + (t[.., 1..] - t[.., ..^1]).pow(2).sum()).item<double>() / t.pow(2).sum().item<double>();
            Assert.True(Energy(po) <= Energy(pn), $"optimized {Energy(po)} vs nearest {Energy(pn)}");
            double cosine = ((po * pn).sum() / (po.norm() * pn.norm())).item<double>();
            Assert.True(cosine > 0.99, $"cosine to nearest {cosine}");

            // Constant fields stay nearly constant at the default scale (per axis within ~6 % here; the 2-D map is the product).
            var constant = f.Apply(ones(coarse.Cells, dtype: ScalarType.Float64), 0);
            Assert.True(constant.min().item<double>() > 0.85 && constant.max().item<double>() < 1.15, $"constant → [{constant.min().item<double>()}, {constant.max().item<double>()}]");

            Assert.NotEmpty(Directory.GetFiles(cache, "*.npy"));
            using var again = GridFinegrain.Create(FinegrainMethod.Optimized, coarse, fine, cacheDirectory: cache);
            Assert.True(again.Rows.Matrix.eq(f.Rows.Matrix).all().item<bool>() && again.Cols.Matrix.eq(f.Cols.Matrix).all().item<bool>());
        }
        finally { Directory.Delete(cache, recursive: true); }
    }

    [Fact]
    public void OptimizedMapIsNoWorseThanTheCoreMultiStartSolve()
    {
        // Same objective (eq. (3.3), s = 1, α and β auto) as the core's multi-start solve; the interpolation start must
        // reach at least as low a value.
        using var scope = NewDisposeScope();
        using var f = GridFinegrain.Create(FinegrainMethod.Optimized, new GridShape(1, 4), new GridShape(1, 8));
        using var ops = ProlongationOperators.Create(GraphFactory.Path(4), GraphFactory.Path(8), withDistances: true);
        var objective = new ProlongationObjective(ops, 1.0, ScaleParameter.Auto, ScaleParameter.Auto);
        using var solved = ProlongationSolver.Solve(GraphFactory.Path(4), GraphFactory.Path(8), new ProlongationOptions { S = 1, Beta = ScaleParameter.Auto });
        double ours = objective.Cost(f.Cols.Matrix), core = objective.Cost(solved.Map.Matrix);
        Assert.True(ours <= core + 1e-9 * Math.Max(1, core), $"ours {ours} vs core {core}");
        Assert.Equal(ours, f.Cols.Provenance.Objective!.Value, 1e-9);
        // The 1 → 1 axis is the identity.
        Assert.True(f.Rows.Matrix.eq(ones(1, 1, dtype: ScalarType.Float64)).all().item<bool>());
    }

    [Fact]
    public void FitOutputScaleIsTheLeastSquaresFactor()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(4);
        var yf = randn(50, dtype: ScalarType.Float64, generator: g);
        Assert.Equal(2.5, GridFinegrain.FitOutputScale(2.5 * yf, yf), 12);
        var yc = randn(50, dtype: ScalarType.Float64, generator: g);
        double c = GridFinegrain.FitOutputScale(yc, yf.to(ScalarType.Float32));
        // The residual is orthogonal to y_f at the optimum.
        Assert.True(Math.Abs(((yc - c * yf.to(ScalarType.Float32).to(ScalarType.Float64)) * yf.to(ScalarType.Float32).to(ScalarType.Float64)).sum().item<double>()) < 1e-9);
        Assert.Throws<MultiscaleException>(() => GridFinegrain.FitOutputScale(yc, zeros(50, dtype: ScalarType.Float64)));
        Assert.Throws<MultiscaleException>(() => GridFinegrain.FitOutputScale(yc, yf[..10]));
    }

    [Fact]
    public void RejectsBadShapesAndModes()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("at least as large", Assert.Throws<MultiscaleException>(() => GridFinegrain.Create(FinegrainMethod.Nearest, new GridShape(4, 5), new GridShape(8, 4))).Message);
        using var f = GridFinegrain.Create(FinegrainMethod.Nearest, new GridShape(2, 3), new GridShape(4, 6));
        Assert.Contains("6 cells", Assert.Throws<MultiscaleException>(() => f.Apply(ones(7), 0)).Message);
        Assert.Contains("mode 2", Assert.Throws<MultiscaleException>(() => f.Apply(ones(6, 6), 2)).Message);
        Assert.Contains("24 cells", Assert.Throws<MultiscaleException>(() => f.Restrict(ones(6), 0)).Message);
        Assert.Throws<MultiscaleException>(() => GridFinegrain.Create(FinegrainMethod.Optimized, new GridShape(2, 3), new GridShape(4, 6), s: 1.5));
    }
}
