"""Polyak step sizes with and without interpolation: SPS_max, DecSPS, AdaGrad-Norm, tuned SGD.

Runs ``suite.toml`` (``suite-quick.toml`` with ``--quick``: fewer seeds)
through the harness and reads it back with :class:`lrsched.bench.Analysis`,
which keeps, for SGD, the LR of the grid with the fewest median steps to the
1e-3 relative target (AlgoPerf's external tuning).  The figure is the
harness's own loss plot (:func:`lrsched.plots.bench_curves.loss`).  See README.md.

    python papers/polyak-family/reproduce.py [--quick] [--out DIR] [--workers N]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _common  # noqa: E402  (first: limits BLAS threads before NumPy loads)
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = ("sgd", "sps", "decsps", "adagrad_norm")
CONVERGED = 1e-2   # "converges": relative gap at most this at the end of the budget


def gap_at(analysis, w: int, method: str, step: float) -> float:
    """Median over seeds of the relative gap at the last recorded row at or before ``step``."""
    values = []
    for x, gap in analysis.series(w, method, "step", "gap"):
        k = np.searchsorted(x, step, side="right") - 1
        values.append(gap[k] if k >= 0 else np.nan)
    return float(np.median(values))


def main() -> int:
    args = _common.arguments(__doc__.splitlines()[0], HERE)
    claims = _common.Claims(HERE, args.quick)
    _common.run_study_suite(args)
    from lrsched.bench import Analysis

    analysis = Analysis(args.out)
    targets = analysis.targets
    budget = max(t["steps"] for t in analysis.trials)
    index = {w.label.split(" (")[0]: i for i, w in enumerate(analysis.workloads)}
    separable = next(i for label, i in index.items() if "separable" in label)
    squares = next(i for label, i in index.items() if "least squares" in label)
    cancer = index["breast_cancer"]

    print(f"\nmedian steps to relative targets {targets} and final relative gap (f − f*)/(f0 − f*)")
    table = {}
    for w, workload in enumerate(analysis.workloads):
        print(f"{workload.label}  (f* = {workload.f_star:.4g})")
        for method in METHODS:
            sel = analysis.selected[w, method]
            steps = np.quantile(sel.costs["steps"], 0.5, axis=0, method="inverted_cdf")
            final = float(np.median(sel.final_gap))
            half = gap_at(analysis, w, method, budget / 2)
            table[w, method] = {"steps": steps, "final": final, "half": half, "lr": sel.lr}
            lr = f" (lr {sel.lr:g})" if sel.lr is not None else ""
            print(f"  {method + lr:<20} steps " + " ".join(f"{s:>6g}" for s in steps)
                  + f"   gap at {budget / 2:g}: {half:.3g}, at {budget:g}: {final:.3g}")

    sps = table[separable, "sps"]["steps"][-1]
    sgd = table[separable, "sgd"]["steps"][-1]
    claims.check("sps-interpolation", np.isfinite(sps) and sps <= sgd,
                 f"steps to the {targets[-1]:g} relative target on the separable problem: SPS "
                 f"{sps:g}, tuned SGD {sgd:g} (lr {table[separable, 'sgd']['lr']:g})")
    sps = table[squares, "sps"]["steps"][-1]
    sgd = table[squares, "sgd"]["steps"][-1]
    claims.check("sps-interpolation-least-squares", np.isfinite(sps) and sps <= sgd,
                 f"steps to the {targets[-1]:g} relative target on noise-free least squares: SPS "
                 f"{sps:g}, tuned SGD {sgd:g} (lr {table[squares, 'sgd']['lr']:g})")
    parts, ok = [], True
    for name, w in (("breast_cancer", cancer), ("separable", separable)):
        row = table[w, "decsps"]
        ok &= row["final"] <= CONVERGED and row["final"] < row["half"]
        parts.append(f"{name}: gap {row['half']:.3g} at step {budget / 2:g} → {row['final']:.3g} "
                     f"at {budget:g}")
    claims.check("decsps-converges", ok, "; ".join(parts) + f" (≤ {CONVERGED:g} and decreasing)")
    decsps, sps_gap = table[cancer, "decsps"]["final"], table[cancer, "sps"]["final"]
    claims.check("decsps-beats-sps-without-interpolation", decsps < sps_gap,
                 f"final relative gap on breast_cancer: DecSPS {decsps:.3g}, SPS_max {sps_gap:.3g}")

    from lrsched.plots.bench_curves import loss

    fig = loss(analysis, x="step")
    fig.set_dpi(80)
    _common.save_figure(fig, args, "polyak.png")
    return _common.done(args, claims)


if __name__ == "__main__":
    sys.exit(main())
