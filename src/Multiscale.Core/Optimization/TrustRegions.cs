using System.Diagnostics;
using static TorchSharp.torch;

namespace Multiscale.Optimization;

/// <summary>
/// Riemannian trust-region method with a truncated (Steihaug–Toint) conjugate-gradient inner solver (Absil, Baker
/// &amp; Gallivan 2007; the <c>trustregions</c> solver of Manopt/Pymanopt). Each iteration minimizes the quadratic
/// model f + ⟨g, η⟩ + ½⟨η, Hess f[η]⟩ in the tangent space within a radius Δ, measured in the norm of the problem's
/// preconditioner (‖η‖²_M = ⟨η, M⁻¹η⟩, so the region follows the modelled curvature), retracts, and accepts the step
/// when the actual decrease is at least <see cref="AcceptanceRatio"/> of the predicted one. It needs exact
/// Hessian–vector products (<see cref="IHessianEvaluation"/>) and costs one cost evaluation per iteration: there is no
/// line search.
/// </summary>
public sealed class TrustRegions : IRiemannianOptimizer
{
    /// <summary>Accept a step when ρ = actual / predicted decrease exceeds this (Manopt's ρ′ = 0.1).</summary>
    public double AcceptanceRatio { get; init; } = 0.1;

    /// <summary>Inner CG stops when ‖r‖ ≤ ‖r₀‖·min((‖r₀‖/‖g₀‖)^θ, κ): κ (linear rate far away).</summary>
    public double Kappa { get; init; } = 0.1;

    /// <summary>θ = 1 gives the quadratic local rate of Newton's method.</summary>
    public double Theta { get; init; } = 1.0;

    /// <summary>
    /// Inner iterations per outer one (Manopt: the dimension). Near an optimum of eq. (3.3) on paths and grids the
    /// preconditioned Hessian has a wide spectrum of tiny curvatures (a flat valley of near-equal maps) and the inner
    /// solve ran to the full dimension each outer iteration; a cap keeps each step a truncated Newton step.
    /// </summary>
    public int MaxInnerIterations { get; init; } = 200;

    /// <summary>Accepted iterations over which a decrease below rounding stops the run.</summary>
    public int StallWindow { get; init; } = 3;

    /// <inheritdoc />
    public string Name => "tr";

    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <inheritdoc />
    public OptimizationResult Optimize(IRiemannianProblem problem, Tensor start, StoppingCriteria? criteria = null,
        Action<IterationRecord>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(start);
        criteria ??= new StoppingCriteria();
        criteria.Validate();
        var manifold = problem.Manifold;
        var clock = Stopwatch.StartNew();
        var history = new List<IterationRecord>();
        int evaluations = 1, hessianProducts = 0;
        int maxInner = (int)Math.Min(MaxInnerIterations, manifold.Dimension);

        Tensor x;
        using (var scope = NewDisposeScope()) x = start.detach().clone().DetachFromDisposeScope();
        var current = Require(problem.Evaluate(x));
        double gradNorm = manifold.Norm(x, current.RiemannianGradient());
        double gradNorm0 = criteria.ReferenceGradientNorm ?? gradNorm;
        Record(0, current.Cost, gradNorm, 0);

        // Radius: the first preconditioned gradient step (a Newton step of the diagonal model when M models the
        // inverse Hessian) fits inside; an identity metric starts at Manopt's typical-distance rule instead.
        double radius, maxRadius;
        using (var scope = NewDisposeScope())
        {
            var g = current.RiemannianGradient();
            var z = Precondition(problem, x, g);
            double size = Math.Sqrt(Math.Max(manifold.Inner(x, g, z), 0));
            maxRadius = problem.HasPreconditioner ? Math.Max(size, 1e-300) * 1e6 : Math.Sqrt(manifold.Dimension);
            radius = problem.HasPreconditioner ? Math.Max(size, 1e-300) : maxRadius / 8;
        }

        StopReason reason;
        int iteration = 0, rejectedInARow = 0;
        while (true)
        {
            using var iterationScope = NewDisposeScope();
            if (criteria.Reached(gradNorm, gradNorm0, iteration, clock.Elapsed) is { } stop) { reason = stop; break; }

            // Manopt's ρ regularization δ: cost differences below it are rounding.
            double delta = Math.Max(1, Math.Abs(current.Cost)) * 1e3 * MachineEpsilon;
            // The inner solve stops with the budget too: one Hessian product at grid:32x32→grid:64x64 takes seconds, and
            // 200 of them overran a 600 s budget by far when time was checked between outer iterations only.
            bool OutOfTime() => criteria.MaxTime is { } limit && clock.Elapsed >= limit || criteria.Cancellation.IsCancellationRequested;
            var (eta, modelDecrease, products) = TruncatedCg(problem, manifold, x, current, radius, maxInner, gradNorm0, OutOfTime, out bool boundary);
            hessianProducts += products;
            double etaNorm = manifold.Norm(x, eta);

            Tensor candidateX;
            using (var scope = NewDisposeScope()) candidateX = manifold.Retract(x, eta).DetachFromDisposeScope();
            var candidate = Require(problem.Evaluate(candidateX));
            evaluations++;
            // Near convergence both decreases are at rounding level; δ keeps ρ meaningful instead of 0/0.
            double rho = (current.Cost - candidate.Cost + delta) / (modelDecrease + delta);
            if (rho < 0.25) radius *= 0.25;
            else if (rho > 0.75 && boundary) radius = Math.Min(2 * radius, maxRadius);

            if (rho > AcceptanceRatio)
            {
                double candidateGradNorm = manifold.Norm(candidateX, candidate.RiemannianGradient());
                // A step the model valued below the cost's rounding that did not shrink the gradient either: the point
                // is critical to the precision of double arithmetic, and further steps are noise (path:128→path:256 from
                // the assignment start: 1,000 Hessian products of such steps, the gradient wandering 0.03–0.7). The
                // current point is kept: the costs are equal to rounding and its gradient is the smaller (accepting the
                // step returned ‖grad‖ 0.177 instead of 0.006 on path:512→path:1024 from the assignment start).
                if (modelDecrease < delta && candidateGradNorm >= gradNorm)
                {
                    candidate.Dispose();
                    candidateX.Dispose();
                    reason = StopReason.StepSize;
                    break;
                }
                iteration++;
                rejectedInARow = 0;
                current.Dispose();
                x.Dispose();
                x = candidateX;
                current = candidate;
                gradNorm = candidateGradNorm;
                Record(iteration, current.Cost, gradNorm, etaNorm);
                if (etaNorm < criteria.MinStepSize) { reason = StopReason.StepSize; break; }
                // Three accepted steps together lowered the cost by less than its rounding δ: further progress cannot be
                // verified in double precision (the line-search optimizers stop here when no trial decreases the cost).
                if (iteration >= StallWindow && history[^(StallWindow + 1)].Cost - current.Cost < delta) { reason = StopReason.StepSize; break; }
            }
            else
            {
                candidate.Dispose();
                candidateX.Dispose();
                // The radius shrinks by 4 per rejection; once a step this small is still rejected the model cannot
                // resolve a decrease any more (rounding level).
                if (++rejectedInARow > 40 || etaNorm < criteria.MinStepSize) { reason = StopReason.StepSize; break; }
            }
        }

        double finalCost = current.Cost;
        current.Dispose();
        return new OptimizationResult(x, finalCost, gradNorm, iteration, clock.Elapsed.TotalSeconds, reason, history, evaluations)
        {
            HessianProducts = hessianProducts,
        };

        void Record(int i, double cost, double norm, double step)
        {
            var record = new IterationRecord(i, cost, norm, step, clock.Elapsed.TotalSeconds);
            history.Add(record);
            progress?.Invoke(record);
        }
    }

    private static IHessianEvaluation Require(IPointEvaluation evaluation) => evaluation as IHessianEvaluation
        ?? throw new MultiscaleException("the trust-region optimizer needs a problem with exact Hessian–vector products");

    private static Tensor Precondition(IRiemannianProblem problem, Tensor x, Tensor tangent) =>
        problem.HasPreconditioner ? problem.Precondition(x, tangent) : tangent.clone();

    /// <summary>
    /// Steihaug–Toint truncated CG on the model, preconditioned (Manopt's tCG): stops at the boundary of the region
    /// (also along negative curvature), when the model stops decreasing, or on the κ/θ residual rule. Returns the step,
    /// the model decrease −(⟨g, η⟩ + ½⟨η, Hη⟩) and the number of Hessian products. Temporaries die in the caller's scope.
    /// </summary>
    private (Tensor Eta, double ModelDecrease, int Products) TruncatedCg(IRiemannianProblem problem, Manifolds.IManifold manifold,
        Tensor x, IHessianEvaluation at, double radius, int maxInner, double gradNorm0, Func<bool> outOfTime, out bool boundary)
    {
        boundary = false;
        var g = at.RiemannianGradient();
        var eta = zeros_like(g);
        var hEta = zeros_like(g);
        var r = g.clone();
        double rNorm0 = manifold.Norm(x, r);
        var z0 = Precondition(problem, x, r);
        double zr = manifold.Inner(x, z0, r);
        var d = z0.neg();
        // Norms in the preconditioner's metric: ⟨η, M⁻¹η⟩, ⟨η, M⁻¹d⟩, ⟨d, M⁻¹d⟩, updated by recurrences.
        double ePe = 0, ePd = 0, dPd = zr;
        double model = 0;
        double radius2 = radius * radius;
        int products = 0;
        for (int j = 0; j < maxInner; j++)
        {
            // Each inner step's temporaries (the Hessian product's own, the candidate steps) die with the step: held to
            // the outer iteration's end they were ~15 fine × coarse matrices per product (2.6 GB on path:128→path:256).
            using var step = NewDisposeScope();
            var hd = at.RiemannianHessian(d);
            products++;
            double dHd = manifold.Inner(x, d, hd);
            double alpha = zr / dHd;
            double ePeNew = ePe + 2 * alpha * ePd + alpha * alpha * dPd;
            if (!(dHd > 0) || ePeNew >= radius2)
            {
                // Negative curvature or the step leaves the region: go to the boundary along d.
                double tau = (-ePd + Math.Sqrt(Math.Max(ePd * ePd + dPd * (radius2 - ePe), 0))) / dPd;
                var nextEta = eta + d * tau;
                var nextHEta = hEta + hd * tau;
                double nextModel = Model(nextEta, nextHEta);
                if (nextModel < model || j == 0) { Keep(ref eta, nextEta); Keep(ref hEta, nextHEta); model = nextModel; }
                boundary = true;
                break;
            }
            var newEta = eta + d * alpha;
            var newHEta = hEta + hd * alpha;
            double newModel = Model(newEta, newHEta);
            // In exact arithmetic each CG step lowers the model; when rounding says otherwise, keep the last good step.
            if (newModel >= model && j > 0) break;
            Keep(ref eta, newEta);
            Keep(ref hEta, newHEta);
            model = newModel;
            ePe = ePeNew;
            Keep(ref r, r + hd * alpha);
            double rNorm = manifold.Norm(x, r);
            // The rule on ‖r₀‖ relative to the first gradient, so it does not depend on the cost's units.
            if (rNorm <= rNorm0 * Math.Min(Math.Pow(rNorm0 / (gradNorm0 > 0 ? gradNorm0 : 1), Theta), Kappa)) break;
            if (outOfTime()) break;
            var z = Precondition(problem, x, r);
            double zrOld = zr;
            zr = manifold.Inner(x, z, r);
            double beta = zr / zrOld;
            // Re-projecting d keeps it tangent against the drift of many recurrences.
            Keep(ref d, manifold.Project(x, d * beta - z));
            ePd = beta * (ePd + alpha * dPd);
            dPd = zr + beta * beta * dPd;
        }
        return (eta, -model, products);

        double Model(Tensor e, Tensor he) => manifold.Inner(x, g, e) + 0.5 * manifold.Inner(x, e, he);
    }

    /// <summary>Replaces a tensor of the inner solve's state by one made in the current step's scope, which it outlives.</summary>
    private static void Keep(ref Tensor state, Tensor next)
    {
        next.MoveToOuterDisposeScope();
        state.Dispose();
        state = next;
    }
}
