"""Per-call cost of our schedules against torch's schedulers, measured in the same run.

(a) scalar cosine and onecycle: ``s(t)`` and ``s.lr(progress)`` against
    ``CosineAnnealingLR.step()`` and ``OneCycleLR.step()`` on a one-parameter SGD
    (goal: ours >= 3x faster; ``s.lr(progress)`` for cosine is on the training loop's
    hot path, budget ~0.3 µs);
(b) the adapter ``lrsched.integrations.torch.LRScheduler.step()`` against the same torch
    schedulers (it does more per step: progress, wall clock, momentum);
(c) a vectorised evaluation of 10^6 clock values (NumPy), per schedule.

Timings alternate between contenders and take the median of repeats, because this
machine is shared and noisy.  Run: ``python benchmarks/bench_schedules.py [--repeats R]
[--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import timeit

import numpy as np

from lrsched.progress import Progress
from lrsched.spec import parse

N_CALLS = 200_000


def per_call(stmt, namespace, number=N_CALLS):
    """Seconds per call of ``stmt`` (one timing of ``number`` calls)."""
    return timeit.timeit(stmt, globals=namespace, number=number) / number


def torch_contenders():
    import torch
    from torch.optim import lr_scheduler as tls

    def make(kind):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        if kind == "cosine":
            return tls.CosineAnnealingLR(opt, T_max=10**9)
        return tls.OneCycleLR(opt, max_lr=0.1, total_steps=10**9)

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()

    cosine = parse("cosine(peak=0.1, horizon=1000000)")
    onecycle = parse("onecycle(peak=0.1, horizon=1000000)")
    progress = Progress(step=123_456)
    ns = {"cos": cosine, "one": onecycle, "p": progress}
    ours = {
        "cosine s(t)": "cos(123456)",
        "cosine s.lr(progress)": "cos.lr(p)",
        "onecycle s(t)": "one(123456)",
        "onecycle s.lr(progress)": "one.lr(p)",
        "onecycle s.momentum(progress)": "one.momentum(p)",
    }
    results = {name: [] for name in ours}

    try:
        make = torch_contenders()
        import warnings

        warnings.filterwarnings("ignore", category=UserWarning)
        from lrsched.integrations.torch import LRScheduler

        theirs = {"CosineAnnealingLR.step()": make("cosine"), "OneCycleLR.step()": make("onecycle")}
        import torch

        adapter_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        adapters = {
            "LRScheduler(cosine).step()": LRScheduler(adapter_opt, cosine),
            "LRScheduler(onecycle).step()": LRScheduler(adapter_opt, onecycle),
        }
        for name in [*theirs, *adapters]:
            results[name] = []
    except ImportError:
        theirs, adapters = {}, {}
        print("torch is not installed: torch contenders skipped")

    for _ in range(args.repeats):  # alternate contenders within each repeat
        for name, stmt in ours.items():
            results[name].append(per_call(stmt, ns))
        for name, sched in {**theirs, **adapters}.items():
            results[name].append(per_call("s.step()", {"s": sched}, number=N_CALLS // 10))

    median = {name: statistics.median(v) for name, v in results.items()}
    print(f"per call (median of {args.repeats} repeats; this machine is shared and noisy)")
    for name, seconds in median.items():
        print(f"  {name:34s} {seconds * 1e9:9.0f} ns")
    ratios = {}
    if theirs:
        pairs = [("cosine s(t)", "CosineAnnealingLR.step()"),
                 ("cosine s.lr(progress)", "CosineAnnealingLR.step()"),
                 ("onecycle s(t)", "OneCycleLR.step()"),
                 ("onecycle s.lr(progress)", "OneCycleLR.step()"),
                 ("LRScheduler(cosine).step()", "CosineAnnealingLR.step()"),
                 ("LRScheduler(onecycle).step()", "OneCycleLR.step()")]
        print("speed-up against torch (goal for the closed forms: >= 3x)")
        for mine, peer in pairs:
            ratios[f"{mine} vs {peer}"] = median[peer] / median[mine]
            verdict = "" if mine.startswith("LRScheduler") else (
                "  PASS" if median[peer] / median[mine] >= 3 else "  FAIL")
            print(f"  {mine:30s} {median[peer] / median[mine]:6.1f}x faster than {peer}{verdict}")
    budget = median["cosine s.lr(progress)"]
    print(f"hot path: cosine s.lr(progress) = {budget * 1e6:.3f} µs "
          f"(budget 0.3 µs: {'PASS' if budget <= 0.3e-6 else 'FAIL'})")

    t = np.linspace(0.0, 1_000_000.0, 1_000_000)
    vector = {}
    print("vectorised evaluation of 10^6 points (NumPy float64, median)")
    for text in ["cosine(peak=0.1, horizon=1000000)", "onecycle(peak=0.1, horizon=1000000)",
                 "warmup(cosine(peak=0.1, horizon=900000), steps=100000)",
                 "wsd(peak=0.1, horizon=1000000, warmup=1000, shape='1-sqrt')",
                 "cosine_restarts(peak=0.1, period=1000, mult=2)"]:
        s = parse(text)
        s(t[:10])  # warm up
        times = []
        for _ in range(max(3, args.repeats // 2)):
            start = time.perf_counter()
            s(t)
            times.append(time.perf_counter() - start)
        vector[text] = statistics.median(times)
        print(f"  {text:60s} {vector[text] * 1e3:7.1f} ms ({vector[text] / t.size * 1e9:.1f} ns/point)")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"per_call_seconds": median, "speedup": ratios,
                       "vectorised_1e6_seconds": vector}, f, indent=2)


if __name__ == "__main__":
    main()
