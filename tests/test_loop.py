"""The training loop: budgets, clocks, divergence, targets, backends, signals, CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import lrsched
from lrsched import Budget, train
from lrsched.cli import main as cli_main
from lrsched.schedules.base import Schedule

QUAD = "quadratic(dim=20, kappa=10.0)"


def test_converges_and_records_equal_length_columns():
    r = train(QUAD, "sgd", "constant(lr=1.0)", budget=Budget(steps=300), monitor=None)
    assert r.status == "done"
    assert r.summary["steps"] == 300
    assert r.summary["final_loss"] < 1e-10 * r.summary["initial_loss"]
    lengths = {len(v) for v in r.history.values()}
    assert len(lengths) == 1
    assert r.history["step"][0] == 0 and r.history["step"][-1] == 300
    assert np.all(np.diff(r.history["step"]) > 0)
    assert np.all(np.diff(r.history["seconds"]) >= 0)
    json.dumps(r.to_json())  # JSON-serialisable


def test_gd_matches_the_closed_form_rate_on_a_diagonal_quadratic():
    # f = 1/2 sum a_i x_i^2; GD with step 1/L multiplies x_i by (1 - a_i / L) per step.
    p = lrsched.parse("quadratic(dim=5, kappa=4.0)")
    x0 = lrsched.backend.to_numpy(p.init(0))
    r = train(p, "sgd", "constant(lr=1.0)", budget="steps=7", monitor=None, eval_every=1)
    a = np.linspace(0.25, 1.0, 5)
    expected = 0.5 * np.sum(a * (x0 * (1 - a) ** 7) ** 2)
    assert r.summary["final_loss"] == pytest.approx(expected, rel=1e-10)


def test_divergence_is_a_result_not_an_exception():
    r = train(QUAD, "sgd", "constant(lr=50.0)", budget="steps=500", monitor=None)
    assert r.status == "diverged"
    assert "exceeded" in r.summary["reason"] or "non-finite" in r.summary["reason"]
    assert r.summary["steps"] < 500
    assert r.summary["gap"] is None


class _NanAfter(Schedule):
    """Returns nan after a few steps, like a policy gone wrong."""

    def __init__(self, k):
        self.k = k

    def _scalar(self, t):
        return 0.1 if t < self.k else math.nan


def test_nan_learning_rate_ends_the_run_as_diverged():
    r = train(QUAD, "sgd", _NanAfter(5), budget="steps=100", monitor=None)
    assert r.status == "diverged" and r.summary["steps"] == 5
    assert "learning rate" in r.summary["reason"]


def test_epoch_budget_with_minibatches_counts_samples_exactly():
    p = lrsched.parse("logistic(dataset='breast_cancer')")
    r = train(p, "sgd", "constant(lr=0.1)", budget=Budget(epochs=2), batch_size=100,
              monitor=None)
    n = p.n_samples
    assert r.summary["samples"] >= 2 * n
    assert r.summary["samples"] - 2 * n < 100
    assert r.summary["epochs"] == pytest.approx(r.summary["samples"] / n)
    # batches of 100 with the partial last batch kept: ceil(n / 100) steps per epoch
    assert r.summary["steps"] == 2 * math.ceil(n / 100)


def test_time_budget_stops_at_the_budget_and_fraction_clock_reaches_the_end():
    r = train(QUAD, "sgd", "cosine(peak=0.5, horizon=1.0, clock='fraction')",
              budget=Budget(seconds=0.3), monitor=None)
    assert r.status == "done"
    assert r.summary["seconds"] >= 0.3
    # the last lr applied is the cosine at a fraction just below 1: close to the floor
    assert r.summary["final_lr"] < 0.5 * 1e-2


def test_target_reports_first_evaluation_and_can_stop():
    r = train(QUAD, "sgd", "constant(lr=1.0)", budget="steps=400", eval_every=1,
              target=1e-6, monitor=None)
    k = r.summary["steps_to_target"]
    losses = r.history["loss"]
    first = int(np.argmax(losses <= 1e-6))
    assert k == r.history["step"][first]
    stopped = train(QUAD, "sgd", "constant(lr=1.0)", budget="steps=400", eval_every=1,
                    target=1e-6, stop_at_target=True, monitor=None)
    assert stopped.summary["steps"] == k


def test_callback_can_stop_the_run():
    seen = []

    def cb(progress):
        seen.append(progress.step)
        return progress.step >= 10

    r = train(QUAD, "sgd", "constant(lr=0.5)", budget="steps=100", eval_every=5,
              callbacks=[cb], monitor=None)
    assert seen[:3] == [0, 5, 10]
    assert r.summary["steps"] == 10


def test_every_backend_follows_the_numpy_trajectory(xp):
    ref = train("logistic(dataset='breast_cancer')", "sgd(momentum=0.9)",
                "cosine(peak=0.5, horizon=50)", budget="steps=50", monitor=None)
    other = train("logistic(dataset='breast_cancer')", "sgd(momentum=0.9)",
                  "cosine(peak=0.5, horizon=50)", budget="steps=50", monitor=None, xp=xp)
    assert other.summary["final_loss"] == pytest.approx(ref.summary["final_loss"], rel=1e-10)
    np.testing.assert_allclose(other.history["loss"], ref.history["loss"], rtol=1e-10)


def test_float32_runs_stay_float32():
    r = train(QUAD, "adam", "constant(lr=0.01)", budget="steps=20", dtype=np.float32,
              monitor=None)
    assert r.params.dtype == np.float32
    assert r.spec["dtype"] == "float32"


class _Spy(Schedule):
    """Records the signals the loop hands over."""

    needs = frozenset({"grad_norm", "grad", "params"})

    def __init__(self):
        self.seen = []

    def _scalar(self, t):
        return 0.1

    def lr(self, progress):
        self.seen.append((progress.grad_norm, np.linalg.norm(progress.grad),
                          progress.params is not None))
        return 0.1


def test_signals_are_computed_only_when_needed():
    spy = _Spy()
    train(QUAD, "sgd", spy, budget="steps=5", monitor=None)
    assert len(spy.seen) == 5
    for grad_norm, actual, has_params in spy.seen:
        assert grad_norm == pytest.approx(actual, rel=1e-12) and has_params
    plain = []

    class Plain(Schedule):
        def _scalar(self, t):
            return 0.1

        def lr(self, progress):
            plain.append((progress.grad_norm, progress.grad, progress.params))
            return 0.1

    train(QUAD, "sgd", Plain(), budget="steps=3", monitor=None)
    assert plain == [(None, None, None)] * 3


class _SpyOptimizer:
    """Wraps sgd and records the momentum each step receives."""

    spec_kind = "optimizer"

    def __init__(self):
        self.inner = lrsched.parse("sgd(momentum=0.9)")
        self.momenta = []

    def init(self, params):
        return self.inner.init(params)

    def step(self, params, grad, lr, state, *, momentum=None):
        self.momenta.append(momentum)
        return self.inner.step(params, grad, lr, state, momentum=momentum)

    def eval_params(self, params, state):
        return params


def test_momentum_cycling_reaches_the_optimizer():
    sched = lrsched.parse("onecycle(peak=0.1, horizon=20)")
    opt = _SpyOptimizer()
    train(QUAD, opt, sched, budget="steps=20", monitor=None, warmup=False)
    expected = [sched.momentum_at(t) for t in range(20)]
    assert opt.momenta == pytest.approx(expected, rel=1e-12)
    assert max(opt.momenta) > min(opt.momenta)


def test_bad_arguments_raise_one_line_errors():
    with pytest.raises(ValueError, match="batch_size"):
        train(QUAD, "sgd", "constant(lr=0.1)", budget="steps=5", batch_size=0)
    with pytest.raises(ValueError, match="Budget"):
        train(QUAD, "sgd", "constant(lr=0.1)", budget=Budget())
    with pytest.raises(ValueError, match="steps=-3"):
        Budget(steps=-3)
    with pytest.raises(ValueError, match="not a schedule|is a optimizer|is a problem"):
        train(QUAD, "sgd", "sgd()", budget="steps=5")


def test_cli_train_prints_a_summary(capsys):
    code = cli_main(["train", "--problem", QUAD, "--optimizer", "sgd",
                     "--schedule", "constant(lr=1.0)", "--budget", "steps=50",
                     "--no-telemetry", "--progress", "off"])
    out = capsys.readouterr().out
    assert code == 0
    assert "status" in out and "done" in out and "final loss" in out


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--schedule", "cosine(peak=-1, horizon=10)"], "peak=-1"),
        (["--schedule", "cosin(peak=1, horizon=10)"], "did you mean 'cosine'"),
        (["--budget", "steps=-5"], "steps"),
        (["--budget", "minutes=5"], "bad budget"),
        (["--plot", "/nonexistent/dir/x.png"], "does not exist"),
    ],
)
def test_cli_train_bad_input_exits_2_with_one_line(args, fragment, tmp_path):
    base = {"--problem": QUAD, "--optimizer": "sgd", "--schedule": "constant(lr=1.0)",
            "--budget": "steps=5"}
    argv = ["train"]
    overrides = dict(zip(args[::2], args[1::2]))
    for k, v in {**base, **overrides}.items():
        argv += [k, v]
    proc = subprocess.run([sys.executable, "-m", "lrsched", *argv], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_import_is_light():
    code = ("import sys, lrsched; bad = [m for m in ('matplotlib', 'scipy.optimize', 'dask', "
            "'torch', 'numba', 'pandas', 'sklearn') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_policy_reused_for_a_second_run_starts_fresh():
    policy = lrsched.parse("dog()")
    first = train("logistic(dataset='breast_cancer')", "sgd", policy, budget="steps=60",
                  monitor=None)
    again = train("logistic(dataset='breast_cancer')", "sgd", policy, budget="steps=60",
                  monitor=None)
    np.testing.assert_array_equal(first.history["lr"], again.history["lr"])
    assert first.summary["final_loss"] == again.summary["final_loss"]


def test_cli_survives_a_closed_pipe():
    proc = subprocess.run(f"{sys.executable} -m lrsched lr 'cosine(peak=1.0, horizon=100000)' "
                          "--steps 100000 | head -2", shell=True, capture_output=True, text=True)
    assert proc.stdout.splitlines()[0].startswith("step")
    assert "Traceback" not in proc.stderr


def test_an_epoch_budget_on_a_problem_without_data_is_refused():
    with pytest.raises(ValueError, match="no data set"):
        train("rosenbrock(dim=2)", "sgd", "constant(lr=1e-3)", budget=Budget(epochs=1),
              monitor=None)


def test_spec_is_both_the_module_and_the_printer():
    s = lrsched.spec.parse("cosine(peak=0.1, horizon=1000)")
    assert lrsched.spec(s) == "cosine(peak=0.1, horizon=1000)" == lrsched.spec.spec(s)


def test_small_runs_use_one_blas_thread_and_restore_the_setting():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"]

    seen = []
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        train("logistic(dataset='breast_cancer')", "sgd", "constant(lr=0.5)",
              budget="steps=20", monitor=None, callbacks=[lambda p: seen.append(blas_threads())])
        assert blas_threads() == before  # restored after the run
        train("logistic(dataset='breast_cancer')", "sgd", "constant(lr=0.5)",
              budget="steps=2", monitor=None, blas_threads=None,
              callbacks=[lambda p: seen.append(("untouched", blas_threads()))])
    assert all(t == 1 for t in seen[0]) and seen[0]
    assert seen[-1] == ("untouched", before)
    with pytest.raises(ValueError, match="blas_threads"):
        train(QUAD, "sgd", "constant(lr=0.1)", budget="steps=2", blas_threads=0)
