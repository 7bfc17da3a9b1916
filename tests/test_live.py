"""The live view (lrsched.live): plain lines off a terminal, a rate-limited rich display
in one, every field shown, alerts."""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import pytest
from fake_run import FakeRun, snapshot

import lrsched
from lrsched.live import LiveView
from lrsched.progress import Budget
from lrsched.telemetry.testing import ManualClock


class Tty(io.StringIO):
    def isatty(self):
        return True


def full_snapshot(t, cpu_seconds, joules):
    return snapshot(time_seconds=t, rss_bytes=300 * 2**20, cpu_seconds=cpu_seconds,
                    cpu_percent=55.0, gpu_util_percent=87.0, gpu_memory_bytes=3 * 2**30,
                    gpu_power_watts=215.0, joules=joules, joules_quality="measured")


def test_auto_shows_a_view_only_on_a_terminal():
    assert LiveView.auto(file=io.StringIO()) is None
    assert isinstance(LiveView.auto(file=Tty()), LiveView)


def test_plain_lines_come_every_plain_seconds_and_at_the_end():
    out, clock = io.StringIO(), ManualClock()
    view = LiveView(file=out, clock=clock, plain_seconds=2.0)
    run = FakeRun([view], budget=Budget(steps=1000), telemetry=False).start()
    for k in range(50):  # no time passes: no progress line
        run.row(k, 1.0 / (k + 1))
    assert out.getvalue().count("\n") == 1  # the start line only
    clock.advance(2.0)
    run.row(50, 0.02, lr=0.05)
    clock.advance(1.0)
    run.row(60, 0.01)  # 1 s later: too early
    run.end()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("lrsched: fake(dim=3) · sgd() · constant(lr=0.1)")
    progress = lines[1]
    for text in ("step 50", "loss 0.02", "best 0.02", "lr 0.05", "steps/s", "950 steps left",
                 "telemetry off"):
        assert text in progress, (text, progress)
    assert lines[2].startswith("lrsched: done: 60 steps")


def test_the_rich_display_refreshes_at_most_refresh_hz():
    clock = ManualClock()
    view = LiveView(file=Tty(), rich=True, refresh_hz=4.0, clock=clock)
    run = FakeRun([view], telemetry=False).start()
    for k in range(100):
        run.row(k, 1.0)
    assert view.refreshes == 0
    clock.advance(0.25)
    for k in range(100, 200):
        run.row(k, 1.0)
    assert view.refreshes == 1
    clock.advance(0.1)
    run.row(200, 1.0)
    assert view.refreshes == 1
    run.end()
    assert view.refreshes == 2  # the final state is always shown
    assert "step     200" in rendered(view)  # with the last row, even between refreshes


def rendered(view) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, record=True)
    console.print(view._render(None))
    return console.export_text()


def test_the_display_shows_every_field_and_they_update():
    clock = ManualClock()
    view = LiveView(file=Tty(), rich=True, clock=clock)
    monitor = SimpleNamespace(latest=full_snapshot(0.0, 0.0, 0.0))
    run = FakeRun([view], budget=Budget(steps=1000), monitor=monitor).start()
    run.row(0, 2.0, lr=0.5, seconds=0.0, snap=monitor.latest)
    clock.advance(1.0)
    run.row(100, 0.5, lr=0.4, seconds=1.0, snap=full_snapshot(1.0, 1.5, 200.0))
    first = rendered(view)
    for text in ("fake(dim=3)", "budget steps=1000", "10%", "900 steps left", "ETA 9.0 s",
                 "step     100", "samples 1,000", "loss     0.5", "best 0.5", "lr       0.4",
                 "100 steps/s", "1,000 samples/s", "150 % process", "55 % system",
                 "rss 300 MiB", "87 % util", "mem 3.00 GiB", "215 W", "200 J (measured)"):
        assert text in first, (text, first)
    clock.advance(1.0)
    run.row(300, 0.25, lr=0.3, seconds=2.0, snap=full_snapshot(2.0, 2.0, 420.0))
    second = rendered(view)
    for text in ("30%", "700 steps left", "step     300", "loss     0.25", "best 0.25",
                 "lr       0.3", "200 steps/s", "50 % process", "420 J"):
        assert text in second, (text, second)
    run.end()


@pytest.mark.parametrize("budget, expected", [
    (Budget(seconds=5.0), "1/5 s · 4.0 s left"),
    (Budget(joules=1000.0), "800 J left · ETA 4.0 s"),
])
def test_time_and_energy_budgets_show_what_is_left(budget, expected):
    clock = ManualClock()
    view = LiveView(file=Tty(), rich=True, clock=clock)
    run = FakeRun([view], budget=budget).start()
    clock.advance(1.0)
    run.row(10, 1.0, seconds=1.0, snap=full_snapshot(1.0, 1.0, 200.0))
    assert expected in rendered(view)
    run.end()


def test_alerts_show_in_red_and_as_plain_lines():
    out, clock = io.StringIO(), ManualClock()
    view = LiveView(file=out, clock=clock)
    run = FakeRun([view], telemetry=False).start()
    run.row(0, 1.0)
    run.row(1, math.inf)
    assert "ALERT step 1: loss is not finite" in out.getvalue()
    assert "ALERT    step 1: loss is not finite" in rendered(view)
    run.end(status="diverged")
    assert "lrsched: diverged" in out.getvalue()


def test_train_with_progress_prints_plain_lines_in_a_pipe(capsys):
    lrsched.train("quadratic(dim=10)", "sgd", "constant(lr=0.5)", budget="steps=50",
                  monitor=None, progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("lrsched: quadratic(dim=10) · sgd() · constant(lr=0.5)")
    assert lines[-1].startswith("lrsched: done: 50 steps")


def test_progress_auto_is_silent_in_a_pipe(capsys):
    lrsched.train("quadratic(dim=10)", "sgd", "constant(lr=0.5)", budget="steps=50",
                  monitor=None, progress="auto")
    assert capsys.readouterr().out == ""


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="refresh_hz"):
        LiveView(refresh_hz=0)
    with pytest.raises(ValueError, match="plain_seconds"):
        LiveView(plain_seconds=-1)
