namespace Multiscale.Cli.Tests;

/// <summary>Runs the command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MultiscaleCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    public static DirectoryInfo TempDirectory() => Directory.CreateTempSubdirectory("multiscale-cli-");

    /// <summary>The repository root (the folder holding Multiscale.sln).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Multiscale.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Multiscale.sln not found above the test folder");
    }
}
