using Multiscale.Graphs;
using Multiscale.IO;
using Multiscale.Prolongation;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Tests.IO;

/// <summary>MatrixMarket coordinate files, checked against scipy.io.mmread/mmwrite both ways.</summary>
public class MatrixMarketTests
{
    [Fact]
    public void ScipyReadsOurOperatorsAsTheDenseMatricesAndWeReadScipysFiles()
    {
        var dir = Directory.CreateTempSubdirectory("mtx-scipy-");
        try
        {
            using (var scope = NewDisposeScope())
            {
                var grid = GraphSpec.Parse("grid:4x5");
                var weighted = GraphSpec.Parse("path:7");
                var operators = new Dictionary<string, Tensor>
                {
                    ["laplacian"] = GraphOperators.Laplacian(grid),
                    ["adjacency"] = GraphOperators.Adjacency(grid),
                    ["distances"] = GraphOperators.HopDistances(weighted),
                    // A general (non-symmetric, non-square) matrix of random doubles with exact zeros, and a vector.
                    ["map"] = randn(9, 4, dtype: ScalarType.Float64, generator: new Generator(4)) * bernoulli(full(new long[] { 9, 4 }, 0.5, ScalarType.Float64), new Generator(5)),
                    ["vector"] = tensor(new[] { 0.0, -1.5, 1e-300, double.PositiveInfinity, 0.0 }),
                };
                foreach (var (name, m) in operators)
                {
                    MatrixMarket.Write(Path.Combine(dir.FullName, name + ".mtx"), m);
                    Npy.Write(Path.Combine(dir.FullName, name + ".npy"), m.dim() == 1 ? m.unsqueeze(1) : m);
                    // Our reader gives back exactly the dense matrix.
                    var back = MatrixMarket.ReadDense(Path.Combine(dir.FullName, name + ".mtx"));
                    Assert.True(back.eq(m.dim() == 1 ? m.unsqueeze(1) : m).all().item<bool>(), name);
                }
                Assert.StartsWith("%%MatrixMarket matrix coordinate real symmetric", File.ReadAllText(Path.Combine(dir.FullName, "laplacian.mtx")));
                Assert.StartsWith("%%MatrixMarket matrix coordinate real general", File.ReadAllText(Path.Combine(dir.FullName, "map.mtx")));
                // Only nonzeros (lower triangle for symmetric): the 4×5 grid Laplacian has 20 diagonal + 31 edges.
                Assert.Contains("\n20 20 51\n", File.ReadAllText(Path.Combine(dir.FullName, "laplacian.mtx")));
            }
            var report = Python.Run("""
import numpy as np, scipy.io, scipy.sparse as sp
for name in ['laplacian', 'adjacency', 'distances', 'map', 'vector']:
    a = scipy.io.mmread(name + '.mtx')
    a = a.toarray() if sp.issparse(a) else np.asarray(a)
    d = np.load(name + '.npy')
    assert a.shape == d.shape and np.array_equal(a, d), name
rng = np.random.default_rng(3)
g = sp.random(6, 8, density=0.4, random_state=4, format='coo') * 1e5
scipy.io.mmwrite('g.mtx', g)
s = sp.random(7, 7, density=0.3, random_state=5); s = sp.coo_matrix(s + s.T)
scipy.io.mmwrite('s.mtx', s, symmetry='symmetric')
i = sp.coo_matrix(rng.integers(-5, 5, size=(5, 4)))
scipy.io.mmwrite('i.mtx', i, field='integer')
p = sp.coo_matrix(rng.integers(0, 2, size=(4, 6)))
scipy.io.mmwrite('p.mtx', p, field='pattern')
k = np.triu(rng.standard_normal((5, 5)), 1); k = sp.coo_matrix(k - k.T)
scipy.io.mmwrite('k.mtx', k, symmetry='skew-symmetric')
for name in 'gsipk':
    np.save(name + '.npy', scipy.io.mmread(name + '.mtx').toarray().astype(np.float64))
    print(name, open(name + '.mtx').readline().strip())
""", dir.FullName);
            Assert.Contains("coordinate pattern general", report);
            Assert.Contains("coordinate integer general", report);
            Assert.Contains("skew-symmetric", report);
            foreach (var name in "gsipk")
            {
                using var scope = NewDisposeScope();
                var ours = MatrixMarket.ReadDense(Path.Combine(dir.FullName, $"{name}.mtx"));
                var truth = Npy.Read(Path.Combine(dir.FullName, $"{name}.npy"));
                Assert.Equal(truth.shape, ours.shape);
                Assert.True(ours.eq(truth).all().item<bool>(), name.ToString());
            }
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MapsSaveAndLoadAsMatrixMarketWithTheirProvenance()
    {
        var dir = Directory.CreateTempSubdirectory("mtx-map-");
        try
        {
            using var scope = NewDisposeScope();
            using var map = ClosedFormMaps.Interpolation(8, 16, periodic: false);
            map.Save(Path.Combine(dir.FullName, "P.npy"), MatrixFileFormat.Both);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "P.npy")) && File.Exists(Path.Combine(dir.FullName, "P.json")));
            using var loaded = ProlongationMap.Load(Path.Combine(dir.FullName, "P.mtx"));
            Assert.True(loaded.Matrix.eq(map.Matrix).all().item<bool>());
            Assert.Equal(map.Provenance.Method, loaded.Provenance.Method);
            // Sparse: only the interpolation's nonzeros are stored, not 16 × 8.
            var lines = File.ReadAllLines(Path.Combine(dir.FullName, "P.mtx"));
            long nnz = map.Matrix.count_nonzero().item<long>();
            Assert.Equal($"16 8 {nnz}", lines[2]);
            Assert.Equal(3 + nnz, lines.Length);
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", "format 'array'")]
    [InlineData("%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1 0\n", "field 'complex'")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n", "declares 2 entries but the file holds 1")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n", "line 3: row '3'")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 x\n", "line 3: value 'x'")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n2 2 999999999\n1 1 1\n", "cannot fit")]
    [InlineData("%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n", "must be square")]
    [InlineData("not a header\n", "line 1")]
    public void MalformedFilesAreOneErrorNamingTheFileAndLine(string text, string expected)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.mtx");
        try
        {
            File.WriteAllText(file, text);
            var e = Assert.Throws<MultiscaleException>(() => MatrixMarket.ReadDense(file));
            Assert.Contains(expected, e.Message);
            Assert.Contains(file, e.Message);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void AHugeDeclaredDenseSizeIsRefusedBeforeAllocating()
    {
        var file = Path.Combine(Path.GetTempPath(), $"huge-{Guid.NewGuid():N}.mtx");
        try
        {
            File.WriteAllText(file, "%%MatrixMarket matrix coordinate real general\n3000000000 3000000000 1\n1 1 2.5\n");
            var sparse = MatrixMarket.Read(file);
            Assert.Equal(2.5, sparse.Values.Single());
            Assert.Contains("bytes of memory", Assert.Throws<MultiscaleException>(() => sparse.ToDense(source: file)).Message);
        }
        finally { File.Delete(file); }
    }
}
