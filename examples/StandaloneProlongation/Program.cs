// The prolongation core used as a library: the optimal map between two cycles, a lineage of path maps, and a vector
// carried up and down. Run: dotnet run --project examples/StandaloneProlongation
using Multiscale.Graphs;
using Multiscale.Prolongation;
using static TorchSharp.torch;

using var solution = ProlongationSolver.Solve(GraphSpec.Parse("cycle:32"), GraphSpec.Parse("cycle:64"),
    new ProlongationOptions { S = 0.5, Alpha = ScaleParameter.Fixed(1) });
Console.WriteLine($"C32 → C64, s = 0.5: E = {solution.Terms.Objective:G10} (diffusion {solution.Terms.Diffusion:G4}, " +
    $"locality {solution.Terms.Locality:G6}), certified optimum: {solution.GloballyOptimal}, " +
    $"‖PᵀP − I‖ = {solution.OrthogonalityError:G2}, {solution.Seconds:F2} s");

// A smooth signal on the coarse cycle, prolonged to the fine one and restricted back (Res∘Pro = I).
var angle = linspace(0, 2 * Math.PI, 32, dtype: ScalarType.Float64);
var coarse = angle.sin();
var fine = solution.Map.Prolong(coarse);
var back = solution.Map.Restrict(fine);
Console.WriteLine($"‖Pᵀ P x − x‖ = {(back - coarse).norm().item<double>():G2}");

// Maps between the members of a halving lineage, composed once.
using var lineage = Lineage.Build(Lineage.HalvingSpecs("path:64", 3), MapSource.Interpolation, new ProlongationOptions { S = 1 }, cacheDirectory: null);
var pro = lineage.ToFinest(3);
Console.WriteLine($"lineage {string.Join(" → ", lineage.Graphs.Select(g => g.Name))}: Pro(3→0) is {pro.FineSize}×{pro.CoarseSize}, " +
    $"E per level: {string.Join(", ", lineage.Levels.Skip(1).Select(l => l.Objective?.ToString("G6")))}");
