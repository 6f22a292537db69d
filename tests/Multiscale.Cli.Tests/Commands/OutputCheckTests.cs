using Multiscale.Cli.Commands;
using Xunit;

namespace Multiscale.Cli.Tests.Commands;

public class OutputCheckTests
{
    [Fact]
    public void CheckingAMissingFolderLeavesNothingBehind()
    {
        string root = Directory.CreateTempSubdirectory("multiscale-outcheck-").FullName;
        try
        {
            string target = Path.Combine(root, "a", "b");
            OutputCheck.Folder(target);
            Assert.False(Directory.Exists(Path.Combine(root, "a")));
            Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void AnExistingEmptyFolderIsNeverRemovedByTheCheck()
    {
        string root = Directory.CreateTempSubdirectory("multiscale-outcheck-").FullName;
        try
        {
            string target = Path.Combine(root, "shared");
            Directory.CreateDirectory(target);
            OutputCheck.Folder(target);
            Assert.True(Directory.Exists(target));
            Assert.Empty(Directory.EnumerateFileSystemEntries(target));
        }
        finally { Directory.Delete(root, true); }
    }

    // Slurm array tasks share one --out and start together: one task's check must not pull the folder from under
    // another task that has just made it (the CI failure of 2026-12-01).
    [Fact]
    public void ConcurrentTasksSharingOneMissingFolderAllSucceed()
    {
        string root = Directory.CreateTempSubdirectory("multiscale-outcheck-").FullName;
        try
        {
            string shared = Path.Combine(root, "out");
            Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => OutputCheck.Folder(shared));
            Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        }
        finally { Directory.Delete(root, true); }
    }
}
