"""Alert rules (lrsched.alerts): when each kind is raised, once per episode."""

from __future__ import annotations

import math

import pytest

from lrsched.alerts import AlertRules, AlertWatch
from lrsched.telemetry import Monitor
from lrsched.telemetry.testing import FakeSource, ManualClock

NAMES = ("step", "seconds", "loss", "train_loss", "rss_bytes")


def kinds(watch, *rows, snapshot=None):
    out = []
    for step, loss, rss in rows:
        out.append([a.kind for a in watch.check((step, step * 0.1, loss, loss, rss), snapshot)])
    return out


def test_an_exploding_loss_alerts_once_per_excursion():
    watch = AlertWatch(AlertRules(loss_factor=10.0), NAMES)
    converge = [(k, 2.0 * 0.5**k, 0) for k in range(10)]  # 2.0 down to ~0.004
    blow_up = [(10 + k, 0.004 * 10**k, 0) for k in range(1, 5)]
    recover = [(20 + k, 1e-3, 0) for k in range(10)]
    got = kinds(watch, *converge, *blow_up, *recover, (30, 50.0, 0))
    flat = [(row[0], k) for row, ks in zip(converge + blow_up + recover + [(30,)], got)
            for k in ks]
    # smoothed (weight 0.3): 0.109 at its best, 0.196 at step 12 (loss 0.4), 1.34 at step 13
    assert flat == [(13, "loss_exploding"), (30, "loss_exploding")]
    assert watch.alerts[0].seconds == pytest.approx(1.3)
    assert watch.alerts[0].message == "loss 1.337 (smoothed) is above 10 x its best 0.1088"


def test_noise_near_a_zero_minimum_is_not_an_explosion():
    watch = AlertWatch(None, NAMES)
    noisy = [(k, 1e-5 if k % 3 else 3e-4, 0) for k in range(1, 40)]  # 30x spikes, tiny losses
    got = kinds(watch, (0, 2.3, 0), *noisy, (40, 1e-30, 0), (41, 1e-12, 0))
    assert not any(got)


def test_non_finite_losses_alert_but_nan_before_any_loss_means_not_reported():
    watch = AlertWatch(None, NAMES)
    got = kinds(watch, (0, math.nan, 0), (1, 1.0, 0), (2, math.nan, 0), (3, math.nan, 0),
                (4, 0.5, 0), (5, math.inf, 0))
    assert got == [[], [], ["non_finite_loss"], [], [], ["non_finite_loss"]]
    assert AlertWatch(None, NAMES).check((0, 0.0, math.inf, 1.0, 0))[0].kind == "non_finite_loss"


def test_memory_above_the_share_of_the_machine_alerts():
    watch = AlertWatch(AlertRules(memory_share=0.5, total_memory_bytes=2**30), NAMES)
    got = kinds(watch, (0, 1.0, 2**28), (1, 1.0, 2**29 + 1), (2, 1.0, 2**29 + 2), (3, 1.0, 2**20),
                (4, 1.0, 2**30))
    assert got == [[], ["memory"], [], [], ["memory"]]
    assert "above 50% of the machine's 1.0 GiB" in watch.alerts[0].message


def test_the_default_memory_limit_is_the_machines_memory():
    import psutil

    watch = AlertWatch(None, NAMES)
    total = psutil.virtual_memory().total
    assert kinds(watch, (0, 1.0, 0.89 * total), (1, 1.0, 0.91 * total)) == [[], ["memory"]]


def test_a_telemetry_source_dropped_mid_run_alerts_once():
    clock = ManualClock()
    flaky = FakeSource({"gpu_power_watts": 100.0}, fail_at=3, name="flaky")
    steady = FakeSource({"rss_bytes": 1e6}, name="steady")
    monitor = Monitor(sources=[steady, flaky], clock=clock)
    snap = monitor.sample_now()
    watch = AlertWatch(None, NAMES, monitor)
    assert kinds(watch, (0, 1.0, 0), snapshot=snap) == [[]]
    snap = monitor.sample_now()
    assert kinds(watch, (1, 1.0, 0), snapshot=snap) == [[]]
    snap = monitor.sample_now()  # third read of the flaky source fails: dropped
    assert kinds(watch, (2, 1.0, 0), (3, 1.0, 0), snapshot=snap) == [["telemetry_lost"], []]
    assert "'flaky' was lost" in watch.alerts[0].message
    assert kinds(watch, (4, 1.0, 0), snapshot=monitor.sample_now()) == [[]]
    monitor.stop()


@pytest.mark.parametrize("kwargs, name", [({"loss_factor": 1.0}, "loss_factor"),
                                          ({"loss_climb": -0.1}, "loss_climb"),
                                          ({"memory_share": 0.0}, "memory_share"),
                                          ({"memory_share": 1.5}, "memory_share")])
def test_bad_rules_are_refused(kwargs, name):
    with pytest.raises(ValueError, match=name):
        AlertRules(**kwargs)
