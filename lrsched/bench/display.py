"""Progress of a suite run: trials done, failures and ETA.

On a terminal (and with :mod:`rich` installed) a live bar; otherwise plain
lines, at most one per 5 % of the trials or every 10 seconds, so CI logs stay
short; a failed trial is always reported with its reason.  The ETA is the
wall-clock time per finished trial of *this* run (skipped trials excluded)
times the trials left, so parallel executors are accounted for.  The live bar
refreshes only when a trial finishes: no display thread runs in the driver,
which the ``process`` executor forks.
"""

from __future__ import annotations

import math
import sys
import time

__all__ = ["Display"]


def _clock(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:" if hours else "") + f"{rest // 60:02d}:{rest % 60:02d}"


class Display:
    """Report progress on ``stream`` (default ``sys.stderr``).

    Parameters
    ----------
    total : int
        Trials to run now (already finished ones excluded).
    skipped : int
        Trials found finished in the store.
    live : bool, optional
        Force (or refuse) the rich live bar; default: when ``stream`` is a terminal.
    """

    def __init__(self, total: int, skipped: int = 0, stream=None, live: bool | None = None,
                 clock=time.monotonic):
        self.total = total
        self.skipped = skipped
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.counts = {"done": 0, "diverged": 0, "failed": 0}
        self.started = clock()
        self.every = max(1, math.ceil(total / 20))  # plain lines: about one per 5 %
        self.last_line = -math.inf
        self.last_count = -self.every
        if live is None:
            live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._rich = None
        if live:
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )
            except ImportError:
                live = False
            else:
                self._rich = Progress(TextColumn("[bold]trials"), BarColumn(),
                                      MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                                      TimeElapsedColumn(), TextColumn("ETA"),
                                      TimeRemainingColumn(),
                                      console=Console(file=self.stream), transient=False,
                                      auto_refresh=False)  # no thread: the process executor forks
                self._task = self._rich.add_task("trials", total=total, status="")
                self._rich.start()
        if skipped:
            self._print(f"{skipped} trial(s) already in the store are skipped")

    @property
    def finished(self) -> int:
        return sum(self.counts.values())

    def eta(self) -> float:
        """Seconds left, from the mean wall time per finished trial of this run."""
        if not self.finished:
            return float("nan")
        elapsed = self.clock() - self.started
        return elapsed / self.finished * (self.total - self.finished)

    def status(self) -> str:
        c = self.counts
        return f"done {c['done']}  diverged {c['diverged']}  failed {c['failed']}"

    def update(self, trial, outcome: dict) -> None:
        self.counts[outcome["status"]] += 1
        if self._rich is not None:
            self._rich.update(self._task, advance=1, status=self.status())
            self._rich.refresh()
            if outcome["status"] == "failed":
                self._rich.console.print(f"[red]failed[/red] {trial.describe()}: "
                                         f"{outcome.get('reason')}")
            return
        if outcome["status"] == "failed":
            self._print(f"failed: {trial.describe()}: {outcome.get('reason')}")
        now = self.clock()
        if (self.finished == self.total or self.finished - self.last_count >= self.every
                or now - self.last_line >= 10.0):
            self.last_line, self.last_count = now, self.finished
            self._print(f"[{self.finished:>{len(str(self.total))}}/{self.total}] {self.status()}"
                        f"  elapsed {_clock(now - self.started)}  ETA {_clock(self.eta())}")

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    def _print(self, line: str) -> None:
        if self._rich is not None:
            self._rich.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.stream, flush=True)
