"""Run a suite into a results folder: resume, execute, store.

:func:`run_suite` is the whole harness loop:

1. build the executor (a bad ``--address`` fails here, before anything is written);
2. open ``DIR/results.sqlite`` and record the suite;
3. skip trials already ``done`` or ``diverged`` (a ``failed`` one runs again);
4. hand the rest to the executor and write each outcome as it arrives, one
   transaction per trial, with the driver's provenance (git commit, host).

The harness owns the seeds (the suite's seeds are shared by every schedule,
so comparisons are paired), resume and results; executors only run trials.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field

from .display import Display
from .executors import make_executor
from .store import Store
from .suite import Suite
from .trial import utc_now

__all__ = ["run_suite", "RunSummary", "git_commit"]


@dataclass
class RunSummary:
    """Counts of one :func:`run_suite` call."""

    folder: str
    total: int
    skipped: int
    counts: dict = field(default_factory=lambda: {"done": 0, "diverged": 0, "failed": 0})
    seconds: float = 0.0

    @property
    def ran(self) -> int:
        return sum(self.counts.values())


def git_commit(path: str | None = None) -> str | None:
    """The commit of the git checkout holding ``path`` (lrsched's source by default), if any."""
    folder = path or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(["git", "-C", folder, "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    if out.returncode != 0 or not commit:
        return None
    dirty = subprocess.run(["git", "-C", folder, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10, check=False)
    return commit + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def run_suite(suite: Suite, folder: str, *, executor: str = "serial", workers: int | None = None,
              address: str | None = None, display: Display | bool | None = None) -> RunSummary:
    """Run every trial of ``suite`` not yet finished in ``folder``.

    Parameters
    ----------
    suite : Suite
        From :func:`lrsched.bench.load_suite`.
    folder : str
        Output folder (created); results go to ``folder/results.sqlite``.
    executor : {"serial", "process", "dask"}
        Where trials run; ``workers`` and ``address`` as in ``lrsched bench run``.
    display : Display, bool or None
        Progress display; ``None``/``True`` builds one on stderr, ``False`` shows nothing.

    Returns
    -------
    RunSummary
    """
    engine = make_executor(executor, workers=workers, address=address, imports=suite.imports)
    engine.start()
    try:
        with Store(folder) as store:
            store.record_suite(suite.meta(), utc_now())
            finished = store.finished()
            done_before = [t for t in suite.trials if t.trial_id in finished]
            store.relabel(done_before)
            todo = [t for t in suite.trials if t.trial_id not in finished]
            summary = RunSummary(folder=folder, total=len(todo), skipped=len(done_before))
            if display is None or display is True:
                display = Display(len(todo), len(done_before))
            provenance = {"driver": {"hostname": socket.gethostname(), "executor": engine.name,
                                     "workers": engine.workers, "git_commit": git_commit()}}
            by_id = {t.trial_id: t for t in todo}
            payloads = [t.payload(suite.imports) for t in todo]
            start = time.monotonic()

            def on_result(outcome: dict) -> None:
                trial = by_id[outcome["trial_id"]]
                store.write(trial, outcome, provenance)
                summary.counts[outcome["status"]] += 1
                if display:
                    display.update(trial, outcome)

            try:
                engine.run(payloads, on_result)
            finally:
                if display:
                    display.close()
            summary.seconds = time.monotonic() - start
            return summary
    finally:
        engine.close()
