namespace Multiscale.Cli.Commands;

/// <summary>
/// Checks an output location before any work starts, so a folder that cannot be made or written is one error line in
/// a second instead of an exception after an hour of training. Nothing is left behind: folders made to test the place
/// are removed again.
/// </summary>
internal static class OutputCheck
{
    /// <summary>Throws <see cref="MultiscaleException"/> unless <paramref name="directory"/> is (or can become) a writable folder.</summary>
    public static void Folder(string directory, string option = "--out")
    {
        string full = Path.GetFullPath(directory);
        if (System.IO.File.Exists(full)) throw new MultiscaleException($"{option} '{full}' is a file, not a folder");
        Writable(full, option);
    }

    /// <summary>Throws <see cref="MultiscaleException"/> unless <paramref name="file"/> can be written (its folder made, the path not a folder).</summary>
    public static void File(string file, string option = "--out")
    {
        string full = Path.GetFullPath(file);
        if (Directory.Exists(full)) throw new MultiscaleException($"{option} '{full}' is a folder, not a file");
        Writable(Path.GetDirectoryName(full) ?? ".", option);
    }

    private static void Writable(string folder, string option)
    {
        // The nearest existing ancestor decides: a file there means the folder can never be made.
        string? existing = folder;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (System.IO.File.Exists(existing)) throw new MultiscaleException($"{option} '{folder}' cannot be created: '{existing}' is a file");
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null) throw new MultiscaleException($"{option} '{folder}' cannot be created: no part of the path exists");
        // The probe never makes or removes the folder itself: array tasks sharing one --out start together, and a
        // check that made and then removed the shared folder would pull it from under a sibling task. A missing
        // folder is probed by making (and removing) a uniquely named folder in its nearest existing ancestor.
        string probe = Path.Combine(existing, $".multiscale-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            if (existing == folder)
            {
                using (System.IO.File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
            }
            else
            {
                Directory.CreateDirectory(probe);
                Directory.Delete(probe);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new MultiscaleException($"{option} '{folder}' is not a writable folder: {e.Message}");
        }
    }
}
