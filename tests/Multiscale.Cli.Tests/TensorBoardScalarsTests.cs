using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Multiscale.Runs;

namespace Multiscale.Cli.Tests;

/// <summary>
/// Reads TensorBoard event files with its own TFRecord and protobuf decoding and a bit-at-a-time CRC-32C, so the
/// writer is checked against the format, not against itself.
/// </summary>
internal static class EventFile
{
    public sealed record Scalar(string Tag, long Step, float Value, double WallTime);

    public sealed record Contents(string? FileVersion, double FirstWallTime, List<Scalar> Scalars);

    public static uint Crc32CBitwise(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint c = Crc32CBitwise(data);
        return ((c >> 15) | (c << 17)) + 0xA282EAD8;
    }

    /// <summary>Parses every record; throws when a length or data CRC does not match or a record is cut short.</summary>
    public static Contents Read(string path)
    {
        string? version = null;
        double first = double.NaN;
        var scalars = new List<Scalar>();
        foreach (var data in Records(path))
        {
            var (wall, step, fileVersion, values) = ParseEvent(data);
            if (double.IsNaN(first)) first = wall;
            if (fileVersion is not null) version = fileVersion;
            foreach (var (tag, value) in values) scalars.Add(new Scalar(tag, step, value, wall));
        }
        return new Contents(version, first, scalars);
    }

    /// <summary>The records' payloads (serialized Event messages), both CRCs checked.</summary>
    public static List<byte[]> Records(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int p = 0;
        var records = new List<byte[]>();
        while (p < bytes.Length)
        {
            if (bytes.Length - p < 12) throw new InvalidDataException($"truncated header at {p}");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(p));
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(p + 8));
            if (lengthCrc != Masked(bytes.AsSpan(p, 8))) throw new InvalidDataException($"length CRC mismatch at {p}");
            p += 12;
            if ((ulong)(bytes.Length - p) < length + 4) throw new InvalidDataException($"truncated record at {p}");
            var data = bytes.AsSpan(p, (int)length);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(p + (int)length));
            if (dataCrc != Masked(data)) throw new InvalidDataException($"data CRC mismatch at {p}");
            p += (int)length + 4;
            records.Add(data.ToArray());
        }
        return records;
    }

    private static (double Wall, long Step, string? Version, List<(string, float)> Values) ParseEvent(byte[] e)
    {
        double wall = 0;
        long step = 0;
        string? version = null;
        var values = new List<(string, float)>();
        foreach (var (field, wire, raw, varint) in Fields(e))
        {
            if (field == 1 && wire == 1) wall = BinaryPrimitives.ReadDoubleLittleEndian(raw);
            else if (field == 2 && wire == 0) step = (long)varint;
            else if (field == 3 && wire == 2) version = Encoding.UTF8.GetString(raw);
            else if (field == 5 && wire == 2)
                foreach (var (sf, sw, value, _) in Fields(raw))
                    if (sf == 1 && sw == 2)
                    {
                        string? tag = null;
                        float? simple = null;
                        foreach (var (vf, vw, vraw, _) in Fields(value))
                        {
                            if (vf == 1 && vw == 2) tag = Encoding.UTF8.GetString(vraw);
                            if (vf == 2 && vw == 5) simple = BinaryPrimitives.ReadSingleLittleEndian(vraw);
                        }
                        values.Add((tag ?? throw new InvalidDataException("value without tag"), simple ?? throw new InvalidDataException("value without simple_value")));
                    }
        }
        return (wall, step, version, values);
    }

    private static IEnumerable<(int Field, int Wire, byte[] Raw, ulong Varint)> Fields(byte[] m)
    {
        int p = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = m[p++];
                v |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return v;
            }
        }
        while (p < m.Length)
        {
            ulong key = Varint();
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: yield return (field, wire, Array.Empty<byte>(), Varint()); break;
                case 1: yield return (field, wire, m[p..(p + 8)], 0); p += 8; break;
                case 5: yield return (field, wire, m[p..(p + 4)], 0); p += 4; break;
                case 2:
                    int len = (int)Varint();
                    yield return (field, wire, m[p..(p + len)], 0);
                    p += len;
                    break;
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }
    }
}

public class TensorBoardScalarsTests
{
    [Fact]
    public void Crc32CMatchesTheStandardCheckValue()
    {
        var check = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, EventFile.Crc32CBitwise(check));
        Assert.Equal(0xE3069283u, TensorBoardScalars.Crc32C(check));
    }

    [Fact]
    public void ScalarsRoundTripThroughAnIndependentReader()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            string path;
            var written = new List<(string Tag, double Value, long Step, double Wall)>
            {
                ("loss/by_cost", 0.25, 0, 1_700_000_000.125),
                ("loss/by_cost", 0.0123456789, 3_000_000_000L, 1_700_000_001.5),  // a step beyond 32 bits
                ("loss/by_step", 1e-7, 42, 1_700_000_002.75),
                ("ünïcode/tag", -3.5, 7, 1_700_000_003.0),
            };
            using (var board = new TensorBoardScalars(Path.Combine(dir.FullName, "run")))
            {
                path = board.FilePath;
                foreach (var (tag, value, step, wall) in written) board.Add(tag, value, step, wall);
            }
            Assert.StartsWith("events.out.tfevents.", Path.GetFileName(path));
            Assert.Equal(Path.Combine(dir.FullName, "run"), Path.GetDirectoryName(path));
            var contents = EventFile.Read(path);
            Assert.Equal("brain.Event:2", contents.FileVersion);
            // The version record carries a real Unix time (TensorBoard's start of the run), not ticks.
            Assert.InRange(contents.FirstWallTime, 1.6e9, 1e10);
            Assert.Equal(written.Count, contents.Scalars.Count);
            for (int i = 0; i < written.Count; i++)
            {
                Assert.Equal(written[i].Tag, contents.Scalars[i].Tag);
                Assert.Equal(written[i].Step, contents.Scalars[i].Step);
                Assert.Equal((float)written[i].Value, contents.Scalars[i].Value);
                Assert.Equal(written[i].Wall, contents.Scalars[i].WallTime);
            }
            // The same payloads through the Event classes generated from TensorBoard's own .proto (shipped in
            // TorchSharp, decoded by Google.Protobuf): a second, schema-driven reader agrees.
            var events = EventFile.Records(path).Select(r => Tensorboard.Event.Parser.ParseFrom(r)).ToList();
            Assert.Equal("brain.Event:2", events[0].FileVersion);
            for (int i = 0; i < written.Count; i++)
            {
                var e = events[i + 1];
                Assert.Equal(written[i].Step, e.Step);
                Assert.Equal(written[i].Wall, e.WallTime);
                var value = Assert.Single(e.Summary.Value);
                Assert.Equal(written[i].Tag, value.Tag);
                Assert.Equal((float)written[i].Value, value.SimpleValue);
            }
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void RecordsAreReadableWhileTheWriterIsOpenAndACorruptByteIsCaught()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            using var board = new TensorBoardScalars(dir.FullName);
            board.Add("a", 1.5, 1);
            // Flushed per record: TensorBoard can follow a run that is still training.
            var live = EventFile.Read(board.FilePath);
            Assert.Single(live.Scalars);
            var bytes = File.ReadAllBytes(board.FilePath);
            bytes[^6] ^= 0x01;  // inside the last record's data
            var corrupt = Path.Combine(dir.FullName, "corrupt");
            File.WriteAllBytes(corrupt, bytes);
            Assert.Throws<InvalidDataException>(() => EventFile.Read(corrupt));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MsAnnRunWritesValidationMseAgainstCostAndStep()
    {
        var dir = CliRunner.TempDirectory();
        try
        {
            // Twice into the same folder: the second run's events replace the first's, as its report.json does.
            for (int attempt = 0; attempt < 2; attempt++)
            {
                var (code, output, error) = CliRunner.Run("msann", "--layers", "16,8,16", "--levels", "2", "--gamma", "2", "--k", "2",
                    "--budget", "1024", "--batch", "16", "--compare-default", "--out", dir.FullName);
                Assert.True(code == 0, error + output);
            }
            var metrics = File.ReadAllLines(Path.Combine(dir.FullName, "metrics.csv")).Skip(1).Select(l => l.Split(','))
                .Select(f => (Run: f[0], Step: long.Parse(f[1], CultureInfo.InvariantCulture), Level: int.Parse(f[2], CultureInfo.InvariantCulture),
                    Cost: double.Parse(f[3], CultureInfo.InvariantCulture), Seconds: double.Parse(f[4], CultureInfo.InvariantCulture),
                    Mse: double.Parse(f[5], CultureInfo.InvariantCulture))).ToList();
            foreach (var (run, folder) in new[] { ("msann", dir.FullName), ("default", Path.Combine(dir.FullName, "default")) })
            {
                var file = Assert.Single(Directory.GetFiles(folder, "events.out.tfevents.*"));
                var scalars = EventFile.Read(file).Scalars;
                var rows = metrics.Where(m => m.Run == run).ToList();
                Assert.True(rows.Count > 2);
                var byCost = scalars.Where(s => s.Tag == "validation_mse/by_cost").ToList();
                Assert.Equal(rows.Select(r => (long)Math.Round(r.Cost)), byCost.Select(s => s.Step));
                Assert.Equal(rows.Select(r => (float)r.Mse), byCost.Select(s => s.Value));
                var byStep = scalars.Where(s => s.Tag == "validation_mse/by_step").ToList();
                Assert.Equal(rows.Select(r => r.Step), byStep.Select(s => s.Step));
                // Wall times advance with the training clock (evaluation excluded), as in metrics.csv.
                for (int i = 1; i < rows.Count; i++)
                    Assert.Equal(rows[i].Seconds - rows[0].Seconds, byCost[i].WallTime - byCost[0].WallTime, 1e-5);
                foreach (var r in rows.Skip(1))
                    Assert.Contains(scalars, s => s.Tag == $"validation_mse/by_cost_last_level_{r.Level}" && s.Step == (long)Math.Round(r.Cost));
            }
        }
        finally { dir.Delete(true); }
    }
}
