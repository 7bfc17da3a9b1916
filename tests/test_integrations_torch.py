"""``lrsched.integrations.torch.LRScheduler``: a torch scheduler driven by our schedules."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lrsched.progress import Budget
from lrsched.spec import parse, registry

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler as tls  # noqa: E402

from lrsched.integrations.torch import LRScheduler  # noqa: E402


class FakeClock:
    """A monotonic clock the test advances by hand."""

    def __init__(self, start=100.0):
        self.now = start

    def __call__(self):
        return self.now


def sgd(lr=0.0, momentum=0.9, groups=1):
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p]} for p in params], lr=lr, momentum=momentum)


def lrs_over(opt, sched, n, **step_kwargs):
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(**step_kwargs)
    return out


# --------------------------------------------------------------------------- the convention

def test_is_a_torch_scheduler_that_does_not_advance_when_built():
    opt = sgd()
    s = parse("warmup(cosine(peak=0.1, horizon=90), steps=10)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no torch warning about the order of step() calls
        sched = LRScheduler(opt, s)
        assert isinstance(sched, tls.LRScheduler)
        assert opt.param_groups[0]["lr"] == s(0) == 0.0 and sched.last_epoch == 0
        seen = lrs_over(opt, sched, 120)
    assert seen == [s(k) for k in range(120)]  # after k calls to step(), lr = s(k)
    assert sched.get_last_lr() == [s(120)] and sched.get_lr() == [s(120)]
    assert sched.last_epoch == sched.progress.step == 120


def test_one_schedule_per_param_group():
    opt = sgd(groups=2)
    a, b = parse("cosine(peak=0.1, horizon=50)"), parse("linear(0.0, 0.01, 20)")
    sched = LRScheduler(opt, [a, "linear(0.0, 0.01, 20)"])
    for k in range(60):
        assert [g["lr"] for g in opt.param_groups] == [a(k), b(k)] == sched.get_last_lr()
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="3 schedules for 2 param groups"):
        LRScheduler(sgd(groups=2), [a, a, a])


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_momentum_cycling_matches_torch_onecycle(kind):
    def make():
        p = torch.nn.Parameter(torch.zeros(3))
        if kind == "adam":
            return torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.99))
        return torch.optim.SGD([p], lr=0.1, momentum=0.9)

    ours_opt, ref_opt = make(), make()
    ours = LRScheduler(ours_opt, "onecycle(peak=0.1, horizon=100, three_phase=True)")
    ref = tls.OneCycleLR(ref_opt, max_lr=0.1, total_steps=100, three_phase=True)
    for _ in range(100):
        g, r = ours_opt.param_groups[0], ref_opt.param_groups[0]
        assert g["lr"] == pytest.approx(r["lr"], rel=1e-12, abs=1e-18)
        if kind == "adam":
            assert g["betas"][0] == pytest.approx(r["betas"][0], rel=1e-12)
            assert g["betas"][1] == 0.99
        else:
            assert g["momentum"] == pytest.approx(r["momentum"], rel=1e-12)
        for opt, sched in ((ours_opt, ours), (ref_opt, ref)):
            opt.step()
            if sched is ref and ref.last_epoch == 99:
                break  # torch raises past its last step
            sched.step()


def test_momentum_cycling_needs_a_momentum_to_cycle():
    opt = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="neither 'momentum' nor 'betas'"):
        LRScheduler(opt, "cyclic(0.01, 0.1, 10)")
    LRScheduler(opt, "cyclic(0.01, 0.1, 10, cycle_momentum=False)")  # fine without cycling


def test_tensor_learning_rates_are_filled_in_place():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([p], lr=torch.tensor(0.01))
    tensor = opt.param_groups[0]["lr"]
    sched = LRScheduler(opt, "linear(0.0, 1.0, 4)")
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is tensor and float(tensor) == 0.25


# --------------------------------------------------------------------------- clocks

def test_seconds_clock_reads_a_monotonic_clock_and_excludes_paused_time():
    clock = FakeClock()
    opt = sgd()
    s = parse("cosine(peak=0.1, horizon=10.0, clock='seconds')")
    sched = LRScheduler(opt, s, time_fn=clock)
    for k in range(1, 6):
        clock.now += 0.5
        opt.step()
        sched.step()
        assert sched.progress.seconds == pytest.approx(0.5 * k)
        assert opt.param_groups[0]["lr"] == s(sched.progress.seconds)
    with sched.paused():
        clock.now += 100.0  # evaluation: not training time
    clock.now += 0.5
    sched.step()
    assert sched.progress.seconds == pytest.approx(3.0)


def test_fraction_clock_reaches_the_floor_exactly_when_the_budget_runs_out():
    clock = FakeClock()
    opt = sgd()
    sched = LRScheduler(opt, "cosine(peak=0.1, horizon=1.0, floor=0.001, clock='fraction')",
                        budget=Budget(seconds=10.0), time_fn=clock)
    seen = []
    while not sched.exhausted:
        clock.now += 0.07 + 0.03 * (len(seen) % 3)  # uneven steps
        opt.step()
        sched.step()
        seen.append(opt.param_groups[0]["lr"])
    assert seen[-1] == 0.001 and min(seen[:-1]) > 0.001 and seen[0] < 0.1
    with pytest.raises(ValueError, match="no budget"):
        LRScheduler(sgd(), "cosine(peak=0.1, horizon=1.0, clock='fraction')")


def test_epoch_and_sample_clocks():
    opt = sgd()
    s = parse("step(peak=0.1, step_size=2, clock='epoch')")
    sched = LRScheduler(opt, s, steps_per_epoch=10, batch_size=32)
    seen = lrs_over(opt, sched, 45)
    assert seen == [s(k / 10) for k in range(45)]
    assert sched.progress.samples == 45 * 32
    sched.step(epoch=7.5, samples=5, joules=12.0)
    p = sched.progress
    assert (p.epoch, p.samples, p.joules) == (7.5, 5, 12.0)
    assert opt.param_groups[0]["lr"] == s(7.5)


# --------------------------------------------------------------------------- policies

class RecordingPolicy:
    """A stand-in adaptive policy: reads loss and grad_norm, keeps explicit state."""

    spec_kind = "policy"
    clock = "step"
    needs = frozenset({"loss", "grad_norm"})

    def __init__(self):
        self.seen = []

    def spec(self):
        return "recording()"

    def lr(self, progress):
        self.seen.append((progress.step, progress.loss, progress.grad_norm))
        return 0.1 / (1.0 + len(self.seen))

    def momentum(self, progress):
        return None

    def state_dict(self):
        return {"version": 1, "calls": len(self.seen)}

    def load_state_dict(self, state):
        self.seen = [None] * state["calls"]


def test_loss_and_grad_norm_reach_a_policy():
    w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    opt = torch.optim.SGD([w], lr=0.0)
    policy = RecordingPolicy()
    sched = LRScheduler(opt, policy)
    loss = (w * w).sum() / 2  # gradient = w, norm 5
    loss.backward()
    opt.step()
    sched.step(loss=loss)
    assert policy.seen[-1][0] == 1 and policy.seen[-1][1] == pytest.approx(loss.item())
    assert policy.seen[-1][2] == pytest.approx(float(torch.linalg.vector_norm(w.grad)))
    assert sched.state_dict()["states"] == [{"version": 1, "calls": 2}]


def test_unsupported_signals_are_refused():
    class Prober(RecordingPolicy):
        needs = frozenset({"probe"})

    with pytest.raises(ValueError, match="cannot provide"):
        LRScheduler(sgd(), Prober())


def test_a_registered_plateau_policy_reduces_on_a_flat_loss():
    if "plateau" not in registry("policy"):
        pytest.skip("no plateau policy registered")
    opt = sgd()
    sched = LRScheduler(opt, "plateau(constant(0.1), patience=2)")
    for _ in range(12):
        opt.step()
        sched.step(loss=1.0)
    assert 0 < opt.param_groups[0]["lr"] < 0.1
    json.dumps(sched.state_dict(), allow_nan=False)


# --------------------------------------------------------------------------- state

def test_state_dict_is_json_and_load_validates():
    opt = sgd()
    sched = LRScheduler(opt, "onecycle(peak=0.1, horizon=50)")
    for _ in range(7):
        opt.step()
        sched.step(loss=0.5)
    state = json.loads(json.dumps(sched.state_dict(), allow_nan=False))
    assert state["progress"]["step"] == 7 and state["progress"]["loss"] == 0.5
    assert state["schedules"] == ["onecycle(peak=0.1, horizon=50)"]
    other = LRScheduler(sgd(), "onecycle(peak=0.2, horizon=50)")
    with pytest.raises(ValueError, match="saved for"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="version"):
        other.load_state_dict({**state, "version": 99})
    fresh_opt = sgd()
    fresh = LRScheduler(fresh_opt, "onecycle(peak=0.1, horizon=50)")
    fresh.load_state_dict(state)
    assert fresh_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert fresh_opt.param_groups[0]["momentum"] == opt.param_groups[0]["momentum"]
    assert math.isnan(LRScheduler(sgd(), "constant(0.1)").progress.loss)


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def _train(spec_text, steps, x, y, resume_at=None, clock=None):
    """Train an MLP on digits with minibatches; optionally stop, save, rebuild and resume."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    clock = clock or FakeClock()
    sched = LRScheduler(opt, spec_text, budget=f"steps={steps}", time_fn=clock)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(1))
    lrs, losses = [], []
    for k in range(steps):
        if k == resume_at:  # checkpoint through JSON, rebuild everything, load
            saved = (json.dumps(sched.state_dict()), model.state_dict(), opt.state_dict())
            model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                        torch.nn.Linear(32, 10))
            opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
            sched = LRScheduler(opt, spec_text, budget=f"steps={steps}", time_fn=clock)
            model.load_state_dict(saved[1])
            opt.load_state_dict(saved[2])
            sched.load_state_dict(json.loads(saved[0]))
        idx = order[(k * 64) % (len(x) - 64):][:64]
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        clock.now += 0.01
        sched.step(loss=loss)
        losses.append(loss.item())
    return np.array(lrs), np.array(losses), [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("spec_text", [
    "onecycle(peak=0.2, horizon=200)",
    "warmup(cosine(peak=0.1, horizon=0.9, clock='fraction'), steps=0.1)",
    "wsd(peak=0.1, horizon=2.0, warmup=0.2, decay=0.2, shape='1-sqrt', clock='seconds')",
])
def test_trains_digits_and_resumes_halfway_with_the_same_sequence(spec_text):
    pytest.importorskip("sklearn")
    x, y = _digits()
    lrs, losses, params = _train(spec_text, 200, x, y)
    assert losses[-20:].mean() < 0.5 * losses[:20].mean()  # it learns
    resumed_lrs, resumed_losses, resumed_params = _train(spec_text, 200, x, y, resume_at=100)
    np.testing.assert_array_equal(resumed_lrs, lrs)
    np.testing.assert_array_equal(resumed_losses, losses)
    for a, b in zip(params, resumed_params):
        assert torch.equal(a, b)


# --------------------------------------------------------------------------- no torch

def test_importable_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import lrsched, lrsched.integrations.torch as m\n"
        "try:\n    m.LRScheduler\nexcept ImportError as e:\n    print('ImportError:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs PyTorch" in out.stdout


class _FakeMonitor:
    """Stands in for a running lrsched.telemetry.Monitor: a latest snapshot with joules."""

    def __init__(self):
        self.latest = None

    def feed(self, joules):
        self.latest = type("Snap", (), {"joules": joules, "rss_bytes": 1})()


def test_a_monitor_feeds_energy_and_snapshots_to_the_schedule():
    monitor = _FakeMonitor()
    monitor.feed(100.0)  # energy before the scheduler exists does not count
    opt = sgd()
    sched = LRScheduler(opt, "linear(start=1.0, end=0.0, horizon=10.0, clock='joules')",
                        monitor=monitor)
    assert sched.get_last_lr() == [1.0]
    monitor.feed(102.5)
    sched.step()
    assert sched.progress.snapshot is monitor.latest
    assert sched.get_last_lr() == pytest.approx([0.75])
    monitor.feed(105.0)
    sched.step(joules=8.0)  # an explicit figure wins over the monitor's
    assert sched.get_last_lr() == pytest.approx([0.2])


def test_energy_continues_after_a_resume():
    monitor = _FakeMonitor()
    monitor.feed(0.0)
    spec = "linear(start=1.0, end=0.0, horizon=10.0, clock='joules')"
    first = LRScheduler(sgd(), spec, monitor=monitor)
    monitor.feed(4.0)
    first.step()
    saved = json.loads(json.dumps(first.state_dict()))
    later = _FakeMonitor()
    later.feed(50.0)  # a new process: the new monitor counts from elsewhere
    resumed = LRScheduler(sgd(), spec, monitor=later)
    resumed.load_state_dict(saved)
    later.feed(52.0)
    resumed.step()
    assert resumed.progress.joules == pytest.approx(6.0)
    assert resumed.get_last_lr() == pytest.approx([0.4])
