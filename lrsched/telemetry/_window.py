"""Measurement windows: time, CPU time and energy over a block of code, like Zeus.

::

    with monitor.window(sync=xp) as w:
        train_some_steps()
    w.seconds, w.cpu_seconds, w.joules, w.joules_quality

At both ends the window synchronises the device (so queued GPU work is inside
the block) and then takes a fresh sample with :meth:`Monitor.sample_now`, so
the energy counters are read at the boundaries rather than at the last tick.
The differences of the two samples are the results; ``seconds`` is measured on
the monitor clock, from sample to sample.  NVML counters update at about 10 Hz,
so GPU energy over windows shorter than ~0.1 s is coarse.  A value is ``None``
when it is unavailable at either end.
"""

from __future__ import annotations

from .. import backend
from ._snapshot import MEASURED, UNAVAILABLE, worst_quality

__all__ = ["Window"]


class Window:
    """Resource use over one ``with`` block (see the module docstring).

    Attributes
    ----------
    begin, end : Snapshot
        The samples taken at the boundaries (``end`` is ``None`` while open).
    """

    __slots__ = ("_monitor", "_sync", "begin", "end")

    def __init__(self, monitor, sync=None):
        self._monitor = monitor
        if sync is None:
            self._sync = _no_sync
        elif callable(sync):
            self._sync = sync
        else:
            self._sync = lambda: backend.synchronize(sync)
        self.begin = None
        self.end = None

    def __enter__(self) -> Window:
        self._sync()
        self.begin = self._monitor.sample_now()
        self.end = None
        return self

    def __exit__(self, *exc) -> bool:
        self._sync()
        self.end = self._monitor.sample_now()
        return False

    def _pair(self):
        if self.begin is None or self.end is None:
            raise RuntimeError("the window is still open (or was never entered); read its "
                               "results after the with block")
        return self.begin, self.end

    @property
    def seconds(self) -> float:
        """Monitor-clock seconds between the boundary samples."""
        b, e = self._pair()
        return e.time_seconds - b.time_seconds

    @property
    def cpu_seconds(self) -> float | None:
        """CPU seconds this process used in the window (``None`` without the process source)."""
        return self._diff("cpu_seconds")

    @property
    def joules(self) -> float | None:
        """Energy over the window, summed over the energy sources (``None`` without one)."""
        b, e = self._pair()
        if b.joules is None or e.joules is None:
            return None
        return e.joules - b.joules

    @property
    def joules_quality(self) -> str:
        """Worst quality of the energy readings at the two ends."""
        b, e = self._pair()
        if b.joules is None or e.joules is None:
            return UNAVAILABLE
        return worst_quality([b.joules_quality, e.joules_quality])

    @property
    def quality(self) -> dict:
        """Quality of ``seconds``, ``cpu_seconds`` and ``joules``."""
        b, e = self._pair()
        cpu = worst_quality([b.quality.get("cpu_seconds", UNAVAILABLE),
                             e.quality.get("cpu_seconds", UNAVAILABLE)])
        return {"seconds": MEASURED, "cpu_seconds": cpu, "joules": self.joules_quality}

    def _diff(self, name: str):
        b, e = self._pair()
        vb, ve = b.values.get(name), e.values.get(name)
        return None if vb is None or ve is None else ve - vb

    def as_dict(self) -> dict:
        """The results as a JSON-serialisable dict."""
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "joules": self.joules,
                "quality": self.quality}

    def __repr__(self) -> str:
        if self.end is None:
            return "Window(open)"
        return (f"Window(seconds={self.seconds:.4g}, cpu_seconds={self.cpu_seconds}, "
                f"joules={self.joules} ({self.joules_quality}))")


def _no_sync() -> None:
    return None
