"""A bounded ring buffer of samples in preallocated NumPy columns, and tick scheduling.

The buffer keeps the last ``size`` samples: their monitor time, one float per
column (``nan`` for unavailable) and the tick lateness (how long after its
deadline the sampler woke; ``nan`` for samples taken on demand, such as the one
at start and those at window boundaries).  Appending writes one row in place;
nothing is allocated per sample.

:func:`next_tick` is the deadline rule of the sampler thread: ticks are due at
``start + k·interval``; after a tick it moves to the first due time still in the
future, so a late tick skips the deadlines it missed instead of sampling them in
a burst.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["History", "next_tick"]


def next_tick(k: int, start: float, interval: float, now: float) -> tuple[int, int]:
    """Index of the next tick after tick ``k`` at time ``now``, and how many were skipped.

    >>> next_tick(1, 0.0, 0.1, 0.105)   # on time: the next deadline is tick 2
    (2, 0)
    >>> next_tick(1, 0.0, 0.1, 0.35)    # ticks 2 and 3 are already past: skip them
    (4, 2)
    """
    due = math.floor((now - start) / interval) + 1  # first grid index strictly after now
    nxt = max(k + 1, due)
    return nxt, nxt - k - 1


class History:
    """Ring buffer of the last ``size`` samples (see the module docstring).

    Parameters
    ----------
    columns : tuple of str
        Column names, in row order.
    size : int
        Samples kept.
    """

    def __init__(self, columns: tuple, size: int):
        self.columns = tuple(columns)
        self.size = int(size)
        self._time = np.full(self.size, np.nan)
        self._values = np.full((self.size, len(self.columns)), np.nan)
        self._late = np.full(self.size, np.nan)
        #: Samples appended so far (may exceed ``size``; the oldest are overwritten).
        self.count = 0

    def append(self, time_seconds: float, row: tuple, lateness_seconds: float) -> None:
        i = self.count % self.size
        self._time[i] = time_seconds
        self._values[i] = row
        self._late[i] = lateness_seconds
        self.count += 1

    def _order(self) -> np.ndarray:
        n = min(self.count, self.size)
        first = self.count - n
        return (np.arange(first, self.count) % self.size) if n else np.arange(0)

    def arrays(self) -> dict:
        """Copies of the kept samples, oldest first: ``time_seconds``, each column and
        ``lateness_seconds``."""
        order = self._order()
        out = {"time_seconds": self._time[order]}
        for j, name in enumerate(self.columns):
            out[name] = self._values[order, j]
        out["lateness_seconds"] = self._late[order]
        return out

    def tick_stats(self) -> dict:
        """Achieved rate and lateness of the kept ticks (samples the thread took)."""
        order = self._order()
        late = self._late[order]
        ticked = ~np.isnan(late)
        times = self._time[order][ticked]
        late_ms = late[ticked] * 1e3
        span = float(times[-1] - times[0]) if times.size > 1 else 0.0
        return {
            "rate_hz": (times.size - 1) / span if span > 0 else None,
            "lateness_ms_p50": float(np.percentile(late_ms, 50)) if late_ms.size else None,
            "lateness_ms_p99": float(np.percentile(late_ms, 99)) if late_ms.size else None,
            "lateness_ms_max": float(late_ms.max()) if late_ms.size else None,
        }
