using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.Graphs;
using Multiscale.IO;
using Multiscale.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Cli.Commands;

/// <summary><c>multiscale graph SPEC</c>: build a graph, describe it, and write its operators.</summary>
internal static class GraphCommand
{
    /// <summary>Above this many vertices the dense spectrum is skipped unless asked for (eigh is O(n³)).</summary>
    public const int AutoSpectrumLimit = 4096;

    private static readonly string[] MatrixNames = { "adjacency", "degree", "laplacian", "distances", "eigenvalues", "eigenvectors" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var spec = new Argument<string>("spec") { Description = $"The graph: {GraphSpec.Grammar}." };
        var outDir = CommonOptions.Out("Folder for graph.json and the requested matrices (.npy and/or .mtx, see --format).");
        var matrices = new Option<string[]>("--matrices")
        {
            Description = $"Matrices to write into --out (as --format): {string.Join(", ", MatrixNames)} (comma separated or repeated).",
            AllowMultipleArgumentsPerToken = true,
        };
        var spectrum = new Option<string>("--spectrum")
        {
            Description = $"Compute the Laplacian spectrum: auto (when n ≤ {AutoSpectrumLimit}), yes, no.",
            DefaultValueFactory = _ => "auto",
        };
        spectrum.AcceptOnlyFromAmong("auto", "yes", "no");
        var device = CommonOptions.Device();
        var format = CommonOptions.MatrixFormat("the matrices");

        var command = new Command("graph", "Build a graph from a spec; print its size, connectivity and extreme Laplacian eigenvalues; write its operators.")
        {
            spec, outDir, matrices, spectrum, device, format,
        };
        command.SetAction(parse => MultiscaleCli.Guard(error, () => Run(
            parse.GetValue(spec)!, parse.GetValue(outDir), parse.GetValue(matrices) ?? Array.Empty<string>(),
            parse.GetValue(spectrum)!, parse.GetValue(device)!, MatrixFiles.Parse(parse.GetValue(format)!), parse, output)));
        return command;
    }

    /// <summary>Repeats a folder's graph from the settings its config.json holds (<c>rerun</c>).</summary>
    public static int Rerun(JsonObject settings, string configPath, DirectoryInfo outDir, string deviceName, ParseResult parse, TextWriter output)
    {
        string spec, spectrum;
        string[] matrices;
        MatrixFileFormat format;
        try
        {
            var r = new SettingsReader(settings);
            spec = r.OptionalString("spec") ?? throw new SettingsException("spec", "is required (the graph)");
            matrices = r.OptionalNode("matrices") is JsonArray a
                ? a.Select(n => n is JsonValue v && v.TryGetValue<string>(out var m) ? m : throw new SettingsException("matrices", $"must be matrix names (got {n?.ToJsonString() ?? "null"})")).ToArray()
                : Array.Empty<string>();
            spectrum = r.Choice("spectrum", "auto", "auto", "yes", "no");
            format = r.Choice("format", MatrixFileFormat.Npy, MatrixFiles.Formats);
            r.Finish();
        }
        catch (SettingsException e) { throw new MultiscaleException($"'{e.Field}' in {configPath} {SettingsException.Render(e.Problem, f => $"'{f}'")}", e); }
        return Run(spec, outDir, matrices, spectrum, deviceName, format, parse, output);
    }

    private static int Run(string spec, DirectoryInfo? outDir, string[] matrixArgs, string spectrumMode, string deviceName,
        MatrixFileFormat format, ParseResult parse, TextWriter output)
    {
        var requested = matrixArgs.SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(m => m.ToLowerInvariant()).Distinct().ToList();
        var unknown = requested.Where(m => !MatrixNames.Contains(m)).ToList();
        if (unknown.Count > 0)
            throw new MultiscaleException($"unknown matrix '{unknown[0]}' for --matrices; expected {string.Join(", ", MatrixNames)}");
        if (requested.Count > 0 && outDir is null) throw new MultiscaleException("--matrices needs --out DIR to write them into");

        if (outDir is not null) OutputCheck.Folder(outDir.FullName);
        var dev = DeviceChoice.Resolve(deviceName);
        var graph = GraphSpec.Parse(spec);
        int n = graph.VertexCount;
        bool wantsSpectrumFile = requested.Contains("eigenvalues") || requested.Contains("eigenvectors");
        bool computeSpectrum = spectrumMode switch
        {
            "yes" => true,
            "no" => false,
            _ => n <= AutoSpectrumLimit || wantsSpectrumFile,
        };
        if (wantsSpectrumFile && spectrumMode == "no")
            throw new MultiscaleException("--matrices asks for eigenvalues/eigenvectors but --spectrum is 'no'");
        if (requested.Contains("distances") && !graph.IsConnected)
            throw new DisconnectedGraphException(graph.Name, graph.ComponentCount);
        // Each dense matrix written is held, and copied twice while it is written (.npy); the spectrum peaks higher.
        var denseWritten = requested.Where(m => m != "eigenvalues" && m != "degree").ToList();
        double dense = (computeSpectrum ? GraphOperators.SpectrumMatrices : 0) + 3 * denseWritten.Count;
        if (dense > 0)
            SizeLimits.EnsureDenseFits(graph, dense, string.Join(" and ", (computeSpectrum ? new[] { "its spectrum" } : Array.Empty<string>())
                .Concat(denseWritten.Count > 0 ? new[] { $"dense {string.Join(", ", denseWritten)}" } : Array.Empty<string>())));

        // Rounded for display only (a zero eigenvalue prints as 0, not as 1e-16 round-off); graph.json keeps the raw values.
        string F(double x) => (Math.Round(x, 10) + 0.0).ToString("G12", CultureInfo.InvariantCulture);
        output.WriteLine($"graph       {graph.Name}");
        output.WriteLine($"vertices    {n}");
        output.WriteLine($"edges       {graph.EdgeCount}");
        output.WriteLine($"weighted    {(graph.IsWeighted ? "yes" : "no")}");
        output.WriteLine($"connected   {(graph.IsConnected ? "yes" : "no")} ({graph.ComponentCount} component{(graph.ComponentCount == 1 ? "" : "s")})");

        var report = new Dictionary<string, object?>
        {
            ["spec"] = spec,
            ["name"] = graph.Name,
            ["vertices"] = n,
            ["edges"] = graph.EdgeCount,
            ["weighted"] = graph.IsWeighted,
            ["connected"] = graph.IsConnected,
            ["components"] = graph.ComponentCount,
            ["laplacian_convention"] = "L = A - D (negative semidefinite)",
        };

        using var scope = NewDisposeScope();
        GraphSpectrum? spectrum = null;
        if (computeSpectrum)
        {
            spectrum = GraphOperators.Spectrum(graph, dev);
            var values = spectrum.Eigenvalues.cpu().data<double>().ToArray();
            output.WriteLine($"lambda_min  {F(values[0])}");
            output.WriteLine($"lambda_max  {F(values[^1])}");
            if (n > 1) output.WriteLine($"lambda_2    {F(values[^2])}  (second largest; minus the algebraic connectivity)");
            report["lambda_min"] = values[0];
            report["lambda_max"] = values[^1];
            report["lambda_second_largest"] = n > 1 ? values[^2] : null;
        }
        else
        {
            output.WriteLine($"spectrum    skipped (n = {n} > {AutoSpectrumLimit}; pass --spectrum yes to compute it)");
        }

        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir.FullName);
            // graph.json is the folder's report, written last: until it is, the folder claims nothing.
            File.Delete(Path.Combine(outDir.FullName, "graph.json"));
            RunFolder.WriteJson(Path.Combine(outDir.FullName, "config.json"), RunFolder.Config("graph", MethodHost.Arguments(parse), new JsonObject
            {
                ["spec"] = spec,
                ["matrices"] = new JsonArray(requested.Select(m => (JsonNode)m).ToArray()),
                ["spectrum"] = spectrumMode,
                ["format"] = MatrixFiles.Formats.Name(format),
            }));
            var written = new List<string>();
            foreach (var name in requested)
            {
                Tensor matrix = name switch
                {
                    "adjacency" => GraphOperators.Adjacency(graph, dev),
                    "degree" => GraphOperators.Degrees(graph, dev),
                    "laplacian" => GraphOperators.Laplacian(graph, dev),
                    "distances" => GraphOperators.HopDistances(graph, dev),
                    "eigenvalues" => spectrum!.Eigenvalues,
                    _ => spectrum!.Eigenvectors,
                };
                written.AddRange(MatrixFiles.Write(Path.Combine(outDir.FullName, name), matrix, format));
            }
            report["files"] = written;
            if (graph.Labels is not null) report["labels"] = graph.Labels;
            var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
            AtomicFile.WriteAllText(Path.Combine(outDir.FullName, "graph.json"), json + "\n");
            output.WriteLine($"wrote       {Path.Combine(outDir.FullName, "graph.json")}{(written.Count > 0 ? " + " + string.Join(", ", written) : "")}");
        }
        spectrum?.Dispose();
        return 0;
    }
}
