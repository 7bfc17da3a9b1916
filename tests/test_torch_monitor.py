"""RunMonitor: monitoring a user's own PyTorch loop (progress, log, alerts, a shared-clock
scheduler) and the torch digits example."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fake_run import TELEMETRY, snapshot  # noqa: E402

from lrsched import Budget, parse, spec  # noqa: E402
from lrsched.cli import main  # noqa: E402
from lrsched.integrations.torch_monitor import RunMonitor  # noqa: E402
from lrsched.runs import load  # noqa: E402
from lrsched.telemetry.testing import ManualClock  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeMonitor:
    """A running telemetry monitor whose latest snapshot the test sets."""

    running = True
    columns = TELEMETRY

    def __init__(self, latest):
        self.latest = latest

    def capabilities(self):
        return []


def model_and_optimizer(lr=0.1):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    return model, torch.optim.SGD(model.parameters(), lr=lr)


def train_step(model, optimizer, x, y):
    loss = torch.nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def test_a_step_budget_runs_exactly_and_its_log_loads_back(tmp_path):
    model, opt = model_and_optimizer()
    x = torch.randn(32, 4)
    y = x.sum(1, keepdim=True)
    path = tmp_path / "run.jsonl"
    losses = []
    with RunMonitor(opt, budget=Budget(steps=50), log=path, progress=False, monitor=None,
                    spec={"model": "linear(4)"}) as mon:
        while not mon.done:
            loss = train_step(model, opt, x, y)
            losses.append(loss.item())
            mon.step(loss=loss, samples=32)
    r = mon.result
    assert r.summary["status"] == "done" and r.summary["steps"] == 50
    assert list(r.history["step"]) == list(range(1, 51))  # one row per step on 50 steps
    assert np.allclose(r.history["train_loss"], losses)
    assert np.allclose(r.history["loss"], losses)  # one loss per row: the mean is that loss
    assert (r.history["lr"] == 0.1).all() and r.history["samples"][-1] == 50 * 32
    assert r.summary["best_loss"] == pytest.approx(min(losses))
    back = load(path)
    assert back.spec["model"] == "linear(4)" and back.spec["optimizer"] == "SGD(lr=0.1)"
    for k, v in r.history.items():
        assert np.array_equal(back.history[k], v, equal_nan=True), k
    assert back.summary["status"] == "done"


def test_rows_average_the_losses_between_them():
    _, opt = model_and_optimizer()
    with RunMonitor(opt, budget=Budget(steps=9), record_every=3, progress=False,
                    monitor=None) as mon:
        for loss in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0):
            mon.step(loss=loss)
    h = mon.result.history
    assert list(h["step"]) == [1, 3, 6, 9]
    assert list(h["loss"]) == [1.0, 2.5, 5.0, 8.0]
    assert list(h["train_loss"]) == [1.0, 3.0, 6.0, 9.0]


def test_progress_follows_the_clock_telemetry_and_budget():
    _, opt = model_and_optimizer()
    clock = ManualClock()
    telemetry = FakeMonitor(snapshot(time_seconds=0.0, joules=7.0, joules_quality="measured",
                                     rss_bytes=1e8))
    with RunMonitor(opt, budget=Budget(seconds=1.0), progress=False, monitor=telemetry,
                    clock=clock) as mon:
        assert not mon.done
        for _ in range(4):
            clock.advance(0.2)
            mon.step(loss=torch.tensor(0.5))
        p = mon.progress
        assert (p.step, p.loss, p.lr) == (4, 0.5, 0.1)
        assert p.seconds == pytest.approx(0.8) and p.fraction == pytest.approx(0.8)
        assert p.joules == 7.0 and p.snapshot is telemetry.latest
        with mon.paused():  # evaluation: off the clock
            clock.advance(5.0)
        clock.advance(0.2)
        mon.step(loss=0.25)
        assert mon.progress.seconds == pytest.approx(1.0) and mon.done
    assert mon.result.summary["joules"] == 7.0
    assert mon.result.history["rss_bytes"][-1] == 1e8


def test_losses_may_be_tensors_with_grad_but_not_vectors():
    _, opt = model_and_optimizer()
    with RunMonitor(opt, progress=False, monitor=None) as mon:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mon.step(loss=torch.tensor(0.5, requires_grad=True) * 2)
        assert mon.progress.loss == 1.0
        with pytest.raises(ValueError, match="0-d tensor"):
            mon.step(loss=torch.ones(3))
        assert not mon.done  # no budget: never done


def test_the_scheduler_runs_on_the_monitors_clock():
    _, opt = model_and_optimizer(lr=0.0)
    clock = ManualClock()
    mon = RunMonitor(opt, budget=Budget(seconds=1.0), progress=False, monitor=None, clock=clock)
    schedule = "cosine(peak=0.5, horizon=1.0, clock='fraction')"
    sched = mon.scheduler(schedule)
    assert opt.param_groups[0]["lr"] == 0.5  # s(0)
    cosine = parse(schedule)
    seen = []
    with mon:
        with pytest.raises(RuntimeError, match="before the `with` block"):
            mon.scheduler(schedule)
        while not mon.done:
            clock.advance(0.125)
            with mon.paused():
                clock.advance(1.0)  # excluded from the schedule's clock too
            mon.step(loss=1.0)
            seen.append(opt.param_groups[0]["lr"])
    assert len(seen) == 8
    assert np.allclose(seen, [cosine(k / 8) for k in range(1, 9)])
    assert seen[-1] == 0.0  # the floor, exactly when the budget is spent
    assert sched.progress.step == mon.progress.step == 8
    assert sched.progress.seconds == mon.progress.seconds == 1.0
    assert mon.spec["schedule"] == spec(cosine)
    assert np.allclose(mon.result.history["lr"], seen)  # rows show the next step's rate


def test_a_failing_loop_still_writes_its_footer(tmp_path):
    _, opt = model_and_optimizer()
    path = tmp_path / "run.jsonl"
    with pytest.raises(KeyError):
        with RunMonitor(opt, log=path, progress=False, monitor=None) as mon:
            mon.step(loss=1.0)
            raise KeyError("batch")
    assert mon.result.summary["status"] == "failed"
    assert load(path).summary["reason"] == "KeyError: 'batch'"


def test_a_non_finite_loss_is_an_alert_and_the_run_diverged(tmp_path):
    _, opt = model_and_optimizer()
    path = tmp_path / "run.jsonl"
    with RunMonitor(opt, log=path, record_every=1, progress=False, monitor=None) as mon:
        for loss in (1.0, 0.5, math.nan, 0.4):
            mon.step(loss=loss)
    assert mon.result.summary["status"] == "diverged"
    assert mon.result.summary["reason"] == "non-finite loss at step 3"
    with open(path) as f:
        alerts = [json.loads(line) for line in f if '"type": "alert"' in line]
    assert [(a["kind"], a["step"]) for a in alerts] == [("non_finite_loss", 3)]


def test_bad_arguments_are_refused():
    _, opt = model_and_optimizer()
    with pytest.raises(ValueError, match="param_groups"):
        RunMonitor(object())
    with pytest.raises(ValueError, match="record_every"):
        RunMonitor(opt, record_every=0)
    with pytest.raises(ValueError, match="budget"):
        RunMonitor(opt, budget=[1])


def test_the_torch_digits_example_runs_and_its_log_plots(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "torch_digits", os.path.join(ROOT, "examples", "torch_digits.py"))
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    log = tmp_path / "digits.jsonl"
    assert example.main(["--seconds", "0.5", "--log", str(log), "--progress", "on"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lrsched: torch_digits · mlp(hidden=64) · SGD(lr=0.2) · cosine(")
    assert "lrsched: done:" in out and "test accuracy" in out
    r = load(log)
    assert r.summary["status"] == "done" and r.summary["seconds"] == pytest.approx(0.5, abs=0.1)
    assert r.summary["final_lr"] < 0.01 * 0.2  # the cosine reached its floor with the budget
    assert r.history["loss"][-1] < r.history["loss"][0] / 5
    png = tmp_path / "digits.png"
    assert main(["plot", str(log), "--out", str(png)]) == 0 and png.exists()
