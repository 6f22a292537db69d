using System.CommandLine;
using Multiscale.Training;

namespace Multiscale.Cli.Commands;

/// <summary>Options shared by several commands, so they are spelled and validated the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = $"Compute device: {DeviceChoice.Choices} (auto = CUDA when available).",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<DirectoryInfo?> Out(string description) => new("--out")
    {
        Description = description,
    };
}
