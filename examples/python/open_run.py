#!/usr/bin/python3
"""Open a Multiscale run folder with numpy and matplotlib, check the trained arrays, and redraw the loss curve.

    python3 examples/python/open_run.py RUN_FOLDER [--figure PNG] [--inputs X.npy [--targets Y.npy]]

Reads report.json, config.json, metrics.csv, weights.npz (and weights.safetensors, checked equal) and any .npy maps in the folder (docs/formats.md). For an
MsANN run it rebuilds each fine layer from the levels, Θ = Σ_l Pro_l θ⁽ˡ⁾ Pro_lᵀ (docs/msann.md); for an MRTL run it
rebuilds each method's W from its CP factors (docs/mrtl.md). Prints a JSON summary (array shapes and sums, the largest
rebuild difference) and writes the validation curve from metrics.csv as a PNG (default: RUN_FOLDER/loss_numpy.png).
With --inputs (rows are examples) an MsANN run's fine network is evaluated on them in numpy, y = σ(x Θ_W + Θ_b) layer
by layer, and the summary gains its mean squared error against --targets (default: the inputs, an autoencoder).
"""
import argparse
import csv
import json
import os
import re
import sys

import numpy as np
import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt


def msann_rebuild(w):
    """Largest |Θ − Σ_l Pro θ⁽ˡ⁾ Proᵀ| over every fine layer's weight and bias."""
    worst = 0.0
    layers = sorted({int(m.group(1)) for k in w for m in [re.fullmatch(r"fine\.layer(\d+)\.weight", k)] if m})
    levels = sorted({int(m.group(1)) for k in w for m in [re.fullmatch(r"level(\d+)\.layer0\.weight", k)] if m})

    def pro(n, level):
        return np.eye(n) if level == 0 else w[f"map.n{n}.level{level}"]

    for j in layers:
        fine_w, fine_b = w[f"fine.layer{j}.weight"], w[f"fine.layer{j}.bias"]
        n_in, n_out = fine_w.shape
        sum_w = sum(pro(n_in, l) @ w[f"level{l}.layer{j}.weight"].astype(np.float64) @ pro(n_out, l).T for l in levels)
        sum_b = sum(pro(n_out, l) @ w[f"level{l}.layer{j}.bias"].astype(np.float64) for l in levels)
        worst = max(worst, float(np.abs(fine_w - sum_w).max()), float(np.abs(fine_b - sum_b).max()))
    return worst


def msann_forward(w, x, prefix=""):
    """The fine network's output for rows x."""
    h = x.astype(np.float64)
    j = 0
    while f"{prefix}fine.layer{j}.weight" in w:
        h = 1.0 / (1.0 + np.exp(-(h @ w[f"{prefix}fine.layer{j}.weight"] + w[f"{prefix}fine.layer{j}.bias"])))
        j += 1
    return h


def mrtl_rebuild(w):
    """Largest |W − Σ_k ∘_m factor{m}[:, k]| over every method that kept its tensor (plus the sparse term's
    sparse_factor{m} for the low-rank + sparse model, W = W^L + W^S)."""
    worst = 0.0
    # <method>.full_rank.tensor is the full-rank stage's model CP-ALS started from (a coarser grid): no factors rebuild it.
    for key in [k for k in w if k.endswith(".tensor") and not k.endswith(".full_rank.tensor")]:
        method = key[: -len(".tensor")]
        modes = range(len(w[key].shape))
        letters = "abcdefghijklmnop"[: len(w[key].shape)]
        rebuilt = np.zeros(w[key].shape)
        for name in ("factor", "sparse_factor"):
            if f"{method}.{name}0" not in w:
                continue
            factors = [w[f"{method}.{name}{m}"].astype(np.float64) for m in modes]
            rebuilt += np.einsum(",".join(f"{c}z" for c in letters) + "->" + letters, *factors)
        worst = max(worst, float(np.abs(w[key] - rebuilt).max()))
    return worst


SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
                      "U8": "u1", "BOOL": "?"}


def load_safetensors(path):
    """A safetensors file with numpy alone: 8-byte little-endian header length, JSON header, raw C-order data."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = np.frombuffer(raw[:8], dtype="<u8")
    header = json.loads(raw[8:8 + int(n)])
    header.pop("__metadata__", None)
    data = raw[8 + int(n):]
    return {name: np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]], dtype=SAFETENSORS_DTYPES[e["dtype"]]).reshape(e["shape"])
            for name, e in header.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder (holds report.json)")
    parser.add_argument("--figure", help="PNG to write (default: RUN/loss_numpy.png)")
    parser.add_argument("--inputs", help="MsANN: .npy of input rows to run the fine network on")
    parser.add_argument("--targets", help="MsANN: .npy of target rows for the MSE (default: the inputs)")
    args = parser.parse_args()
    run = args.run
    if not os.path.isfile(os.path.join(run, "report.json")):
        print(f"error: '{run}' holds no report.json (not a complete run folder)", file=sys.stderr)
        return 1
    with open(os.path.join(run, "report.json")) as f:
        report = json.load(f)
    with open(os.path.join(run, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(run, "metrics.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    weights_path = os.path.join(run, "weights.npz")
    weights = dict(np.load(weights_path, allow_pickle=False)) if os.path.exists(weights_path) else {}
    safe_path = os.path.join(run, "weights.safetensors")
    # The two weight files hold the same arrays: the summary says whether they agree bit for bit.
    safetensors_equal = None
    if os.path.exists(safe_path):
        safe = load_safetensors(safe_path)
        safetensors_equal = sorted(safe) == sorted(weights) and all(
            safe[k].dtype == weights[k].dtype and np.array_equal(safe[k], weights[k]) for k in weights)
    maps = {name: np.load(os.path.join(run, name), allow_pickle=False) for name in sorted(os.listdir(run)) if name.endswith(".npy")}

    method = config["method"]
    extra = {}
    if method == "msann":
        difference = msann_rebuild(weights)
        if args.inputs:
            x = np.load(args.inputs, allow_pickle=False)
            y = np.load(args.targets, allow_pickle=False) if args.targets else x
            extra["fine_mse"] = float(np.mean((msann_forward(weights, x) - y) ** 2))
        group, x_column, y_column, log = "run", "cost", "validation_mse", True
    else:
        difference = mrtl_rebuild(weights)
        group, x_column, y_column, log = "method", "total_seconds", "val_loss", False

    figure = args.figure or os.path.join(run, "loss_numpy.png")
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in dict.fromkeys(r[group] for r in rows):
        points = [(float(r[x_column]), float(r[y_column])) for r in rows if r[group] == name and r[y_column] not in ("", "NaN")]
        if log:
            points = [p for p in points if p[0] > 0 and p[1] > 0]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=name)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(x_column)
    ax.set_ylabel(y_column)
    ax.set_title(f"{method}: {y_column} against {x_column}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(figure, dpi=100)

    print(json.dumps({
        "method": method,
        "report": {k: v for k, v in report.items() if isinstance(v, (int, float, str))},
        "metrics_rows": len(rows),
        "maps": {k: list(v.shape) for k, v in maps.items()},
        "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype), "sum": float(v.astype(np.float64).sum())} for k, v in weights.items()},
        "max_rebuild_difference": difference,
        "safetensors_equal_npz": safetensors_equal,
        "figure": figure,
        **extra,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
