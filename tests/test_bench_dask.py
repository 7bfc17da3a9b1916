"""``--executor dask`` on a LocalCluster gives the same results as serial for the same seeds."""

from __future__ import annotations

import sqlite3
import textwrap

import pytest

from lrsched.cli import main

pytest.importorskip("dask.distributed")

SUITE = """
name = "small"
seeds = 2
problems = [
    { spec = "logistic(dataset='breast_cancer', l2=0.001)", batch_size = 64 },
    "quadratic(dim=20, kappa=10.0)",
]
optimizers = ["sgd(momentum=0.9)"]

[budget]
steps = 60

[tuning]
lr = [0.1, 0.3]

[schedules]
cosine = "cosine(peak={lr}, horizon={steps})"

[policies]
dog = "dog()"
"""


def results(folder):
    with sqlite3.connect(folder / "results.sqlite") as conn:
        trials = {t: (status, loss) for t, status, loss in
                  conn.execute("SELECT trial_id, status, final_loss FROM trials")}
        curves = conn.execute("SELECT trial_id, row, step, loss, lr FROM curves "
                              "ORDER BY trial_id, row").fetchall()
        executors = {e for (e,) in conn.execute(
            "SELECT DISTINCT json_extract(provenance, '$.driver.executor') FROM trials")}
    return trials, curves, executors


def test_dask_local_cluster_matches_serial(tmp_path, capsys):
    suite = tmp_path / "small.toml"
    suite.write_text(textwrap.dedent(SUITE))
    for executor in ("serial", "dask"):
        args = ["bench", "run", str(suite), "--out", str(tmp_path / executor), "--no-report",
                "--executor", executor]
        if executor == "dask":
            args += ["--workers", "2"]
        assert main(args) == 0
    serial, serial_curves, serial_executors = results(tmp_path / "serial")
    dask, dask_curves, dask_executors = results(tmp_path / "dask")
    assert len(serial) == 2 * 2 * 3
    assert {status for status, _ in serial.values()} == {"done"}
    assert dask == serial  # same trial ids, statuses and final losses, exactly
    assert dask_curves == serial_curves
    assert serial_executors == {"serial"} and dask_executors == {"dask"}
