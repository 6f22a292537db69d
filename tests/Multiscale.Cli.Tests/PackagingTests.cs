using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Multiscale.Cli.Tests;

/// <summary>
/// Issue 13 item 4, end to end as a user meets it: pack the libraries and the tool into a local folder, install the
/// tool into a temporary tool path and run it (libtorch must load: the package carries the patched native), then
/// build and run a consumer app against the packed Multiscale.Core. NuGet's package folder is a fresh temporary one,
/// so a stale copy of our packages can never be picked up. About 2 min on 2 cores (packing compresses ~0.5 GB of natives).
/// </summary>
[Trait("Category", "Slow")]
public class PackagingTests(ITestOutputHelper log)
{
    [Fact]
    public void PackedToolInstallsAndRunsAndAConsumerBuildsAgainstThePackedCore()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            log.WriteLine("skipped: the tool package is built for linux-x64 only");
            return;
        }
        string root = CliRunner.RepoRoot();
        string configuration = typeof(PackagingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var temp = Directory.CreateTempSubdirectory("multiscale-pack-");
        try
        {
            string feed = Path.Combine(temp.FullName, "feed");
            string packages = Path.Combine(temp.FullName, "packages");
            string config = WriteNuGetConfig(temp.FullName, feed, packages);
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };

            // The test project has already built src/ in this configuration: pack what was built, publish aside.
            foreach (var project in new[] { "Multiscale.Core", "Multiscale.MsAnn", "Multiscale.Mrtl", "Multiscale.Cli" })
            {
                Run(root, env, "pack", Path.Combine("src", project, project + ".csproj"), "--no-build", "-c", configuration,
                    "-o", feed, $"-p:PublishDir={Path.Combine(temp.FullName, "publish", project)}/", "-nodeReuse:false");
            }
            string corePackage = Directory.GetFiles(feed, "Multiscale.Core.*.nupkg").Single();
            string version = Path.GetFileNameWithoutExtension(corePackage)["Multiscale.Core.".Length..];
            string toolPackage = Path.Combine(feed, $"Multiscale.Cli.{version}.nupkg");
            Assert.True(File.Exists(toolPackage), $"no {toolPackage}");
            foreach (var id in new[] { "Multiscale.Core", "Multiscale.MsAnn", "Multiscale.Mrtl", "Multiscale.Cli" })
                AssertMetadata(Path.Combine(feed, $"{id}.{version}.nupkg"), id);
            log.WriteLine($"tool package: {new FileInfo(toolPackage).Length / 1e6:F1} MB");

            // The installed tool runs graph grid:4x4, whose spectrum is computed by libtorch.
            string tools = Path.Combine(temp.FullName, "tools");
            Run(temp.FullName, env, "tool", "install", "--tool-path", tools, "--add-source", feed, "--configfile", config,
                "Multiscale.Cli", "--version", version);
            string graph = RunProgram(temp.FullName, env, Path.Combine(tools, "multiscale"), "graph", "grid:4x4");
            Assert.Contains("vertices    16", graph);
            Assert.Contains("edges       24", graph);
            // λ_min of the 4×4 grid's L = A − D: −(2 − 2cos(3π/4))·2 = −4 − 2√2.
            Assert.Contains("lambda_min  " + (-4 - 2 * Math.Sqrt(2)).ToString("F10", CultureInfo.InvariantCulture), graph);

            // A consumer app: the cycle C8's Laplacian spectrum through the packed Multiscale.Core and TorchSharp-cpu.
            string app = Path.Combine(temp.FullName, "consumer");
            Directory.CreateDirectory(app);
            File.Copy(config, Path.Combine(app, "NuGet.config"));
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <RuntimeIdentifier>{RuntimeInformation.RuntimeIdentifier}</RuntimeIdentifier>
                    <SelfContained>false</SelfContained>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Multiscale.Core" Version="{version}" />
                    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using System.Globalization;
                using Multiscale.Graphs;

                using var spectrum = GraphOperators.Spectrum(GraphSpec.Parse("cycle:8"));
                var values = spectrum.Eigenvalues.data<double>().ToArray();
                Console.WriteLine(string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
                """);
            Run(app, env, "build", "-c", "Release", "-nodeReuse:false");
            string output = Path.Combine(app, "bin", "Release", "net10.0", RuntimeInformation.RuntimeIdentifier);
            // The very assembly we packed, not some other copy.
            Assert.Equal(EntryBytes(corePackage, "lib/net10.0/Multiscale.Core.dll"), File.ReadAllBytes(Path.Combine(output, "Multiscale.Core.dll")));
            string printed = RunProgram(app, env, Path.Combine(output, "Consumer"));
            var got = printed.Trim().Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).Order().ToArray();
            var expected = Enumerable.Range(0, 8).Select(k => 2 * Math.Cos(2 * Math.PI * k / 8) - 2).Order().ToArray();
            Assert.Equal(expected.Length, got.Length);
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) < 1e-10, printed);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>A feed of the local folder first, then nuget.org for TorchSharp and the rest.</summary>
    private static string WriteNuGetConfig(string dir, string feed, string packages)
    {
        // Dependencies already on this machine are reused in place (no 130 MB libtorch download), unless that folder
        // holds any of our packages: then nothing is reused, so no stale copy can win over the fresh pack.
        string user = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        bool reuse = Directory.Exists(user) && !Directory.EnumerateDirectories(user, "multiscale.*").Any();
        string fallback = reuse ? $"""<add key="machine" value="{user}" />""" : "";
        string path = Path.Combine(dir, "NuGet.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{packages}" /></config>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders><clear />{fallback}</fallbackPackageFolders>
            </configuration>
            """);
        return path;
    }

    private static void AssertMetadata(string package, string id)
    {
        using var zip = ZipFile.OpenRead(package);
        Assert.NotNull(zip.GetEntry("LICENSE"));
        Assert.NotNull(zip.GetEntry("README.md"));
        using var reader = new StreamReader(zip.GetEntry($"{id}.nuspec")!.Open());
        string nuspec = reader.ReadToEnd();
        foreach (var part in new[] { "<license type=\"file\">LICENSE</license>", "<readme>README.md</readme>",
                     "<authors>The Multiscale authors</authors>", "<tags>multiscale", "<repository type=\"git\"", "<description>" })
            Assert.Contains(part, nuspec);
        if (id == "Multiscale.Cli") Assert.Contains("<packageType name=\"DotnetTool\" />", nuspec);
        if (id == "Multiscale.Core") Assert.NotNull(zip.GetEntry("buildTransitive/Multiscale.Core.targets"));
    }

    private static byte[] EntryBytes(string package, string entry)
    {
        using var zip = ZipFile.OpenRead(package);
        using var stream = zip.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private void Run(string dir, Dictionary<string, string> env, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        RunProgram(dir, env, dotnet, args);
    }

    private string RunProgram(string dir, Dictionary<string, string> env, string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env) info.Environment[k] = v;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["MSBUILDNOINPROCNODE"] = "1";
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        string text = stdout.Result + stderr.Result;
        log.WriteLine($"{Path.GetFileName(program)} {string.Join(' ', args)}: exit {p.ExitCode}, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {p.ExitCode}:\n{text}");
        return stdout.Result;
    }
}
