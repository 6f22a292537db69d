using static TorchSharp.torch;

namespace Multiscale.Mrtl.Data;

/// <summary>Sizes and planted-model settings of the climate-like regression data.</summary>
public sealed record ClimateOptions
{
    /// <summary>Samples (months with a target).</summary>
    public int Months { get; init; } = 1200;

    /// <summary>The native (finest) grid.</summary>
    public GridShape Grid { get; init; } = new(80, 180);

    /// <summary>Monthly lags per sample.</summary>
    public int Lags { get; init; } = 6;

    /// <summary>Fields (salinity-like and temperature-like).</summary>
    public int Variables { get; init; } = 2;

    /// <summary>Rank of the planted model.</summary>
    public int Rank { get; init; } = 3;

    /// <summary>Month-to-month correlation of the fields (AR(1) coefficient).</summary>
    public double Persistence { get; init; } = 0.7;

    /// <summary>Noise standard deviation relative to a unit-variance signal.</summary>
    public double Noise { get; init; } = 0.3;

    /// <summary>Smooth basis functions the fields are made of.</summary>
    public int Basis { get; init; } = 32;

    /// <summary>Seed of every random choice.</summary>
    public long Seed { get; init; }

    /// <summary>A small version for tests and CI (240 months on 16×36).</summary>
    public static ClimateOptions Small => new() { Months = 240, Grid = new GridShape(16, 36), Basis = 16, Rank = 2 };
}

/// <summary>
/// Climate-like regression (EN4/PRISM are not reachable here): two smooth fields on the native grid built from Gaussian
/// bumps whose coefficients follow an AR(1) process over months (temporal correlation), six monthly lags per sample,
/// and the target y = z(Σ_k a_k Σ_l Λ_lk Σ_v Φ_vk ⟨C_k, X_lv⟩/D) + ε with smooth planted spatial factors C_k, decaying
/// lag factors Λ, variable factors Φ and Gaussian noise ε. One output (I = 1); mode "ocean" with features [lags, variables].
/// </summary>
public static class ClimateSynthetic
{
    /// <summary>Generates the dataset (seeded; same options → same data).</summary>
    public static MrtlDataset Generate(ClimateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Months < 10 || options.Lags < 1 || options.Variables < 1 || options.Rank < 1 || options.Basis < 1)
            throw new MultiscaleException("climate data needs at least 10 months, 1 lag, 1 variable, rank 1 and 1 basis function");
        if (!(options.Persistence >= 0 && options.Persistence < 1)) throw new MultiscaleException($"persistence must be in [0, 1) (got {options.Persistence})");
        if (!(options.Noise >= 0)) throw new MultiscaleException($"noise must be non-negative (got {options.Noise})");
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)options.Seed);
        var grid = options.Grid;
        int n = options.Months, lags = options.Lags, vars = options.Variables, k = options.Rank, steps = n + lags - 1;
        double h = grid.Rows, w = grid.Cols;

        var basis = BasketballSynthetic.CellCentres(BasketballSynthetic.Bumps(options.Basis, h, w, 0.05, 0.2, g), grid, h, w).t();  // [J, D]
        var coeff = zeros(steps, vars, options.Basis);
        var previous = randn(vars, options.Basis, generator: g);
        float rho = (float)options.Persistence, innovation = (float)Math.Sqrt(1 - options.Persistence * options.Persistence);
        for (int t = 0; t < steps; t++)
        {
            previous = rho * previous + innovation * randn(vars, options.Basis, generator: g);
            coeff[t] = previous;
        }
        var series = matmul(coeff, basis);                                                            // [T, V, D]
        series = (series - series.mean()) / series.std();
        var times = (arange(n, ScalarType.Int64).unsqueeze(1) + (lags - 1) - arange(lags, ScalarType.Int64).unsqueeze(0)); // lag 0 first

        var spatial = BasketballSynthetic.CellCentres(BasketballSynthetic.Bumps(k, h, w, 0.08, 0.2, g), grid, h, w);   // [D, k]
        var decay = 0.5f + 2.5f * rand(k, generator: g);
        var lagFactor = (-arange(lags, ScalarType.Float32).unsqueeze(1) / decay.unsqueeze(0)).exp();                // [L, k]
        var varFactor = randn(vars, k, generator: g);
        var outFactor = ones(1, k);
        var projected = matmul(series, spatial) / grid.Cells;                                         // [T, V, k]
        var x = projected.index_select(0, times.flatten()).reshape(n, lags, vars, k);
        var raw = (x * lagFactor.unsqueeze(1) * varFactor.unsqueeze(0)).sum(new long[] { 1, 2 }).sum(dim: 1);
        var labels = (raw - raw.mean()) / raw.std().clamp_min(1e-12) + (float)options.Noise * randn(n, generator: g);

        var truth = new PlantedModel(outFactor.DetachFromDisposeScope(),
            new[] { lagFactor.DetachFromDisposeScope(), varFactor.DetachFromDisposeScope() },
            new[] { spatial.DetachFromDisposeScope() }, new[] { grid }, k);
        var mode = new FieldMode("ocean", series.reshape(steps, vars, grid.Rows, grid.Cols), times);
        return new MrtlDataset(MrtlTask.Regression, 1, zeros(n, ScalarType.Int64), labels, new SpatialMode[] { mode }, null, truth);
    }
}
