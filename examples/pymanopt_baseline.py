"""Pymanopt baseline for eq. (3.3) of paper 004 (docs/prolongation.md, "Against Pymanopt").

Runs Pymanopt's trust-regions and conjugate-gradient optimizers (numpy backend, hand-supplied Euclidean gradient and
Hessian) on E(P) = (1-s)||P L1/sqrt(a) - sqrt(a) L2 P||^2 + s||P T1/sqrt(b) - sqrt(b) T2 P||^2 over St(n2, n1), from
Pymanopt's own random start, and prints one line per run: pair, optimizer, objective, gradient norm, seconds.
Pymanopt is not part of this project; point PYTHONPATH at a checkout's src/ folder:

    PYTHONPATH=/path/to/pymanopt/src /usr/bin/python3 examples/pymanopt_baseline.py path:32 path:64 --max-time 60
"""
import argparse
import sys
import time

import numpy as np
import pymanopt
from pymanopt.manifolds import Stiefel
from pymanopt.optimizers import ConjugateGradient, TrustRegions


def graph(spec):
    family, sides = spec.split(":")
    sides = [int(x) for x in sides.split("x")]
    periodic = family in ("cycle", "torus")
    coords = np.array(np.unravel_index(np.arange(int(np.prod(sides))), sides)).T  # row-major, as GraphFactory
    n = len(coords)
    diff = np.abs(coords[:, None, :] - coords[None, :, :])
    if periodic:
        diff = np.minimum(diff, np.array(sides) - diff)
    hops = diff.sum(axis=2).astype(float)  # hop distance on a grid / torus is the L1 distance
    adjacency = (hops == 1).astype(float)
    return adjacency - np.diag(adjacency.sum(axis=1)), hops


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("coarse")
    parser.add_argument("fine")
    parser.add_argument("--s", type=float, default=0.5)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--beta", type=float, default=None, help="default n1/n2")
    parser.add_argument("--max-time", type=float, default=60.0)
    parser.add_argument("--max-iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    l1, t1 = graph(args.coarse)
    l2, t2 = graph(args.fine)
    n1, n2 = len(l1), len(l2)
    s, a = args.s, args.alpha
    b = args.beta if args.beta is not None else n1 / n2
    manifold = Stiefel(n2, n1)

    def residuals(p):
        return p @ l1 / np.sqrt(a) - np.sqrt(a) * l2 @ p, p @ t1 / np.sqrt(b) - np.sqrt(b) * t2 @ p

    @pymanopt.function.numpy(manifold)
    def cost(p):
        rl, rt = residuals(p)
        return (1 - s) * np.sum(rl * rl) + s * np.sum(rt * rt)

    @pymanopt.function.numpy(manifold)
    def euclidean_gradient(p):
        rl, rt = residuals(p)
        return 2 * (1 - s) * (rl @ l1 / np.sqrt(a) - np.sqrt(a) * l2 @ rl) + 2 * s * (rt @ t1 / np.sqrt(b) - np.sqrt(b) * t2 @ rt)

    @pymanopt.function.numpy(manifold)
    def euclidean_hessian(p, u):
        # The cost is quadratic in P: the Hessian is the gradient's linear part applied to U.
        rl, rt = residuals(u)
        return 2 * (1 - s) * (rl @ l1 / np.sqrt(a) - np.sqrt(a) * l2 @ rl) + 2 * s * (rt @ t1 / np.sqrt(b) - np.sqrt(b) * t2 @ rt)

    problem = pymanopt.Problem(manifold, cost, euclidean_gradient=euclidean_gradient, euclidean_hessian=euclidean_hessian)
    for name, optimizer in [
        ("trust-regions", TrustRegions(max_time=args.max_time, max_iterations=args.max_iterations, verbosity=0)),
        ("conjugate-gradient", ConjugateGradient(max_time=args.max_time, max_iterations=args.max_iterations, verbosity=0)),
    ]:
        np.random.seed(args.seed)
        start = manifold.random_point()
        clock = time.perf_counter()
        result = optimizer.run(problem, initial_point=start)
        seconds = time.perf_counter() - clock
        print(f"{args.coarse} {args.fine} {name} objective {result.cost:.10g} gradient_norm {result.gradient_norm:.3g} "
              f"iterations {result.iterations} seconds {seconds:.2f} stop '{result.stopping_criterion}'", flush=True)


if __name__ == "__main__":
    sys.exit(main())
