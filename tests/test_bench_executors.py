"""Executors and the runner: failures stay inside their trial, resume skips finished trials."""

from __future__ import annotations

import os
import sys
import textwrap

import numpy as np
import pytest

from lrsched.bench import Store, executors, load_suite, run_suite

SUITE = """
name = "tiny"
seeds = [0, 1]
problems = ["quadratic(dim=20, kappa=10.0)"]
optimizers = ["sgd()"]

[budget]
steps = 40

[tuning]
lr = [0.3, 1.0]

[telemetry]
monitor = false

[schedules]
cosine = "cosine(peak={lr}, horizon={steps})"
"""


@pytest.fixture
def suite(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent(SUITE))
    return load_suite(str(path))


def stored(folder):
    with Store(str(folder), create=False) as store:
        rows = {r["trial_id"]: r for r in store.trials()}
        curves = {t: store.curve(t) for t in rows}
    return rows, curves


def test_serial_runs_every_trial_once_and_resumes(suite, tmp_path):
    first = run_suite(suite, str(tmp_path / "out"), display=False)
    assert first.counts == {"done": 4, "diverged": 0, "failed": 0} and first.skipped == 0
    again = run_suite(suite, str(tmp_path / "out"), display=False)
    assert again.ran == 0 and again.skipped == 4
    rows, curves = stored(tmp_path / "out")
    assert set(rows) == {t.trial_id for t in suite.trials}
    assert all(len(curves[t]["step"]) == rows[t]["n_rows"] == 41 for t in rows)


def test_an_exception_fails_its_trial_only_and_is_retried_on_rerun(suite, tmp_path, monkeypatch):
    import lrsched.loop

    bad = suite.trials[1]
    real_train = lrsched.loop.train

    def train(*args, **kwargs):
        if kwargs["seed"] == bad.seed and args[2] == bad.schedule:
            raise RuntimeError("boom\nsecond line")
        return real_train(*args, **kwargs)

    monkeypatch.setattr(lrsched.loop, "train", train)
    summary = run_suite(suite, str(tmp_path / "out"), display=False)
    assert summary.counts == {"done": 3, "diverged": 0, "failed": 1}
    rows, curves = stored(tmp_path / "out")
    assert rows[bad.trial_id]["status"] == "failed"
    assert rows[bad.trial_id]["reason"] == "RuntimeError: boom"
    assert "Traceback" in rows[bad.trial_id]["error"]
    assert rows[bad.trial_id]["n_rows"] == 0 and len(curves[bad.trial_id]["step"]) == 0

    monkeypatch.setattr(lrsched.loop, "train", real_train)
    rerun = run_suite(suite, str(tmp_path / "out"), display=False)
    assert rerun.ran == 1 and rerun.counts["done"] == 1
    rows, _ = stored(tmp_path / "out")
    assert len(rows) == 4 and {r["status"] for r in rows.values()} == {"done"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers inherit the patch")
def test_a_worker_that_dies_fails_its_trial_and_the_rest_go_on(suite, tmp_path, monkeypatch):
    victim = suite.trials[2].trial_id
    real = executors.run_trial

    def run_trial(payload):
        if payload["trial_id"] == victim:
            os._exit(3)  # like a segfault or the OOM killer: no result, no exception
        return real(payload)

    monkeypatch.setattr(executors, "run_trial", run_trial)
    summary = run_suite(suite, str(tmp_path / "out"), executor="process", workers=2,
                        display=False)
    assert summary.counts == {"done": 3, "diverged": 0, "failed": 1}
    rows, _ = stored(tmp_path / "out")
    assert rows[victim]["status"] == "failed"
    assert "worker process died (exit code 3)" in rows[victim]["reason"]


def test_process_results_equal_serial_results(suite, tmp_path):
    run_suite(suite, str(tmp_path / "serial"), display=False)
    run_suite(suite, str(tmp_path / "process"), executor="process", workers=2, display=False)
    serial, serial_curves = stored(tmp_path / "serial")
    process, process_curves = stored(tmp_path / "process")
    assert set(serial) == set(process)
    for tid in serial:
        assert serial[tid]["final_loss"] == process[tid]["final_loss"]
        np.testing.assert_array_equal(serial_curves[tid]["loss"], process_curves[tid]["loss"])
        assert process[tid]["provenance"]["driver"]["executor"] == "process"
        assert process[tid]["provenance"]["host"]["pid"] != os.getpid()


def test_executor_options_are_checked():
    with pytest.raises(ValueError, match="--executor 'threads' is not allowed"):
        executors.make_executor("threads")
    with pytest.raises(ValueError, match="--workers 0 is not allowed"):
        executors.make_executor("process", workers=0)
    with pytest.raises(ValueError, match="--address is only used with --executor dask"):
        executors.make_executor("process", address="tcp://x:1")
    with pytest.raises(ValueError, match="--workers needs --executor process or dask"):
        executors.make_executor("serial", workers=2)
    with pytest.raises(ValueError, match="--workers is not used with --address"):
        executors.make_executor("dask", workers=2, address="tcp://x:1")
