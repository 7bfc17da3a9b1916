"""The telemetry Monitor: lifecycle, the sampler thread, failures, windows and snapshots."""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrsched.telemetry import Monitor, ReplaySource, Snapshot, next_tick
from lrsched.telemetry._monitor import THREAD_NAME, _stop_all
from lrsched.telemetry.testing import FakeGpu, FakeNVML, FakeSource, ManualClock

LOGGER = "lrsched.telemetry"


def sampler_threads():
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


def wait_for(predicate, timeout=20.0):
    """Poll until ``predicate()``; a liveness guard, not a timing assertion."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached while the sampler was running")
        time.sleep(0.005)


def burn_cpu(seconds):
    """Spin until this process has used ``seconds`` more CPU time."""
    t = os.times()
    start = t.user + t.system
    x = 0
    while True:
        for i in range(20000):
            x += i * i
        t = os.times()
        if t.user + t.system - start >= seconds:
            return x


# -- lifecycle and the thread ------------------------------------------------------
def test_context_manager_starts_one_daemon_thread_and_joins_it():
    before = len(sampler_threads())
    with Monitor(interval=0.01, sources=["process"]) as m:
        threads = sampler_threads()
        assert len(threads) == before + 1 and threads[-1].daemon
        assert m.running and m.latest is not None  # sample 0 is taken by start()
        wait_for(lambda: m.latest.index >= 3)
    assert len(sampler_threads()) == before
    assert not m.running
    stats = m.stats()
    assert stats["ticks"] >= 3 and stats["samples"] == stats["ticks"] + 1
    assert stats["skipped_ticks"] >= 0 and stats["dropped"] == []


def test_start_twice_is_an_error_and_restart_after_stop_reprobes():
    src = FakeSource({"gpu_power_watts": 10.0})
    m = Monitor(interval=0.05, sources=[src])
    m.start()
    with pytest.raises(RuntimeError, match="already running"):
        m.start()
    m.stop()
    m.stop()  # idempotent
    assert src.closed >= 1
    m.start()
    assert m.running and m.history()["time_seconds"][0] == 0.0  # a fresh start
    m.stop()
    assert sampler_threads() == []


def test_a_dropped_monitor_stops_its_thread():
    m = Monitor(interval=0.01, sources=["process"]).start()
    thread = sampler_threads()[-1]
    del m
    gc.collect()
    thread.join(timeout=20)
    assert not thread.is_alive()


def test_atexit_hook_stops_running_monitors():
    m = Monitor(interval=0.01, sources=["process"]).start()
    _stop_all()
    assert not m.running and sampler_threads() == []


def test_source_failing_mid_run_is_dropped_once_and_sampling_goes_on(caplog, monkeypatch):
    escaped = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    bad = FakeSource({"gpu_power_watts": 10.0}, fail_at=3, error=OSError("sensor gone"))
    caplog.set_level(logging.INFO, logger=LOGGER)
    with Monitor(interval=0.005, sources=["process", bad]) as m:
        wait_for(lambda: m.latest.index >= 10)
        snap = m.latest
        assert m.running
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "sensor gone" in warnings[0].getMessage()
    assert escaped == []
    assert bad.reads == 3 and snap.gpu_power_watts is None
    assert snap.quality["gpu_power_watts"] == "unavailable"
    assert snap.rss_bytes > 0  # the healthy source keeps sampling
    cap = {c.source: c for c in m.capabilities()}["fake"]
    assert not cap.available and "dropped" in cap.detail
    assert m.stats()["dropped"][0][0] == "fake"


def test_a_source_returning_garbage_is_dropped_like_a_raising_one(caplog):
    m = Monitor(sources=[FakeSource({"gpu_power_watts": "hot"})])
    snap = m.sample_now()
    assert snap.gpu_power_watts is None
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1
    m.stop()


def test_a_probe_that_raises_makes_the_source_unavailable_with_one_log_line(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    m = Monitor(sources=[FakeSource({"rss_bytes": 1.0}, probe_error=OSError("no bus"))])
    (cap,) = m.capabilities()
    assert not cap.available and "no bus" in cap.detail
    assert m.columns == ()
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1
    m.stop()


@given(k=st.integers(1, 10**6), start=st.floats(-1e3, 1e3), interval=st.floats(1e-3, 10.0),
       lag=st.floats(0.0, 50.0))
def test_next_tick_skips_missed_deadlines_instead_of_bunching(k, start, interval, lag):
    now = start + k * interval + lag * interval  # woke up `lag` intervals after tick k
    nxt, skipped = next_tick(k, start, interval, now)
    assert nxt > k and skipped == nxt - k - 1 >= 0
    assert start + nxt * interval >= now - 1e-9 * max(1.0, abs(now))  # due in the future
    assert start + (nxt - 1) * interval <= now + 1e-9 * max(1.0, abs(now))  # the latest past one
    if lag < 0.999:
        assert skipped == 0


# -- snapshots, columns and the ring buffer --------------------------------------------
def test_snapshot_is_immutable_and_row_follows_columns():
    clock = ManualClock()
    m = Monitor(sources=["process", FakeSource({"gpu_power_watts": 42.0})], clock=clock)
    assert m.columns == ("rss_bytes", "peak_rss_bytes", "cpu_seconds", "gpu_power_watts")
    snap = m.sample_now()
    assert isinstance(snap, Snapshot) and m.latest is snap
    with pytest.raises(AttributeError):
        snap.joules = 1.0
    with pytest.raises(AttributeError):
        _ = snap.no_such_value
    assert snap.gpu_util_percent is None  # a measure no source provides
    assert snap.joules is None and snap.joules_quality == "unavailable"
    row = snap.row()
    assert len(row) == len(m.columns) and row[3] == 42.0
    assert row == tuple(float(snap.values[c]) for c in m.columns)
    json.dumps(snap.as_dict())
    m.stop()


def test_ring_buffer_keeps_the_last_samples_in_order():
    clock = ManualClock()
    m = Monitor(sources=[FakeSource({"gpu_power_watts": 1.0})], clock=clock, buffer_size=3)
    for _ in range(5):
        m.sample_now()
        clock.advance(1.0)
    h = m.history()
    np.testing.assert_array_equal(h["time_seconds"], [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(h["gpu_power_watts"], [1.0, 1.0, 1.0])
    assert np.isnan(h["lateness_seconds"]).all()  # on-demand samples are not ticks
    m.stop()


def test_nan_in_row_for_a_value_gone_missing():
    clock = ManualClock()
    m = Monitor(sources=[FakeSource({"gpu_power_watts": 5.0}, fail_at=2)], clock=clock)
    assert m.sample_now().row() == (5.0,)
    assert math.isnan(m.sample_now().row()[0])
    m.stop()


# -- energy and windows ----------------------------------------------------------------
def test_window_measures_time_and_energy_on_the_injected_clock(monkeypatch):
    clock = ManualClock(start=100.0)
    nvml = FakeNVML([FakeGpu(power_watts=250.0)], clock=clock)
    monkeypatch.setitem(__import__("sys").modules, "pynvml", nvml)
    syncs = []
    m = Monitor(sources=["nvml"], clock=clock)
    m.sample_now()
    clock.advance(3.0)  # energy before the window is not in it
    with m.window(sync=lambda: syncs.append(1)) as w:
        clock.advance(2.0)
    assert len(syncs) == 2
    assert w.seconds == 2.0 and w.joules == 500.0
    assert w.joules_quality == "measured" and w.cpu_seconds is None
    assert w.quality == {"seconds": "measured", "cpu_seconds": "unavailable", "joules": "measured"}
    assert m.latest.joules == 1250.0  # 5 s since the first sample
    m.stop()


def test_window_results_are_not_readable_while_open():
    m = Monitor(sources=["process"])
    with m.window(sync=np) as w:  # an array namespace is synchronised through lrsched.backend
        with pytest.raises(RuntimeError, match="still open"):
            _ = w.seconds
    assert w.seconds >= 0
    m.stop()


def test_window_cpu_seconds_agree_with_os_times():
    m = Monitor(sources=["process"])
    t0 = os.times()
    with m.window() as w:
        burn_cpu(0.3)
    t1 = os.times()
    reference = (t1.user + t1.system) - (t0.user + t0.system)
    # os.times() counts 10 ms clock ticks; the window lies inside the os.times() span
    assert w.cpu_seconds == pytest.approx(reference, abs=0.03)
    assert w.quality["cpu_seconds"] == "measured"
    m.stop()


def test_estimated_energy_is_cpu_seconds_times_watts():
    m = Monitor(sources=["process", "estimate"], estimate_watts_per_core=15.0)
    with m.window() as w:
        burn_cpu(0.1)
    assert w.joules == pytest.approx(15.0 * w.cpu_seconds, rel=1e-12)
    assert w.joules > 0 and w.joules_quality == "estimated"
    assert "estimated_joules" in m.columns and m.columns[-1] == "joules"
    m.stop()


def test_energy_is_absent_without_an_energy_source():
    m = Monitor(sources=["process", "estimate"])  # estimate not asked for
    caps = {c.source: c for c in m.capabilities()}
    assert not caps["estimate"].available and "estimate_watts_per_core" in caps["estimate"].detail
    with m.window() as w:
        pass
    assert w.joules is None and w.joules_quality == "unavailable"
    assert "joules" not in m.columns
    m.stop()


def test_energy_stays_monotone_when_an_energy_source_is_dropped(monkeypatch, caplog):
    clock = ManualClock()
    gpu = FakeGpu(power_watts=100.0)
    monkeypatch.setitem(__import__("sys").modules, "pynvml", FakeNVML([gpu], clock=clock))
    m = Monitor(sources=["nvml"], clock=clock)
    m.sample_now()
    clock.advance(1.0)
    assert m.sample_now().joules == 100.0
    gpu.broken_code = FakeNVML.NVML_ERROR_GPU_IS_LOST
    clock.advance(1.0)
    snap = m.sample_now()
    assert snap.gpu_joules is None and snap.joules == 100.0
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1
    m.stop()


def test_replay_round_trip_reproduces_the_recorded_rows(tmp_path, monkeypatch, caplog):
    clock = ManualClock()
    gpu = FakeGpu(power_watts=80.0, energy_counter=False)
    monkeypatch.setitem(__import__("sys").modules, "pynvml", FakeNVML([gpu], clock=clock))
    rec = Monitor(sources=["nvml"], clock=clock)
    rows = []
    for watts in (80.0, 120.0, 60.0, 60.0):
        gpu.set_power(watts, clock.now)
        rows.append(rec.sample_now().row())
        clock.advance(0.5)
    rec.save_csv(tmp_path / "run.csv")
    rec.stop()
    replay = Monitor(sources=[ReplaySource(tmp_path / "run.csv", quality="integrated")],
                     clock=ManualClock())
    assert replay.columns == rec.columns
    assert [replay.sample_now().row() for _ in rows] == rows
    assert replay.latest.joules_quality == "integrated"
    last = replay.sample_now()  # past the end: the replay is dropped, sampling goes on
    assert last.gpu_power_watts is None and last.joules == rows[-1][-1]
    assert any("ended after 4 rows" in r.getMessage() for r in caplog.records)
    replay.stop()


def test_replay_rejects_unknown_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time_seconds,watts\n0,1\n")
    with pytest.raises(ValueError, match="unknown column"):
        ReplaySource(path)


@pytest.mark.parametrize("kwargs, match", [
    ({"interval": 0}, "interval"), ({"interval": -1}, "interval"),
    ({"buffer_size": 1}, "buffer_size"), ({"sources": "process"}, "sources"),
    ({"sources": ["bogus"]}, "bogus"), ({"estimate_watts_per_core": -5}, "watts_per_core"),
    ({"clock": 3}, "clock"), ({"gpus": "first"}, "gpus"),
])
def test_bad_arguments_are_one_line_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        Monitor(**kwargs)
    assert "\n" not in str(info.value)
