"""Cosine annealing: ``cosine`` (one half-period, then hold) and ``cosine_restarts`` (SGDR)."""

from __future__ import annotations

import math
from bisect import bisect_right

from .._checks import number
from ..spec import register
from .base import Schedule, check_clock, keep, where
from .basic import positive

__all__ = ["Cosine", "CosineRestarts"]


@register("schedule", "cosine")
class Cosine(Schedule):
    """Cosine annealing from ``peak`` to ``floor`` over ``horizon``, then ``floor``.

    .. math:: s(t) = \\mathrm{floor} + \\tfrac12(\\mathrm{peak} - \\mathrm{floor})
              \\bigl(1 + \\cos(\\pi \\min(t, T)/T)\\bigr)

    Same as ``torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T, eta_min=floor)`` for
    ``t <= T`` and optax ``cosine_decay_schedule(peak, T, alpha=floor/peak)``.  Differs on
    purpose past ``T``: torch's schedule is periodic (it rises again), ours holds ``floor``,
    which is what a budgeted run wants (with ``clock="fraction"`` the floor is reached
    exactly when the budget runs out).

    Examples
    --------
    >>> s = Cosine(peak=1.0, horizon=100)
    >>> [round(s(t), 6) for t in (0, 50, 100, 150)]
    [1.0, 0.5, 0.0, 0.0]
    >>> s = Cosine(peak=0.1, horizon=1.0, clock="fraction")   # budget-aware
    >>> s(1.0)
    0.0
    """

    def __init__(self, peak, horizon, floor=0.0, clock="step"):
        owner = "cosine"
        self._peak = positive(owner, "peak", peak)
        self._horizon = positive(owner, "horizon", horizon)
        self._floor = number(owner, "floor", floor, low=0, high=self._peak)
        self._amp = self._peak - self._floor
        self._w = math.pi / self._horizon
        self.peak, self.horizon, self.floor = (
            keep(peak, self._peak), keep(horizon, self._horizon), keep(floor, self._floor))
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        if t >= self._horizon:
            return self._floor
        return self._floor + self._amp * (1.0 + math.cos(self._w * t)) / 2

    def _array(self, t, xp):
        value = self._floor + self._amp * (1.0 + xp.cos(self._w * xp.clip(t, max=self._horizon))) / 2
        return where(xp, t >= self._horizon, self._floor, value)


#: restarts tabulated by ``cosine_restarts`` (its cycle lookup is exact within them)
_TABLE_RESTARTS = 1024


def _restart_table(period: float, mult: float):
    """Starts ``S_0..S_K`` of the first cycles and their periods, as Python floats."""
    starts, periods = [], []
    for n in range(_TABLE_RESTARTS + 1):
        try:
            power = mult ** n
        except OverflowError:
            break
        start = period * (power - 1.0) / (mult - 1.0)
        if not start < 1e30:  # no clock gets there; and float32 tables stay finite
            break
        starts.append(start)
        periods.append(period * power)
    return starts, periods


@register("schedule", "cosine_restarts")
class CosineRestarts(Schedule):
    """Cosine annealing with warm restarts (SGDR); period ``T_i = period·mult^i``.

    With ``T_cur`` the time since the last restart and ``T_i`` the current period,

    .. math:: s(t) = \\mathrm{floor} + \\tfrac12(\\mathrm{peak} - \\mathrm{floor})
              \\bigl(1 + \\cos(\\pi T_{cur} / T_i)\\bigr)

    where the cycle ``n`` holds ``S_n <= t < S_{n+1}`` with ``S_n = period·(mult^n - 1)/(mult - 1)``
    (``n·period`` for ``mult = 1``), ``T_cur = t - S_n`` and ``T_i = period·mult^n``.

    Same as ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=period,
    T_mult=mult, eta_min=floor)``, both when stepped once per step and when given
    fractional epochs (``scheduler.step(epoch)``).  Ours also accepts real ``period`` and
    ``mult``.  torch finds ``n`` with a logarithm, which can round down at an exact
    restart (its epoch path then lands on ``T_cur = T_i``, the floor, instead of the
    peak); ours looks ``t`` up in a table of the first 1024 restarts computed once, so the
    scalar and array paths place every restart identically (beyond it, a logarithm with a
    consistent correction takes over).

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts", ICLR 2017.

    Examples
    --------
    >>> s = CosineRestarts(peak=1.0, period=3, mult=2)
    >>> [round(s(t), 3) for t in range(10)]
    [1.0, 0.75, 0.25, 1.0, 0.933, 0.75, 0.5, 0.25, 0.067, 1.0]
    """

    def __init__(self, peak, period, mult=1, floor=0.0, clock="step"):
        owner = "cosine_restarts"
        self._peak = positive(owner, "peak", peak)
        self._period = positive(owner, "period", period)
        self._mult = number(owner, "mult", mult, low=1)
        self._floor = number(owner, "floor", floor, low=0, high=self._peak)
        self._amp = self._peak - self._floor
        self._log_mult = math.log(self._mult) if self._mult != 1.0 else 0.0
        self.peak, self.period, self.mult, self.floor = (
            keep(peak, self._peak), keep(period, self._period),
            keep(mult, self._mult), keep(floor, self._floor))
        self.clock = check_clock(owner, clock)
        if self._mult != 1.0:
            self._starts, self._periods = _restart_table(self._period, self._mult)
            self._last = len(self._starts) - 1
            # past the table's last restart, a logarithm finds the cycle (only reachable
            # for mult close to 1: the table spans 1024 restarts)
            self._beyond = self._starts[-1] if self._starts[-1] < 1e15 else math.inf

    # -- where in the current cycle ------------------------------------------------
    def _start(self, n):
        return self._period * (self._mult ** n - 1.0) / (self._mult - 1.0)

    def _position(self, t):
        """``(T_cur, T_i)`` at a scalar clock value ``t``."""
        p = self._period
        if self._mult == 1.0:
            tc = t - math.floor(t / p) * p
            if tc >= p:
                tc -= p
            elif tc < 0.0:
                tc += p
            return tc, p
        if t < self._beyond:
            n = bisect_right(self._starts, t) - 1
            if n < 0:  # t < 0
                n = 0
            return t - self._starts[n], self._periods[n]
        n = math.floor(math.log(t / p * (self._mult - 1.0) + 1.0) / self._log_mult)
        if t >= self._start(n + 1):
            n += 1
        elif t < self._start(n):
            n -= 1
        return t - self._start(n), p * self._mult ** n

    def _position_array(self, t, xp):
        p, m = self._period, self._mult
        if m == 1.0:
            tc = t - xp.floor(t / p) * p
            tc = xp.where(tc >= p, tc - p, xp.where(tc < 0.0, tc + p, tc))
            return tc, p
        flat = xp.reshape(t, (-1,))
        starts = xp.asarray(self._starts, dtype=t.dtype)
        n = xp.clip(xp.searchsorted(starts, flat, side="right") - 1, min=0, max=self._last)
        tc = xp.reshape(flat - xp.take(starts, n), t.shape)
        ti = xp.reshape(xp.take(xp.asarray(self._periods, dtype=t.dtype), n), t.shape)
        if self._beyond == math.inf:
            return tc, ti
        far = xp.clip(t, min=self._beyond)
        k = xp.floor(xp.log(far / p * (m - 1.0) + 1.0) / self._log_mult)
        k = xp.where(far >= self._start(k + 1.0), k + 1.0,
                     xp.where(far < self._start(k), k - 1.0, k))
        beyond = t >= self._beyond
        return xp.where(beyond, far - self._start(k), tc), xp.where(beyond, p * m ** k, ti)

    def _scalar(self, t):
        tc, ti = self._position(t)
        return self._floor + self._amp * (1.0 + math.cos(math.pi * tc / ti)) / 2

    def _array(self, t, xp):
        tc, ti = self._position_array(t, xp)
        return self._floor + self._amp * (1.0 + xp.cos(math.pi * tc / ti)) / 2
