"""What watching a run costs: the live view and the run log against a silent run.

(a) Measured: the same ``lrsched.train`` run (full-batch logistic regression on
    breast_cancer, SGD, cosine, a step budget sized to about ``--seconds`` per
    run, default row spacing of ~1000 rows, telemetry on) with

    - ``silent``: no view, no log (and ``silent again``, the same, whose ratio
      shows how far this machine's noise alone moves a ratio);
    - ``live view``: ``progress=True`` drawing with rich into a terminal
      (stdout is a sink that says it is a tty; refreshes at the default 4 Hz);
    - ``plain lines``: ``progress=True`` into a pipe (a line every 2 s);
    - ``log``: ``log=run.jsonl`` (default flush every 0.5 s);
    - ``view + log``: both.

    Timed over the whole ``train`` call (observers run off the training clock,
    so training seconds would hide them), as CPU time of the calling thread
    (``time.thread_time``: the loop and the observers, not the telemetry
    sampler thread nor other processes, so a shared machine's load does not
    blur it) and as wall time.  Contenders alternate within each repeat; the
    ratio to the silent run of the same repeat is taken per repeat and the
    median over repeats reported.  Goal: CPU ratio <= 1.01 at defaults.

(b) Modelled, from micro-timings that noise cannot blur: the cost of one
    ``row`` call (no refresh or flush due), of one refresh and of one flush
    of the rows buffered between flushes, turned into a share of the run's
    wall time: (rows x row cost + refreshes x refresh cost + flushes x flush
    cost) / run time.

Run: ``python benchmarks/bench_monitoring.py [--seconds S] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import statistics
import sys
import tempfile
import time

import lrsched
from lrsched.live import LiveView
from lrsched.progress import Budget, Progress
from lrsched.result import CORE_COLUMNS, History
from lrsched.runs import RunLog

PROBLEM = "logistic(dataset='breast_cancer', l2=1e-3)"


class _TtySink(io.TextIOBase):
    """Swallows output and says it is a terminal, so rich draws its live display."""

    def isatty(self):
        return True

    def writable(self):
        return True

    def write(self, s):
        return len(s)


class _PipeSink(_TtySink):
    def isatty(self):
        return False


def _run(steps: int, progress, log, sink) -> tuple[float, float]:
    """(CPU seconds of this thread, wall seconds) of one run."""
    with contextlib.redirect_stdout(sink):
        c0, t0 = time.thread_time(), time.perf_counter()
        lrsched.train(PROBLEM, "sgd", f"cosine(peak=0.5, horizon={steps})",
                      budget={"steps": steps}, progress=progress, log=log)
        return time.thread_time() - c0, time.perf_counter() - t0


def measured(seconds: float, repeats: int, folder: str) -> dict:
    r = lrsched.train(PROBLEM, "sgd", "constant(lr=0.5)", budget={"steps": 2000}, monitor=None)
    steps = max(1000, int(seconds / (r.summary["seconds"] / 2000)))
    log = os.path.join(folder, "run.jsonl")
    contenders = {
        "silent": (False, None, _TtySink()),
        "silent again": (False, None, _TtySink()),
        "live view": (True, None, _TtySink()),
        "plain lines": (True, None, _PipeSink()),
        "log": (False, log, _TtySink()),
        "view + log": (True, log, _TtySink()),
    }
    for progress, path, sink in contenders.values():  # imports and first-touch costs
        _run(1000, progress, path, sink)
    cpus = {k: [] for k in contenders}
    walls = {k: [] for k in contenders}
    for i in range(repeats):
        order = list(contenders) if i % 2 == 0 else list(reversed(contenders))
        for name in order:
            cpu, wall = _run(steps, *contenders[name])
            cpus[name].append(cpu)
            walls[name].append(wall)

    def ratios(times):
        """Per contender: (median, lower quartile, upper quartile) of per-repeat ratios."""
        out = {}
        for k in contenders:
            r = sorted(t / s for t, s in zip(times[k], times["silent"]))
            q = statistics.quantiles(r, n=4) if len(r) > 1 else [r[0]] * 3
            out[k] = (statistics.median(r), q[0], q[2])
        return out

    rows = len(lrsched.runs.load(log).history["step"])
    return {"steps": steps, "rows": rows,
            "median_cpu": {k: statistics.median(v) for k, v in cpus.items()},
            "median_wall": {k: statistics.median(v) for k, v in walls.items()},
            "cpu_ratio": ratios(cpus), "wall_ratio": ratios(walls)}


class _Null:
    def start(self, *args):
        pass

    def row(self, progress, history):
        pass


def _drive(observer, rows: int, sample_every: int) -> tuple[float, History, Progress]:
    """Feed ``rows`` rows like those of the measured run: the telemetry columns of this
    machine (process and system sources), changing every ``sample_every`` rows (10 Hz)."""
    names = CORE_COLUMNS + ("rss_bytes", "peak_rss_bytes", "cpu_seconds", "cpu_percent",
                            "available_memory_bytes")
    history = History(names, capacity=rows + 1)
    progress = Progress()
    observer.start({"problem": PROBLEM}, names, Budget(steps=rows * 10), None)
    t0 = time.perf_counter()
    telemetry = ()
    for k in range(rows):
        if k % sample_every == 0:
            s = k // sample_every
            telemetry = (3.04e8 + 4096 * s, 3.05e8 + 4096 * s, 1.2345678 + 0.0987654321 * s,
                         99.99999999977263 - s * 1e-3, 2.4691056640e10 - 4096 * s)
        history.buffer[k] = (k * 26, k * 26.0, k * 26 * 569, k * 9.1e-4 + 1e-7 * (k % 7),
                             0.5 * math.cos(k / rows), 0.3 + 0.7 / (k + 1), 0.3 + 0.7 / (k + 1),
                             0.0) + telemetry
        history.size = k + 1
        progress.step, progress.seconds = k * 26, k * 9.1e-4
        observer.row(progress, history)
    return time.perf_counter() - t0, history, progress


def modelled(folder: str, wall: float, rows: int) -> dict:
    """Per-call costs of the observers, from a scripted run with a frozen clock."""
    n = 20_000
    frozen = lambda: 0.0  # noqa: E731 - never due: rows only
    every = max(1, round(rows / wall / 10))  # rows between telemetry samples (10 Hz)

    driver, *_ = _drive(_Null(), n, every)  # the scripted run's own cost, subtracted
    view = LiveView(file=_TtySink(), rich=True, clock=frozen)
    row_view, *_ = _drive(view, n, every)
    row_view -= driver
    t0 = time.perf_counter()
    for _ in range(200):
        view._refresh(None)
    refresh = (time.perf_counter() - t0) / 200
    view.close()

    log = RunLog(os.path.join(folder, "m.jsonl"), clock=frozen)
    row_log, history, _ = _drive(log, n, every)
    row_log -= driver
    per_flush_rows = max(1, int(rows * 0.5 / wall))  # rows buffered in 0.5 s
    t0 = time.perf_counter()
    done = 0
    while done < n:
        log._written = done
        history.size = min(n, done + per_flush_rows)
        log._write_rows()
        log._flush()
        done = history.size
    flush = (time.perf_counter() - t0) / (n / per_flush_rows)
    log.close()

    refreshes, flushes = 4.0 * wall, 2.0 * wall
    return {
        "row_view_us": row_view / n * 1e6, "refresh_ms": refresh * 1e3,
        "row_log_us": row_log / n * 1e6, "flush_ms": flush * 1e3,
        "rows_per_flush": per_flush_rows,
        "view_share": (rows * row_view / n + refreshes * refresh) / wall,
        "log_share": (rows * row_log / n + flushes * flush) / wall,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="target wall time of a run")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        m = measured(args.seconds, args.repeats, folder)
        silent = m["median_wall"]["silent"]
        model = modelled(folder, silent, m["rows"])
    print(f"(a) {PROBLEM}, sgd, cosine; {m['steps']} steps, {m['rows']} rows, telemetry on; "
          f"median of {args.repeats} alternating repeats")
    print(f"    {'contender':<14}{'CPU s':>8}{'CPU / silent (IQR)':>28}{'wall s':>9}"
          f"{'wall / silent (IQR)':>28}")
    for name in m["median_wall"]:
        c, w = m["cpu_ratio"][name], m["wall_ratio"][name]
        print(f"    {name:<14}{m['median_cpu'][name]:>8.3f}{c[0]:>10.4f} ({c[1]:.4f}-{c[2]:.4f})"
              f"{m['median_wall'][name]:>9.3f}{w[0]:>10.4f} ({w[1]:.4f}-{w[2]:.4f})")
    print("    goal: CPU ratio of the live view and of the log each <= 1.01")
    print(f"(b) per call: view row {model['row_view_us']:.2f} us, refresh "
          f"{model['refresh_ms']:.2f} ms; log row {model['row_log_us']:.2f} us, flush of "
          f"{model['rows_per_flush']} rows {model['flush_ms']:.2f} ms")
    print(f"    modelled share of this run's wall time: live view {model['view_share']:.3%}, "
          f"log {model['log_share']:.3%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
