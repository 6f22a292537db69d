using System.Buffers.Binary;
using System.Text;

namespace Multiscale.Runs;

/// <summary>
/// Writes scalars to a TensorBoard event file (<c>events.out.tfevents.*</c>) in a run folder: TFRecord framing
/// (length, masked CRC-32C of the length, an <c>Event</c> protobuf, masked CRC-32C of the data) around
/// <c>Event{wall_time, step, summary{value{tag, simple_value}}}</c>, after the <c>brain.Event:2</c> version record.
/// </summary>
/// <remarks>
/// Written by hand rather than with TorchSharp 0.107's <c>SummaryWriter</c>: that writer stores wall time as whole
/// seconds, stamps its version record with <c>DateTime.Ticks</c> as if they were seconds (TensorBoard takes the first
/// record's time as the run's start, so relative-time axes come out wrong), takes 32-bit steps (a cost axis can pass
/// 2³¹) and is not disposable. Each record is flushed to the operating system as it is added, so TensorBoard shows a
/// run while it trains; a reader ignores a truncated last record, so a crash costs at most one point.
/// </remarks>
public sealed class TensorBoardScalars : IDisposable
{
    private static int _counter;
    private readonly FileStream _stream;
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Creates <paramref name="directory"/> if needed and a new event file in it.</summary>
    /// <param name="directory">The run folder (TensorBoard shows one run per folder).</param>
    public TensorBoardScalars(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        double now = UnixNow();
        // TensorBoard's own naming: events.out.tfevents.<seconds>.<host>; pid and a counter keep two writers apart.
        FilePath = Path.Combine(Path.GetFullPath(directory),
            $"events.out.tfevents.{(long)now}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref _counter)}");
        _stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        WriteRecord(EncodeVersion(now));
    }

    /// <summary>The event file being written.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Adds one scalar. <paramref name="wallTime"/> is seconds since the Unix epoch (now when omitted); TensorBoard's
    /// "relative" axis is measured from the first record's wall time.
    /// </summary>
    public void Add(string tag, double value, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            WriteRecord(EncodeScalar(tag, (float)value, step, wallTime ?? UnixNow()));
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _stream.Dispose();
        }
    }

    /// <summary>Seconds since the Unix epoch, with sub-second resolution.</summary>
    public static double UnixNow() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalSeconds;

    /// <summary>CRC-32C (Castagnoli) of <paramref name="data"/>, as TFRecord uses before masking.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: rotate right by 15 bits and add a constant.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int j = 0; j < 8; j++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    private void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        _stream.Write(header);
        _stream.Write(data);
        _stream.Write(footer);
        _stream.Flush();
    }

    // Event: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string), summary = 5 (Summary).
    // Summary: value = 1 (repeated Value). Value: tag = 1 (string), simple_value = 2 (float).
    private static byte[] EncodeVersion(double wallTime)
    {
        var e = new MemoryStream();
        WriteDouble(e, 1, wallTime);
        WriteBytes(e, 3, Encoding.UTF8.GetBytes("brain.Event:2"));
        return e.ToArray();
    }

    private static byte[] EncodeScalar(string tag, float value, long step, double wallTime)
    {
        var v = new MemoryStream();
        WriteBytes(v, 1, Encoding.UTF8.GetBytes(tag));
        WriteTag(v, 2, 5);
        Span<byte> f = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(f, value);
        v.Write(f);
        var summary = new MemoryStream();
        WriteBytes(summary, 1, v.ToArray());
        var e = new MemoryStream();
        WriteDouble(e, 1, wallTime);
        WriteTag(e, 2, 0);
        WriteVarint(e, (ulong)step);
        WriteBytes(e, 5, summary.ToArray());
        return e.ToArray();
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)((field << 3) | wireType));

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }

    private static void WriteDouble(Stream s, int field, double value)
    {
        WriteTag(s, field, 1);
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(d, value);
        s.Write(d);
    }

    private static void WriteBytes(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }
}
