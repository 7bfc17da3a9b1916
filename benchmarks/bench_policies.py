"""Adaptive policies without tuning against the best constant rate of a 10-point grid.

Two tables, every figure measured in this run:

1. **Full batch** on ``logistic(breast_cancer)`` and ``softmax(digits)`` (both
   with the default ``l2=1e-3``): steps and seconds each method needs to reach
   a relative suboptimality ``(f - f*)/(f0 - f*) <= 1e-4``, within at most
   20,000 steps, and the level it reaches.  Methods: ``polyak`` (with the
   problem's f*), ``armijo``, ``dog``, ``dadapt``, ``decsps``,
   ``adagrad_norm``, ``hypergradient`` (all on plain SGD) and the ``prodigy``
   optimizer with ``constant(1.0)``; the reference is SGD at the best constant
   rate of ``geomspace(1e-2, 1e2, 10)`` (fewest steps to the target, or the
   lowest final level when none reaches it).  ``decsps``, ``adagrad_norm`` and
   ``hypergradient`` also run the whole 20,000 steps, for the level they reach.
2. **Minibatches of 32** for 20 epochs on the same problems: the level each
   method reaches (full objective at the end), with steps and seconds; the
   best constant rate is chosen again on this setting, and ``plateau`` wraps it
   (the only method here with a tuned rate), with its defaults (a check every
   step on the noisy minibatch loss) and as torch users run it (once per epoch
   on the full objective, ``patience=2``).

Seconds are the loop's training time (evaluations excluded); timings on this
shared machine are indicative, steps are exact.  BLAS runs on one thread
(``threadpoolctl``), because OpenBLAS's spinning threads slow the small
matrix products of these problems by 10-50x when the 2 cores are shared.  Run::

    python benchmarks/bench_policies.py [--quick] [--json FILE]

``--quick`` uses 2,000 full-batch steps and 2 epochs (a smoke run).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

import lrsched
import lrsched.optim.prodigy  # noqa: F401  (registers "prodigy" until lrsched.optim imports it)
from lrsched import Budget, parse, train

PROBLEMS = ["logistic(dataset='breast_cancer')", "softmax(dataset='digits')"]
GRID = np.geomspace(1e-2, 1e2, 10)
TARGET = 1e-4

#: (label, optimizer, schedule or policy)
FULL_BATCH = [
    ("polyak (f*)", "sgd", "polyak()"),
    ("armijo", "sgd", "armijo()"),
    ("dog", "sgd", "dog()"),
    ("dadapt", "sgd", "dadapt()"),
    ("prodigy", "prodigy", "constant(1.0)"),
    ("decsps", "sgd", "decsps()"),
    ("adagrad_norm", "sgd", "adagrad_norm()"),
    ("hypergradient", "sgd", "hypergradient()"),
]


def relative(problem, loss, f0):
    f_star = problem.f_star
    return (loss - f_star) / (f0 - f_star)


def run(problem, optimizer, schedule, budget, batch_size=None, target=None):
    policy = parse(schedule)
    bind = getattr(policy, "bind", None)
    if bind is not None:
        bind(problem)
    f0 = problem.loss(problem.init(0))
    target_loss = None if target is None else problem.f_star + target * (f0 - problem.f_star)
    t0 = time.perf_counter()
    r = train(problem, optimizer, policy, budget=budget, batch_size=batch_size, monitor=None,
              target=target_loss, stop_at_target=target is not None,
              eval_every=1 if batch_size is None else None)
    wall = time.perf_counter() - t0
    s = r.summary
    level = relative(problem, s["final_loss"], f0) if s["status"] == "done" else math.inf
    return {
        "status": s["status"],
        "level": level,
        "steps": s["steps"],
        "seconds": s["seconds"],
        "steps_to_target": s["steps_to_target"],
        "seconds_to_target": s["seconds_to_target"],
        "probes": s["probes"],
        "wall": wall,
    }


def best_constant(problem, budget, batch_size=None, target=None):
    best = None
    for lr in GRID:
        out = run(problem, "sgd", f"constant({lr:.6g})", budget, batch_size, target)
        out["lr"] = float(f"{lr:.6g}")
        key = (out["steps_to_target"] if out["steps_to_target"] is not None else math.inf,
               out["level"])
        if best is None or key < best[0]:
            best = (key, out)
    return best[1]


def _fmt(value, kind="g"):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if kind == "e":
        return f"{value:.1e}"
    if kind == "s":
        return f"{value:.2f}"
    return f"{value}"


def full_batch_table(steps):
    rows = []
    for spec_text in PROBLEMS:
        problem = parse(spec_text)
        budget = Budget(steps=steps)
        for label, opt, sched in FULL_BATCH:
            out = run(problem, opt, sched, budget, None, TARGET)
            rows.append((spec_text, label, out))
        out = best_constant(problem, budget, None, TARGET)
        rows.append((spec_text, f"best constant ({out['lr']:g})", out))
    print(f"\n## Full batch: steps and seconds to (f - f*)/(f0 - f*) <= {TARGET:g} "
          f"(at most {steps} steps)\n")
    print("| problem | method | steps to 1e-4 | seconds to 1e-4 | level reached | steps | "
          "probes | status |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for problem, label, o in rows:
        print(f"| {problem} | {label} | {_fmt(o['steps_to_target'])} | "
              f"{_fmt(o['seconds_to_target'], 's')} | {_fmt(o['level'], 'e')} | {o['steps']} | "
              f"{o['probes']} | {o['status']} |")
    return rows


def level_table(steps):
    """The methods that do not reach the target fast, run for the whole budget."""
    rows = []
    for spec_text in PROBLEMS:
        problem = parse(spec_text)
        for label, opt, sched in FULL_BATCH:
            if label in ("decsps", "adagrad_norm", "hypergradient"):
                rows.append((spec_text, label, run(problem, opt, sched, Budget(steps=steps))))
    print(f"\n## Full batch, no early stop: level reached in {steps} steps\n")
    print("| problem | method | level (f - f*)/(f0 - f*) | seconds |")
    print("|---|---|---:|---:|")
    for problem, label, o in rows:
        print(f"| {problem} | {label} | {_fmt(o['level'], 'e')} | {_fmt(o['seconds'], 's')} |")
    return rows


def minibatch_table(epochs, batch_size=32):
    rows = []
    for spec_text in PROBLEMS:
        problem = parse(spec_text)
        budget = Budget(epochs=epochs)
        best = best_constant(problem, budget, batch_size)
        per_epoch = math.ceil(problem.n_samples / batch_size)
        methods = [
            *FULL_BATCH,
            ("plateau(best const), every step on the minibatch loss", "sgd",
             f"plateau(constant({best['lr']:g}))"),
            ("plateau(best const), per epoch on the eval loss, patience=2", "sgd",
             f"plateau(constant({best['lr']:g}), patience=2, every={per_epoch}, "
             "metric='eval_loss')"),
        ]
        for label, opt, sched in methods:
            rows.append((spec_text, label, run(problem, opt, sched, budget, batch_size)))
        rows.append((spec_text, f"best constant ({best['lr']:g})", best))
    print(f"\n## Minibatches of {batch_size}, {epochs} epochs: level reached\n")
    print("| problem | method | level (f - f*)/(f0 - f*) | steps | probes | seconds | status |")
    print("|---|---|---:|---:|---:|---:|---|")
    for problem, label, o in rows:
        print(f"| {problem} | {label} | {_fmt(o['level'], 'e')} | {o['steps']} | {o['probes']} | "
              f"{_fmt(o['seconds'], 's')} | {o['status']} |")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 steps and 2 epochs")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    steps, epochs = (2000, 2) if args.quick else (20000, 20)
    print(f"lrsched {lrsched.__version__}; numpy {np.__version__}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with scikit-learn
        limits = None
    else:
        limits = threadpool_limits(limits=1, user_api="blas")
    try:
        full = full_batch_table(steps)
        levels = level_table(steps)
        mini = minibatch_table(epochs)
    finally:
        if limits is not None:
            limits.restore_original_limits()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"full_batch": full, "levels": levels, "minibatch": mini}, fh, indent=1,
                      default=float)


if __name__ == "__main__":
    main()
