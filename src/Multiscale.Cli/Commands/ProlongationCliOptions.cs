using System.CommandLine;
using System.Text.Json.Nodes;

namespace Multiscale.Cli.Commands;

/// <summary>The solver options shared by <c>prolong</c> and <c>lineage</c>, parsed the same way in both.</summary>
internal sealed class ProlongationCliOptions
{
    public Option<string> Alpha { get; } = new("--alpha") { Description = "Diffusion scale α: auto (closed-form optimum at every step) or a positive number.", DefaultValueFactory = _ => "auto" };
    public Option<string> Beta { get; } = new("--beta") { Description = "Locality scale β: paper (n1/n2), auto, or a positive number.", DefaultValueFactory = _ => "paper" };
    public Option<string> Init { get; } = new("--init") { Description = "First start: munkres (eigenvalue matching, §3.3.2), assignment (spectral-frame assignment), interpolation (Fig. 3 family), random, identity.", DefaultValueFactory = _ => "munkres" };
    public Option<int?> Starts { get; } = new("--starts") { Description = "Extra seeded random starts, best kept (opt-in; without it the solve stops at a certified or critical point that no cheap start - assignment, --init, interpolation - begins below)." };
    public Option<double?> StartsSeconds { get; } = new("--starts-seconds") { Description = "Wall-clock seconds all --starts random starts may use together, after the cheap starts (a random start still running when they run out stops there; the rest are skipped)." };
    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "Riemannian optimizer: tr (trust regions, exact Hessian; also trust-regions), cg (preconditioned), sd (preconditioned), lbfgs.", DefaultValueFactory = _ => "tr" };
    public Option<int> MaxIter { get; } = new("--max-iter") { Description = "Iteration cap per start.", DefaultValueFactory = _ => 2000 };
    public Option<double> Tol { get; } = new("--tol") { Description = "Relative gradient tolerance ‖grad‖/‖grad₀‖.", DefaultValueFactory = _ => 1e-6 };
    public Option<double?> MaxSeconds { get; } = new("--max-seconds") { Description = "Wall-clock budget per solve (all starts)." };
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 0 };
    public Option<bool> NoEscape { get; } = new("--no-saddle-escape") { Description = "Do not probe end points for negative curvature." };
    public Option<bool> NoPrecondition { get; } = new("--no-precondition") { Description = "Do not use the spectral preconditioner (cg, sd)." };
    public Option<bool> NoAssignment { get; } = new("--no-assignment-start") { Description = "Do not add the spectral-frame assignment start." };
    public Option<string> Frame { get; } = new("--frame") { Description = "Optimize in the eigenframe of T (of L when s = 0): auto (n_fine ≤ 4096), yes, no.", DefaultValueFactory = _ => "auto" };
    public Option<string> Device { get; } = CommonOptions.Device();

    public IEnumerable<Option> All => new Option[] { Alpha, Beta, Init, Starts, StartsSeconds, Optimizer, MaxIter, Tol, MaxSeconds, Seed, NoEscape, NoPrecondition, NoAssignment, Frame, Device };

    public ProlongationCliOptions()
    {
        Init.AcceptOnlyFromAmong("munkres", "assignment", "interpolation", "random", "identity");
        Optimizer.AcceptOnlyFromAmong("lbfgs", "cg", "sd", "tr", "trust-regions");
        Frame.AcceptOnlyFromAmong("auto", "yes", "no");
    }

    /// <summary>
    /// The settings field each solver option sets (<c>--max-iter</c> → <c>solver.max_iterations</c>, the switches
    /// <c>--no-…</c> as the setting they turn off); the device is not a setting.
    /// </summary>
    public IReadOnlyDictionary<Option, SettingsInput.OptionField> Fields()
    {
        static JsonNode? Not(object? v) => JsonValue.Create(!(bool)v!);
        return new Dictionary<Option, SettingsInput.OptionField>
        {
            [Alpha] = new("solver.alpha"),
            [Beta] = new("solver.beta"),
            [Init] = new("solver.init"),
            [Starts] = new("solver.random_starts"),
            [StartsSeconds] = new("solver.random_starts_seconds"),
            [Optimizer] = new("solver.optimizer"),
            [MaxIter] = new("solver.max_iterations"),
            [Tol] = new("solver.tolerance"),
            [MaxSeconds] = new("solver.max_seconds"),
            [Seed] = new("solver.seed"),
            [NoEscape] = new("solver.escape_saddles", Not),
            [NoPrecondition] = new("solver.precondition", Not),
            [NoAssignment] = new("solver.assignment_start", Not),
            [Frame] = new("solver.spectral_frame"),
        };
    }
}
