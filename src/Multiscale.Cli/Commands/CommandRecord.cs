using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Multiscale.Prolongation;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>
/// The record a non-method command (<c>prolong</c>, <c>lineage</c>) keeps in its output folder, in the layout of the
/// hosted methods' run folders: <c>config.json</c> (the command line, made absolute, and the settings) that
/// <c>multiscale rerun</c> replays, and <c>report.json</c> written last, so its presence marks a complete folder.
/// </summary>
internal static class CommandRecord
{
    /// <summary>Removes a <c>report.json</c> left by an earlier run: until the new one is written the folder claims nothing.</summary>
    public static void Begin(string directory)
    {
        Directory.CreateDirectory(directory);
        File.Delete(Path.Combine(directory, "report.json"));
    }

    /// <summary>Writes <c>config.json</c> for <paramref name="command"/> with <paramref name="settings"/>.</summary>
    public static void WriteConfig(string directory, string command, ParseResult parse, JsonObject settings) =>
        RunFolder.WriteJson(Path.Combine(directory, "config.json"), RunFolder.Config(command, MethodHost.Arguments(parse), settings));

    /// <summary>An s value as folder names and JSON spell it.</summary>
    public static string Format(double s) => s.ToString("0.###", CultureInfo.InvariantCulture);
}
