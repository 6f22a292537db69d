using static TorchSharp.torch;

namespace Multiscale.Mrtl.Data;

/// <summary>Sizes and planted-model settings of the basketball-like classification data.</summary>
public sealed record BasketballOptions
{
    /// <summary>I, the ball handlers.</summary>
    public int Players { get; init; } = 32;

    /// <summary>Samples (frames).</summary>
    public int Samples { get; init; } = 60_000;

    /// <summary>Rank of the planted model's smooth part.</summary>
    public int Rank { get; init; } = 4;

    /// <summary>
    /// Planted sparse components next to the smooth ones (paper 000 (31)'s W^S): each a peaked block of
    /// <see cref="SparseBlock"/>² truth-grid cells at a hot spot of the court and a block in the defender box, exactly
    /// zero elsewhere. 0 (the default) plants none and leaves the data exactly as without the option.
    /// </summary>
    public int SparseRank { get; init; }

    /// <summary>Side, in truth-grid cells, of a sparse component's block on each grid.</summary>
    public int SparseBlock { get; init; } = 3;

    /// <summary>Height of a sparse block relative to a smooth bump's peak (1).</summary>
    public double SparseAmplitude { get; init; } = 2.0;

    /// <summary>Half-court extent along rows (feet, baseline at row 0).</summary>
    public double CourtHeight { get; init; } = 40;

    /// <summary>Half-court extent along columns (feet).</summary>
    public double CourtWidth { get; init; } = 50;

    /// <summary>Side of the defender box around the ball handler (feet).</summary>
    public double BoxSize { get; init; } = 12;

    /// <summary>Defenders per frame (those outside the box are absent).</summary>
    public int Defenders { get; init; } = 5;

    /// <summary>Target fraction of positive labels.</summary>
    public double PositiveRate { get; init; } = 0.12;

    /// <summary>Standard deviation of the planted logits before the bias (how learnable the labels are).</summary>
    public double Signal { get; init; } = 3.0;

    /// <summary>The grids the planted factors are reported on (court, box).</summary>
    public IReadOnlyList<GridShape> TruthGrids { get; init; } = new[] { new GridShape(40, 50), new GridShape(12, 12) };

    /// <summary>Seed of every random choice.</summary>
    public long Seed { get; init; }

    /// <summary>A small version for tests and CI (2 players, 6,000 frames, rank 2).</summary>
    public static BasketballOptions Small => new() { Players = 2, Samples = 6000, Rank = 2 };
}

/// <summary>
/// Basketball-like classification (the paper's SportVU data are proprietary): ball-handler positions on a continuous
/// 40×50 half court drawn from a mixture of hot spots, defenders around him in the 12×12 box (ball handler at box
/// position (2, 6), the basket direction pointing to larger rows), and labels "shoots within the next second" drawn from
/// a planted rank-K model logit = s·z(Σ_k A_ik · c_k(ball) · Σ_defenders e_k(defender)) + b with smooth Gaussian-bump
/// factors c_k, e_k and b chosen for the requested positive rate. Modes: "ball" (one point) and "defenders".
/// </summary>
public static class BasketballSynthetic
{
    /// <summary>Generates the dataset (seeded; same options → same data).</summary>
    public static MrtlDataset Generate(BasketballOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Players < 1 || options.Samples < 10 || options.Rank < 1 || options.Defenders < 1)
            throw new MultiscaleException("basketball data needs at least 1 player, 10 samples, rank 1 and 1 defender");
        if (!(options.PositiveRate > 0 && options.PositiveRate < 1)) throw new MultiscaleException($"the positive rate must be in (0, 1) (got {options.PositiveRate})");
        if (options.TruthGrids.Count != 2) throw new MultiscaleException("basketball truth grids are (court, box)");
        if (options.SparseRank < 0) throw new MultiscaleException($"the sparse rank must be non-negative (got {options.SparseRank})");
        if (options.SparseRank > 0 && (options.SparseBlock < 1 || options.TruthGrids.Any(t => options.SparseBlock > Math.Min(t.Rows, t.Cols))))
            throw new MultiscaleException($"the sparse block side must be between 1 and the smallest truth-grid side (got {options.SparseBlock})");
        if (!(options.SparseAmplitude > 0 && double.IsFinite(options.SparseAmplitude))) throw new MultiscaleException($"the sparse amplitude must be positive (got {options.SparseAmplitude})");
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)options.Seed);
        int n = options.Samples, k = options.Rank, p = options.Defenders;
        double h = options.CourtHeight, w = options.CourtWidth, box = options.BoxSize;

        // Hot spots (row, col, spread) as fractions of the court: rim, top of the key, corners, wings; 20% uniform.
        var spots = tensor(new float[] { 0.12f, 0.5f, 0.06f, 0.5f, 0.5f, 0.08f, 0.1f, 0.08f, 0.05f, 0.1f, 0.92f, 0.05f, 0.55f, 0.2f, 0.08f, 0.55f, 0.8f, 0.08f }).reshape(6, 3);
        var which = randint(0, 6, new long[] { n }, generator: g);
        var spot = spots.index_select(0, which);
        var br = (spot[.., 0] + spot[.., 2] * randn(n, generator: g)) * (float)h;
        var bc = (spot[.., 1] + spot[.., 2] * randn(n, generator: g)) * (float)w;
        var uniform = rand(n, generator: g).lt(0.2);
        br = where(uniform, rand(n, generator: g) * (float)h, br).clamp(0, h);
        bc = where(uniform, rand(n, generator: g) * (float)w, bc).clamp(0, w);

        // Defenders relative to the ball handler at (2, 6) of the box, mostly between him and the basket.
        var dr = 2f + (float)(box / 4) + (float)(box / 4) * randn(n, p, generator: g);
        var dc = (float)(box / 2) + (float)(box / 4) * randn(n, p, generator: g);
        var inside = dr.ge(0) & dr.le(box) & dc.ge(0) & dc.le(box);
        var dw = inside.to_type(ScalarType.Float32);
        dr = where(inside, dr, zeros_like(dr));
        dc = where(inside, dc, zeros_like(dc));

        var players = randint(0, options.Players, new long[] { n }, generator: g);
        var a = randn(options.Players, k, generator: g);
        var courtBumps = Bumps(k, h, w, 0.12, 0.2, g);
        var boxBumps = Bumps(k, box, box, 0.15, 0.25, g);
        var c = Evaluate(courtBumps, br.unsqueeze(1), bc.unsqueeze(1)).squeeze(1);            // [n, k]
        var e = (Evaluate(boxBumps, dr, dc) * dw.unsqueeze(-1)).sum(dim: 1);                  // [n, k]
        var courtTruth = CellCentres(courtBumps, options.TruthGrids[0], h, w);
        var boxTruth = CellCentres(boxBumps, options.TruthGrids[1], box, box);
        if (options.SparseRank > 0)
        {
            // Drawn only when asked, after every draw of the smooth model, so SparseRank = 0 changes nothing.
            int ks = options.SparseRank;
            var spotOf = randint(0, 6, new long[] { ks }, generator: g);
            var courtCentres = spots.index_select(0, spotOf).narrow(1, 0, 2);
            // Defender blocks where defenders mostly are: rows 2 + box/4 ± box/4, columns box/2 ± box/4 (fractions of the box).
            var boxCentres = stack(new[] { (2 + box / 4) / box + 0.25 * (rand(ks, generator: g) - 0.5), 0.5 + 0.5 * (rand(ks, generator: g) - 0.5) }, dim: 1).to_type(ScalarType.Float32);
            var courtSparse = SparseBlocks(courtCentres, options.TruthGrids[0], options.SparseBlock, options.SparseAmplitude);
            var boxSparse = SparseBlocks(boxCentres, options.TruthGrids[1], options.SparseBlock, options.SparseAmplitude);
            a = cat(new[] { a, randn(options.Players, ks, generator: g) }, 1);
            c = cat(new[] { c, Lookup(courtSparse, options.TruthGrids[0], br.unsqueeze(1), bc.unsqueeze(1), h, w).squeeze(1) }, 1);
            e = cat(new[] { e, (Lookup(boxSparse, options.TruthGrids[1], dr, dc, box, box) * dw.unsqueeze(-1)).sum(dim: 1) }, 1);
            courtTruth = cat(new[] { courtTruth, courtSparse }, 1);
            boxTruth = cat(new[] { boxTruth, boxSparse }, 1);
        }
        var raw = (a.index_select(0, players) * c * e).sum(dim: 1);
        var z = (raw - raw.mean()) / raw.std().clamp_min(1e-12) * (float)options.Signal;
        double bias = SolveBias(z, options.PositiveRate);
        var prob = sigmoid(z + (float)bias);
        var labels = rand(n, generator: g).lt(prob).to_type(ScalarType.Float32);

        var truth = new PlantedModel(a.DetachFromDisposeScope(), Array.Empty<Tensor>(), new[]
        {
            courtTruth.DetachFromDisposeScope(),
            boxTruth.DetachFromDisposeScope(),
        }, options.TruthGrids, k + options.SparseRank,
            options.SparseRank > 0 ? Enumerable.Range(0, k + options.SparseRank).Select(j => j >= k).ToArray() : null);
        var modes = new SpatialMode[]
        {
            new CountMode("ball", h, w, br.unsqueeze(1), bc.unsqueeze(1), ones(n, 1)),
            new CountMode("defenders", box, box, dr, dc, dw),
        };
        return new MrtlDataset(MrtlTask.Classification, options.Players, players, labels, modes, null, truth);
    }

    /// <summary>k smooth factors, each the sum of two Gaussian bumps with random centres, widths and signs: [k, 2, 4] (row, col, width, amplitude).</summary>
    internal static Tensor Bumps(int k, double height, double width, double minWidth, double maxWidth, Generator g)
    {
        var centreR = rand(k, 2, generator: g) * (float)height;
        var centreC = rand(k, 2, generator: g) * (float)width;
        var spread = (minWidth + (maxWidth - minWidth) * rand(k, 2, generator: g)) * (float)Math.Max(height, width);
        var amplitude = ones(k, 2);
        amplitude[.., 1] = rand(k, generator: g) * 1.6f - 0.8f;
        return stack(new[] { centreR, centreC, spread, amplitude }, dim: -1);
    }

    /// <summary>
    /// Sparse factors on <paramref name="grid"/>, [D, k]: column j is <paramref name="amplitude"/> on the
    /// side × side block of cells nearest centre j (row, col as fractions of the domain, clipped inside the grid), 0
    /// elsewhere.
    /// </summary>
    internal static Tensor SparseBlocks(Tensor centres, GridShape grid, int side, double amplitude)
    {
        int k = (int)centres.shape[0];
        var values = new float[grid.Cells * k];
        var fractions = centres.to_type(ScalarType.Float64).data<double>().ToArray();
        for (int j = 0; j < k; j++)
        {
            int r0 = Math.Clamp((int)Math.Round(fractions[2 * j] * grid.Rows - side / 2.0), 0, grid.Rows - side);
            int c0 = Math.Clamp((int)Math.Round(fractions[2 * j + 1] * grid.Cols - side / 2.0), 0, grid.Cols - side);
            for (int r = r0; r < r0 + side; r++)
                for (int c = c0; c < c0 + side; c++)
                    values[grid.Index(r, c) * k + j] = (float)amplitude;
        }
        return tensor(values).reshape(grid.Cells, k);
    }

    /// <summary>Piecewise-constant factors [D, k] on <paramref name="grid"/> over a height × width domain at positions [..., m] → [..., m, k].</summary>
    internal static Tensor Lookup(Tensor factors, GridShape grid, Tensor rows, Tensor cols, double height, double width)
    {
        var r = (rows / (float)height * grid.Rows).floor().clamp(0, grid.Rows - 1).to_type(ScalarType.Int64);
        var c = (cols / (float)width * grid.Cols).floor().clamp(0, grid.Cols - 1).to_type(ScalarType.Int64);
        var index = r * grid.Cols + c;
        return factors.index_select(0, index.reshape(-1)).reshape(index.shape.Append(factors.shape[1]).ToArray());
    }

    /// <summary>The factors at positions [..., m] → [..., m, k].</summary>
    internal static Tensor Evaluate(Tensor bumps, Tensor rows, Tensor cols)
    {
        var r = rows.unsqueeze(-1).unsqueeze(-1) - bumps[.., .., 0];
        var c = cols.unsqueeze(-1).unsqueeze(-1) - bumps[.., .., 1];
        var s = bumps[.., .., 2];
        return (bumps[.., .., 3] * (-(r.square() + c.square()) / (2 * s.square())).exp()).sum(dim: -1);
    }

    /// <summary>The factors at the cell centres of <paramref name="grid"/>, [D, k] row-major.</summary>
    internal static Tensor CellCentres(Tensor bumps, GridShape grid, double height, double width)
    {
        var r = (arange(grid.Rows, ScalarType.Float32) + 0.5f) * (float)(height / grid.Rows);
        var c = (arange(grid.Cols, ScalarType.Float32) + 0.5f) * (float)(width / grid.Cols);
        var rr = r.unsqueeze(1).expand(grid.Rows, grid.Cols).reshape(-1);
        var cc = c.unsqueeze(0).expand(grid.Rows, grid.Cols).reshape(-1);
        return Evaluate(bumps, rr, cc);
    }

    private static double SolveBias(Tensor z, double rate)
    {
        double lo = -30, hi = 30;
        for (int it = 0; it < 60; it++)
        {
            double mid = (lo + hi) / 2;
            using var m = sigmoid(z + (float)mid).mean();
            if (m.item<float>() < rate) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}
