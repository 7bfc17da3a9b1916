"""Schedules that cycle the momentum against the learning rate: ``onecycle`` and ``cyclic``.

Both follow torch's step convention: ``s(t)`` is the learning rate after ``t``
calls to ``scheduler.step()``, and ``momentum_at(t)`` the momentum (SGD) or beta1
(Adam) torch writes into the param group at the same time.
"""

from __future__ import annotations

import math

from .._checks import boolean, number, one_of
from ..spec import register
from .base import Schedule, check_clock, keep
from .basic import non_negative, positive

__all__ = ["OneCycle", "Cyclic"]


def _momentum_pair(owner, cycle, base, high):
    boolean(owner, "cycle_momentum", cycle)
    return (number(owner, "base_momentum", base, low=0, high=1),
            number(owner, "max_momentum", high, low=0, high=1))


@register("schedule", "onecycle")
class OneCycle(Schedule):
    """The 1cycle policy: warm up to ``peak``, then anneal far below the start.

    With ``T = horizon``, ``a = peak/div_factor`` (initial), ``b = a/final_div_factor``
    (final) and ``e1 = pct_start·T - δ``, ``e2 = T - δ`` the ends of the phases
    (three-phase: ``e1``, ``2·pct_start·T - 2δ``, ``T - δ``),

    .. math:: s(t) = \\mathrm{anneal}(a, \\mathrm{peak}, t/e_1) \\;(t \\le e_1), \\quad
              \\mathrm{anneal}(\\mathrm{peak}, b, (t-e_1)/(e_2-e_1)) \\;(t \\le e_2), \\quad b \\;(t > e_2)

    with ``anneal(x, y, p) = y + (x - y)(1 + cos(πp))/2`` (``anneal="cos"``) or
    ``x + (y - x)p`` (``"linear"``); three-phase goes ``a → peak → a → b``.  The
    momentum runs in antiphase: ``max_momentum → base_momentum → max_momentum``
    (three-phase: ``max → base → max``, then held at ``max``).

    ``δ = 1`` on the ``step`` clock, which is torch's convention (the last of ``T``
    steps, ``t = T - 1``, applies the final lr); ``δ = 0`` on continuous clocks
    (``epoch``, ``seconds``, ``samples``, ``joules``, ``fraction``), where the final lr is
    reached at ``t = T`` exactly.

    Same as ``torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=peak, total_steps=T, ...)``
    for ``t <= T - 1`` (lr and momentum), including ``three_phase``.  Differs on purpose
    after the last step: torch raises past ``T``, ours holds the final value.  optax's
    ``cosine_onecycle_schedule`` is shifted by one step relative to torch.

    Reference: Smith & Topin, "Super-Convergence", 2017.

    Examples
    --------
    >>> s = OneCycle(peak=1.0, horizon=10)
    >>> [round(s(t), 6) for t in (0, 1, 2, 3, 9)]
    [0.04, 0.52, 1.0, 0.950485, 4e-06]
    >>> round(s.momentum_at(2), 6)
    0.85
    """

    def __init__(self, peak, horizon, pct_start=0.3, anneal="cos", div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, clock="step"):
        owner = "onecycle"
        self._peak = positive(owner, "peak", peak)
        self._horizon = positive(owner, "horizon", horizon)
        self._pct = number(owner, "pct_start", pct_start, low=0, high=1, low_open=True,
                           high_open=True)
        self.anneal = one_of(owner, "anneal", anneal, ("cos", "linear"))
        self._div = positive(owner, "div_factor", div_factor)
        self._final_div = positive(owner, "final_div_factor", final_div_factor)
        self.three_phase = boolean(owner, "three_phase", three_phase)
        self._base_m, self._max_m = _momentum_pair(owner, cycle_momentum, base_momentum,
                                                   max_momentum)
        self.clock = check_clock(owner, clock)
        self.cycle_momentum = self.cycles_momentum = cycle_momentum
        self.peak, self.horizon, self.pct_start = (
            keep(peak, self._peak), keep(horizon, self._horizon), keep(pct_start, self._pct))
        self.div_factor, self.final_div_factor = (
            keep(div_factor, self._div), keep(final_div_factor, self._final_div))
        self.base_momentum = keep(base_momentum, self._base_m)
        self.max_momentum = keep(max_momentum, self._max_m)

        delta = 1.0 if clock == "step" else 0.0
        T = self._horizon
        initial = self._peak / self._div
        final = initial / self._final_div
        if self.three_phase:
            ends = [self._pct * T - delta, 2 * self._pct * T - 2 * delta, T - delta]
            lrs = [initial, self._peak, initial, final]
            moms = [self._max_m, self._base_m, self._max_m, self._max_m]
        else:
            ends = [self._pct * T - delta, T - delta]
            lrs = [initial, self._peak, final]
            moms = [self._max_m, self._base_m, self._max_m]
        starts = [0.0, *ends[:-1]]
        if any(e <= s for s, e in zip(starts, ends)):
            raise ValueError(
                f"{owner}: pct_start={pct_start!r} with horizon={horizon!r} leaves an empty phase; "
                "need 0 < pct_start*horizon - 1 < horizon - 1 on the step clock "
                f"{'(and pct_start < 0.5 with three_phase) ' if self.three_phase else ''}"
                "(on other clocks 0 < pct_start*horizon < horizon)"
            )
        self._phases = [(s, e, e - s, lrs[i], lrs[i + 1], moms[i], moms[i + 1])
                        for i, (s, e) in enumerate(zip(starts, ends))]
        self._cos = self.anneal == "cos"
        # the scalar paths, as closures stored on the instance (no method lookup per call)
        self._scalar = self._piecewise(3)
        self._momentum_scalar = self._piecewise(5)

    def _piecewise(self, which):
        """The scalar path for phase values ``which`` (3: lr, 5: momentum), as a closure.

        Built once per instance so a call is one loop over two or three tuples.
        """
        bounds = tuple((p[1], p[0], p[2], p[which], p[which + 1]) for p in self._phases)
        last, cos, pi = self._phases[-1][which + 1], math.cos, math.pi
        if self._cos:
            def anneal(t):
                for end, start, length, a, b in bounds:
                    if t <= end:
                        return b + (a - b) / 2.0 * (cos(pi * ((t - start) / length)) + 1)
                return last
        else:
            def anneal(t):
                for end, start, length, a, b in bounds:
                    if t <= end:
                        return (b - a) * ((t - start) / length) + a
                return last
        return anneal

    def _interp_array(self, t, xp, which):
        """Vectorised phase values ``which`` (3: lr, 5: momentum); the earliest phase wins."""
        last = self._phases[-1]
        out = xp.full_like(t, last[which + 1])  # held after the last phase
        for start, end, length, *values in reversed(self._phases):
            a, b = values[which - 3], values[which - 2]
            pct = (xp.clip(t, min=start, max=end) - start) / length
            if self._cos:
                value = b + (a - b) / 2.0 * (xp.cos(math.pi * pct) + 1)
            else:
                value = (b - a) * pct + a
            out = xp.where(t <= end, value, out)
        return out

    def _array(self, t, xp):
        return self._interp_array(t, xp, 3)

    def _momentum_array(self, t, xp):
        return self._interp_array(t, xp, 5)


@register("schedule", "cyclic")
class Cyclic(Schedule):
    """Cyclical learning rate between ``low`` and ``high`` (triangular waves).

    With ``C = up + down``, ``cycle = floor(1 + t/C)``, ``x = 1 + t/C - cycle`` and
    ``h = x/(up/C)`` while rising (``x <= up/C``) else ``(x - 1)/(up/C - 1)``,

    .. math:: s(t) = \\mathrm{low} + (\\mathrm{high} - \\mathrm{low})\\, h \\, g

    with ``g = 1`` (``mode="triangular"``), ``g = 0.5^{cycle-1}`` (``"triangular2"``, the
    amplitude halves each cycle) or ``g = gamma^t`` (``"exp_range"``).  The momentum runs in
    antiphase: ``max_momentum - (max_momentum - base_momentum)·h·g``.

    Same as ``torch.optim.lr_scheduler.CyclicLR(opt, base_lr=low, max_lr=high,
    step_size_up=up, step_size_down=down, mode=..., gamma=..., base_momentum=...,
    max_momentum=...)`` for lr and momentum (defaults 0.8/0.9 as in torch).

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.

    Examples
    --------
    >>> s = Cyclic(low=0.1, high=1.0, step_size_up=2)
    >>> [round(s(t), 6) for t in range(6)]
    [0.1, 0.55, 1.0, 0.55, 0.1, 0.55]
    >>> [round(s.momentum_at(t), 6) for t in range(3)]
    [0.9, 0.85, 0.8]
    """

    def __init__(self, low, high, step_size_up, step_size_down=None, mode="triangular",
                 gamma=1.0, cycle_momentum=True, base_momentum=0.8, max_momentum=0.9,
                 clock="step"):
        owner = "cyclic"
        self._low = non_negative(owner, "low", low)
        self._high = number(owner, "high", high, low=self._low)
        self._up = positive(owner, "step_size_up", step_size_up)
        self._down = (self._up if step_size_down is None
                      else positive(owner, "step_size_down", step_size_down))
        self.mode = one_of(owner, "mode", mode, ("triangular", "triangular2", "exp_range"))
        self._gamma = number(owner, "gamma", gamma, low=0, high=1, low_open=True)
        self._base_m, self._max_m = _momentum_pair(owner, cycle_momentum, base_momentum,
                                                   max_momentum)
        self.clock = check_clock(owner, clock)
        self.cycle_momentum = self.cycles_momentum = cycle_momentum
        self.low, self.high, self.step_size_up = (
            keep(low, self._low), keep(high, self._high), keep(step_size_up, self._up))
        self.step_size_down = None if step_size_down is None else keep(step_size_down, self._down)
        self.gamma = keep(gamma, self._gamma)
        self.base_momentum = keep(base_momentum, self._base_m)
        self.max_momentum = keep(max_momentum, self._max_m)
        self._total = self._up + self._down
        self._ratio = self._up / self._total

    def _shape(self, t):
        """Scalar ``(h, g)``: position within the wave and amplitude factor."""
        cycle = math.floor(1 + t / self._total)
        x = 1.0 + t / self._total - cycle
        h = x / self._ratio if x <= self._ratio else (x - 1) / (self._ratio - 1)
        if self.mode == "triangular":
            return h, 1.0
        if self.mode == "triangular2":
            return h, 0.5 ** (cycle - 1)
        return h, self._gamma ** t

    def _shape_array(self, t, xp):
        cycle = xp.floor(1 + t / self._total)
        x = 1.0 + t / self._total - cycle
        h = xp.where(x <= self._ratio, x / self._ratio, (x - 1) / (self._ratio - 1))
        if self.mode == "triangular":
            return h, 1.0
        if self.mode == "triangular2":
            return h, 0.5 ** (cycle - 1)
        return h, self._gamma ** t

    def _scalar(self, t):
        h, g = self._shape(t)
        return self._low + (self._high - self._low) * h * g

    def _array(self, t, xp):
        h, g = self._shape_array(t, xp)
        return self._low + (self._high - self._low) * h * g

    def _momentum_scalar(self, t):
        h, g = self._shape(t)
        return self._max_m - (self._max_m - self._base_m) * h * g

    def _momentum_array(self, t, xp):
        h, g = self._shape_array(t, xp)
        return self._max_m - (self._max_m - self._base_m) * h * g
