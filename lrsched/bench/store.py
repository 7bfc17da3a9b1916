"""The results store: ``DIR/results.sqlite`` with tables ``trials``, ``curves`` and ``suites``.

Only the driver writes (workers return results to it).  Each trial is written
in **one transaction** — its ``trials`` row and all its ``curves`` rows — so a
``kill -9`` at any moment loses at most the trials in flight and never leaves
a partial trial.  The database runs in WAL mode with ``synchronous=NORMAL``:
a committed trial survives a crash of the process (it may be lost on a power
failure, which a re-run repairs).  Re-running a suite skips trials whose row
says ``done`` or ``diverged``; a ``failed`` trial is run again and its row
replaced in the same kind of single transaction.

Schema
------
``trials``: ``trial_id`` (primary key), ``status`` (``done|diverged|failed``),
``reason``, spec columns (``problem``, ``optimizer``, ``schedule``, ``budget``,
``batch_size``, ``seed``, ``dtype``), labels (``label``, ``kind``, ``lr``,
``ruleset``, ``problem_label``), summary metrics as columns (``initial_loss``,
``final_loss``, ``best_loss``, ``f_star``, ``gap``, ``steps``, ``epochs``,
``samples``, ``seconds``, ``joules``, ``peak_rss_bytes``), ``n_rows`` (curve
rows written with it), JSON columns ``spec``, ``summary`` and
``provenance`` (worker host and package versions, driver git commit),
and ``started_at``/``ended_at`` (UTC ISO 8601).

``curves``: ``trial_id``, ``row``, ``step`` and one REAL column per recorded
history column (``epoch``, ``samples``, ``seconds``, ``lr``, ``loss``,
``train_loss``, ``probes``, telemetry such as ``rss_bytes``, ``joules``);
columns appear the first time a trial records them.

``suites``: the suite files run into this folder (name, TOML text, trial ids,
targets), newest last; the report reads the latest.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3

import numpy as np

__all__ = ["Store", "FINISHED"]

#: Statuses a re-run skips.
FINISHED = ("done", "diverged")
STATUSES = ("done", "diverged", "failed")
_SPEC_COLUMNS = ("problem", "optimizer", "schedule", "budget", "batch_size", "seed", "dtype")
_LABEL_COLUMNS = ("label", "kind", "lr", "ruleset", "problem_label")
_SUMMARY_COLUMNS = {"initial_loss": "REAL", "final_loss": "REAL", "best_loss": "REAL",
                    "f_star": "REAL", "gap": "REAL", "steps": "INTEGER", "epochs": "REAL",
                    "samples": "INTEGER", "seconds": "REAL", "joules": "REAL",
                    "peak_rss_bytes": "INTEGER"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS trials (
    trial_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('done', 'diverged', 'failed')),
    reason TEXT,
    problem TEXT NOT NULL, optimizer TEXT NOT NULL, schedule TEXT NOT NULL,
    budget TEXT NOT NULL, batch_size INTEGER, seed INTEGER NOT NULL, dtype TEXT,
    label TEXT, kind TEXT, lr REAL, ruleset TEXT, problem_label TEXT,
    {", ".join(f"{k} {t}" for k, t in _SUMMARY_COLUMNS.items())},
    n_rows INTEGER NOT NULL,
    spec TEXT NOT NULL, summary TEXT NOT NULL, provenance TEXT NOT NULL,
    error TEXT, started_at TEXT, ended_at TEXT
);
CREATE TABLE IF NOT EXISTS curves (
    trial_id TEXT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
    row INTEGER NOT NULL,
    step INTEGER NOT NULL,
    PRIMARY KEY (trial_id, row)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS suites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL, written_at TEXT NOT NULL, meta_json TEXT NOT NULL
);
"""


def _number(value):
    if value is None or isinstance(value, str):
        return None
    value = float(value)
    return value if np.isfinite(value) else None


class Store:
    """The SQLite results of one output folder.

    Parameters
    ----------
    folder : str
        Output folder; created (with its parents) unless ``create=False``.
    create : bool
        When False the database must exist (for reading).
    """

    FILENAME = "results.sqlite"

    def __init__(self, folder: str, *, create: bool = True):
        self.folder = os.fspath(folder)
        self.path = os.path.join(self.folder, self.FILENAME)
        if not create and not os.path.isfile(self.path):
            raise FileNotFoundError(2, "no results database", self.path)
        if create:
            os.makedirs(self.folder, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        if create:
            self.conn.executescript(_SCHEMA)
        self._curve_columns = self._columns("curves")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}

    # ------------------------------------------------------------------ reading
    def statuses(self) -> dict[str, str]:
        """``{trial_id: status}`` of every stored trial."""
        return dict(self.conn.execute("SELECT trial_id, status FROM trials"))

    def finished(self) -> set[str]:
        """Trial ids a re-run skips (``done`` or ``diverged``)."""
        return {t for t, s in self.statuses().items() if s in FINISHED}

    def latest_suite(self) -> dict | None:
        row = self.conn.execute("SELECT meta_json FROM suites ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else json.loads(row[0])

    def trials(self, trial_ids=None) -> list[dict]:
        """Trial rows as dicts (JSON columns decoded), optionally only ``trial_ids``."""
        cursor = self.conn.execute("SELECT * FROM trials ORDER BY rowid")
        names = [d[0] for d in cursor.description]
        wanted = None if trial_ids is None else set(trial_ids)
        out = []
        for values in cursor:
            row = dict(zip(names, values))
            if wanted is not None and row["trial_id"] not in wanted:
                continue
            for key in ("spec", "summary", "provenance"):
                row[key] = json.loads(row[key])
            out.append(row)
        return out

    def curve(self, trial_id: str) -> dict[str, np.ndarray]:
        """The recorded columns of one trial as float64 arrays (NaN where missing)."""
        cursor = self.conn.execute("SELECT * FROM curves WHERE trial_id = ? ORDER BY row",
                                   (trial_id,))
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        out = {}
        for j, name in enumerate(names):
            if name in ("trial_id", "row"):
                continue
            out[name] = np.array([np.nan if r[j] is None else r[j] for r in rows], dtype=float)
        return out

    # ------------------------------------------------------------------ writing
    def record_suite(self, meta: dict, written_at: str) -> None:
        with self._transaction():
            self.conn.execute("INSERT INTO suites (name, written_at, meta_json) VALUES (?, ?, ?)",
                              (meta["name"], written_at, json.dumps(meta)))

    def relabel(self, trials) -> None:
        """Update the labels of stored trials to those of the current suite (one transaction)."""
        with self._transaction():
            self.conn.executemany(
                "UPDATE trials SET label=?, kind=?, lr=?, ruleset=?, problem_label=? "
                "WHERE trial_id=?",
                [(*(t.labels()[k] for k in _LABEL_COLUMNS), t.trial_id) for t in trials])

    def write(self, trial, outcome: dict, provenance: dict | None = None) -> None:
        """Write one trial's row and curve rows in a single transaction.

        A ``failed`` row already stored for the same id is replaced; a finished
        one is kept (the write is skipped), so a trial is never stored twice.
        """
        status = outcome["status"]
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        history = outcome.get("history") or {}
        names = [n for n in history if n != "step"]
        bad = [n for n in names if not _IDENTIFIER.match(n) or n in ("trial_id", "row")]
        if bad:
            raise ValueError(f"history column names {bad} are not plain identifiers")
        n_rows = len(history["step"]) if "step" in history else 0
        summary = outcome.get("summary") or {}
        prov = dict(outcome.get("provenance") or {})
        prov.update(provenance or {})
        labels = trial.labels()
        row = {"trial_id": trial.trial_id, "status": status, "reason": outcome.get("reason"),
               **{k: getattr(trial, k) for k in _SPEC_COLUMNS},
               **{k: labels[k] for k in _LABEL_COLUMNS},
               **{k: _number(summary.get(k)) for k in _SUMMARY_COLUMNS},
               "n_rows": n_rows,
               "spec": json.dumps(trial.identity(), sort_keys=True),
               "summary": json.dumps(summary), "provenance": json.dumps(prov),
               "error": outcome.get("error"), "started_at": outcome.get("started_at"),
               "ended_at": outcome.get("ended_at")}
        for key in ("steps", "samples", "peak_rss_bytes"):
            if row[key] is not None:
                row[key] = int(row[key])
        with self._transaction():
            previous = self.conn.execute("SELECT status FROM trials WHERE trial_id = ?",
                                         (trial.trial_id,)).fetchone()
            if previous is not None:
                if previous[0] in FINISHED:
                    return
                self.conn.execute("DELETE FROM curves WHERE trial_id = ?", (trial.trial_id,))
                self.conn.execute("DELETE FROM trials WHERE trial_id = ?", (trial.trial_id,))
            keys = list(row)
            self.conn.execute(f"INSERT INTO trials ({', '.join(keys)}) VALUES "
                              f"({', '.join('?' * len(keys))})", [row[k] for k in keys])
            if n_rows:
                self._insert_curves(trial.trial_id, history, names, n_rows)

    def _insert_curves(self, trial_id: str, history: dict, names: list[str], n_rows: int):
        for name in names:
            if name not in self._curve_columns:
                self.conn.execute(f'ALTER TABLE curves ADD COLUMN "{name}" REAL')
                self._curve_columns.add(name)
        columns = ["step", *names]
        data = np.column_stack([np.asarray(history[c], dtype=float) for c in columns])
        values = data.astype(object)
        values[~np.isfinite(data)] = None
        sql = (f"INSERT INTO curves (trial_id, row, {', '.join(f'{c!r}' for c in columns)}) "
               f"VALUES (?, ?, {', '.join('?' * len(columns))})").replace("'", '"')
        self.conn.executemany(sql, [(trial_id, i, *values[i]) for i in range(n_rows)])

    def _transaction(self):
        return _Transaction(self.conn)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception)."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False
