using System.Reflection;
using System.Runtime.CompilerServices;
using Multiscale.Benchmarks;
using Multiscale.Benchmarks.Mrtl;
using Multiscale.Benchmarks.MsAnn;
using Multiscale.Benchmarks.Prolongation;
using Multiscale.Mrtl;
using Multiscale.MsAnn;

namespace Multiscale.Cli.Tests;

/// <summary>
/// Issue 12 item 6: the benchmarks are a library on the public contracts, plugin internals are internal and only the
/// test projects see them, and the benches know no console.
/// </summary>
public class PublicSurfaceTests
{
    private static readonly Assembly[] Libraries =
    {
        typeof(MultiscaleException).Assembly, typeof(MsAnnMethod).Assembly, typeof(MultiresolutionTensorLearning).Assembly, typeof(ProlongationBench).Assembly,
    };

    [Fact]
    public void OnlyTestProjectsSeeTheLibrariesInternals()
    {
        foreach (var library in Libraries)
            foreach (var friend in library.GetCustomAttributes<InternalsVisibleToAttribute>())
                Assert.True(friend.AssemblyName.EndsWith(".Tests", StringComparison.Ordinal), $"{library.GetName().Name} shows its internals to {friend.AssemblyName}");
        Assert.Empty(typeof(ProlongationBench).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>());
    }

    [Theory]
    [InlineData("Multiscale.MsAnn.LevelOptimizer")]
    [InlineData("Multiscale.MsAnn.TauCorrectedVisits")]
    [InlineData("Multiscale.MsAnn.CostMeter")]
    public void MsAnnMachineryIsInternal(string type)
    {
        var t = typeof(MsAnnMethod).Assembly.GetType(type, throwOnError: true)!;
        Assert.False(t.IsPublic, type);
        Assert.False(typeof(MultilevelNetwork).GetMethod("Visit")?.IsPublic ?? false);
        Assert.Null(typeof(MsAnnMethod).GetMethod("TrainOne", BindingFlags.Public | BindingFlags.Static));
    }

    [Theory]
    [InlineData("Multiscale.Mrtl.Training.LowRankStart")]
    [InlineData("Multiscale.Mrtl.Training.AdamMetric")]
    [InlineData("Multiscale.Mrtl.Training.SparseGradientStart")]
    [InlineData("Multiscale.Mrtl.Criteria.ValidationLossCriterion")]
    [InlineData("Multiscale.Mrtl.Criteria.GradientMomentCriterion")]
    public void MrtlTrainerPartsAreInternal(string type) =>
        Assert.False(typeof(MultiresolutionTensorLearning).Assembly.GetType(type, throwOnError: true)!.IsPublic, type);

    [Fact]
    public void TheBenchmarksReferenceNoConsoleAndNoCli()
    {
        var references = typeof(ProlongationBench).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        foreach (var console in new[] { "System.CommandLine", "Spectre.Console", "ScottPlot", "multiscale" })
            Assert.DoesNotContain(console, references);
        Assert.Contains("Multiscale.MsAnn", references);
    }

    [Fact]
    public void ABenchRunsFromCSharpAndReturnsItsMarkdown()
    {
        var log = new StringWriter();
        string md = ProlongationBench.Run(new ProlongationBenchSettings(Quick: true, new HashSet<string> { "matching" }), new BenchContext(log));
        Assert.Contains("## Matching", md);
        Assert.Contains("| Munkres, random costs | 200×200 |", md);
        Assert.DoesNotContain("## Trade-off", md);
        Assert.Contains("== Matching", log.ToString());
    }

    [Fact]
    public void BadBenchSettingsAreRefusedWithoutNamingAnOption()
    {
        var e = Assert.Throws<MultiscaleException>(() => ProlongationBench.Run(new ProlongationBenchSettings(true, new HashSet<string> { "matchng" }), new BenchContext(TextWriter.Null)));
        Assert.Contains("unknown section 'matchng'", e.Message);
        var budget = Assert.Throws<MultiscaleException>(() => MsAnnBench.Run(new MsAnnBenchSettings(true, new HashSet<string>(), Budget: 0), new BenchContext(TextWriter.Null)));
        Assert.DoesNotContain("--", budget.Message);
    }

    [Fact]
    public void BenchSettingsNameTheFieldOfTheirProblemSoAHostCanNameItsOption()
    {
        var none = new HashSet<string>();
        Assert.Null(new MsAnnBenchSettings(true, none).Problem());
        Assert.Equal("budget", new MsAnnBenchSettings(true, none, Budget: -1).Problem()!.Field);
        Assert.Equal("mnist_folder", new MsAnnBenchSettings(true, none, MnistFolder: "/nonexistent-mnist").Problem()!.Field);
        Assert.Equal("only", new ProlongationBenchSettings(true, new HashSet<string> { "matchng" }).Problem()!.Field);
        var cpu = TorchSharp.torch.CPU;
        Assert.Null(new MrtlBenchSettings(true, none, 1, new[] { "climate" }, cpu).Problem());
        Assert.Equal("seeds", new MrtlBenchSettings(true, none, 0, new[] { "climate" }, cpu).Problem()!.Field);
        var noTask = new MrtlBenchSettings(true, none, 1, Array.Empty<string>(), cpu).Problem()!;
        Assert.Equal("tasks", noTask.Field);
        Assert.DoesNotContain("--", noTask.Message);
    }
}
