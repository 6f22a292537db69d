using MathNet.Numerics.LinearAlgebra;
using Multiscale.Optimization;
using static TorchSharp.torch;

namespace Multiscale.Prolongation;

/// <summary>
/// Tells a local minimum from a saddle at a point where the gradient (nearly) vanishes. The Munkres start is such a
/// point for cycles with s &gt; 0 (T and L share eigenvectors, so the gradient is zero by symmetry) and optimizers
/// stop there. We estimate the most negative curvature of the Riemannian Hessian by Lanczos on exact Hessian–vector
/// products (finite differences of the gradient for problems without them), and if it is negative, move along that
/// direction to a lower point.
/// </summary>
internal static class CurvatureProbe
{
    /// <summary>A lower point reached along a negative-curvature direction, or null when none is found.</summary>
    public static Tensor? TryEscape(IRiemannianProblem problem, Tensor x, double cost, Generator generator,
        int steps = ProlongationSolver.ProbeSteps)
    {
        var manifold = problem.Manifold;
        using var scope = NewDisposeScope();
        using var here = problem.Evaluate(x);
        var g0 = here.RiemannianGradient();
        double h = 1e-5;

        Tensor Hessian(Tensor v)
        {
            if (here is IHessianEvaluation exact) return exact.RiemannianHessian(v);
            using var moved = problem.Evaluate(manifold.Retract(x, v * h));
            return (manifold.Transport(x, x, moved.RiemannianGradient()) - g0) / h;
        }

        int m = (int)Math.Min(steps, manifold.Dimension);
        // A manifold of dimension 0 (St(1, 1) = {±1}: a one-vertex pair) has no direction to curve along.
        if (m < 1) return null;
        var basis = new List<Tensor> { manifold.RandomTangent(x, generator) };
        var alphas = new List<double>();
        var betas = new List<double>();
        for (int j = 0; j < m; j++)
        {
            // Each step's temporaries (the Hessian product, the reorthogonalization's partial sums) go at its end;
            // held to the probe's end they were ~26 fine × coarse matrices per step (6 GB at 1000 → 2000).
            using var stepScope = NewDisposeScope();
            var w = Hessian(basis[j]);
            double a = manifold.Inner(x, basis[j], w);
            alphas.Add(a);
            // Full reorthogonalization keeps the short Lanczos run honest in finite precision.
            foreach (var q in basis) w = w - q * manifold.Inner(x, q, w);
            double b = manifold.Norm(x, w);
            if (j == m - 1 || b < 1e-10) break;
            betas.Add(b);
            basis.Add((w / b).MoveToOuterDisposeScope());
        }
        int k = alphas.Count;
        var tri = Matrix<double>.Build.Dense(k, k);
        for (int i = 0; i < k; i++)
        {
            tri[i, i] = alphas[i];
            if (i + 1 < k) tri[i, i + 1] = tri[i + 1, i] = betas[i];
        }
        // MathNet's EVD fails on a 1 × 1 matrix; its eigenpair is the entry and 1.
        var eigenvalues = k == 1 ? new[] { alphas[0] } : null;
        var evd = k == 1 ? null : tri.Evd(Symmetricity.Symmetric);
        eigenvalues ??= evd!.EigenValues.Select(c => c.Real).ToArray();
        int smallest = 0;
        for (int i = 1; i < k; i++) if (eigenvalues[i] < eigenvalues[smallest]) smallest = i;
        double theta = eigenvalues[smallest];
        double largest = eigenvalues.Max(Math.Abs);
        if (!(theta < -1e-7 * Math.Max(largest, 1e-300))) return null;

        var direction = zeros_like(x);
        for (int i = 0; i < k; i++) direction += basis[i] * (evd is null ? 1.0 : evd.EigenVectors[i, smallest]);
        direction = direction / manifold.Norm(x, direction);

        // Along a negative-curvature direction both signs descend to second order; take the first step that lowers E.
        double tolerance = 1e-12 * Math.Max(1, Math.Abs(cost));
        for (double t = 1.0; t > 1e-8; t *= 0.5)
        {
            foreach (var sign in new[] { 1.0, -1.0 })
            {
                using var tryScope = NewDisposeScope();
                var candidate = manifold.Retract(x, direction * (sign * t));
                using var e = problem.Evaluate(candidate);
                if (e.Cost < cost - tolerance) return candidate.MoveToOuterDisposeScope().MoveToOuterDisposeScope();
            }
        }
        return null;
    }
}
