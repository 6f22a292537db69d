using System.Diagnostics;

namespace Multiscale.Cli.Tests;

/// <summary>
/// The CUDA backends cannot be restored here, so we check the swap by evaluating the project (no restore):
/// -p:TorchBackend=cuda must replace TorchSharp-cpu with the CUDA package of the host OS.
/// </summary>
public class BuildBackendTests
{
    private static (int Code, string Out) Msbuild(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CliRunner.RepoRoot() };
        info.ArgumentList.Add("msbuild");
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["MSBUILDNOINPROCNODE"] = "1";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string CliProject => Path.Combine("src", "Multiscale.Cli", "Multiscale.Cli.csproj");

    [Fact]
    public void DefaultBackendIsCpuAndCudaPropertySwapsIt()
    {
        var (code, cpu) = Msbuild(CliProject, "-getItem:PackageReference", "-getProperty:RuntimeIdentifier");
        Assert.True(code == 0, cpu);
        Assert.Contains("\"TorchSharp-cpu\"", cpu);
        Assert.DoesNotContain("TorchSharp-cuda", cpu);

        (code, var cuda) = Msbuild(CliProject, "-getItem:PackageReference", "-p:TorchBackend=cuda");
        Assert.True(code == 0, cuda);
        Assert.DoesNotContain("\"TorchSharp-cpu\"", cuda);
        Assert.Contains(OperatingSystem.IsWindows() ? "\"TorchSharp-cuda-windows\"" : "\"TorchSharp-cuda-linux\"", cuda);
    }

    [Fact]
    public void LibrariesReferenceOnlyTheManagedPackage()
    {
        var (code, core) = Msbuild(Path.Combine("src", "Multiscale.Core", "Multiscale.Core.csproj"), "-getItem:PackageReference", "-p:TorchBackend=cuda");
        Assert.True(code == 0, core);
        Assert.Contains("\"TorchSharp\"", core);
        Assert.DoesNotContain("TorchSharp-c", core);
    }

    [Fact]
    public void AnUnknownBackendIsRejected()
    {
        var (code, text) = Msbuild(CliProject, "-t:ValidateTorchBackend", "-p:TorchBackend=rocm", "-nologo");
        Assert.NotEqual(0, code);
        Assert.Contains("TorchBackend must be 'cpu' or 'cuda'", text);
    }
}
