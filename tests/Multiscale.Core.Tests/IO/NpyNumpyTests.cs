using Multiscale.IO;
using static TorchSharp.torch;

namespace Multiscale.Tests.IO;

/// <summary>Every dtype, memory order, byte order and header version, checked against numpy itself, both ways.</summary>
public class NpyNumpyTests
{
    // Random bits (NaN payloads, subnormals, infinities included for floats; 0/1 for bool) in a [3, 4, 5] array; the
    // C-order little-endian bytes go beside each file as the ground truth. Versions 2.0 and 3.0 and odd shapes too.
    private const string WriteAll = """
import numpy as np
rng = np.random.default_rng(7)
names = []
def raw(a):
    return np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<')).tobytes(order='C')
for code in ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'b1']:
    base = np.dtype(code)
    if code == 'b1':
        a = rng.integers(0, 2, size=(3, 4, 5)).astype(bool)
    else:
        a = np.frombuffer(rng.bytes(60 * base.itemsize), dtype=base.newbyteorder('<')).reshape(3, 4, 5)
    for endian in '<>':
        for order in 'CF':
            b = np.array(a, dtype=a.dtype.newbyteorder(endian), order=order)
            name = f"{code}_{'le' if endian == '<' else 'be'}_{order}"
            np.save(name + '.npy', b)
            open(name + '.raw', 'wb').write(raw(b))
            names.append(name)
for version in [(2, 0), (3, 0)]:
    a = np.arange(24, dtype='<i8').reshape(2, 3, 4)
    name = f"v{version[0]}"
    with open(name + '.npy', 'wb') as f:
        np.lib.format.write_array(f, a, version=version)
    open(name + '.raw', 'wb').write(raw(a))
    names.append(name)
for name, a in [('scalar', np.array(2.5)), ('empty', np.zeros((0, 3), dtype='<f4')), ('vector', np.arange(5, dtype='>i4')),
                ('large', np.frombuffer(rng.bytes(8 * 700_001), dtype='<f8').reshape(700_001, 1))]:
    np.save(name + '.npy', a)
    open(name + '.raw', 'wb').write(raw(a))
    names.append(name)
print(' '.join(names))
""";

    // numpy reads what we wrote (every layout we write) and compares dtype kind/size, shape and bits with the truth.
    private const string CheckOurs = """
import numpy as np, sys
names = open('names.txt').read().split()
for name in names:
    truth_file = np.load(name + '.npy')
    truth = open(name + '.raw', 'rb').read()
    for layout in ['C_le', 'F_le', 'C_be', 'F_be']:
        a = np.load(f'{name}.ours.{layout}.npy')
        assert a.dtype.kind == truth_file.dtype.kind and a.dtype.itemsize == truth_file.dtype.itemsize, (name, layout, a.dtype)
        assert a.shape == truth_file.shape, (name, layout, a.shape)
        if sum(d > 1 for d in a.shape) > 1:
            assert a.flags.f_contiguous == layout.startswith('F'), (name, layout)
        if a.dtype.itemsize > 1:
            assert (a.dtype.byteorder == '>') == layout.endswith('be'), (name, layout, a.dtype.byteorder)
        got = np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<')).tobytes(order='C')
        assert got == truth, (name, layout)
z = np.load('arrays.npz')
assert sorted(z.files) == ['first', 'second'], z.files
assert z['first'].dtype == np.int64 and z['first'].tolist() == [[0, 1, 2], [3, 4, 5]]
assert z['second'].dtype == np.float32 and z['second'].shape == (4,)
z = np.load('stored.npz')
assert z['flags'].dtype == np.bool_ and z['flags'].tolist() == [True, False, True]
print('ok', len(names))
""";

    [Fact]
    public void NumpyFilesReadBitExactlyAndOurFilesReadBitExactlyInNumpy()
    {
        var dir = Directory.CreateTempSubdirectory("npy-numpy-");
        try
        {
            var names = Python.Run(WriteAll, dir.FullName).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(9 * 4 + 2 + 4, names.Length);
            foreach (var name in names)
            {
                using var scope = NewDisposeScope();
                string file = Path.Combine(dir.FullName, name + ".npy");
                var truth = File.ReadAllBytes(Path.Combine(dir.FullName, name + ".raw"));
                var t = Npy.ReadStored(file);
                Assert.True(t.is_contiguous(), name);
                Assert.Equal(truth, t.numel() == 0 ? Array.Empty<byte>() : t.reshape(-1).bytes.ToArray());
                Assert.Equal(ExpectedType(name), t.dtype);
                foreach (var (layout, options) in new[]
                {
                    ("C_le", new NpyWriteOptions()), ("F_le", new NpyWriteOptions(FortranOrder: true)),
                    ("C_be", new NpyWriteOptions(BigEndian: true)), ("F_be", new NpyWriteOptions(true, true)),
                })
                {
                    string ours = Path.Combine(dir.FullName, $"{name}.ours.{layout}.npy");
                    Npy.Write(ours, t, options);
                    var back = Npy.ReadStored(ours);
                    Assert.True(back.numel() == 0 || back.reshape(-1).bytes.ToArray().AsSpan().SequenceEqual(truth), $"{name} {layout}");
                    Assert.Equal(t.shape, back.shape);
                }
            }
            using (var scope = NewDisposeScope())
            {
                Npz.Write(Path.Combine(dir.FullName, "arrays.npz"), new Dictionary<string, Tensor>
                {
                    ["first"] = arange(6, ScalarType.Int64).reshape(2, 3),
                    ["second"] = ones(4, ScalarType.Float32),
                });
                Npz.Write(Path.Combine(dir.FullName, "stored.npz"), new Dictionary<string, Tensor> { ["flags"] = tensor(new[] { true, false, true }) }, compressed: false);
            }
            File.WriteAllText(Path.Combine(dir.FullName, "names.txt"), string.Join(" ", names));
            Assert.StartsWith("ok", Python.Run(CheckOurs, dir.FullName));
        }
        finally { dir.Delete(true); }
    }

    private static ScalarType ExpectedType(string name) => name.Split('_')[0] switch
    {
        "f2" => ScalarType.Float16,
        "f4" or "empty" => ScalarType.Float32,
        "f8" or "scalar" or "large" => ScalarType.Float64,
        "i1" => ScalarType.Int8,
        "i2" => ScalarType.Int16,
        "i4" or "vector" => ScalarType.Int32,
        "i8" or "v2" or "v3" => ScalarType.Int64,
        "u1" => ScalarType.Byte,
        _ => ScalarType.Bool,
    };

    [Fact]
    public void NumpyArchivesReadStoredAndDeflated()
    {
        var dir = Directory.CreateTempSubdirectory("npz-numpy-");
        try
        {
            Python.Run("""
import numpy as np
np.savez('plain.npz', np.arange(6, dtype='<i8').reshape(2, 3), weights=np.linspace(0, 1, 5))
np.savez_compressed('packed.npz', theta=np.arange(12, dtype='>f4').reshape(3, 4, order='F'), mask=np.array([True, False]))
""", dir.FullName);
            using var scope = NewDisposeScope();
            var plain = Npz.Read(Path.Combine(dir.FullName, "plain.npz"));
            Assert.Equal(new[] { "arr_0", "weights" }, plain.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, plain["arr_0"].reshape(-1).data<long>().ToArray());
            Assert.Equal(new long[] { 2, 3 }, plain["arr_0"].shape);
            Assert.Equal(0.75, plain["weights"][3].item<double>());
            var packed = Npz.Read(Path.Combine(dir.FullName, "packed.npz"));
            // order='F' fills columns first, so row 0 is 0, 3, 6, 9; we hand it back in C order.
            Assert.Equal(new float[] { 0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11 }, packed["theta"].reshape(-1).data<float>().ToArray());
            Assert.Equal(new[] { true, false }, packed["mask"].data<bool>().ToArray());
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("np.save('x.npy', np.array([{'a': 1}, None], dtype=object), allow_pickle=True)", "object array")]
    [InlineData("np.save('x.npy', np.zeros(3, dtype=[('a', '<f8'), ('b', '<i4')]))", "structured")]
    [InlineData("np.save('x.npy', np.zeros(3, dtype='<u2'))", "'<u2' is not supported")]
    [InlineData("np.save('x.npy', np.zeros(3, dtype='<c16'))", "'<c16' is not supported")]
    [InlineData("np.save('x.npy', np.array(['ab', 'c']))", "is not supported")]
    [InlineData("import pickle; pickle.dump([1, 2], open('x.npy', 'wb'))", "bad magic")]
    public void UnreadableArraysAreOneErrorNamingTheFile(string write, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("npy-bad-");
        try
        {
            Python.Run("import numpy as np\n" + write + "\n", dir.FullName);
            string file = Path.Combine(dir.FullName, "x.npy");
            var e = Assert.Throws<MultiscaleException>(() => Npy.ReadStored(file));
            Assert.Contains(expected, e.Message);
            Assert.Contains(file, e.Message);
        }
        finally { dir.Delete(true); }
    }
}
