using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Multiscale.IO;
using static TorchSharp.torch;

namespace Multiscale.Tests.IO;

public class SafeTensorsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("safetensors-");

    private string PathFor(string name) => Path.Combine(_dir.FullName, name);

    public static TheoryData<ScalarType> Types => new()
    {
        ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64, ScalarType.Int32,
        ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryDtypeRoundTripsBitExactly(ScalarType type)
    {
        using var scope = NewDisposeScope();
        var source = (randn(3, 5, 2, generator: new TorchSharp.torch.Generator(7)) * 50).to_type(type);
        var scalar = tensor(3.0).to_type(type);
        var emptyOne = zeros(0, 4).to_type(type);
        string path = PathFor("all.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["x"] = source, ["scalar"] = scalar, ["empty"] = emptyOne });
        var back = SafeTensors.Read(path);
        try
        {
            Assert.Equal(3, back.Count);
            Assert.Equal(type, back["x"].dtype);
            Assert.Equal(source.shape, back["x"].shape);
            Assert.Equal(source.bytes.ToArray(), back["x"].bytes.ToArray());
            Assert.Empty(back["scalar"].shape);
            Assert.Equal(scalar.bytes.ToArray(), back["scalar"].bytes.ToArray());
            Assert.Equal(new long[] { 0, 4 }, back["empty"].shape);
        }
        finally { foreach (var t in back.Values) t.Dispose(); }
    }

    [Fact]
    public void LayoutIsTheSpecsLengthPrefixedJsonThenAlignedData()
    {
        using var scope = NewDisposeScope();
        string path = PathFor("layout.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["b"] = arange(3, ScalarType.Float64), ["a"] = arange(4, ScalarType.Int32) },
            new Dictionary<string, string> { ["producer"] = "test" });
        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' '))!.AsObject();
        Assert.Equal("test", header["__metadata__"]!["producer"]!.GetValue<string>());
        // Name order: "a" (4 × I32 = 16 bytes) first, then "b" (3 × F64).
        Assert.Equal("I32", header["a"]!["dtype"]!.GetValue<string>());
        Assert.Equal("[0,16]", header["a"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[16,40]", header["b"]!["data_offsets"]!.ToJsonString());
        Assert.Equal(8 + n + 40, bytes.Length);
        Assert.Equal(2.0, BitConverter.ToDouble(bytes, (int)(8 + n + 16 + 16)));
        Assert.Equal("test", SafeTensors.Metadata(path)["producer"]);
    }

    [Fact]
    public void NumpyReadsWhatWeWriteAndWeReadWhatNumpyWrites()
    {
        using var scope = NewDisposeScope();
        string ours = PathFor("ours.safetensors"), theirs = PathFor("theirs.safetensors");
        SafeTensors.Write(ours, new Dictionary<string, Tensor>
        {
            ["w"] = arange(12, ScalarType.Float32).reshape(3, 4) / 7,
            ["i"] = tensor(new long[] { -5, 1L << 40, 3 }),
            ["flag"] = tensor(new[] { true, false, true }),
        });
        // The spec by hand, in numpy: header, dtypes, offsets; and a file written the other way round (data in reverse
        // name order, header unpadded), which a reader must accept since only the ranges define the layout.
        string output = Python.Run($$$"""
            import json, struct, numpy as np
            DT = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "?"}
            def load(path):
                raw = open(path, "rb").read()
                n = struct.unpack("<Q", raw[:8])[0]
                header = json.loads(raw[8:8 + n])
                header.pop("__metadata__", None)
                data = raw[8 + n:]
                return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=DT[v["dtype"]]).reshape(v["shape"]) for k, v in header.items()}
            t = load({{{Quote(ours)}}})
            assert np.array_equal(t["w"], (np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(7))), t["w"]
            assert t["i"].tolist() == [-5, 1 << 40, 3]
            assert t["flag"].tolist() == [True, False, True]
            a = np.linspace(0, 1, 6).reshape(2, 3)
            b = np.array([7, 8, 9, 10], dtype=np.int64)
            blob = b.tobytes() + a.tobytes()
            header = json.dumps({"a": {"dtype": "F64", "shape": [2, 3], "data_offsets": [len(b.tobytes()), len(blob)]},
                                 "b": {"dtype": "I64", "shape": [4], "data_offsets": [0, len(b.tobytes())]}}).encode()
            open({{{Quote(theirs)}}}, "wb").write(struct.pack("<Q", len(header)) + header + blob)
            print("ok")
            """, _dir.FullName);
        Assert.Equal("ok", output.Trim());
        var back = SafeTensors.Read(theirs);
        try
        {
            Assert.Equal(new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 }, back["a"].reshape(-1).data<double>().ToArray().Select(v => Math.Round(v, 12)));
            Assert.Equal(new long[] { 2, 3 }, back["a"].shape);
            Assert.Equal(new long[] { 7, 8, 9, 10 }, back["b"].data<long>().ToArray());
        }
        finally { foreach (var t in back.Values) t.Dispose(); }
    }

    public static TheoryData<string, string> BadHeaders => new()
    {
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", "expected 8" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""", "expected 8" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "needs 12 bytes" },
        { """{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", "dtype 'C64'" },
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}""", "not a count" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "data_offsets" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "cover 4 data bytes but the file holds 8" },
        { """{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "not a string" },
        { """[1,2]""", "not a JSON object" },
        { """{"a":""", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void AMalformedHeaderIsOneErrorNamingTheFile(string header, string expected)
    {
        string path = PathFor("bad.safetensors");
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<MultiscaleException>(() => SafeTensors.Read(path));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AHeaderLengthBeyondTheLimitIsRefusedBeforeAllocating()
    {
        string path = PathFor("huge.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 2);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("exceeds", Assert.Throws<MultiscaleException>(() => SafeTensors.Read(path)).Message);
    }

    private static string Quote(string s) => "r'" + s + "'";

    public void Dispose() => _dir.Delete(true);
}
