"""What the telemetry Monitor costs a training loop, and how well it keeps time.

(a) Steps/s of a hand-written NumPy logistic-regression loop (full batch,
    breast_cancer, ~10 µs/step) that reads ``monitor.latest`` every step as
    ``lrsched.train`` does (``progress.snapshot = snap``, ``progress.joules =
    snap.joules``), with the monitor at 10 Hz and 100 Hz, against the same loop
    with no monitor and no reads.  Contenders alternate within each repeat and
    the slowdown is the median of the per-repeat ratios (paired, so drifts in
    machine load cancel), with its interquartile range, and the best-of-repeats
    ratio.  Goal: <= 1 % at 10 Hz.  Also the sampler's CPU use per second with
    the main thread asleep, the noise-free bound on what it can take from a loop.
(b) Achieved sample rate and tick lateness (p50/p99, ms) while that loop runs
    and while the main thread sleeps.
(c) Windows: ``w.seconds`` against ``time.perf_counter()`` around the block
    (goal: within 1 % over ~1 s), ``w.cpu_seconds`` against ``os.times()``,
    and the estimated energy against CPU seconds × W.
(d) The cost of one synchronous sample per source (µs).

Run: ``python benchmarks/bench_telemetry.py [--repeats R] [--steps N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from lrsched.progress import Progress
from lrsched.telemetry import Monitor


def data():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Xb = np.ascontiguousarray(np.hstack([X, np.ones((X.shape[0], 1))]))
    return Xb, np.where(y > 0, 1.0, -1.0)


def train(Xb, y, steps, monitor=None, lr=0.5):
    """Logistic regression by gradient descent.

    Returns wall seconds and process CPU seconds (all threads, so the sampler's
    work counts) per step.
    """
    w = np.zeros(Xb.shape[1])
    inv_n = 1.0 / Xb.shape[0]
    progress = Progress()
    c0 = time.process_time()
    t0 = time.perf_counter()
    if monitor is None:
        for _ in range(steps):
            m = -y * (Xb @ w)
            g = Xb.T @ (-y / (1.0 + np.exp(-m)))
            w -= (lr * inv_n) * g
    else:
        for _ in range(steps):
            snap = monitor.latest  # what the loop does each step
            progress.snapshot = snap
            progress.joules = snap.joules
            m = -y * (Xb @ w)
            g = Xb.T @ (-y / (1.0 + np.exp(-m)))
            w -= (lr * inv_n) * g
    wall = time.perf_counter() - t0
    return wall / steps, (time.process_time() - c0) / steps


def slowdown(Xb, y, steps, repeats):
    """Median per-repeat ratio of each contender's time per step to the bare loop's.

    Two clocks: wall time, and process CPU time.  This machine is shared (load
    average above its core count while other jobs run), which swings wall time
    by tens of percent between blocks; CPU time of this process is far less
    sensitive to other processes yet still charges the sampler thread's work
    (it runs while it holds the GIL), so it is the figure held to the goal.
    """
    contenders = {"none": None, "10 Hz": 0.1, "100 Hz": 0.01}
    wall = {k: [] for k in contenders}
    cpu = {k: [] for k in contenders}
    train(Xb, y, steps // 4)  # warm-up outside the clock
    for r in range(repeats):
        order = list(contenders)
        order = order[r % 3:] + order[:r % 3]  # rotate who goes first
        for name in order:
            interval = contenders[name]
            if interval is None:
                w, c = train(Xb, y, steps)
            else:
                with Monitor(interval=interval, sources=["process", "system"]) as mon:
                    w, c = train(Xb, y, steps, mon)
            wall[name].append(w)
            cpu[name].append(c)
    out = {"us_per_step_none": statistics.median(wall["none"]) * 1e6,
           "cpu_us_per_step_none": statistics.median(cpu["none"]) * 1e6}
    for name in ("10 Hz", "100 Hz"):
        key = name.replace(" ", "")
        for clock, times in (("wall", wall), ("cpu", cpu)):
            ratios = [t / b for t, b in zip(times[name], times["none"])]
            q = statistics.quantiles(ratios, n=4)
            out[f"{clock}_slowdown_pct_{key}"] = (statistics.median(ratios) - 1) * 100
            out[f"{clock}_slowdown_iqr_pct_{key}"] = ((q[0] - 1) * 100, (q[2] - 1) * 100)
            # noise only ever adds time, so best-of-repeats isolates the fixed overhead
            out[f"{clock}_slowdown_best_pct_{key}"] = (min(times[name]) / min(times["none"]) - 1) * 100
    return out


def sampler_cpu_share(seconds=3.0):
    """CPU used by the sampler per second of wall time (main thread asleep), in %."""
    out = {}
    for interval in (0.1, 0.01):
        with Monitor(interval=interval, sources=["process", "system"]):
            c0, t0 = time.process_time(), time.perf_counter()
            time.sleep(seconds)
            out[f"{1 / interval:g} Hz"] = (
                100 * (time.process_time() - c0) / (time.perf_counter() - t0))
    return out


def tick_quality(seconds, busy, Xb, y):
    """Achieved rate and lateness at 10 and 100 Hz, main thread busy or sleeping."""
    out = {}
    for interval in (0.1, 0.01):
        with Monitor(interval=interval, sources=["process", "system"]) as mon:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                if busy:
                    train(Xb, y, 200, mon)
                else:
                    time.sleep(0.05)
        s = mon.stats()
        out[f"{1 / interval:g} Hz"] = {k: s[k] for k in ("ticks", "skipped_ticks", "rate_hz",
                                                       "lateness_ms_p50", "lateness_ms_p99")}
    return out


def windows(repeats=3, seconds=1.0):
    """Window seconds vs perf_counter, cpu seconds vs os.times, estimated joules vs W × cpu."""
    errors, cpu_diffs = [], []
    with Monitor(sources=["process", "estimate"], estimate_watts_per_core=10.0) as mon:
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), os.times()
            with mon.window() as w:
                end = time.perf_counter() + seconds
                x = 0
                while time.perf_counter() < end:
                    x += 1
            t1, c1 = time.perf_counter(), os.times()
            errors.append(abs(w.seconds - (t1 - t0)) / (t1 - t0))
            cpu_diffs.append(abs(w.cpu_seconds - ((c1.user + c1.system) - (c0.user + c0.system))))
        est = w.joules / (10.0 * w.cpu_seconds)
    return {"window_seconds_max_rel_error_pct": max(errors) * 100,
            "window_cpu_seconds_max_abs_diff_vs_os_times": max(cpu_diffs),
            "estimated_joules_over_10W_x_cpu_seconds": est,
            "estimated_joules_quality": w.joules_quality}


def sample_costs(n=2000):
    out = {}
    for sources in (["process"], ["system"], ["process", "system"]):
        mon = Monitor(sources=sources)
        mon.sample_now()
        t = []
        for _ in range(n):
            t0 = time.perf_counter()
            mon.sample_now()
            t.append(time.perf_counter() - t0)
        mon.stop()
        out["+".join(sources)] = statistics.median(t) * 1e6
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--steps", type=int, default=30000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    Xb, y = data()
    result = {}
    result["loop"] = slowdown(Xb, y, args.steps, args.repeats)
    result["sampler_cpu_pct_of_one_core"] = sampler_cpu_share()
    result["ticks_busy_main_thread"] = tick_quality(3.0, True, Xb, y)
    result["ticks_idle_main_thread"] = tick_quality(3.0, False, Xb, y)
    result["windows"] = windows()
    result["sample_us"] = sample_costs()
    caps = Monitor(estimate_watts_per_core=10.0)
    result["capabilities"] = [c._asdict() for c in caps.capabilities()]
    caps.stop()
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    loop = result["loop"]
    print(f"loop: {loop['us_per_step_none']:.2f} us/step wall, {loop['cpu_us_per_step_none']:.2f} "
          f"us/step CPU without a monitor [median of {args.repeats} paired ratios, "
          f"{args.steps} steps each]")
    for key in ("10Hz", "100Hz"):
        print(f"  monitor at {key}: slowdown CPU {loop['cpu_slowdown_pct_' + key]:+.2f} % "
              f"(IQR {loop['cpu_slowdown_iqr_pct_' + key][0]:+.2f}..."
              f"{loop['cpu_slowdown_iqr_pct_' + key][1]:+.2f}), wall "
              f"{loop['wall_slowdown_pct_' + key]:+.2f} % (IQR "
              f"{loop['wall_slowdown_iqr_pct_' + key][0]:+.2f}..."
              f"{loop['wall_slowdown_iqr_pct_' + key][1]:+.2f}); best-of-repeats CPU "
              f"{loop['cpu_slowdown_best_pct_' + key]:+.2f} %, wall "
              f"{loop['wall_slowdown_best_pct_' + key]:+.2f} %"
              + ("  goal <= 1 %" if key == "10Hz" else ""))
    share = result["sampler_cpu_pct_of_one_core"]
    print("sampler CPU with the main thread asleep: "
          + ", ".join(f"{k} {v:.3f} % of a core" for k, v in share.items()))
    for label in ("ticks_busy_main_thread", "ticks_idle_main_thread"):
        for rate, s in result[label].items():
            print(f"{label} {rate}: {s['rate_hz']:.2f} Hz achieved, lateness p50 "
                  f"{s['lateness_ms_p50']:.2f} ms p99 {s['lateness_ms_p99']:.2f} ms, "
                  f"{s['skipped_ticks']} skipped of {s['ticks']}")
    w = result["windows"]
    print(f"window vs perf_counter: max error {w['window_seconds_max_rel_error_pct']:.4f} % "
          f"(goal < 1 %); cpu_seconds vs os.times: max diff "
          f"{w['window_cpu_seconds_max_abs_diff_vs_os_times']:.3f} s; estimated joules / "
          f"(10 W × cpu s) = {w['estimated_joules_over_10W_x_cpu_seconds']:.6f} "
          f"({w['estimated_joules_quality']})")
    print("one sample: " + ", ".join(f"{k} {v:.1f} us" for k, v in result["sample_us"].items()))
    for c in result["capabilities"]:
        print(f"  {c['source']:<8} {'yes' if c['available'] else 'no ':<3} {c['detail']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
