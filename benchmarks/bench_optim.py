"""Optimizer update cost: lrsched's fused and reference paths against torch.optim, in one run.

Usage::

    python benchmarks/bench_optim.py [--n 10000000] [--repeats 15] [--quick]

Three tables, every figure measured in this run:

1. Adam and SGD with momentum on ``n`` float32 parameters (default 10^7):
   ms per step (median over repeats, after warm-up) for our fused path (numba,
   all threads and one thread), our NumPy reference path, and torch's
   ``fused=True``, ``foreach=True`` and single-tensor implementations; the
   last column is torch fused's time over ours (>= 1 means we are faster).
2. The fused Adam kernel on one thread vs all threads across sizes: where
   :data:`lrsched.optim._dispatch.PARALLEL_MIN_SIZE` should sit.
3. Plain SGD on 31 float64 parameters (the size of the training-loop
   benchmark's logistic regression): ``opt.step`` against NumPy's
   ``params -= lr * grad``, in nanoseconds per step.

Methods are timed round-robin (a few steps of each in turn, repeated), so a
slow spell of the machine affects all alike; only the update is inside the
clock.  On shared machines memory bandwidth drifts from run to run (the same
update has measured 6 to 23 ms here): compare the ratios, not the times.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lrsched.optim import SGD, Adam, _dispatch  # noqa: E402


def _ours(make, n, path, parallel_min, seed=0):
    """A zero-argument step function for our optimizer on ``path``."""
    rng = np.random.default_rng(seed)
    params = rng.standard_normal(n).astype(np.float32)
    grad = rng.standard_normal(n).astype(np.float32)
    saved = _dispatch.PARALLEL_MIN_SIZE
    _dispatch.PARALLEL_MIN_SIZE = parallel_min
    try:
        opt = make()
        opt.path = path
        state = opt.init(params)
    finally:
        _dispatch.PARALLEL_MIN_SIZE = saved

    def step():
        opt.step(params, grad, 1e-3, state)

    return step, state["path"]


def _torch(kind, n, impl, seed=0):
    import torch

    rng = np.random.default_rng(seed)
    p = torch.from_numpy(rng.standard_normal(n).astype(np.float32)).requires_grad_()
    p.grad = torch.from_numpy(rng.standard_normal(n).astype(np.float32))
    flags = {"fused": {"fused": True}, "foreach": {"foreach": True},
             "single": {"foreach": False}}[impl]
    if kind == "adam":
        opt = torch.optim.Adam([p], lr=1e-3, **flags)
    else:
        opt = torch.optim.SGD([p], lr=1e-3, momentum=0.9, **flags)
    return opt.step


def _round_robin(steps, repeats, warmup=3, block=3):
    """Median seconds per call of each function, timed in turn.

    Each round runs ``block`` calls of every function and keeps all but the
    first: torch and numba each bring an OpenMP runtime whose idle threads spin
    for a while after a parallel region, which slows the first call of the
    other one.
    """
    for fn in steps.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, fn in steps.items():
            for k in range(block):
                start = time.perf_counter()
                fn()
                if k:
                    times[name].append(time.perf_counter() - start)
    return {name: float(np.median(ts)) for name, ts in times.items()}


def table_large(n, repeats, have_torch):
    print(f"\n## Update of {n:,} float32 parameters (ms per step, median of {2 * repeats})\n")
    print(f"{'optimizer':<14}{'implementation':<34}{'ms/step':>10}{'torch fused / this':>22}")
    summary = {}
    for kind, make in (("adam", Adam), ("sgd-momentum", lambda: SGD(momentum=0.9))):
        steps, labels = {}, {}
        for key, path, pmin in (("fast", "fast", _dispatch.PARALLEL_MIN_SIZE),
                                ("fast-1", "fast", 1 << 62), ("reference", "reference", 0)):
            steps[key], labels[key] = _ours(make, n, path, pmin)
        labels = {k: f"lrsched {v}" for k, v in labels.items()}
        if have_torch:
            for impl in ("fused", "foreach", "single"):
                steps["torch-" + impl] = _torch("adam" if kind == "adam" else "sgd", n, impl)
                labels["torch-" + impl] = f"torch {impl}"
        med = _round_robin(steps, repeats)
        base = med.get("torch-fused")
        for key, seconds in med.items():
            ratio = f"{base / seconds:.2f}x" if base else "n/a"
            print(f"{kind:<14}{labels[key]:<34}{seconds * 1e3:>10.2f}{ratio:>22}")
        summary[kind] = (med["fast"], base)
    return summary


def table_threads(repeats):
    print("\n## Fused Adam, one thread vs all threads (µs per step, float32)\n")
    print(f"{'n':>10}{'1 thread':>12}{'all threads':>14}{'faster':>10}")
    for n in (10**3, 10**4, 3 * 10**4, 10**5, 10**6):
        steps = {
            "serial": _ours(Adam, n, "fast", 1 << 62)[0],
            "parallel": _ours(Adam, n, "fast", 1)[0],
        }
        med = _round_robin(steps, 100 if n < 10**6 else repeats)
        best = min(med, key=med.get)
        print(f"{n:>10,}{med['serial'] * 1e6:>12.1f}{med['parallel'] * 1e6:>14.1f}{best:>10}")
    print(f"(PARALLEL_MIN_SIZE = {_dispatch.PARALLEL_MIN_SIZE:,})")


def table_small():
    print("\n## Plain SGD on 31 float64 parameters (ns per step)\n")
    rng = np.random.default_rng(0)
    params = rng.standard_normal(31)
    grad = rng.standard_normal(31) * 1e-9
    lr = 1e-3
    opt = SGD()
    state = opt.init(params)
    step = opt.step

    def ours():
        step(params, grad, lr, state)

    def numpy_inplace():
        nonlocal params
        params -= lr * grad

    results = {}
    for name, fn in (("lrsched sgd().step", ours), ("numpy params -= lr * grad", numpy_inplace)):
        fn()
        results[name] = min(timeit.repeat(fn, number=20000, repeat=7)) / 20000
    numpy_ns = results["numpy params -= lr * grad"]
    for name, seconds in results.items():
        print(f"{name:<30}{seconds * 1e9:>8.0f} ns  ({seconds / numpy_ns:.2f}x numpy)")
    print(f"(path: {state['path']})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**7, help="parameters for table 1")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="10^6 parameters, 5 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats = 10**6, 5
    try:
        import torch

        have_torch = True
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        have_torch = False
        print("torch is not installed: no torch columns")
    if not _dispatch._has_numba():
        print("numba is not installed: the fused path falls back to the reference path")
    else:
        import numba

        print(f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads")
    summary = table_large(args.n, args.repeats, have_torch)
    table_threads(args.repeats)
    table_small()
    if have_torch:
        print()
        for kind, (ours, fused) in summary.items():
            print(f"RATIO {kind}: lrsched fused throughput = {fused / ours:.2f}x torch fused "
                  f"(goal >= 0.8)")


if __name__ == "__main__":
    main()
