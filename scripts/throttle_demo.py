"""A time budget on a machine that slows down: budget-aware vs step-planned schedules.

Logistic regression on breast_cancer with minibatches of 32 and SGD, for a
budget of 1.5 seconds of training time.  The machine runs a step in 1 ms for
the first 0.5 s, then throttles to 4 ms per step (a thermal limit, a
co-tenant).  Three schedules with the same shape and peak:

* ``cosine(peak=2, horizon=1500)``: planned in steps from the initial speed
  (1.5 s / 1 ms); only 750 steps happen, so it is cut off at half its peak;
* ``cosine(peak=2, horizon=1.0, clock='fraction')``: the same cosine over the
  share of the time budget spent; it reaches its floor when the time runs out;
* ``guard(cosine(peak=2, horizon=1500), min_throughput_ratio=0.5)``: the
  step-planned cosine behind the telemetry guard, which halves the rate when
  the throughput collapses.

Time is simulated (:mod:`lrsched.policies._simulation`: a fake clock advanced by
a throttled problem), so the figure is the same on every machine and takes a
second to draw.  Usage::

    python scripts/throttle_demo.py [--out docs/throttle.png] [--seeds 5]

It prints the final suboptimality of each schedule (median over seeds) and
writes a three-panel figure: loss gap and learning rate against training
seconds, and steps against seconds (the machine's speed).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from lrsched import Budget, parse, train
from lrsched.policies._simulation import FakeClock, ThrottledProblem, patched_loop_clock

PROBLEM = "logistic(dataset='breast_cancer')"
SECONDS, STEP_SECONDS, AFTER, SLOWDOWN, BATCH = 1.5, 1e-3, 0.5, 4.0, 32
PLANNED = int(SECONDS / STEP_SECONDS)

#: (label, spec, colour, drawing order)
SCHEDULES = [
    ("step-planned cosine", f"cosine(peak=2.0, horizon={PLANNED})", "C3", 2),
    ("guard(step-planned cosine)",
     f"guard(cosine(peak=2.0, horizon={PLANNED}), min_throughput_ratio=0.5, window=50)", "C2", 3),
    ("time-budget cosine (fraction clock)", "cosine(peak=2.0, horizon=1.0, clock='fraction')",
     "C0", 4),
]


def simulate(schedule: str, seed: int):
    clock = FakeClock()
    problem = ThrottledProblem(parse(PROBLEM), clock, step_seconds=STEP_SECONDS,
                               after_seconds=AFTER, slowdown=SLOWDOWN)
    with patched_loop_clock(clock):
        return train(problem, "sgd", schedule, budget=Budget(seconds=SECONDS), batch_size=BATCH,
                     seed=seed, monitor=None, warmup=False, eval_every=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("docs", "throttle.png"))
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")

    from matplotlib.figure import Figure

    f_star = parse(PROBLEM).f_star
    fig = Figure(figsize=(12, 3.8), dpi=110, layout="constrained")
    ax_loss, ax_lr, ax_steps = fig.subplots(1, 3)
    print(f"time budget {SECONDS} s; 1 ms/step until {AFTER} s, then {SLOWDOWN:g}x slower")
    print(f"{'schedule':40s} {'steps':>6s} {'final lr':>9s} {'median gap f - f*':>18s}")
    for label, text, color, order in SCHEDULES:
        gaps = []
        for seed in range(args.seeds):
            r = simulate(text, seed)
            gaps.append(r.summary["final_loss"] - f_star)
            h = r.history
            alpha, width = (1.0, 1.6) if seed == 0 else (0.25, 0.8)
            ax_loss.plot(h["seconds"], h["loss"] - f_star, color=color, alpha=alpha, lw=width,
                         zorder=order, label=label if seed == 0 else None)
            if seed == 0:
                ax_lr.plot(h["seconds"], h["lr"], color=color, lw=1.6, label=label, zorder=order)
                steps, final_lr = r.summary["steps"], r.summary["final_lr"]
                seconds_column, step_column = h["seconds"], h["step"]
        print(f"{label:40s} {steps:6d} {final_lr:9.3g} {np.median(gaps):18.3e}")
    for ax in (ax_loss, ax_lr, ax_steps):
        ax.axvspan(AFTER, SECONDS, color="0.9", zorder=0)
        ax.set_xlabel("training seconds (simulated)")
        ax.set_xlim(0, SECONDS)
        ax.grid(alpha=0.3)
    ax_loss.text(AFTER + 0.02, 0.97, f"throttled: {SLOWDOWN:g}x slower", fontsize=8,
                 transform=ax_loss.get_xaxis_transform(), va="top")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("f - f* (full objective)")
    ax_loss.set_title(f"loss gap, {args.seeds} seeds (seed 0 bold)", fontsize=10)
    ax_lr.set_ylabel("learning rate")
    ax_lr.set_title("learning rate (seed 0)", fontsize=10)
    ax_lr.legend(fontsize=8, loc="upper right")
    ax_steps.set_ylabel("optimizer steps")
    ax_steps.plot(seconds_column, step_column, color="k", lw=1.6, label="steps done (all runs)")
    ax_steps.plot([0, SECONDS], [0, PLANNED], ls=":", color="0.4", label="planned from initial speed")
    ax_steps.legend(fontsize=8, loc="upper left")
    ax_steps.set_title("steps done: the machine's speed", fontsize=10)
    fig.suptitle("Time budget of 1.5 s on a machine that slows down: logistic(breast_cancer), "
                 "SGD, batch 32", fontsize=11)
    fig.savefig(args.out)
    print(f"figure written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
