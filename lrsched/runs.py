"""Run logs: a run written as JSON Lines while it trains, and read back as a :class:`Result`.

A log has one JSON object per line, each with a ``"type"``:

``header`` (first line)
    ``format`` (``"lrsched-run-log"``) and ``version``; ``spec`` (the run's
    canonical specs); ``budget`` (its limits); ``columns`` (history column
    names, in order); ``telemetry`` (the monitor's sources and whether each
    works); ``provenance`` (lrsched, NumPy and Python versions, hostname,
    platform, process id, command line, start time).
``row``
    one per recorded history row, every column by name; ``nan`` is written as
    ``null`` and ``±inf`` as ``±1e999`` (valid JSON that Python reads back as
    ``inf``), so floats round-trip exactly.
``alert``
    ``kind``, ``step``, ``seconds`` and ``message`` (see :mod:`lrsched.alerts`).
``footer`` (last line, when the run ended)
    ``summary``: the run's summary (``Result.to_json()``), and ``end_time``.

Writing is cheap and survives a kill: :class:`RunLog` keeps no copy of the
rows (the run's :class:`~lrsched.result.History` holds them), serialises the
rows recorded since its last flush and flushes the file to the operating
system at most every ``flush_seconds`` (one clock read per row decides), at
every alert and at the end.  A run killed with SIGKILL keeps every row up to
its last flush; :func:`load` reads such a log with ``summary["status"] ==
"incomplete"`` and ignores a truncated last line.

A path ending in ``.csv`` writes a plain CSV table instead (a header line of
column names, then one line per row, empty fields for ``nan``), for
spreadsheets; it has no spec, alerts or summary, and :func:`load` reads JSON
Lines logs only.  ``RunLog(path, tensorboard=DIR)`` also writes the scalars as
TensorBoard events through ``tensorboardX`` (``pip install lrsched[tensorboard]``).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import time
from datetime import datetime, timezone

import numpy as np

from ._checks import output_file
from .alerts import AlertRules, AlertWatch
from .result import CORE_COLUMNS, Result, _jsonable

__all__ = ["RunLog", "load", "FORMAT", "VERSION"]

#: The ``format`` field of a run log's header.
FORMAT = "lrsched-run-log"
#: The newest log version this module writes and reads.
VERSION = 1


def provenance() -> dict:
    """Where and with what a run ran: versions, host, platform, process, start time."""
    from ._version import __version__

    out = {
        "lrsched": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "pid": os.getpid(),
        "argv": list(sys.argv),
        "start_time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
    }
    torch = sys.modules.get("torch")  # only when the run already uses it
    if torch is not None:
        out["torch"] = getattr(torch, "__version__", None)
    return out


def _fix_non_finite(text: str) -> str:
    """JSON for the ``nan``/``inf`` that ``%r`` wrote: ``null`` and ``±1e999``."""
    if "nan" in text:
        text = text.replace(":nan,", ":null,").replace(":nan}", ":null}")
    if "inf" in text:
        text = text.replace(":inf,", ":1e999,").replace(":inf}", ":1e999}")
        text = text.replace(":-inf,", ":-1e999,").replace(":-inf}", ":-1e999}")
    return text


def check_path(path, what: str = "log") -> str:
    """Return ``path`` as a string if a log can be written there; else a one-line ``ValueError``."""
    return output_file(path, what)


class RunLog:
    """A training-run observer that writes a JSON Lines (or CSV) run log.

    :func:`lrsched.train` makes one for ``log=path``; it calls ``start``, then
    ``row`` after each history row, ``end`` and ``close``.

    Parameters
    ----------
    path : str or path
        The log file (overwritten); ``.csv`` writes CSV, anything else JSON Lines.
    flush_seconds : float
        Longest time recorded rows wait before they reach the file.
    alerts : AlertRules, optional
        When to write ``alert`` records (defaults of :class:`AlertRules`).
    tensorboard : str or path, optional
        A folder to also write TensorBoard scalars to (needs ``tensorboardX``).
    clock : callable
        Monotonic clock deciding flushes (injectable for tests).

    Examples
    --------
    >>> import lrsched, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "run.jsonl")
    >>> r = lrsched.train("quadratic(dim=5)", "sgd", "constant(lr=0.5)",
    ...                  budget="steps=20", monitor=None, log=path)
    >>> back = lrsched.runs.load(path)
    >>> back.summary["status"], bool((back.history["loss"] == r.history["loss"]).all())
    ('done', True)
    """

    def __init__(self, path, *, flush_seconds: float = 0.5, alerts: AlertRules | None = None,
                 tensorboard=None, clock=time.monotonic):
        self.path = check_path(path)
        self.csv = self.path.lower().endswith(".csv")
        if not (isinstance(flush_seconds, (int, float)) and flush_seconds >= 0):
            raise ValueError(f"RunLog: flush_seconds={flush_seconds!r} is not allowed; "
                             "flush_seconds must be a number >= 0")
        self.flush_seconds = float(flush_seconds)
        self._rules = alerts
        self._tb = _TensorBoard(tensorboard) if tensorboard is not None else None
        self._clock = clock
        self._file = None
        self._history = None
        self._written = 0
        self._next_flush = 0.0
        self._watch = None
        self._ended = False

    # -- observer protocol -------------------------------------------------------
    def start(self, run_spec: dict, column_names, budget, monitor) -> None:
        """Create the file and write the header."""
        names = tuple(column_names)
        self._names = names
        # %-formats per row (float repr is the shortest exact decimal form): one for the
        # core columns, one for the telemetry columns, which repeat between samples
        fields = [json.dumps(n).replace("%", "%%") + ":%r" for n in names]
        self._core = len(CORE_COLUMNS) if names[:len(CORE_COLUMNS)] == CORE_COLUMNS else len(names)
        self._core_format = '{"type":"row",' + ",".join(fields[:self._core])
        self._tail_format = "".join("," + f for f in fields[self._core:]) + "}\n"
        self._watch = AlertWatch(self._rules, names, monitor)
        self._file = open(self.path, "w", encoding="utf-8", newline="\n")
        if self.csv:
            self._file.write(",".join(names) + "\n")
        else:
            caps = []
            if monitor is not None and hasattr(monitor, "capabilities"):
                caps = [{"source": c.source, "available": c.available, "detail": c.detail}
                        for c in monitor.capabilities()]
            header = {
                "type": "header", "format": FORMAT, "version": VERSION,
                "spec": _jsonable(dict(run_spec)),
                "budget": None if budget is None else _jsonable(budget.limits),
                "columns": list(names), "telemetry": caps, "provenance": provenance(),
            }
            self._file.write(json.dumps(header) + "\n")
        if self._tb is not None:
            self._tb.start(run_spec)
        self._file.flush()
        self._next_flush = self._clock() + self.flush_seconds

    def row(self, progress, history) -> None:
        """Note a new row; write and flush the pending ones when ``flush_seconds`` passed."""
        self._history = history
        width = history.width
        j = (history.size - 1) * width
        alerts = self._watch.check(history.flat[j: j + width], progress.snapshot)
        if alerts:
            self._write_rows()
            if not self.csv:
                self._file.write("".join(json.dumps(_jsonable(a.as_record())) + "\n"
                                         for a in alerts))
            if self._tb is not None:
                self._tb.alerts(alerts)
            self._flush()
        elif self._clock() >= self._next_flush:
            self._write_rows()
            self._flush()

    def end(self, result) -> None:
        """Write the pending rows and the footer with the run's summary."""
        self._write_rows()
        if not self.csv:
            footer = {"type": "footer", "summary": result.to_json()["summary"],
                      "end_time": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
            self._file.write(json.dumps(footer) + "\n")
        self._flush()
        self._ended = True

    def close(self) -> None:
        """Write what is pending and close the file (always called, also after an error)."""
        if self._file is None:
            return
        try:
            if not self._ended:
                self._write_rows()
            self._file.close()
        finally:
            self._file = None
            if self._tb is not None:
                self._tb.close()

    @property
    def alerts(self) -> list:
        """Alerts written so far."""
        return [] if self._watch is None else list(self._watch.alerts)

    # -- internals ---------------------------------------------------------------
    def _flush(self) -> None:
        self._file.flush()
        self._next_flush = self._clock() + self.flush_seconds

    def _write_rows(self) -> None:
        history = self._history
        if history is None or self._written >= history.size:
            return
        block = history.buffer[self._written: history.size].tolist()
        self._written = history.size
        if self.csv:
            text = "".join([",".join(["" if v != v else repr(v) for v in values]) + "\n"
                            for values in block])
        else:
            text = _fix_non_finite(self._json_rows(block))
        self._file.write(text)
        if self._tb is not None:
            self._tb.rows(self._names, block)


    def _json_rows(self, block) -> str:
        """Row records of ``block`` (lists of floats); ``nan``/``inf`` as ``%r`` writes them."""
        core, core_format, tail_format = self._core, self._core_format, self._tail_format
        lines = []
        tail, text = None, ""
        for values in block:
            t = values[core:]
            if t != tail:  # telemetry changed (10 Hz) since the previous row: format it
                tail, text = t, tail_format % tuple(t)
            lines.append(core_format % tuple(values[:core]) + text)
        return "".join(lines)


class _TensorBoard:
    """Mirrors rows as TensorBoard scalars (``run/<column>`` at ``global_step=step``)."""

    def __init__(self, logdir):
        import importlib.util

        if importlib.util.find_spec("tensorboardX") is None:
            raise ValueError("RunLog: tensorboard= needs the tensorboardX package; "
                             "pip install lrsched[tensorboard]")
        self.logdir = os.fspath(logdir)
        self._writer = None

    def start(self, run_spec) -> None:
        from tensorboardX import SummaryWriter

        self._writer = SummaryWriter(logdir=self.logdir)
        self._writer.add_text("spec", json.dumps(_jsonable(dict(run_spec)), indent=1), 0)

    def rows(self, names, block) -> None:
        i_step = names.index("step")
        add = self._writer.add_scalar
        shown = [(j, n) for j, n in enumerate(names) if n != "step"]
        for values in block:
            step = int(values[i_step])
            for j, name in shown:
                v = values[j]
                if v == v:
                    add(f"run/{name}", v, step)

    def alerts(self, alerts) -> None:
        for a in alerts:
            self._writer.add_text("alerts", f"{a.kind}: {a.message}", a.step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


# -- reading -------------------------------------------------------------------------
def _not_a_log(path, why: str) -> ValueError:
    return ValueError(f"{path} is not an lrsched run log ({why})")


def _records(path):
    """Parsed records of ``path``, skipping a truncated last line."""
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not a run log") from None
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise _not_a_log(path, "it is empty")
    out = []
    for number, raw in enumerate(lines, 1):
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            if number == 1:
                raise _not_a_log(path, "first line is not a header") from None
            if number == len(lines):  # cut short by a kill: ignore
                break
            raise ValueError(f"{path} line {number} is not valid JSON; the log is damaged") \
                from None
        if not isinstance(record, dict):
            if number == 1:
                raise _not_a_log(path, "first line is not a header")
            raise ValueError(f"{path} line {number} is not a JSON object; the log is damaged")
        out.append(record)
    return out


def load(path) -> Result:
    """Read a JSON Lines run log back into a :class:`~lrsched.result.Result`.

    Parameters
    ----------
    path : str or path
        A log written by :class:`RunLog` (``train(..., log=path)``, ``lrsched
        train --log``, or :class:`~lrsched.integrations.torch_monitor.RunMonitor`).

    Returns
    -------
    Result
        ``history``: float64 columns (``nan`` where the log has ``null``);
        ``spec``: the header's spec; ``summary``: the footer's summary, or for a
        log without footer (a killed or running run) ``status="incomplete"``
        with ``steps``, ``seconds``, ``final_loss`` and ``best_loss`` from the
        rows.  The summary also holds ``alerts`` (the alert records) and
        ``provenance`` (from the header).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file cannot be read, is not a run log, is of a newer version, or
        is damaged before its last line; the message is one line.
    """
    path = os.fspath(path)
    records = _records(path)
    header = records[0]
    if header.get("type") != "header" or header.get("format") != FORMAT:
        raise _not_a_log(path, "first line is not a header")
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ValueError(f"{path} is a version {version!r} run log; this lrsched reads "
                         f"versions up to {VERSION}; upgrade lrsched")
    names = header.get("columns")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _not_a_log(path, "its header has no column list")
    rows, alerts, footer = [], [], None
    for record in records[1:]:
        kind = record.get("type")
        if kind == "row":
            rows.append([record.get(n) for n in names])
        elif kind == "alert":
            alerts.append({k: v for k, v in record.items() if k != "type"})
        elif kind == "footer":
            footer = record
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(names))
    history = {n: np.ascontiguousarray(table[:, j]) for j, n in enumerate(names)}
    if footer is not None and isinstance(footer.get("summary"), dict):
        summary = dict(footer["summary"])
    else:
        summary = _incomplete_summary(history)
    summary["alerts"] = alerts
    summary["provenance"] = header.get("provenance", {})
    return Result(history=history, summary=summary, spec=dict(header.get("spec") or {}))


def _incomplete_summary(history: dict) -> dict:
    def last(name):
        column = history.get(name)
        if column is None or not len(column):
            return None
        finite = column[np.isfinite(column)]
        return float(finite[-1]) if len(finite) else None

    loss = history.get("loss", np.empty(0))
    finite = loss[np.isfinite(loss)]
    steps = last("step")
    return {
        "status": "incomplete",
        "reason": "the log has no footer: the run was killed or is still running",
        "steps": None if steps is None else int(steps),
        "seconds": last("seconds"),
        "final_loss": last("loss"),
        "best_loss": float(finite.min()) if len(finite) else None,
        "joules": last("joules"),
        "f_star": None,
    }
