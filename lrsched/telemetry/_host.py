"""Host sources: this process (CPU time, memory) and the system (CPU load, free memory).

:class:`ProcessSource`
    ``cpu_seconds`` from ``time.process_time()`` (``CLOCK_PROCESS_CPUTIME_ID``:
    user+system of all threads, nanosecond resolution and ~0.1 µs per call,
    where psutil's ``cpu_times()`` reads ``/proc`` in 10 ms ticks for ~10 µs);
    ``rss_bytes`` from psutil's ``memory_info()``; ``peak_rss_bytes`` from
    ``getrusage``.  With ``children=True`` the CPU time of reaped children
    (``os.times()``) and of live children (psutil), and the RSS of live
    children, are added.
:class:`SystemSource`
    ``cpu_percent``: busy share of the CPUs this process may use
    (``os.sched_getaffinity``), from psutil's per-CPU times between two samples,
    so 100 means every allowed CPU was busy; ``available_memory_bytes`` from
    ``psutil.virtual_memory().available``.  Unlike ``psutil.cpu_percent()``
    (which keeps one module-wide baseline and returns 0.0 on its first call),
    the baseline is taken at probe time and owned by the source; before CPU
    time has advanced at all the value is ``None``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

from ._snapshot import MEASURED, Capability
from ._source import Source

__all__ = ["ProcessSource", "SystemSource", "allowed_cpus"]

try:  # POSIX only
    import resource as _resource
except ImportError:  # pragma: no cover - Windows
    _resource = None

# ru_maxrss is in KiB on Linux and in bytes on macOS.
_MAXRSS_SCALE = 1 if sys.platform == "darwin" else 1024


def allowed_cpus() -> list[int]:
    """Indices of the CPUs this process may run on (all CPUs where affinity is unknown)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        return list(range(os.cpu_count() or 1))


class ProcessSource(Source):
    """CPU time and memory of this process (see the module docstring).

    Parameters
    ----------
    children : bool
        Also count child processes (reaped ones' CPU time, live ones' CPU time and RSS).
    """

    name = "process"

    def __init__(self, children: bool = False):
        super().__init__()
        self.children = bool(children)
        self._proc = None

    def probe(self, now: float, provided: frozenset) -> Capability:
        try:
            import psutil
        except ImportError:
            return self._unavailable("psutil is not installed (pip install psutil)")
        self._proc = psutil.Process()
        self._proc.memory_info()  # fail here, not mid-run, if /proc is not readable
        qualities = {"rss_bytes": MEASURED, "cpu_seconds": MEASURED}
        if _resource is not None:
            qualities["peak_rss_bytes"] = MEASURED
        scope = "this process and its children" if self.children else "this process"
        return self._available(f"{', '.join(qualities)} of {scope} (psutil)", qualities)

    def read(self, now: float, values: Mapping) -> dict:
        proc = self._proc
        cpu = time.process_time()
        rss = proc.memory_info().rss
        if self.children:
            t = os.times()
            cpu += t.children_user + t.children_system
            for child in proc.children(recursive=True):
                try:
                    ct = child.cpu_times()
                    cpu += ct.user + ct.system
                    rss += child.memory_info().rss
                except Exception:  # the child ended between listing and reading
                    continue
        out = {"rss_bytes": float(rss), "cpu_seconds": cpu}
        if _resource is not None:
            # the kernel's high-water mark lags the live RSS by its per-thread counter caches
            peak = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * _MAXRSS_SCALE
            out["peak_rss_bytes"] = float(max(peak, rss))
        return out

    def __repr__(self) -> str:
        return f"ProcessSource(children={self.children})"


class SystemSource(Source):
    """System CPU load over the CPUs this process may use, and available memory."""

    name = "system"

    def __init__(self):
        super().__init__()
        self._psutil = None
        self._cpus: list[int] = []
        self._prev: tuple[float, float] | None = None
        self._percent: float | None = None

    def _busy_total(self) -> tuple[float, float]:
        per_cpu = self._psutil.cpu_times(percpu=True)
        busy = total = 0.0
        for i in self._cpus:
            if i >= len(per_cpu):
                continue
            t = per_cpu[i]
            # guest time is already counted in user on Linux; sum() double-counts it
            all_time = sum(t) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
            idle = t.idle + getattr(t, "iowait", 0.0)
            busy += all_time - idle
            total += all_time
        return busy, total

    def probe(self, now: float, provided: frozenset) -> Capability:
        try:
            import psutil
        except ImportError:
            return self._unavailable("psutil is not installed (pip install psutil)")
        self._psutil = psutil
        self._cpus = allowed_cpus()
        self._prev = self._busy_total()
        self._percent = None
        psutil.virtual_memory()
        return self._available(
            f"cpu_percent over the {len(self._cpus)} CPU(s) this process may use, "
            "available_memory_bytes (psutil)",
            {"cpu_percent": MEASURED, "available_memory_bytes": MEASURED},
        )

    def read(self, now: float, values: Mapping) -> dict:
        busy, total = self._busy_total()
        prev_busy, prev_total = self._prev
        if total > prev_total:  # CPU times advance in ticks; keep the last value between
            share = (busy - prev_busy) / (total - prev_total)
            self._percent = 100.0 * min(max(share, 0.0), 1.0)
            self._prev = (busy, total)
        available = float(self._psutil.virtual_memory().available)
        return {"cpu_percent": self._percent, "available_memory_bytes": available}

    def __repr__(self) -> str:
        return "SystemSource()"
