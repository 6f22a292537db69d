using System.Globalization;

namespace Multiscale.Mrtl.Data;

/// <summary>
/// Where an MRTL run's data comes from, described rather than loaded, so a run's settings are plain data that a
/// settings file holds and a run folder's <c>config.json</c> repeats. The run loads it.
/// </summary>
public abstract record MrtlDataSource
{
    /// <summary>Name for reports (<c>basketball</c>, <c>climate</c>, a user file's or folder's name).</summary>
    public abstract string Name { get; }

    /// <summary>True for averaged fields (climate-like regression), false for counts (basketball-like classification).</summary>
    public abstract bool Fields { get; }

    /// <summary>The task's resolution chains (appendix B) when the data has a default; null when they must be given.</summary>
    public virtual ResolutionSchedule? DefaultSchedule => null;

    /// <summary>Generates or reads the dataset; synthetic data is drawn from <paramref name="seed"/>.</summary>
    public abstract MrtlDataset Load(long seed);

    /// <summary>Parses count modes written <c>NAME:HEIGHTxWIDTH,…</c> (e.g. <c>ball:40x50,defenders:12x12</c>).</summary>
    public static IReadOnlyList<CountModeSpec> ParseModes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var modes = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t =>
            {
                var parts = t.Split(':');
                var extent = parts.Length == 2 ? parts[1].Split('x', 'X') : Array.Empty<string>();
                if (extent.Length != 2 || parts[0].Length == 0
                    || !double.TryParse(extent[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var h)
                    || !double.TryParse(extent[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w)
                    || !(h > 0 && w > 0 && double.IsFinite(h) && double.IsFinite(w)))
                    throw new MultiscaleException($"count mode '{t}' is not NAME:HEIGHTxWIDTH with a positive height and width");
                return new CountModeSpec(parts[0], h, w);
            }).ToList();
        if (modes.Count == 0) throw new MultiscaleException($"no count modes in '{text}' (expected NAME:HEIGHTxWIDTH,…)");
        return modes;
    }

    /// <summary>Count modes as <see cref="ParseModes"/> reads them.</summary>
    public static string FormatModes(IEnumerable<CountModeSpec> modes) =>
        string.Join(',', modes.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Name}:{m.Height}x{m.Width}")));
}

/// <summary>The synthetic basketball-like classification data (paper 001 §5 stand-in), paper-like or small.</summary>
/// <param name="Small">The small size (tests, CI) instead of the paper-like one.</param>
/// <param name="Samples">Sample count in place of the size's, or null.</param>
/// <param name="SparseRank">Planted sparse (few-cell, peaked) components next to the smooth ones.</param>
public sealed record BasketballSource(bool Small = false, int? Samples = null, int SparseRank = 0) : MrtlDataSource
{
    /// <inheritdoc/>
    public override string Name => "basketball";

    /// <inheritdoc/>
    public override bool Fields => false;

    /// <inheritdoc/>
    public override ResolutionSchedule? DefaultSchedule => ResolutionSchedule.Basketball;

    /// <summary>The generator's settings for <paramref name="seed"/>.</summary>
    public BasketballOptions Options(long seed)
    {
        var o = (Small ? BasketballOptions.Small : new BasketballOptions()) with { Seed = seed, SparseRank = SparseRank };
        return Samples is { } n ? o with { Samples = n } : o;
    }

    /// <inheritdoc/>
    public override MrtlDataset Load(long seed) => BasketballSynthetic.Generate(Options(seed));
}

/// <summary>The synthetic climate-like regression data (paper 001 §5 stand-in), paper-like or small.</summary>
/// <param name="Small">The small size (tests, CI) instead of the paper-like one.</param>
/// <param name="Months">Month count in place of the size's, or null.</param>
public sealed record ClimateSource(bool Small = false, int? Months = null) : MrtlDataSource
{
    /// <inheritdoc/>
    public override string Name => "climate";

    /// <inheritdoc/>
    public override bool Fields => true;

    /// <inheritdoc/>
    public override ResolutionSchedule? DefaultSchedule => Small ? ResolutionSchedule.ClimateSmall : ResolutionSchedule.Climate;

    /// <summary>The generator's settings for <paramref name="seed"/>.</summary>
    public ClimateOptions Options(long seed)
    {
        var o = (Small ? ClimateOptions.Small : new ClimateOptions()) with { Seed = seed };
        return Months is { } n ? o with { Months = n } : o;
    }

    /// <inheritdoc/>
    public override MrtlDataset Load(long seed) => ClimateSynthetic.Generate(Options(seed));
}

/// <summary>A user's count data: a CSV of <c>sample,output,label,mode,row,col[,weight]</c> rows (docs/mrtl.md).</summary>
/// <param name="Path">The CSV file.</param>
/// <param name="Modes">The count modes and their domains.</param>
/// <param name="Folder">The data folder it came from (the task's layout, with the task's default chains), or null for a file given alone.</param>
public sealed record PositionsCsvSource(string Path, IReadOnlyList<CountModeSpec> Modes, string? Folder = null) : MrtlDataSource
{
    /// <inheritdoc/>
    public override string Name => Folder is null ? System.IO.Path.GetFileName(Path) : System.IO.Path.GetFileName(Folder.TrimEnd(System.IO.Path.DirectorySeparatorChar));

    /// <inheritdoc/>
    public override bool Fields => false;

    /// <inheritdoc/>
    public override ResolutionSchedule? DefaultSchedule => Folder is null ? null : ResolutionSchedule.Basketball;

    /// <inheritdoc/>
    public override MrtlDataset Load(long seed) => MrtlDataLoader.LoadPositionsCsv(Path, Modes, MrtlTask.Classification);

    /// <summary>Value equality over the modes' contents (a record compares lists by reference).</summary>
    public bool Equals(PositionsCsvSource? other) =>
        other is not null && Path == other.Path && Folder == other.Folder && Modes.SequenceEqual(other.Modes);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Path, Folder, Modes.Count);
}

/// <summary>A user's field data: <c>fields.npy</c> [T, V, R, C] and <c>labels.npy</c> (docs/mrtl.md).</summary>
/// <param name="FieldsPath">fields.npy.</param>
/// <param name="LabelsPath">labels.npy.</param>
/// <param name="Lags">Lags per sample.</param>
/// <param name="OutputsPath">outputs.npy (the output index of each label), or null for one output.</param>
/// <param name="Folder">The data folder it came from (the task's layout, with the task's default chains), or null for files given alone.</param>
public sealed record FieldsNpySource(string FieldsPath, string LabelsPath, int Lags = 6, string? OutputsPath = null, string? Folder = null) : MrtlDataSource
{
    /// <inheritdoc/>
    public override string Name => Folder is null ? Path.GetFileName(FieldsPath) : Path.GetFileName(Folder.TrimEnd(Path.DirectorySeparatorChar));

    /// <inheritdoc/>
    public override bool Fields => true;

    /// <inheritdoc/>
    public override ResolutionSchedule? DefaultSchedule => Folder is null ? null : ResolutionSchedule.Climate;

    /// <inheritdoc/>
    public override MrtlDataset Load(long seed) => MrtlDataLoader.LoadFieldsNpy(FieldsPath, LabelsPath, Lags, outputsPath: OutputsPath);
}

/// <summary>
/// A dataset a program built in memory. It trains like any other but cannot be described: a run on it cannot be
/// repeated from its folder (save the data as files and use <see cref="PositionsCsvSource"/> or <see cref="FieldsNpySource"/> for that).
/// </summary>
/// <param name="Dataset">The data (the run does not dispose it).</param>
/// <param name="DataName">Name for reports.</param>
public sealed record InMemorySource(MrtlDataset Dataset, string DataName) : MrtlDataSource
{
    /// <inheritdoc/>
    public override string Name => DataName;

    /// <inheritdoc/>
    public override bool Fields => Dataset.Modes[0] is FieldMode;

    /// <inheritdoc/>
    public override MrtlDataset Load(long seed) => Dataset;
}
