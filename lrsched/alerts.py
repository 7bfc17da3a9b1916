"""Alerts raised while watching a run: what the live view shows and the run log records.

:class:`AlertRules` says when to raise one; an :class:`AlertWatch` applies the
rules to each recorded history row and returns the :class:`Alert` objects that
row raises.  Kinds:

``non_finite_loss``
    the objective or the minibatch loss of the row is ``inf``, or ``nan``
    after a finite loss was recorded (before one, ``nan`` means no loss was
    reported yet, as in a user's loop that reports none);
``loss_exploding``
    the loss, smoothed over rows (``m ← m + 0.3·(loss − m)``, so one noisy
    minibatch row does not count), is above ``loss_factor`` × the best smoothed
    value so far, and has climbed back at least ``loss_climb`` of the way from
    that best to the first loss::

        m - best > (loss_factor - 1)·|best|  and  m - best > loss_climb·(first - best)

    The second condition keeps a loss that went from 1e-6 to 1e-5 near a zero
    minimum (noise, not an explosion) quiet;
``memory``
    the process's resident set size (``rss_bytes``) is above ``memory_share``
    of the machine's memory;
``telemetry_lost``
    a telemetry source that worked when the run started was dropped by the
    :class:`~lrsched.telemetry.Monitor` (its values are ``None`` from then on).

Each condition alerts once when it starts and again only after it has cleared
(a loss back under the threshold, memory back under the share), so a long
excursion is one alert, not one per row.  The watch costs a few comparisons per
row; the monitor's capabilities are read only when a new telemetry sample
arrived.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from . import _checks

__all__ = ["Alert", "AlertRules", "AlertWatch"]

KINDS = ("non_finite_loss", "loss_exploding", "memory", "telemetry_lost")
#: Weight of the newest row in the smoothed loss.
SMOOTHING = 0.3
_NONE: tuple = ()  # what check() returns when nothing is raised


class Alert(NamedTuple):
    """One alert: its kind, where in the run it was raised, and a one-line message."""

    kind: str
    step: int
    seconds: float
    message: str

    def as_record(self) -> dict:
        """The run-log record of this alert (``{"type": "alert", ...}``)."""
        return {"type": "alert", "kind": self.kind, "step": self.step,
                "seconds": self.seconds, "message": self.message}


@dataclass(frozen=True)
class AlertRules:
    """When to raise an alert.

    Parameters
    ----------
    loss_factor : float
        Alert when the smoothed loss exceeds this multiple of its best value (> 1).
    loss_climb : float
        ... and has climbed back this share of the way to the first loss, in [0, 1].
    memory_share : float
        Alert when RSS exceeds this share of the machine's total memory, in (0, 1].
    total_memory_bytes : float, optional
        The machine's memory (default: ``psutil.virtual_memory().total``).

    Examples
    --------
    >>> AlertRules(loss_factor=100.0).loss_factor
    100.0
    """

    loss_factor: float = 10.0
    loss_climb: float = 0.1
    memory_share: float = 0.9
    total_memory_bytes: float | None = None

    def __post_init__(self):
        _checks.number("AlertRules", "loss_factor", self.loss_factor, low=1.0, low_open=True)
        _checks.number("AlertRules", "loss_climb", self.loss_climb, low=0.0, high=1.0)
        _checks.number("AlertRules", "memory_share", self.memory_share, low=0.0, high=1.0,
                       low_open=True)
        _checks.number("AlertRules", "total_memory_bytes", self.total_memory_bytes, low=0.0,
                       low_open=True, none=True)


def _total_memory() -> float | None:
    try:
        import psutil

        return float(psutil.virtual_memory().total)
    except Exception:  # pragma: no cover - psutil is a dependency; be safe anyway
        return None


class AlertWatch:
    """Applies :class:`AlertRules` to the rows of one run.

    Parameters
    ----------
    rules : AlertRules or None
        ``None`` uses the defaults.
    names : tuple of str
        History column names (``loss``, ``train_loss``, ``step``, ``seconds`` and,
        when telemetry runs, ``rss_bytes``).
    monitor : Monitor or None
        Watched for sources dropped mid-run (through ``capabilities()``).
    """

    def __init__(self, rules: AlertRules | None, names, monitor=None):
        rules = rules or AlertRules()
        names = tuple(names)
        self._i_step = names.index("step")
        self._i_seconds = names.index("seconds")
        self._i_loss = names.index("loss")
        self._i_train = names.index("train_loss") if "train_loss" in names else None
        self._i_rss = names.index("rss_bytes") if "rss_bytes" in names else None
        total = rules.total_memory_bytes or (_total_memory() if self._i_rss is not None else None)
        self._rss_limit = rules.memory_share * total if total else math.inf
        self._share = rules.memory_share
        self._factor = rules.loss_factor
        self._climb = rules.loss_climb
        self._smooth = math.nan
        self._monitor = monitor
        self._sources = self._available_sources()
        self._snapshot = None
        self._first = None
        self._best = math.inf
        # latched conditions: an alert is raised when one turns on
        self._non_finite = self._exploding = self._high_memory = False
        #: Every alert raised so far, in order.
        self.alerts: list[Alert] = []

    def _available_sources(self) -> set:
        caps = getattr(self._monitor, "capabilities", None)
        if caps is None:
            return set()
        try:
            return {c.source for c in caps() if c.available}
        except Exception:
            return set()

    def _raise(self, out, kind, row, message) -> list:
        alert = Alert(kind, int(row[self._i_step]), float(row[self._i_seconds]), message)
        out = [] if out is _NONE else out
        out.append(alert)
        self.alerts.append(alert)
        return out

    def check(self, row, snapshot=None):
        """Alerts raised by ``row`` (a sequence of floats in column order), usually none.

        The common case (nothing to report) costs a few comparisons and no allocation.
        """
        out = _NONE
        loss = row[self._i_loss]
        train = row[self._i_train] if self._i_train is not None else loss
        if loss - loss == 0.0 and train - train == 0.0:  # both finite
            self._non_finite = False
            if self._first is None:
                self._first = self._smooth = loss
            m = self._smooth = self._smooth + SMOOTHING * (loss - self._smooth)
            best = self._best
            rise = m - best  # -inf before the first row
            exploding = (rise > (self._factor - 1.0) * abs(best)
                         and rise > self._climb * (self._first - best))
            if exploding and not self._exploding:
                out = self._raise(out, "loss_exploding", row,
                                  f"loss {m:.4g} (smoothed) is above {self._factor:g} x its "
                                  f"best {best:.4g}")
            self._exploding = exploding
            if m < best:
                self._best = m
        elif not self._non_finite and (self._first is not None or math.isinf(loss)
                                       or math.isinf(train)):
            # nan before any finite loss means "not reported yet" (a user's loop)
            self._non_finite = True
            out = self._raise(out, "non_finite_loss", row,
                              f"loss is not finite (objective {loss!r}, minibatch {train!r})")
        if self._i_rss is not None:
            rss = row[self._i_rss]
            high = rss > self._rss_limit
            if high and not self._high_memory:
                out = self._raise(out, "memory", row,
                                  f"RSS {rss / 2**20:.0f} MiB is above {self._share:.0%} of the "
                                  f"machine's {self._rss_limit / self._share / 2**30:.1f} GiB")
            self._high_memory = high
        if snapshot is not self._snapshot and self._sources:
            self._snapshot = snapshot
            lost = self._sources - self._available_sources()
            for name in sorted(lost):
                self._sources.discard(name)
                out = self._raise(out, "telemetry_lost", row, f"telemetry source {name!r} was "
                                  "lost; its values are missing from now on")
        return out
