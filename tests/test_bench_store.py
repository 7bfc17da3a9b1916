"""The SQLite store: one transaction per trial, resume semantics, schema."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from lrsched.bench import Store
from lrsched.bench.trial import Trial, failed_outcome


def trial(seed=0, label="cosine"):
    return Trial(problem="quadratic(dim=10)", optimizer="sgd()",
                 schedule="cosine(peak=0.1, horizon=3)", budget="steps=3", batch_size=None,
                 seed=seed, label=label, lr=0.1, ruleset="external")


def outcome(t, status="done", rows=4, extra_column=False):
    history = {"step": np.arange(rows, dtype=float), "seconds": np.linspace(0, 1, rows),
               "lr": np.full(rows, 0.1), "loss": np.linspace(2.0, 1.0, rows),
               "rss_bytes": np.full(rows, np.nan)}
    if extra_column:
        history["gpu_power_watts"] = np.full(rows, 250.0)
    return {"trial_id": t.trial_id, "status": status, "reason": None,
            "summary": {"status": status, "initial_loss": 2.0, "final_loss": 1.0,
                        "best_loss": 1.0, "f_star": 0.0, "steps": rows - 1, "seconds": 1.0,
                        "joules": None, "peak_rss_bytes": 123},
            "history": history, "started_at": "a", "ended_at": "b",
            "provenance": {"host": {"hostname": "h"}}}


def counts(path):
    with sqlite3.connect(path) as conn:
        return (conn.execute("SELECT count(*) FROM trials").fetchone()[0],
                conn.execute("SELECT count(*) FROM curves").fetchone()[0])


def test_write_and_read_back(tmp_path):
    t = trial()
    with Store(str(tmp_path)) as store:
        store.write(t, outcome(t), {"driver": {"git_commit": "abc"}})
        (row,) = store.trials()
        curve = store.curve(t.trial_id)
        mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert row["trial_id"] == t.trial_id and row["status"] == "done" and row["n_rows"] == 4
    assert row["problem"] == "quadratic(dim=10)" and row["seed"] == 0 and row["lr"] == 0.1
    assert row["final_loss"] == 1.0 and row["peak_rss_bytes"] == 123 and row["joules"] is None
    assert row["spec"] == t.identity()
    assert row["provenance"] == {"host": {"hostname": "h"}, "driver": {"git_commit": "abc"}}
    assert curve["step"].tolist() == [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_allclose(curve["loss"], np.linspace(2.0, 1.0, 4))
    assert np.isnan(curve["rss_bytes"]).all()


def test_new_columns_appear_when_a_trial_records_them(tmp_path):
    a, b = trial(0), trial(1)
    with Store(str(tmp_path)) as store:
        store.write(a, outcome(a))
        store.write(b, outcome(b, extra_column=True))
        assert np.isnan(store.curve(a.trial_id)["gpu_power_watts"]).all()
        assert store.curve(b.trial_id)["gpu_power_watts"].tolist() == [250.0] * 4


def test_a_write_that_fails_midway_leaves_nothing(tmp_path):
    t = trial()
    store = Store(str(tmp_path))
    original = store.conn

    class Failing:
        """Lets the trial row and some curve rows through, then fails like a crash would."""

        def execute(self, sql, *args):
            return original.execute(sql, *args)

        def executemany(self, sql, rows):
            rows = list(rows)
            original.executemany(sql, rows[:2])
            raise sqlite3.OperationalError("disk I/O error")

    store.conn = Failing()
    with pytest.raises(sqlite3.OperationalError):
        store.write(t, outcome(t))
    store.conn = original
    assert store.statuses() == {}
    store.close()
    assert counts(tmp_path / "results.sqlite") == (0, 0)


def test_failed_trials_are_replaced_and_finished_ones_kept(tmp_path):
    t = trial()
    with Store(str(tmp_path)) as store:
        store.write(t, failed_outcome(t.trial_id, "worker process died (exit code 3)"))
        assert store.statuses() == {t.trial_id: "failed"} and store.finished() == set()
        store.write(t, outcome(t))
        assert store.statuses() == {t.trial_id: "done"} and store.finished() == {t.trial_id}
        # a later write of the same trial never duplicates nor overwrites a finished one
        store.write(t, outcome(t, rows=7))
        store.write(t, failed_outcome(t.trial_id, "boom"))
        (row,) = store.trials()
    assert row["status"] == "done" and row["n_rows"] == 4
    assert counts(tmp_path / "results.sqlite") == (1, 4)


def test_relabel_and_suite_records(tmp_path):
    t = trial()
    with Store(str(tmp_path)) as store:
        store.write(t, outcome(t))
        store.relabel([trial(label="renamed")])
        store.record_suite({"name": "one", "trial_ids": [t.trial_id]}, "then")
        store.record_suite({"name": "two", "trial_ids": []}, "now")
        assert store.trials()[0]["label"] == "renamed"
        assert store.latest_suite()["name"] == "two"
    with sqlite3.connect(tmp_path / "results.sqlite") as conn:
        meta = [json.loads(m) for (m,) in conn.execute("SELECT meta_json FROM suites")]
    assert [m["name"] for m in meta] == ["one", "two"]


def test_reading_a_missing_store_fails_without_creating_it(tmp_path):
    with pytest.raises(FileNotFoundError):
        Store(str(tmp_path / "nothing"), create=False)
    assert not (tmp_path / "nothing").exists()


def test_unknown_status_is_refused(tmp_path):
    t = trial()
    with Store(str(tmp_path)) as store, pytest.raises(ValueError, match="status 'odd'"):
        store.write(t, {**outcome(t), "status": "odd"})
