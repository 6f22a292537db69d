using System.Diagnostics;

namespace Multiscale.Tests.IO;

/// <summary>
/// Runs a script with Debian's python3 and its numpy/scipy (what <c>.ci/run</c> installs), so interop tests check our
/// files against the reference implementation itself. A missing interpreter or package fails the test.
/// </summary>
internal static class Python
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs <paramref name="script"/> in <paramref name="workingDirectory"/>; returns stdout, fails on a non-zero exit.</summary>
    public static string Run(string script, string workingDirectory)
    {
        Assert.True(File.Exists(Interpreter), $"{Interpreter} is missing: install python3-numpy and python3-scipy (.ci/run does)");
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add("-");
        using var process = Process.Start(start)!;
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "python timed out");
        Assert.True(process.ExitCode == 0, $"python failed ({process.ExitCode}): {stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }
}
