"""Resource-aware rates: time-budget schedules on a machine that slows down, warmups
measured in seconds, and the telemetry guard.  Time is simulated (a fake clock that
the throttled problem advances), so every number here is deterministic."""

from __future__ import annotations

import json
import math
import types

import numpy as np
import pytest

from lrsched import Budget, parse, train
from lrsched.policies import Guard
from lrsched.policies._simulation import FakeClock, ThrottledProblem, patched_loop_clock
from lrsched.progress import Progress

LOGISTIC = "logistic(dataset='breast_cancer')"



def simulated_run(schedule, *, seconds=1.5, step_seconds=1e-3, after=0.5, slowdown=4.0,
                  batch_size=32, seed=0, problem=LOGISTIC, eval_every=None):
    """Train on a machine that runs 1 ms steps, then ``slowdown`` times slower after ``after`` s."""
    clock = FakeClock()
    throttled = ThrottledProblem(parse(problem), clock, step_seconds=step_seconds,
                                 after_seconds=after, slowdown=slowdown)
    with patched_loop_clock(clock):
        return train(throttled, "sgd", schedule, budget=Budget(seconds=seconds),
                     batch_size=batch_size, seed=seed, monitor=None, warmup=False,
                     eval_every=eval_every)


def test_the_simulated_machine_is_deterministic():
    r = simulated_run("constant(0.5)")
    # 500 steps at 1 ms, then (1.5 - 0.5) / 4 ms = 250 steps
    assert r.summary["steps"] == 750
    assert r.summary["seconds"] == pytest.approx(1.5)
    again = simulated_run("constant(0.5)")
    assert again.summary["final_loss"] == r.summary["final_loss"]


def test_time_budget_cosine_beats_a_step_cosine_planned_from_the_initial_speed():
    """The machine slows 4x after a third of the budget.  A cosine planned for the 1500 steps
    the initial speed promises is still at half its peak when time runs out; the same
    cosine on the budget's ``fraction`` clock reaches its floor exactly at the end."""
    f_star = parse(LOGISTIC).f_star
    gaps = {"step": [], "fraction": [], "guard": []}
    for seed in range(3):
        runs = {
            "step": simulated_run("cosine(peak=2.0, horizon=1500)", seed=seed),
            "fraction": simulated_run("cosine(peak=2.0, horizon=1.0, clock='fraction')",
                                      seed=seed),
            "guard": simulated_run("guard(cosine(peak=2.0, horizon=1500), "
                                   "min_throughput_ratio=0.5, window=50)", seed=seed),
        }
        for name, r in runs.items():
            assert r.status == "done" and r.summary["steps"] == 750
            gaps[name].append(r.summary["final_loss"] - f_star)
        assert runs["step"].summary["final_lr"] > 0.9          # cut off near half the peak
        assert runs["fraction"].summary["final_lr"] < 1e-4     # annealed to the floor
        assert gaps["fraction"][-1] < 0.5 * gaps["step"][-1]
    assert np.median(gaps["fraction"]) < np.median(gaps["guard"]) < np.median(gaps["step"])


def test_warmup_measured_on_the_budget_and_in_seconds():
    T, W = 1.5, 0.15
    for text in (f"warmup(cosine(peak=1.0, horizon={1 - W / T}, clock='fraction'), "
                 f"steps={W / T})",
                 f"warmup(cosine(peak=1.0, horizon={T - W}, clock='seconds'), steps={W})"):
        schedule = parse(text)
        r = simulated_run(schedule, seconds=T, eval_every=1)
        seconds, lrs = r.history["seconds"][:-1], r.history["lr"][:-1]
        clock_values = seconds / T if schedule.clock == "fraction" else seconds
        expected = [schedule(float(t)) for t in clock_values]
        np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15)
        # linear up to the peak at W seconds, then a cosine that ends with the budget
        assert lrs[0] == 0.0
        assert lrs[seconds <= W].max() <= 1.0 and lrs[np.searchsorted(seconds, W)] == \
            pytest.approx(1.0, abs=2e-3)
        assert lrs[-1] < 1e-4


def test_guard_anneals_once_per_collapse():
    r = simulated_run("guard(constant(1.0), min_throughput_ratio=0.5, window=50, factor=0.5)",
                      eval_every=1)
    lr, seconds = r.history["lr"][:-1], r.history["seconds"][:-1]
    # the throttle starts at 0.5 s (step 500); the first window measured after it ends at
    # step 550, where the rate is halved once; the slower rate then becomes the reference
    assert np.all(lr[seconds < 0.55] == 1.0)
    assert lr[-1] == 0.5 and set(np.unique(lr)) == {0.5, 1.0}


def test_guard_asks_for_a_clean_stop():
    policy = parse("guard(constant(1.0), min_throughput_ratio=0.5, window=50, action='stop')")
    r = simulated_run(policy, eval_every=1)
    # the loop ends the run at the request (step 550), as done, with the reason
    assert r.status == "done" and r.summary["steps"] == 550
    assert "throughput" in r.summary["reason"] and "throughput" in policy.stopped
    assert np.all(r.history["lr"][:-1] == 1.0)
    # a loop that ignores the request gets a zero rate: the parameters stop moving
    later = policy.lr(Progress(step=551, seconds=1.0))
    assert later == 0.0


def test_guard_stops_at_the_memory_limit():
    g = Guard(0.1, max_rss_bytes=1000)
    snap = types.SimpleNamespace(rss_bytes=500)
    p = Progress(step=0, snapshot=snap)
    assert g.lr(p) == 0.1 and "stop" not in p.extra
    snap.rss_bytes = 1000
    p.step = 1
    assert g.lr(p) == 0.0 and "rss" in p.extra["stop"]
    # the request is sticky, survives a state round trip, and a missing snapshot is harmless
    state = json.loads(json.dumps(g.state_dict()))
    fresh = Guard(0.1, max_rss_bytes=1000)
    fresh.load_state_dict(state)
    q = Progress(step=2, snapshot=None)
    assert fresh.lr(q) == 0.0 and q.extra["stop"] == state["stopped"]
    assert Guard(0.1, max_rss_bytes=1000).lr(Progress(step=0)) == 0.1


def test_guard_resumes_bit_for_bit_across_a_collapse():
    def seconds_at(k):
        return 0.01 * k if k <= 130 else 1.3 + 0.05 * (k - 130)

    text = "guard(adagrad_norm(), min_throughput_ratio=0.5, window=20)"
    whole = parse(text)
    full = []
    for k in range(300):
        full.append(whole.lr(Progress(step=k, seconds=seconds_at(k), grad_norm=1.0 + k % 3)))
    first = parse(text)
    part = [first.lr(Progress(step=k, seconds=seconds_at(k), grad_norm=1.0 + k % 3))
            for k in range(150)]
    second = parse(text)
    second.load_state_dict(json.loads(json.dumps(first.state_dict())))
    part += [second.lr(Progress(step=k, seconds=seconds_at(k), grad_norm=1.0 + k % 3))
             for k in range(150, 300)]
    assert part == full
    # the window from step 120 to 140 (half fast, half slow) is the collapse; its rate is
    # the new reference, and the slow windows after it (20 steps/s) are within 0.5 of it
    assert whole.collapses == 1 and whole.scale == 0.5
    assert math.isclose(whole.best_rate, 20 / (10 * 0.01 + 10 * 0.05))


def test_guard_reads_the_real_monitor_and_stops_the_run():
    telemetry = pytest.importorskip("lrsched.telemetry")
    with telemetry.Monitor() as monitor:
        r = train(LOGISTIC, "sgd", "guard(constant(0.5), max_rss_bytes=1)",
                  budget=Budget(steps=10**7), monitor=monitor)
    assert r.status == "done" and r.summary["steps"] < 10**7
    assert r.summary["reason"].startswith("stopped by the policy: guard: rss")
