"""Sources that do not read hardware: the CPU energy estimate and CSV replay.

:class:`EstimateSource` (opt-in) turns CPU time into energy,
``estimated_joules = (cpu_seconds - cpu_seconds at the first sample) × watts_per_core``,
so energy budgets and the ``joules`` clock work on machines without counters
(laptops in VMs, cloud instances, this CI).  It needs the process source, and
stands aside when RAPL measures CPU energy, which it would double-count.

:class:`ReplaySource` plays back a CSV recorded by :meth:`Monitor.save_csv`
(or written by hand): one row per sample, in order.  Columns named like a
measure are replayed; ``time_seconds`` and ``joules`` (recomputed by the
monitor from the energy measures) are ignored; empty cells are ``None``.
Energy measures are replayed relative to the first row, as if the replayed
run had started with the monitor.  Reading past the last row raises
:class:`ReplayExhausted`, which the monitor treats like any broken source.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping

from ._snapshot import ENERGY_MEASURES, ESTIMATED, MEASURED, MEASURES, QUALITIES, Capability
from ._source import Source

__all__ = ["EstimateSource", "ReplaySource", "ReplayExhausted"]


class EstimateSource(Source):
    """CPU seconds × ``watts_per_core`` as ``estimated_joules`` (``None`` watts: off)."""

    name = "estimate"

    def __init__(self, watts_per_core: float | None = None):
        super().__init__()
        if watts_per_core is not None and (
                isinstance(watts_per_core, bool) or not isinstance(watts_per_core, (int, float))
                or not (0 < watts_per_core < math.inf)):
            raise ValueError(f"EstimateSource: watts_per_core={watts_per_core!r} is not allowed; "
                             "watts_per_core must be a finite number > 0 or None")
        self.watts_per_core = None if watts_per_core is None else float(watts_per_core)
        self._cpu0: float | None = None

    def probe(self, now: float, provided: frozenset) -> Capability:
        self._cpu0 = None
        if self.watts_per_core is None:
            return self._unavailable("off: pass estimate_watts_per_core=W "
                                     "(--estimate-watts-per-core W) to estimate energy from CPU time")
        if "cpu_seconds" not in provided:
            return self._unavailable("needs cpu_seconds from the process source")
        if "rapl_package_joules" in provided:
            return self._unavailable("not used: RAPL measures CPU energy")
        return self._available(f"cpu_seconds × {self.watts_per_core:g} W per core",
                               {"estimated_joules": ESTIMATED})

    def read(self, now: float, values: Mapping) -> dict:
        cpu = values.get("cpu_seconds")
        if cpu is None:
            return {"estimated_joules": None}
        if self._cpu0 is None:
            self._cpu0 = cpu
        return {"estimated_joules": (cpu - self._cpu0) * self.watts_per_core}

    def __repr__(self) -> str:
        return f"EstimateSource(watts_per_core={self.watts_per_core!r})"


class ReplayExhausted(RuntimeError):
    """A replay source was read past its last row."""


class ReplaySource(Source):
    """Replays recorded samples from a CSV file, one row per read.

    Parameters
    ----------
    path : str or os.PathLike
        CSV with a header row of measure names.
    quality : str or dict
        Quality of the replayed values (one for all, or by measure name).
    name : str
        Name shown in capability reports.
    """

    def __init__(self, path, *, quality="measured", name: str = "replay"):
        super().__init__()
        self.name = name
        self.path = os.fspath(path)
        with open(self.path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            raise ValueError(f"ReplaySource: {self.path} is empty; it needs a header row")
        header = [h.strip() for h in rows[0]]
        unknown = [h for h in header if h not in MEASURES and h != "time_seconds"]
        if unknown:
            raise ValueError(f"ReplaySource: {self.path} has unknown column(s) {unknown}; "
                             f"columns must be measure names: {', '.join(MEASURES)}")
        self._columns = [(i, h) for i, h in enumerate(header) if h not in ("time_seconds", "joules")]
        self._rows = []
        for line, row in enumerate(rows[1:], start=2):
            try:
                self._rows.append({h: (float(row[i]) if i < len(row) and row[i].strip() else None)
                                   for i, h in self._columns})
            except ValueError:
                raise ValueError(f"ReplaySource: {self.path} line {line}: not a number in "
                                 f"{row!r}") from None
        if isinstance(quality, str):
            quality = {h: quality for _, h in self._columns}
        bad = {k: q for k, q in quality.items() if q not in QUALITIES[:-1]}
        if bad:
            raise ValueError(f"ReplaySource: quality={bad!r} is not allowed; each must be one of "
                             f"{', '.join(QUALITIES[:-1])}")
        self._quality = {h: quality.get(h, MEASURED) for _, h in self._columns}
        self._next = 0
        self._energy0: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def probe(self, now: float, provided: frozenset) -> Capability:
        self._next = 0
        self._energy0 = {}
        for h in ENERGY_MEASURES:
            first = next((r[h] for r in self._rows if r.get(h) is not None), None)
            if first is not None:
                self._energy0[h] = first
        return self._available(f"{len(self._rows)} rows from {self.path}", self._quality)

    def read(self, now: float, values: Mapping) -> dict:
        if self._next >= len(self._rows):
            raise ReplayExhausted(f"replay of {self.path} ended after {len(self._rows)} rows")
        row = dict(self._rows[self._next])
        self._next += 1
        for h, first in self._energy0.items():
            if row[h] is not None:
                row[h] -= first
        return row

    def __repr__(self) -> str:
        return f"ReplaySource({self.path!r})"
