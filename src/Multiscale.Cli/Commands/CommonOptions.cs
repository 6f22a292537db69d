using System.CommandLine;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>Options shared by several commands, so they are spelled and validated the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = $"Compute device: {DeviceChoice.Choices} (auto = CUDA when available).",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>Where solved maps are kept between runs (default $MULTISCALE_CACHE or ~/.cache/multiscale/maps).</summary>
    public static Option<string?> Cache(string what) => new("--cache")
    {
        Description = $"Map cache folder for {what} (default $MULTISCALE_CACHE or ~/.cache/multiscale/maps).",
    };

    /// <summary>Neither read nor write the map cache.</summary>
    public static Option<bool> NoCache() => new("--no-cache") { Description = "Neither read nor write the map cache." };

    /// <summary>The cache folder the two options select: null with --no-cache.</summary>
    public static string? CacheDirectory(ParseResult parse, Option<string?> cache, Option<bool> noCache) =>
        parse.GetValue(noCache) ? null : parse.GetValue(cache) ?? DefaultCache();

    /// <summary>$MULTISCALE_CACHE, else ~/.cache/multiscale/maps.</summary>
    public static string DefaultCache()
    {
        var env = Environment.GetEnvironmentVariable("MULTISCALE_CACHE");
        if (!string.IsNullOrWhiteSpace(env)) return env;
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "multiscale", "maps");
    }

    /// <summary><c>--format npy|mtx|both</c>: how matrices are written (default npy, dense).</summary>
    public static Option<string> MatrixFormat(string what)
    {
        var option = new Option<string>("--format")
        {
            Description = $"File format of {what}: npy (dense), mtx (MatrixMarket coordinate, nonzeros only; scipy.io.mmread reads it) or both.",
            DefaultValueFactory = _ => "npy",
        };
        option.AcceptOnlyFromAmong("npy", "mtx", "both");
        return option;
    }

    public static Option<DirectoryInfo?> Out(string description) => new("--out")
    {
        Description = description,
    };
}
