using System.Diagnostics;
using Multiscale.Graphs;
using Multiscale.Manifolds;
using Multiscale.Matching;
using Multiscale.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>Where an optimization of P starts.</summary>
public enum InitKind
{
    /// <summary>P₀ = U₂ M U₁ᵀ with M the minimal eigenvalue matching m*(L₁, L₂) (§3.3.2).</summary>
    Munkres,
    /// <summary>A random Stiefel point (seeded).</summary>
    Random,
    /// <summary>[I; 0].</summary>
    Identity,
    /// <summary>
    /// The partial permutation in the spectral frame that solves the assignment problem on the per-entry costs of
    /// eq. (3.3) in that frame (<see cref="SpectralFrameObjective.AssignmentCosts"/>): the certified global optimum
    /// when both terms are diagonal there (cycles, tori; s = 0 always) and α, β are fixed.
    /// </summary>
    Assignment,
    /// <summary>
    /// The interpolation family of paper 004 Fig. 3 (<see cref="ClosedFormMaps.Interpolation(Graphs.Graph, Graphs.Graph)"/>):
    /// for path, cycle, grid and torus pairs of one family and dimension.
    /// </summary>
    Interpolation,
}

/// <summary>Why a multi-start solve stopped trying starts.</summary>
public enum SolveStopReason
{
    /// <summary>The best map attains the proven lower bound: nothing can beat it.</summary>
    Certified,
    /// <summary>
    /// The best map is a critical point (second-order when the curvature probe ran and found no descent direction) and
    /// every remaining cheap start begins at an objective no lower than it.
    /// </summary>
    CriticalPoint,
    /// <summary>Every start ran.</summary>
    AllStartsRun,
    /// <summary>The time budget ran out.</summary>
    TimeBudget,
    /// <summary>Cancelled by the caller.</summary>
    Cancelled,
}

/// <summary>Which Riemannian optimizer runs.</summary>
public enum OptimizerKind
{
    /// <summary>Conjugate gradient (Hestenes–Stiefel).</summary>
    ConjugateGradient,
    /// <summary>Steepest descent.</summary>
    SteepestDescent,
    /// <summary>Limited-memory BFGS.</summary>
    Lbfgs,
    /// <summary>Riemannian trust regions with truncated CG on the exact Hessian (<see cref="TrustRegions"/>).</summary>
    TrustRegions,
}

/// <summary>Everything that defines one solve of eq. (3.3).</summary>
public sealed record ProlongationOptions
{
    /// <summary>Locality weight s ∈ [0, 1].</summary>
    public double S { get; init; }

    /// <summary>α policy.</summary>
    public ScaleParameter Alpha { get; init; } = ScaleParameter.Auto;

    /// <summary>
    /// β policy; null (the default) fixes β = n₁/n₂, the value the paper's grid search found for paths and grids.
    /// Auto β is ill-posed whenever T₂ is singular — grid distance matrices are (T_a ⊗ J + J ⊗ T_b has rank ≤ n_a + n_b):
    /// P can then sink into the null space of T₂ while β → ∞ (see docs/prolongation.md).
    /// </summary>
    public ScaleParameter? Beta { get; init; }

    /// <summary>The first start.</summary>
    public InitKind Init { get; init; } = InitKind.Munkres;

    /// <summary>
    /// Extra seeded random starts (opt-in). Null (the default) is the stop-when-done policy: the cheap deterministic
    /// starts — the spectral-frame assignment, <see cref="Init"/>, the interpolation family — in that order, each after
    /// the first run only while it begins below the best critical point found so far. A number asks for a classic
    /// multi-start: the assignment, <see cref="Init"/> and that many random starts all run (unless one is certified).
    /// </summary>
    public int? RandomStarts { get; init; }

    /// <summary>
    /// Wall-clock share of the random starts: together they may use this long (after the cheap starts, inside
    /// <see cref="MaxTime"/> when both are set); a random start still running when it runs out stops there, and the
    /// remaining ones are skipped. Null for no limit of their own. Needs <see cref="RandomStarts"/> ≥ 1.
    /// </summary>
    public TimeSpan? RandomStartsTime { get; init; }

    /// <summary>
    /// For separable pairs (cycles, tori, s = 0), whose optimum is a continuous family (degenerate eigenblocks), return
    /// the member closest to the interpolation map (<see cref="SpectralFrameObjective.Canonical"/>), where the pair has
    /// one: same objective, a map a person can read.
    /// </summary>
    public bool Canonicalize { get; init; } = true;

    /// <summary>Add the interpolation family (Fig. 3) as a cheap start under the default policy, where the pair has one.</summary>
    public bool InterpolationStart { get; init; } = true;

    /// <summary>
    /// Also start from the spectral-frame assignment, before the others (when the frame is used); when that start attains
    /// its proven lower bound the other starts are skipped.
    /// </summary>
    public bool AssignmentStart { get; init; } = true;

    /// <summary>Probe the end point of every run for negative curvature and continue from a descent direction.</summary>
    public bool EscapeSaddles { get; init; } = true;

    /// <summary>Use the spectral preconditioner (<see cref="SpectralFrameObjective.EnablePreconditioner"/>).</summary>
    public bool Precondition { get; init; } = true;

    /// <summary>
    /// Optimize in the eigenframe of T (of L when s = 0), see <see cref="SpectralFrameObjective"/>; null = when the
    /// fine graph has at most 4096 vertices (the frame costs an n³ eigendecomposition of each operator).
    /// </summary>
    public bool? SpectralFrame { get; init; }

    /// <summary>
    /// Optimizer: trust regions on the exact Hessian by default, preconditioned by the diagonal Riemannian Hessian model
    /// at the point (with the start policy: lower objectives than CG on the grid pairs and for LocalPathMaps, faster on
    /// path:32→path:64 and path:512→path:1024; docs/prolongation.md, "Issue 10's pairs"); CG, SD and L-BFGS stay selectable.
    /// </summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.TrustRegions;

    /// <summary>Iteration cap per run.</summary>
    public int MaxIterations { get; init; } = 2000;

    /// <summary>Relative gradient tolerance ‖grad‖/‖grad₀‖.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Absolute gradient tolerance.</summary>
    public double MinGradientNorm { get; init; } = 1e-10;

    /// <summary>Wall-clock budget for the whole solve (all starts); null for none.</summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>Seed of every random choice (random starts use Seed+1, Seed+2, …; probes use Seed).</summary>
    public long Seed { get; init; }

    /// <summary>Retraction.</summary>
    public StiefelRetraction Retraction { get; init; } = StiefelRetraction.Qr;

    /// <summary>Device for every tensor.</summary>
    public Device? Device { get; init; }

    /// <summary>The effective number of extra random starts (0 unless asked for).</summary>
    public int EffectiveRandomStarts => RandomStarts ?? 0;

    /// <summary>True for the stop-when-done policy (no random starts asked for).</summary>
    public bool StopsWhenDone => RandomStarts is null;

    /// <summary>Throws <see cref="MultiscaleException"/> for out-of-range values.</summary>
    public void Validate()
    {
        if (!(S >= 0 && S <= 1)) throw new MultiscaleException($"s must be in [0, 1] (got {S})");
        if (RandomStarts is < 0) throw new MultiscaleException($"the number of random starts must be ≥ 0 (got {RandomStarts})");
        if (RandomStartsTime is { } share && share <= TimeSpan.Zero) throw new MultiscaleException($"the random starts' time budget must be positive (got {share.TotalSeconds} s)");
        if (RandomStartsTime is not null && RandomStarts is not > 0) throw new MultiscaleException("a time budget for random starts needs at least one random start");
        if (MaxIterations < 0) throw new MultiscaleException($"max iterations must be ≥ 0 (got {MaxIterations})");
        if (!(Tolerance >= 0)) throw new MultiscaleException($"tolerance must be ≥ 0 (got {Tolerance})");
    }
}

/// <summary>One start of a multi-start solve.</summary>
/// <param name="Start">munkres, identity or random:SEED.</param>
/// <param name="InitialObjective">E at the start.</param>
/// <param name="FinalObjective">E at the end.</param>
/// <param name="Iterations">Optimizer iterations over all its runs.</param>
/// <param name="SaddleEscapes">How often a critical point with negative curvature was left.</param>
/// <param name="Reason">Why the last run stopped.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
public sealed record StartReport(string Start, double InitialObjective, double FinalObjective, int Iterations, int SaddleEscapes, StopReason Reason, double Seconds)
{
    /// <summary>True when the run ended at a critical point the curvature probe found no descent direction from.</summary>
    public bool SecondOrder { get; init; }

    /// <summary>Hessian–vector products of the run (trust regions; 0 for first-order optimizers).</summary>
    public int HessianProducts { get; init; }

    /// <summary>Cost evaluations of the run (line-search trials and probes included).</summary>
    public int CostEvaluations { get; init; }

    /// <summary>
    /// How often the run jumped to the nearest vertex of a separable frame because it was lower
    /// (<see cref="SpectralFrameObjective.NearestVertex"/>): at the start point and at each optimizer end point.
    /// </summary>
    public int VertexRoundings { get; init; }
}

/// <summary>A start the policy did not run, and why.</summary>
/// <param name="Start">Its name.</param>
/// <param name="InitialObjective">E at the start point (NaN when it was not built).</param>
/// <param name="Reason">Why it was skipped.</param>
public sealed record SkippedStart(string Start, double InitialObjective, string Reason);

/// <summary>Progress of a solve, for display.</summary>
/// <param name="Start">Which start is running.</param>
/// <param name="Record">The optimizer's latest iteration.</param>
public readonly record struct SolverProgress(string Start, IterationRecord Record);

/// <summary>The result of <see cref="ProlongationSolver.Solve"/>; owns its map.</summary>
public sealed class ProlongationSolution : IDisposable
{
    internal ProlongationSolution(ProlongationMap map, ObjectiveTerms terms, double initialObjective, int iterations,
        double seconds, double gradientNorm, StopReason reason, IReadOnlyList<StartReport> starts, string winner,
        IReadOnlyList<IterationRecord> history)
    {
        Map = map;
        Terms = terms;
        InitialObjective = initialObjective;
        Iterations = iterations;
        Seconds = seconds;
        GradientNorm = gradientNorm;
        Reason = reason;
        Starts = starts;
        WinningStart = winner;
        History = history;
    }

    /// <summary>The best map found.</summary>
    public ProlongationMap Map { get; }

    /// <summary>E and its terms at the map (α, β the ones used).</summary>
    public ObjectiveTerms Terms { get; }

    /// <summary>E at the starting point of the winning start.</summary>
    public double InitialObjective { get; }

    /// <summary>Iterations of the winning start.</summary>
    public int Iterations { get; }

    /// <summary>Wall-clock seconds of the whole solve (operators, spectra and all starts).</summary>
    public double Seconds { get; }

    /// <summary>Riemannian gradient norm at the map.</summary>
    public double GradientNorm { get; }

    /// <summary>Why the winning start's last run stopped.</summary>
    public StopReason Reason { get; }

    /// <summary>True when the winning start stopped on a gradient criterion or attains a proven lower bound.</summary>
    public bool Converged => Reason is StopReason.GradientNorm or StopReason.RelativeGradient || GloballyOptimal;

    /// <summary>‖PᵀP − I‖_F of the map.</summary>
    public double OrthogonalityError => Map.OrthogonalityError;

    /// <summary>Every start, in the order run.</summary>
    public IReadOnlyList<StartReport> Starts { get; }

    /// <summary>Name of the start whose result was kept.</summary>
    public string WinningStart { get; }

    /// <summary>Convergence history of the winning start (all its runs, iterations renumbered consecutively).</summary>
    public IReadOnlyList<IterationRecord> History { get; }

    /// <summary>
    /// A proven lower bound on E over the whole Stiefel manifold, when one is known: the assignment minimum in the
    /// spectral frame when both terms are diagonal there and α, β are fixed (the bound is then attained).
    /// </summary>
    public double? LowerBound { get; init; }

    /// <summary>True when <see cref="LowerBound"/> is known and the map attains it (to 1e-9 relative).</summary>
    public bool GloballyOptimal => LowerBound is { } b && Terms.Objective <= b + 1e-9 * Math.Max(1, Math.Abs(b));

    /// <summary>Why the solve stopped trying starts.</summary>
    public SolveStopReason SolveStop { get; init; }

    /// <summary>Starts that were considered but not run, with the reason.</summary>
    public IReadOnlyList<SkippedStart> Skipped { get; init; } = Array.Empty<SkippedStart>();

    /// <summary>
    /// ‖grad‖ at the map divided by the largest ‖grad‖ at any start point the solve built (a scale of the problem's
    /// gradients that does not depend on which start won).
    /// </summary>
    public double RelativeGradient { get; init; } = double.NaN;

    /// <summary>
    /// ‖grad‖ at the map divided by ‖grad‖ at the winning start's own point — what the optimizer's relative tolerance
    /// measures. Larger than <see cref="RelativeGradient"/> when the winner began near a critical point (an assignment
    /// or interpolation start): both are reported so neither flatters.
    /// </summary>
    public double RelativeGradientOwnStart { get; init; } = double.NaN;

    /// <summary>‖P − P_interp‖_F of the optimum before canonicalization (null when no canonical member was taken).</summary>
    public double? DistanceToInterpolationBefore { get; init; }

    /// <summary>‖P − P_interp‖_F of the returned canonical member (null when none was taken).</summary>
    public double? DistanceToInterpolation { get; init; }

    /// <summary>Releases the map.</summary>
    public void Dispose() => Map.Dispose();
}

/// <summary>
/// Computes optimal prolongation maps: operators, start(s), Riemannian optimization on St(n₂, n₁), a negative-curvature
/// probe at every end point, and multi-start selection.
/// </summary>
public static class ProlongationSolver
{
    /// <summary>Lanczos steps of the curvature probe.</summary>
    internal const int ProbeSteps = 16;

    /// <summary>Most escapes from saddles per start.</summary>
    internal const int MaxEscapes = 8;

    /// <summary>Solves eq. (3.3) between <paramref name="coarse"/> and <paramref name="fine"/>.</summary>
    public static ProlongationSolution Solve(Graph coarse, Graph fine, ProlongationOptions options,
        Action<SolverProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ProlongationSizes.EnsureFits(coarse, fine, options);
        var clock = Stopwatch.StartNew();
        var device = options.Device ?? CPU;
        bool distances = options.S > 0 || fine.VertexCount <= 4096 && fine.IsConnected && coarse.IsConnected;
        using var ops = ProlongationOperators.Create(coarse, fine, distances, device);
        var beta = options.Beta ?? ScaleParameter.Fixed((double)coarse.VertexCount / fine.VertexCount);
        var objective = new ProlongationObjective(ops, options.S, options.Alpha, beta, options.Retraction);
        var stiefel = objective.Stiefel;
        using var frame = options.SpectralFrame ?? fine.VertexCount <= 4096
            ? new SpectralFrameObjective(ops, options.S, options.Alpha, beta, options.Retraction)
            : null;
        IRiemannianProblem problem = (IRiemannianProblem?)frame ?? objective;
        var optimizer = Optimizer(options.Optimizer);

        double startAlpha = options.Alpha.Value ?? 1, startBeta = beta.Value ?? (double)coarse.VertexCount / fine.VertexCount;
        double? lowerBound = null;
        MatchingResult? assignment = null;
        MatchingResult Assign()
        {
            if (assignment is not null) return assignment;
            var (a, b) = AssignmentScales(frame!, options.Alpha.IsAuto, beta.IsAuto, startAlpha, startBeta, (long)coarse.VertexCount * fine.VertexCount);
            return assignment = Munkres.SolveWithCost(frame!.AssignmentCosts(a, b));
        }
        // When both terms are diagonal in the frame the assignment minimum is a proven lower bound (attained), known
        // before any start runs: every start can then be checked against it.
        if (frame is not null && frame.IsSeparable && !options.Alpha.IsAuto && !beta.IsAuto) lowerBound = Assign().TotalCost;
        Tensor AssignmentStart()
        {
            if (frame is null)
                throw new MultiscaleException("the assignment start needs the spectral frame (fine graphs up to 4096 vertices, or SpectralFrame = true)");
            using var permutation = frame.PartialPermutation(Assign().RowOfColumn);
            return frame.FromFrame(permutation);
        }
        Tensor InterpolationStart()
        {
            using var map = ClosedFormMaps.Interpolation(coarse, fine)
                ?? throw new MultiscaleException($"the interpolation start needs path, cycle, grid or torus graphs of one family and dimension (got '{coarse.Name}' → '{fine.Name}')");
            return map.Matrix.to(device).clone();
        }
        var starts = new List<(string Name, Func<Tensor> Make)>
        {
            options.Init switch
            {
                InitKind.Munkres => ("munkres", () => MunkresStart(coarse, fine, device)),
                InitKind.Identity => ("identity", () => IdentityStart(fine.VertexCount, coarse.VertexCount, device)),
                InitKind.Assignment => ("assignment", AssignmentStart),
                InitKind.Interpolation => ("interpolation", InterpolationStart),
                _ => ($"random:{options.Seed}", () => stiefel.RandomPoint(new Generator((ulong)options.Seed))),
            },
        };
        // The assignment start goes first: it costs one assignment problem, and when it is certified optimal the
        // remaining starts are skipped.
        if (frame is not null && options.AssignmentStart && options.Init != InitKind.Assignment) starts.Insert(0, ("assignment", AssignmentStart));
        if (options.StopsWhenDone && options.InterpolationStart && options.Init != InitKind.Interpolation && ClosedFormMaps.HasInterpolation(coarse, fine))
            starts.Add(("interpolation", InterpolationStart));
        int cheapStarts = starts.Count;
        for (int k = 1; k <= options.EffectiveRandomStarts; k++)
        {
            long seed = options.Seed + k;
            starts.Add(($"random:{seed}", () => stiefel.RandomPoint(new Generator((ulong)seed))));
        }

        var reports = new List<StartReport>();
        Tensor? best = null;
        double bestCost = double.PositiveInfinity, bestGradient = double.NaN;
        string winner = "";
        StopReason bestReason = StopReason.MaxIterations;
        int bestIterations = 0;
        IReadOnlyList<IterationRecord> bestHistory = Array.Empty<IterationRecord>();
        var probeGenerator = new Generator((ulong)options.Seed);
        var skipped = new List<SkippedStart>();
        bool bestIsCritical = false;
        double largestStartGradient = 0, winnerStartGradient = double.NaN;
        var stop = SolveStopReason.AllStartsRun;
        var randomSeconds = TimeSpan.Zero;

        for (int index = 0; index < starts.Count; index++)
        {
            var (name, make) = starts[index];
            void SkipRest(string why, double initialObjective = double.NaN)
            {
                for (int k = index; k < starts.Count; k++) skipped.Add(new SkippedStart(starts[k].Name, k == index ? initialObjective : double.NaN, why));
            }
            if (cancellation.IsCancellationRequested) { stop = SolveStopReason.Cancelled; SkipRest("cancelled"); break; }
            // Nothing can beat a map that attains a proven lower bound.
            if (lowerBound is { } bound && bestCost <= bound + 1e-9 * Math.Max(1, Math.Abs(bound))) { stop = SolveStopReason.Certified; SkipRest("the best map attains the proven lower bound"); break; }
            var remaining = options.MaxTime is { } total ? total - clock.Elapsed : (TimeSpan?)null;
            if (remaining is { } r && r <= TimeSpan.Zero && reports.Count > 0) { stop = SolveStopReason.TimeBudget; SkipRest("the time budget ran out"); break; }
            bool isRandom = index >= cheapStarts;
            if (isRandom && options.RandomStartsTime is { } share)
            {
                var left = share - randomSeconds;
                if (left <= TimeSpan.Zero) { stop = SolveStopReason.TimeBudget; SkipRest("the random starts' time budget ran out"); break; }
                remaining = remaining is { } rr && rr < left ? rr : left;
            }
            var startClock = Stopwatch.StartNew();
            using var p0 = make();
            using var x0 = frame?.ToFrame(p0) ?? p0.clone();
            double initial, startGradient;
            using (var e = problem.Evaluate(x0))
            {
                initial = e.Cost;
                startGradient = problem.Manifold.Norm(x0, e.RiemannianGradient());
                largestStartGradient = Math.Max(largestStartGradient, startGradient);
            }
            // The stop-when-done policy: a cheap start after the first runs only when it begins below the best critical
            // point found so far (or when no critical point is known yet).
            if (options.StopsWhenDone && index > 0 && index < cheapStarts && bestIsCritical && initial >= bestCost)
            {
                skipped.Add(new SkippedStart(name, initial, "begins no lower than the best critical point"));
                if (index == starts.Count - 1) stop = SolveStopReason.CriticalPoint;
                continue;
            }
            if (options.Precondition)
            {
                var t0 = objective.Terms(p0);
                double regularization = PreconditionerRegularization(options.Optimizer);
                if (frame is not null) frame.EnablePreconditioner(t0.Alpha, t0.Beta, regularization);
                else objective.EnablePreconditioner(t0.Alpha, t0.Beta, regularization);
            }

            var run = RunWithEscapes(problem, optimizer, x0, startGradient, options, remaining, cancellation, probeGenerator,
                rec => progress?.Invoke(new SolverProgress(name, rec)), frame is { IsSeparable: true } ? frame.NearestVertex : null);
            if (isRandom) randomSeconds += startClock.Elapsed;
            reports.Add(new StartReport(name, initial, run.Cost, run.Iterations, run.Escapes, run.Reason, startClock.Elapsed.TotalSeconds)
            {
                SecondOrder = run.SecondOrder,
                HessianProducts = run.HessianProducts,
                CostEvaluations = run.CostEvaluations,
                VertexRoundings = run.VertexRoundings,
            });
            if (run.Cost < bestCost)
            {
                // A critical point of the order the solve checks: second order when the probe runs, first order otherwise.
                bestIsCritical = options.EscapeSaddles ? run.SecondOrder : run.Reason is StopReason.GradientNorm or StopReason.RelativeGradient or StopReason.StepSize;
                best?.Dispose();
                best = frame?.FromFrame(run.Point) ?? run.Point.clone();
                run.Point.Dispose();
                bestCost = run.Cost;
                bestGradient = run.GradientNorm;
                winnerStartGradient = startGradient;
                winner = name;
                bestReason = run.Reason;
                bestIterations = run.Iterations;
                bestHistory = run.History;
            }
            else run.Point.Dispose();
        }
        objective.DisablePreconditioner();
        if (best is null) throw new OperationCanceledException("the solve was cancelled before any start finished");
        if (stop == SolveStopReason.AllStartsRun && lowerBound is { } lb && bestCost <= lb + 1e-9 * Math.Max(1, Math.Abs(lb))) stop = SolveStopReason.Certified;
        else if (stop == SolveStopReason.AllStartsRun && cancellation.IsCancellationRequested) stop = SolveStopReason.Cancelled;
        else if (stop == SolveStopReason.AllStartsRun && skipped.Count > 0 && skipped.All(k => k.Reason.StartsWith("begins", StringComparison.Ordinal))) stop = SolveStopReason.CriticalPoint;

        double? distanceBefore = null, distanceAfter = null;
        if (options.Canonicalize && frame is { IsSeparable: true } && ClosedFormMaps.Interpolation(coarse, fine) is { } reference)
        {
            using (reference)
            using (var scope = NewDisposeScope())
            {
                var target = frame.ToFrame(reference.Matrix.to(device));
                var inFrame = frame.ToFrame(best);
                var canonical = frame.Canonical(inFrame, target);
                distanceBefore = linalg.norm(inFrame - target).item<double>();
                distanceAfter = linalg.norm(canonical - target).item<double>();
                best.Dispose();
                best = frame.FromFrame(canonical).DetachFromDisposeScope();
            }
        }

        // Rotating back from the frame costs a few ulps of orthogonality; one Newton–Schulz step P(3I − PᵀP)/2 squares
        // the error away (it converges to the polar factor, the closest orthonormal matrix).
        using (var scope = NewDisposeScope())
        {
            var gram = best.T.matmul(best);
            var polished = best.matmul(eye(gram.shape[0], dtype: ScalarType.Float64, device: best.device) * 1.5 - gram * 0.5);
            best.Dispose();
            best = polished.DetachFromDisposeScope();
        }
        var terms = objective.Terms(best);
        var map = new ProlongationMap(best, new MapProvenance
        {
            Method = "optimized",
            CoarseGraph = coarse.Name,
            FineGraph = fine.Name,
            S = options.S,
            Alpha = terms.Alpha,
            Beta = terms.Beta,
            Objective = terms.Objective,
            Diffusion = terms.Diffusion,
            Locality = ops.HasDistances ? terms.Locality : null,
            Start = winner,
            Optimizer = optimizer.Name,
            Iterations = bestIterations,
        });
        best.Dispose();
        double winnerInitial = reports.First(r => r.Start == winner).InitialObjective;
        return new ProlongationSolution(map, terms, winnerInitial, bestIterations, clock.Elapsed.TotalSeconds,
            bestGradient, bestReason, reports, winner, bestHistory)
        {
            LowerBound = lowerBound,
            SolveStop = stop,
            Skipped = skipped,
            RelativeGradient = largestStartGradient > 0 ? bestGradient / largestStartGradient : double.NaN,
            RelativeGradientOwnStart = winnerStartGradient > 0 ? bestGradient / winnerStartGradient : double.NaN,
            DistanceToInterpolationBefore = distanceBefore,
            DistanceToInterpolation = distanceAfter,
        };
    }

    /// <summary>Largest n₁·n₂ for which the assignment start searches its scales (each trial is one assignment problem).</summary>
    internal const long ScaleSearchLimit = 1L << 20;

    /// <summary>Assignment problems per searched scale (golden section on log σ over [σ₀/16, 16σ₀]).</summary>
    internal const int ScaleSearchTrials = 12;

    /// <summary>
    /// The scales at which the assignment start is built. Fixed scales are used as given. An auto scale is chosen to
    /// minimize the assignment's modelled cost min_σ Σ w_σ(j)j(α, β) — a joint minimum over the vertex and the scale, the
    /// one the solve with an auto scale looks for — by golden section on its logarithm, α first, then β. Built at α = 1
    /// instead, the grid:8x8→grid:16x16 start (s = 0.5, α auto) led to a critical point at α* = 1.03 and E = 244361.31,
    /// while the assignment at α = 2 leads to 244351.26. Pairs above <see cref="ScaleSearchLimit"/> keep the start scales.
    /// </summary>
    private static (double Alpha, double Beta) AssignmentScales(SpectralFrameObjective frame, bool alphaAuto, bool betaAuto,
        double alpha, double beta, long size)
    {
        if (size > ScaleSearchLimit) return (alpha, beta);
        if (alphaAuto && frame.S < 1) alpha = GoldenSectionOnLog(x => Munkres.SolveWithCost(frame.AssignmentCosts(x, beta)).TotalCost, alpha);
        if (betaAuto && frame.S > 0) beta = GoldenSectionOnLog(x => Munkres.SolveWithCost(frame.AssignmentCosts(alpha, x)).TotalCost, beta);
        return (alpha, beta);
    }

    internal static double GoldenSectionOnLog(Func<double, double> cost, double center)
    {
        double lo = Math.Log(center) - Math.Log(16), hi = Math.Log(center) + Math.Log(16);
        double ratio = (Math.Sqrt(5) - 1) / 2;
        double x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo);
        double f1 = cost(Math.Exp(x1)), f2 = cost(Math.Exp(x2));
        for (int trial = 2; trial < ScaleSearchTrials; trial++)
        {
            if (f1 <= f2) { hi = x2; x2 = x1; f2 = f1; x1 = hi - ratio * (hi - lo); f1 = cost(Math.Exp(x1)); }
            else { lo = x1; x1 = x2; f1 = f2; x2 = lo + ratio * (hi - lo); f2 = cost(Math.Exp(x2)); }
        }
        double best = f1 <= f2 ? x1 : x2;
        // Keep the start scale unless the search found a strictly lower modelled cost.
        return Math.Min(f1, f2) < cost(center) ? Math.Exp(best) : center;
    }

    /// <summary>P₀ = U₂ M U₁ᵀ: each coarse eigenvector is sent to the fine eigenvector it is matched with (eq. 3.2).</summary>
    public static Tensor MunkresStart(Graph coarse, Graph fine, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var s1 = GraphOperators.Spectrum(coarse, device);
        using var s2 = GraphOperators.Spectrum(fine, device);
        var lambda1 = s1.Eigenvalues.cpu().data<double>().ToArray();
        var lambda2 = s2.Eigenvalues.cpu().data<double>().ToArray();
        var rows = SpectralMatching.Solve(lambda1, lambda2);
        var matched = s2.Eigenvectors.index_select(1, tensor(rows.Select(r => (long)r).ToArray(), device: s2.Eigenvectors.device));
        return matched.matmul(s1.Eigenvectors.T).MoveToOuterDisposeScope();
    }

    /// <summary>[I; 0] (n₂ × n₁).</summary>
    public static Tensor IdentityStart(int fine, int coarse, Device? device = null) =>
        eye(fine, coarse, dtype: ScalarType.Float64, device: device);

    /// <summary>
    /// The preconditioner's floor, as a fraction of the mean modelled curvature. The line-search optimizers need 1e-3
    /// (a smaller floor gave steps their line search rejected); trust regions check every step against the model, so
    /// the diagonal model can be used nearly as is: on path:32→path:64 (s = 0.5) from the assignment start, five outer
    /// iterations reached ‖grad‖ 1e-5 with 1e-6 and 0.09 with 1e-3.
    /// </summary>
    internal static double PreconditionerRegularization(OptimizerKind kind) => kind == OptimizerKind.TrustRegions ? 1e-6 : 1e-3;

    private static IRiemannianOptimizer Optimizer(OptimizerKind kind) => kind switch
    {
        OptimizerKind.SteepestDescent => new SteepestDescent(),
        OptimizerKind.Lbfgs => new Lbfgs(),
        OptimizerKind.TrustRegions => new TrustRegions(),
        _ => new ConjugateGradient(),
    };

    private sealed record RunResult(Tensor Point, double Cost, double GradientNorm, int Iterations, int Escapes, StopReason Reason,
        IReadOnlyList<IterationRecord> History, bool SecondOrder = false, int HessianProducts = 0, int CostEvaluations = 0,
        int VertexRoundings = 0);

    /// <summary>Most jumps to a lower vertex per start (each lowers the cost, so this only guards against rounding loops).</summary>
    internal const int MaxVertexRoundings = 8;

    /// <summary>
    /// One start: the optimizer, then the curvature probe and escapes. <paramref name="startGradient"/> (‖grad‖ at the
    /// start) is the reference of the relative tolerance throughout. With <paramref name="nearestVertex"/> (separable
    /// frames) the start and every end point are replaced by their nearest vertex when that is lower.
    /// </summary>
    private static RunResult RunWithEscapes(IRiemannianProblem objective, IRiemannianOptimizer optimizer, Tensor start,
        double startGradient, ProlongationOptions options, TimeSpan? budget, CancellationToken cancellation,
        Generator probeGenerator, Action<IterationRecord> progress, Func<Tensor, Tensor?>? nearestVertex)
    {
        var clock = Stopwatch.StartNew();
        var history = new List<IterationRecord>();
        int iterations = 0, escapes = 0, products = 0, evaluations = 0, roundings = 0;
        double reference = startGradient;
        var x = start.clone().DetachFromDisposeScope();
        // A lower vertex at cost `cost`, or null: a jump the optimizer would otherwise creep toward (see NearestVertex).
        Tensor? LowerVertex(Tensor point, double cost)
        {
            if (nearestVertex is null || roundings >= MaxVertexRoundings || nearestVertex(point) is not { } vertex) return null;
            double vertexCost;
            using (var e = objective.Evaluate(vertex)) vertexCost = e.Cost;
            evaluations++;
            if (vertexCost < cost - 1e-12 * Math.Max(1, Math.Abs(cost))) { roundings++; return vertex.DetachFromDisposeScope(); }
            vertex.Dispose();
            return null;
        }
        if (nearestVertex is not null)
        {
            double startCost;
            using (var e = objective.Evaluate(x)) startCost = e.Cost;
            if (LowerVertex(x, startCost) is { } v) { x.Dispose(); x = v; }
        }
        while (true)
        {
            var criteria = new StoppingCriteria
            {
                MaxIterations = Math.Max(0, options.MaxIterations - iterations),
                RelativeGradientTolerance = options.Tolerance,
                MinGradientNorm = options.MinGradientNorm,
                MaxTime = budget is { } b ? b - clock.Elapsed : null,
                Cancellation = cancellation,
                ReferenceGradientNorm = reference > 0 ? reference : null,
            };
            if (criteria.MaxTime is { } t && t <= TimeSpan.Zero) criteria = criteria with { MaxTime = TimeSpan.FromTicks(1) };
            int offset = iterations;
            double offsetSeconds = history.Count > 0 ? history[^1].Seconds : 0;
            using var result = optimizer.Optimize(objective, x, criteria, rec =>
            {
                var shifted = rec with { Iteration = rec.Iteration + offset, Seconds = rec.Seconds + offsetSeconds };
                if (rec.Iteration > 0 || history.Count == 0) { history.Add(shifted); progress(shifted); }
            });
            x.Dispose();
            x = result.Point.clone().DetachFromDisposeScope();
            iterations += result.Iterations;
            products += result.HessianProducts;
            evaluations += result.CostEvaluations;
            reference = Math.Max(reference, result.History[0].GradientNorm);
            bool outOfTime = budget is { } total && clock.Elapsed >= total;
            if (!cancellation.IsCancellationRequested && !outOfTime && LowerVertex(x, result.Cost) is { } lower)
            {
                // The optimizer runs once more from the vertex: it is critical, so that run only confirms it.
                x.Dispose();
                x = lower;
                continue;
            }
            bool stationary = result.Reason is StopReason.GradientNorm or StopReason.RelativeGradient or StopReason.StepSize;
            if (!options.EscapeSaddles || !stationary || escapes >= MaxEscapes || cancellation.IsCancellationRequested
                || iterations >= options.MaxIterations)
                return new RunResult(x, result.Cost, result.GradientNorm, iterations, escapes, result.Reason, history, false, products, evaluations, roundings);

            var escaped = CurvatureProbe.TryEscape(objective, x, result.Cost, probeGenerator);
            if (escaped is null)
                return new RunResult(x, result.Cost, result.GradientNorm, iterations, escapes, result.Reason, history, true, products, evaluations, roundings);
            x.Dispose();
            x = escaped;
            escapes++;
        }
    }
}
