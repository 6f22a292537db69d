using System.CommandLine;
using System.Globalization;
using Multiscale.Prolongation;

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

    /// <summary>The options for one value of s.</summary>
    public ProlongationOptions Read(ParseResult parse, double s, TorchSharp.torch.Device device)
    {
        string beta = parse.GetValue(Beta)!;
        double? maxSeconds = parse.GetValue(MaxSeconds);
        if (maxSeconds is { } m && !(m > 0)) throw new MultiscaleException($"--max-seconds must be positive (got {m})");
        double? startsSeconds = parse.GetValue(StartsSeconds);
        if (startsSeconds is { } b && !(b > 0)) throw new MultiscaleException($"--starts-seconds must be positive (got {b})");
        if (startsSeconds is not null && parse.GetValue(Starts) is not > 0) throw new MultiscaleException("--starts-seconds budgets the random starts: it needs --starts N with N ≥ 1");
        if (parse.GetValue(MaxIter) < 0) throw new MultiscaleException($"--max-iter must be ≥ 0 (got {parse.GetValue(MaxIter)})");
        var options = new ProlongationOptions
        {
            S = s,
            Alpha = ScaleParameter.Parse(parse.GetValue(Alpha)!, "--alpha"),
            Beta = beta.Equals("paper", StringComparison.OrdinalIgnoreCase) ? null : ScaleParameter.Parse(beta, "--beta"),
            Init = parse.GetValue(Init) switch { "random" => InitKind.Random, "interpolation" => InitKind.Interpolation, "identity" => InitKind.Identity, "assignment" => InitKind.Assignment, _ => InitKind.Munkres },
            RandomStarts = parse.GetValue(Starts),
            RandomStartsTime = startsSeconds is { } rs ? TimeSpan.FromSeconds(rs) : null,
            Optimizer = OptimizerKindNames.Choices.Parse(parse.GetValue(Optimizer)!),
            MaxIterations = parse.GetValue(MaxIter),
            Tolerance = parse.GetValue(Tol),
            MaxTime = maxSeconds is { } sec ? TimeSpan.FromSeconds(sec) : null,
            Seed = parse.GetValue(Seed),
            EscapeSaddles = !parse.GetValue(NoEscape),
            Precondition = !parse.GetValue(NoPrecondition),
            AssignmentStart = !parse.GetValue(NoAssignment),
            SpectralFrame = parse.GetValue(Frame) switch { "yes" => true, "no" => false, _ => null },
            Device = device,
        };
        options.Validate();
        return options;
    }

    /// <summary>Parses "0.5" or "0,0.25,0.5,0.75,1".</summary>
    public static double[] ParseSList(string text)
    {
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t =>
            double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && v <= 1
                ? v
                : throw new MultiscaleException($"--s values must be numbers in [0, 1] (got '{t}')")).ToArray();
        if (values.Length == 0) throw new MultiscaleException("--s needs at least one value");
        if (values.Distinct().Count() != values.Length) throw new MultiscaleException($"--s lists a value twice ('{text}')");
        return values;
    }
}
