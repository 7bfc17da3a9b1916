"""Speed-up of ``--executor process`` over ``serial`` on a suite of equal trials.

Runs the same suite (``--trials`` seeds of one logistic-regression configuration,
so every trial does the same work) into two temporary folders, once serially
and once with ``--executor process --workers N``, alternately ``--repeat``
times, and prints the best wall time of each and their ratio (the minimum is
the estimate least disturbed by other work on the machine).  On 2 free cores
the goal is a ratio of at least 1.7; the shortfall from 2 is the per-trial
process start (a fork of the warm driver) and the driver's writes.  It also
checks that the runs stored identical losses.

The peer, measured in the same run, is the least a parallel run can cost: the
same trial function mapped over a ``multiprocessing`` pool started beforehand,
with nothing stored.  ``serial/peer`` is the speed-up the machine allows at the
moment (on a shared machine it can be far below the number of cores), and
``peer/process`` is the harness's efficiency against it.

    python benchmarks/bench_executors.py [--trials 8] [--steps 30000] [--workers 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lrsched.bench import load_suite, run_suite  # noqa: E402
from lrsched.bench.trial import run_trial  # noqa: E402

SUITE = """
name = "equal-trials"
seeds = {trials}
problems = [{{ spec = "logistic(dataset='breast_cancer', l2=0.001)", batch_size = 64 }}]
optimizers = ["sgd(momentum=0.9)"]

[budget]
steps = {steps}

[schedules]
constant = "constant(lr=0.05)"
"""


def losses(folder: str) -> dict:
    with sqlite3.connect(os.path.join(folder, "results.sqlite")) as conn:
        return dict(conn.execute("SELECT trial_id, final_loss FROM trials"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--steps", type=int, default=30000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "suite.toml")
        with open(path, "w") as handle:
            handle.write(SUITE.format(trials=args.trials, steps=args.steps))
        suite = load_suite(path)
        # a short throw-away run first, so imports, dataset loading, the monitor's first
        # start and JIT compilation are timed in neither run
        warm = os.path.join(tmp, "warm.toml")
        with open(warm, "w") as handle:
            handle.write(SUITE.format(trials=1, steps=10))
        run_suite(load_suite(warm), os.path.join(tmp, "warm"), display=False)
        times = {"serial": [], "process": [], "peer": []}
        stored = []
        payloads = [t.payload(single_thread=True) for t in suite.trials]
        for k in range(args.repeat):
            with multiprocessing.get_context("fork").Pool(args.workers) as pool:
                pool.map(run_trial, payloads[: args.workers], chunksize=1)  # start and warm
                start = time.perf_counter()
                pool.map(run_trial, payloads, chunksize=1)
                times["peer"].append(time.perf_counter() - start)
            for executor, workers in (("serial", None), ("process", args.workers)):
                out = os.path.join(tmp, f"{executor}-{k}")
                start = time.perf_counter()
                summary = run_suite(suite, out, executor=executor, workers=workers,
                                    display=False)
                times[executor].append(time.perf_counter() - start)
                assert summary.counts["done"] == args.trials, summary.counts
                stored.append(losses(out))
        same = all(s == stored[0] for s in stored)
        times = {k: min(v) for k, v in times.items()}
    ratio = times["serial"] / times["process"]
    print(f"{args.trials} equal trials of {args.steps} steps on {os.cpu_count()} cores, "
          f"best of {args.repeat}")
    print(f"serial                      {times['serial']:8.2f} s")
    print(f"process, {args.workers} workers          {times['process']:8.2f} s")
    print(f"peer: bare pool, {args.workers} workers  {times['peer']:8.2f} s")
    print(f"serial/process ratio        {ratio:8.2f}  (goal >= 1.7 with 2 workers on 2 free cores)")
    print(f"serial/peer ratio           {times['serial'] / times['peer']:8.2f}  "
          "(what the machine allows now)")
    print(f"peer/process efficiency     {times['peer'] / times['process']:8.2f}")
    print(f"identical losses            {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
