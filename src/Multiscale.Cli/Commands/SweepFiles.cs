using Multiscale.MsAnn.Sweeps;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary>What both sweep commands share on the command line: the part files a summarize names and each method's summary steps.</summary>
internal static class SweepFiles
{
    /// <summary>What the mean ± sd summary reports by default, the ranking metric first (lower is better).</summary>
    public static readonly Dictionary<string, IReadOnlyList<string>> DefaultMetrics = new(StringComparer.Ordinal)
    {
        ["msann"] = MsAnnSweep.DefaultMetrics,
        ["mrtl"] = new[] { "val_loss", "test_f1", "test_mse", "seconds_total" },
    };

    /// <summary>Merge wording and retired formats: parts of the earlier msann sweep get one line saying what to do.</summary>
    public static SweepMergeOptions Merge(string kind = "settings sweep part file", string sweeps = "sweeps") =>
        new(kind, sweeps, MsAnnSweep.RetiredPartFormats);

    /// <summary>
    /// The summary steps of a sweep of <paramref name="method"/>: those its parts name (<paramref name="names"/>), else
    /// the mean ± sd over seeds first and the method's own table (MsANN's Tables 1–3) beside it.
    /// </summary>
    public static IReadOnlyList<ISweepSummary> Summaries(string method, IReadOnlyList<string>? names, IReadOnlyList<string>? metrics)
    {
        var shown = metrics ?? DefaultMetrics.GetValueOrDefault(method, Array.Empty<string>());
        names ??= method == "msann" ? new[] { SeedSummary.StepName, MsAnnSweepTable.StepName } : new[] { SeedSummary.StepName };
        return names.Select(n => n switch
        {
            SeedSummary.StepName => (ISweepSummary)new SeedSummary(shown),
            MsAnnSweepTable.StepName when method == "msann" => new MsAnnSweepTable(),
            _ => throw new MultiscaleException($"the sweep's parts ask for the summary '{n}', which this version does not know for {method}"),
        }).ToList();
    }

    /// <summary>
    /// The part files a summarize command names (folders: their <c>sweep-part-*-of-*.json</c>), once each, after
    /// checking the summary's output place (a folder, or a .json file).
    /// </summary>
    public static List<string> PartFiles(string summaryOut, IEnumerable<string> parts)
    {
        if (summaryOut.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) OutputCheck.File(summaryOut);
        else OutputCheck.Folder(summaryOut);
        var files = new List<string>();
        foreach (var p in parts)
        {
            if (Directory.Exists(p))
            {
                var found = Directory.GetFiles(p, "sweep-part-*-of-*.json").Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new MultiscaleException($"'{p}' holds no sweep-part-*-of-*.json files");
                files.AddRange(found);
            }
            else if (File.Exists(p)) files.Add(Path.GetFullPath(p));
            else throw new MultiscaleException($"'{p}' is neither a folder nor a file");
        }
        return files.Distinct().ToList();
    }

    /// <summary>Merges <paramref name="files"/> and writes every summary step of the sweep; returns the line to print.</summary>
    public static string Summarize(IReadOnlyList<string> files, string summaryOut, IReadOnlyList<string>? metrics, SweepMergeOptions merge)
    {
        var sweep = SettingsSweep.Merge(files, merge);
        var written = SettingsSweep.WriteSummaries(summaryOut, sweep, Summaries(sweep.Method, sweep.Summaries, metrics));
        return $"merged {files.Count} part(s), {sweep.Rows.Count} runs; wrote {string.Join(", ", written)}";
    }
}
