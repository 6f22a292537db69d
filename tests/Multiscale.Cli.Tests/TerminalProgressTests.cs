using System.Diagnostics;
using System.Reflection;

namespace Multiscale.Cli.Tests;

/// <summary>
/// The live progress line as a user sees it: the built command runs in a real pseudo-terminal (util-linux
/// <c>script</c>), where it must draw Spectre's bar with rate and ETA; redirected, it must print the plain lines only.
/// </summary>
public class TerminalProgressTests
{
    private static string Cli()
    {
        string configuration = typeof(TerminalProgressTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        return Path.Combine(CliRunner.RepoRoot(), "src", "Multiscale.Cli", "bin", configuration, "net10.0", "linux-x64", "multiscale");
    }

    private static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["TERM"] = "xterm-256color";
        info.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} exited {p.ExitCode}:\n{stdout.Result}{stderr.Result}");
        return stdout.Result;
    }

    [Fact]
    public void MsAnnDrawsABarWithRateAndEtaAtATerminalAndPlainLinesWhenRedirected()
    {
        string cli = Cli();
        if (!OperatingSystem.IsLinux()) return; // util-linux script
        Assert.True(File.Exists(cli), $"the built command is not at {cli}");
        Assert.True(File.Exists("/usr/bin/script"), "util-linux script (Debian's bsdutils) is missing");
        using var dir = new TempDir();
        string[] args = ["msann", "--levels", "1", "--budget", "60000", "--layers", "64,16,64", "--device", "cpu"];

        string redirected = Run(cli, [.. args, "--out", Path.Combine(dir.Path, "plain")]);
        Assert.DoesNotContain('\u001b', redirected);
        Assert.Contains("validation MSE", redirected);
        Assert.DoesNotContain("cost/s", redirected);

        // script -e returns the command's exit code; -c runs it with stdout on the pseudo-terminal.
        string command = string.Join(' ', new[] { cli }.Concat(args).Concat(["--out", Path.Combine(dir.Path, "tty")]).Select(a => $"'{a}'"));
        string tty = Run("/usr/bin/script", "-qec", command, "/dev/null");
        Assert.Contains('\u001b', tty);      // cursor control of the live display
        Assert.Contains("cost/s", tty);      // the rate column in the budget's unit
        Assert.Contains("%", tty);           // the bar's percentage (the budget is known)
        Assert.Contains("validation MSE", tty);
        Assert.Contains("wrote ", tty);      // the plain lines still reach the terminal, above the live line
        Assert.True(File.Exists(Path.Combine(dir.Path, "tty", "report.json")));
    }

    [Fact]
    public void SweepsAndBenchesDrawAnOverallLineWithTheirPiecesAtATerminal()
    {
        string cli = Cli();
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(File.Exists(cli), $"the built command is not at {cli}");
        using var dir = new TempDir();
        // A terminal as wide as a desktop one: at script's default 80 columns Spectre crops the rate column's unit.
        string Tty(params string[] args) =>
            Run("/usr/bin/script", "-qec", "stty cols 160; " + string.Join(' ', new[] { cli }.Concat(args).Select(a => $"'{a}'")), "/dev/null");

        string sweep = Tty("msann", "sweep", "--layers", "64,16,64", "--gammas", "1", "--levels", "0,1", "--ks", "1,2", "--budget", "40000",
            "--device", "cpu", "--out", Path.Combine(dir.Path, "sweep"));
        Assert.Contains("msann sweep: run 3 of 3", sweep);
        Assert.Contains("runs/s", sweep);           // the overall line's rate, in runs
        Assert.Contains("validation MSE", sweep);   // the run's own line below it (its rate: the test above)
        Assert.True(File.Exists(Path.Combine(dir.Path, "sweep", "summary.json")));

        string bench = Tty("bench", "--quick", "--only", "matching,munkres", "--out", Path.Combine(dir.Path, "bench.md"));
        Assert.Contains("bench: section 2 of 2, munkres", bench);
        Assert.Contains("%", bench);
        Assert.True(File.Exists(Path.Combine(dir.Path, "bench.md")));
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("multiscale-tty-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
