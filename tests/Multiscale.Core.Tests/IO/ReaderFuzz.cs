namespace Multiscale.Tests.IO;

/// <summary>
/// Feeds a reader damaged or random bytes and checks the contract every file reader keeps: a valid result or one
/// <see cref="MultiscaleException"/> naming the file — no other exception, no hang, no managed allocation far beyond
/// the file's own size (an untrusted header must not size a buffer).
/// </summary>
internal static class ReaderFuzz
{
    /// <summary>Per-read budget; a reader that takes longer on a few kilobytes is hanging.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>A damaged copy of <paramref name="valid"/>: truncated, bytes flipped, a run overwritten, a slice repeated, or pure noise.</summary>
    public static byte[] Mutate(byte[] valid, int seed)
    {
        var rng = new Random(seed);
        var bytes = (byte[])valid.Clone();
        switch (rng.Next(6))
        {
            case 0:
                return bytes[..rng.Next(bytes.Length + 1)];
            case 1:
                for (int k = 1 + rng.Next(4); k > 0 && bytes.Length > 0; k--) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                return bytes;
            case 2:
                if (bytes.Length == 0) return bytes;
                int at = rng.Next(bytes.Length), run = Math.Min(bytes.Length - at, 1 + rng.Next(16));
                rng.NextBytes(bytes.AsSpan(at, run));
                return bytes;
            case 3:
                if (bytes.Length == 0) return bytes;
                int from = rng.Next(bytes.Length), length = rng.Next(bytes.Length - from + 1), to = rng.Next(bytes.Length + 1);
                return bytes[..to].Concat(bytes[from..(from + length)]).Concat(bytes[to..]).ToArray();
            case 4:
                // Digits are what headers are made of: replace one number by a large one.
                var text = bytes.Select((b, i) => (b, i)).Where(t => t.b is >= (byte)'0' and <= (byte)'9').ToArray();
                if (text.Length == 0) return bytes;
                int digit = text[rng.Next(text.Length)].i;
                var big = System.Text.Encoding.ASCII.GetBytes(rng.NextInt64(long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return bytes[..digit].Concat(big).Concat(bytes[(digit + 1)..]).ToArray();
            default:
                var noise = new byte[rng.Next(256)];
                rng.NextBytes(noise);
                return noise;
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> and runs <paramref name="read"/> on it under the contract.
    /// Returns true when the read succeeded (the caller may check the result further).
    /// </summary>
    public static bool ReadsOrFailsCleanly(string path, byte[] bytes, Action read)
    {
        File.WriteAllBytes(path, bytes);
        long allocated = 0;
        Exception? thrown = null;
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { read(); }
            catch (Exception e) { thrown = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.True(task.Wait(Timeout), $"reading {bytes.Length} damaged bytes did not finish in {Timeout.TotalSeconds} s");
        Assert.True(allocated <= 64L * bytes.Length + (64 << 20), $"reading {bytes.Length} bytes allocated {allocated} managed bytes");
        if (thrown is null) return true;
        Assert.True(thrown is MultiscaleException, $"{thrown.GetType().Name} escaped: {thrown.Message}");
        Assert.Contains(Path.GetFileName(path), thrown.Message);
        Assert.DoesNotContain('\n', thrown.Message);
        return false;
    }
}
