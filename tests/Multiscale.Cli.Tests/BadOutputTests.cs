namespace Multiscale.Cli.Tests;

/// <summary>
/// Every command with an output, given a place it cannot write or a bad value: exactly one <c>error:</c> line, exit
/// code 1, and nothing created — before any work (the runs asked for here would take minutes if they started).
/// Tests run as root, for whom a read-only folder is still writable, so uncreatable places are paths under a file and
/// under /proc.
/// </summary>
public class BadOutputTests
{
    /// <summary>Each command with valid arguments besides <c>--out</c>; OUT marks where the output goes.</summary>
    public static readonly TheoryData<string, bool> Commands = new()
    {
        { "prolong --coarse path:64 --fine path:128 --s 0,0.5,1 --out OUT", false },
        { "lineage --graph path:256 --levels 4 --no-cache --out OUT", false },
        { "graph path:8 --out OUT", false },
        { "msann --layers 64,16,64 --levels 2 --budget 256000 --out OUT", false },
        { "msann sweep --layers 64,16,64 --levels 0,1 --gammas 1 --ks 1 --budget 256000 --out OUT", false },
        { "msann summarize PARTS --out OUT", false },
        { "mrtl --size small --method all --out OUT", false },
        { "rerun RUN --out OUT", false },
        { "sweep --method msann --set layers=[64,16,64] --set levels=1 --grid seed=0,1,2 --out OUT", false },
        { "sweep --method mrtl --set size=small --grid seed=0,1 --out OUT", false },
        { "sweep summarize PARTS --out OUT", false },
        { "msann --config RUN/config.json --out OUT", false },
        { "quickstart --out OUT", false },
        { "data mnist --out OUT", false },
        { "bench --quick --out OUT", true },
        { "msann bench --quick --out OUT", true },
        { "mrtl bench --quick --out OUT", true },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void AnUnwritableOutputIsOneErrorBeforeAnyWork(string command, bool file)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string aFile = Path.Combine(dir.FullName, "a-file");
            File.WriteAllText(aFile, "not a folder");
            string aFolder = Path.Combine(dir.FullName, "a-folder");
            Directory.CreateDirectory(aFolder);
            string run = MakeRun(dir.FullName);
            var places = new List<string> { Path.Combine(aFile, "below"), Path.Combine(aFile, "deeper", "below"), "/proc/multiscale-test/out" };
            places.Add(file ? aFolder : aFile);   // a folder where a file goes, or a file where a folder goes
            foreach (var place in places)
            {
                var args = command.Split(' ').Select(a => a switch
                {
                    "OUT" => place, "RUN" => run, "PARTS" => aFolder,
                    _ when a.StartsWith("RUN/", StringComparison.Ordinal) => Path.Combine(run, a[4..]),
                    _ => a,
                }).ToArray();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var (code, _, error) = CliRunner.Run(args);
                AssertOneError(code, error, $"{command} with --out {place}");
                Assert.True(clock.Elapsed.TotalSeconds < 20, $"{command}: the check came after {clock.Elapsed.TotalSeconds:F0} s of work");
            }
            Assert.Equal(new[] { aFile, aFolder, run }.Order(), Directory.GetFileSystemEntries(dir.FullName).Order());
            Assert.Empty(Directory.GetFileSystemEntries(aFolder));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("prolong --coarse path:8 --fine path:4 --out OUT")]
    [InlineData("prolong --coarse path:4 --fine path:8 --s 2 --out OUT")]
    [InlineData("prolong --coarse nosuch:4 --fine path:8 --out OUT")]
    [InlineData("lineage --graph path:16 --levels 1 --s -1 --no-cache --out OUT")]
    [InlineData("lineage --out OUT")]
    [InlineData("graph nosuch:3 --out OUT")]
    [InlineData("graph path:8 --matrices nosuch --out OUT")]
    [InlineData("msann --budget 0 --out OUT")]
    [InlineData("msann --layers 64,16,64 --levels 2 --checkpoint-every soon --out OUT")]
    [InlineData("msann --layers 64,16,64 --levels 2 --checkpoint-every 0 --out OUT")]
    [InlineData("msann sweep --ks 0 --out OUT")]
    [InlineData("msann summarize NOSUCH --out OUT")]
    [InlineData("mrtl --size small --rank 0 --out OUT")]
    [InlineData("mrtl --size small --criterion nosuch --out OUT")]
    [InlineData("mrtl --size small --checkpoint-every 0x --out OUT")]
    [InlineData("mrtl --size small --checkpoint-every -5m --out OUT")]
    [InlineData("rerun NOSUCH --out OUT")]
    [InlineData("msann --config NOSUCH --out OUT")]
    [InlineData("mrtl --config NOSUCH --out OUT")]
    [InlineData("sweep --method msann --grid seed=0,x=1 --out OUT")]
    [InlineData("sweep --method msann --grid budget=-1,2 --out OUT")]
    [InlineData("sweep --method mrtl --grid l2=a,b --out OUT")]
    [InlineData("sweep --method mrtl --grid seed=1 --set rank --out OUT")]
    [InlineData("sweep --method nosuch --grid seed=1 --out OUT")]
    [InlineData("sweep summarize NOSUCH --out OUT")]
    [InlineData("bench --only nosuch --out OUT")]
    [InlineData("msann bench --only nosuch --out OUT")]
    [InlineData("mrtl bench --only nosuch --out OUT")]
    public void ABadValueIsOneErrorAndWritesNothing(string command)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string place = Path.Combine(dir.FullName, "out");
            var args = command.Split(' ').Select(a => a switch
            {
                "OUT" => command.Contains("bench") ? place + ".md" : place,
                "NOSUCH" => Path.Combine(dir.FullName, "nosuch"),
                _ => a,
            }).ToArray();
            var (code, _, error) = CliRunner.Run(args);
            AssertOneError(code, error, command);
            Assert.Empty(Directory.GetFileSystemEntries(dir.FullName));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("msann --budget abc --out OUT", "Cannot parse argument 'abc' for option '--budget'", "multiscale msann --help")]
    [InlineData("mrtl --task soccer --out OUT", "Must be one of: 'basketball' 'climate'", "multiscale mrtl --help")]
    [InlineData("msann sweep --bogus 1 --out OUT", "Unrecognized command or argument '--bogus'", "multiscale msann sweep --help")]
    [InlineData("prolong --coarse path:4 --fine path:8", "Option '--out' is required", "multiscale prolong --help")]
    [InlineData("nosuch --out OUT", "Unrecognized command or argument 'nosuch'", "multiscale --help")]
    public void ACommandLineThatDoesNotParseIsOneErrorLineWithoutTheHelp(string command, string fragment, string help)
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string place = Path.Combine(dir.FullName, "out");
            var (code, output, error) = CliRunner.Run(command.Split(' ').Select(a => a == "OUT" ? place : a).ToArray());
            AssertOneError(code, error, command);
            Assert.Contains(fragment, error);
            Assert.Contains($"see '{help}'", error);
            Assert.DoesNotContain("Usage:", output);
            Assert.False(Directory.Exists(place));
        }
        finally { dir.Delete(true); }
    }

    private static void AssertOneError(int code, string error, string what)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(code == MultiscaleCli.UserError, $"{what}: exit {code}, stderr: {error}");
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), $"{what}: stderr was: {error}");
    }

    /// <summary>A folder that looks like a finished msann run to <c>rerun</c> (only its config.json is read before the check).</summary>
    private static string MakeRun(string root)
    {
        string run = Path.Combine(root, "a-run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "config.json"),
            """{ "method": "msann", "arguments": ["msann", "--layers", "64,16,64", "--levels", "2", "--budget", "256000", "--out", "x"] }""");
        return run;
    }
}

/// <summary>An allocation the checks before a run did not foresee is named as one error line, not a crash.</summary>
public class OutOfMemoryTests
{
    [Fact]
    public void LibtorchAndDotnetAllocationFailuresAreRecognizedAndOthersAreNot()
    {
        var torch = new System.Runtime.InteropServices.ExternalException("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate 25600000000 bytes. Error code 12 (Cannot allocate memory)");
        Assert.Equal("a tensor of 23.8 GiB could not be allocated", MultiscaleCli.OutOfMemory(torch));
        Assert.Equal("the .NET heap is exhausted", MultiscaleCli.OutOfMemory(new OutOfMemoryException()));
        Assert.Null(MultiscaleCli.OutOfMemory(new System.Runtime.InteropServices.ExternalException("shape mismatch")));
        Assert.Null(MultiscaleCli.OutOfMemory(new InvalidOperationException("allocate")));
    }
}
