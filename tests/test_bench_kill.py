"""``kill -9`` during ``lrsched bench run`` loses at most the trials in flight; a re-run completes.

The command runs in a subprocess and is SIGKILLed twice at different points of
the suite (while it trains and writes); each time the database must hold only
whole trials (a trial row and exactly its curve rows, nothing else), and
re-running the same command must finish the suite with every trial exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from lrsched.bench import load_suite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SUITE = """
name = "kill"
seeds = 6
problems = ["quadratic(dim=30, kappa=30.0)"]
optimizers = ["sgd()"]

[budget]
steps = 1500

[tuning]
lr = [0.3, 1.0]

[schedules]
cosine = "cosine(peak={lr}, horizon={steps})"
constant = "constant(lr={lr})"
"""

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def command(suite_path, out):
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "lrsched", "bench", "run", suite_path,
                             "--out", out, "--no-report"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)


def stored_trials(database) -> int:
    if not os.path.exists(database):
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM trials").fetchone()[0]
    except sqlite3.OperationalError:  # created but no tables yet
        return 0


def check_whole_trials(database) -> set[str]:
    """Every stored trial has exactly its curve rows; no curve row lacks its trial."""
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = dict(conn.execute("SELECT trial_id, n_rows FROM trials"))
        written = dict(conn.execute("SELECT trial_id, count(*) FROM curves GROUP BY trial_id"))
        statuses = {s for (s,) in conn.execute("SELECT DISTINCT status FROM trials")}
        duplicates = conn.execute("SELECT count(*) - count(DISTINCT trial_id || '/' || row) "
                                  "FROM curves").fetchone()[0]
    assert statuses <= {"done", "diverged"}
    assert duplicates == 0
    assert set(written) <= set(rows), "curve rows without their trial"
    assert all(written.get(t, 0) == n and n > 0 for t, n in rows.items()), "partial trial"
    return set(rows)


def kill_after(process, database, at_least: int) -> None:
    while stored_trials(database) < at_least:
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def test_sigkill_mid_suite_then_resume(tmp_path):
    suite_path = tmp_path / "kill.toml"
    suite_path.write_text(textwrap.dedent(SUITE))
    expected = {t.trial_id for t in load_suite(str(suite_path)).trials}
    assert len(expected) == 24
    out = str(tmp_path / "out")
    database = os.path.join(out, "results.sqlite")

    kill_after(command(str(suite_path), out), database, at_least=2)
    first = check_whole_trials(database)
    assert 2 <= len(first) < len(expected) and first <= expected

    kill_after(command(str(suite_path), out), database, at_least=len(first) + 3)
    second = check_whole_trials(database)
    assert first < second < expected

    final = command(str(suite_path), out)
    _, err = final.communicate(timeout=600)
    assert final.returncode == 0, err.decode()
    assert f"{len(second)} trial(s) already in the store are skipped" in err.decode()
    assert check_whole_trials(database) == expected
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM trials").fetchone()[0] == len(expected)
