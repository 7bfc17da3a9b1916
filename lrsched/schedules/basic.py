"""Constant, piecewise-constant and simple decays: ``constant``, ``step``, ``multistep``,
``exponential``, ``linear``, ``polynomial``.

Each equals the closed form of the ``torch.optim.lr_scheduler`` class named in
its docstring evaluated at ``t`` = the number of ``scheduler.step()`` calls, with
absolute learning rates instead of factors of the optimizer's base lr (torch's
chainable updates agree with these closed forms to ~1e-14).
"""

from __future__ import annotations

import math
from bisect import bisect_right

from .._checks import number, sequence_of_numbers
from ..spec import register
from .base import Schedule, check_clock, keep, where

__all__ = ["Constant", "Step", "MultiStep", "Exponential", "Linear", "Polynomial"]


def positive(owner, name, value):
    """Check a finite number > 0; returns it as a float."""
    return number(owner, name, value, low=0, low_open=True)


def non_negative(owner, name, value):
    """Check a finite number >= 0; returns it as a float."""
    return number(owner, name, value, low=0)


@register("schedule", "constant")
class Constant(Schedule):
    """A fixed learning rate.

    .. math:: s(t) = \\mathrm{lr}

    The argument is stored as ``value`` (``lr`` is the method every schedule has).

    Examples
    --------
    >>> Constant(0.1)(500)
    0.1
    """

    spec_attributes = {"lr": "value"}

    def __init__(self, lr, clock="step"):
        self._value = non_negative("constant", "lr", lr)
        self.value = keep(lr, self._value)
        self.clock = check_clock("constant", clock)

    def _scalar(self, t):
        return self._value

    def _array(self, t, xp):
        return xp.full_like(t, self._value)


@register("schedule", "step")
class Step(Schedule):
    """Decay by ``gamma`` every ``step_size`` clock units.

    .. math:: s(t) = \\mathrm{peak} \\cdot \\gamma^{\\lfloor t / \\mathrm{step\\_size} \\rfloor}

    Same as ``torch.optim.lr_scheduler.StepLR(opt, step_size, gamma)`` with base lr ``peak``.
    The floor is taken of ``t / step_size`` (not Python's ``t // step_size``) in both the
    scalar and the array path, so fractional clocks agree between the two.

    Examples
    --------
    >>> s = Step(1.0, step_size=30, gamma=0.5)
    >>> [s(t) for t in (0, 29, 30, 65)]
    [1.0, 1.0, 0.5, 0.25]
    """

    def __init__(self, peak, step_size, gamma=0.1, clock="step"):
        owner = "step"
        self._peak = positive(owner, "peak", peak)
        self._size = positive(owner, "step_size", step_size)
        self._gamma = positive(owner, "gamma", gamma)
        self.peak, self.step_size, self.gamma = (
            keep(peak, self._peak), keep(step_size, self._size), keep(gamma, self._gamma))
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        try:
            return self._peak * self._gamma ** math.floor(t / self._size)
        except OverflowError:  # gamma > 1 far out: inf, as in the array path
            return math.inf

    def _array(self, t, xp):
        return self._peak * self._gamma ** xp.floor(t / self._size)


@register("schedule", "multistep")
class MultiStep(Schedule):
    """Decay by ``gamma`` at each milestone.

    .. math:: s(t) = \\mathrm{peak} \\cdot \\gamma^{\\#\\{m \\in \\mathrm{milestones} : m \\le t\\}}

    Same as ``torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma)`` with base lr
    ``peak``; milestones must be strictly increasing (torch counts repeated ones twice).

    Examples
    --------
    >>> s = MultiStep(1.0, milestones=[10, 20], gamma=0.5)
    >>> [s(t) for t in (9, 10, 19, 20, 1000)]
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, peak, milestones, gamma=0.1, clock="step"):
        owner = "multistep"
        self._peak = positive(owner, "peak", peak)
        self._gamma = positive(owner, "gamma", gamma)
        self.milestones = sequence_of_numbers(owner, "milestones", milestones,
                                              increasing=True, low=0)
        for m in self.milestones:
            number(owner, "milestones", m)  # finite
        self._milestones = [float(m) for m in self.milestones]
        self._values = [self._peak * self._gamma ** k for k in range(len(self._milestones) + 1)]
        self.peak, self.gamma = keep(peak, self._peak), keep(gamma, self._gamma)
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        return self._values[bisect_right(self._milestones, t)]

    def _array(self, t, xp):
        values = xp.asarray(self._values, dtype=t.dtype)
        if not self._milestones:
            return xp.full_like(t, self._values[0])
        edges = xp.asarray(self._milestones, dtype=t.dtype)
        index = xp.searchsorted(edges, xp.reshape(t, (-1,)), side="right")
        return xp.reshape(xp.take(values, index), t.shape)


@register("schedule", "exponential")
class Exponential(Schedule):
    """Multiply by ``gamma`` per clock unit.

    .. math:: s(t) = \\mathrm{peak} \\cdot \\gamma^{t}

    Same as ``torch.optim.lr_scheduler.ExponentialLR(opt, gamma)`` with base lr ``peak`` and
    optax ``exponential_decay(peak, 1, gamma)``.  ``gamma > 1`` grows (as in an LR range test).

    Examples
    --------
    >>> Exponential(1.0, gamma=0.5)(3)
    0.125
    """

    def __init__(self, peak, gamma, clock="step"):
        owner = "exponential"
        self._peak = positive(owner, "peak", peak)
        self._gamma = positive(owner, "gamma", gamma)
        self.peak, self.gamma = keep(peak, self._peak), keep(gamma, self._gamma)
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        try:
            return self._peak * self._gamma ** t
        except OverflowError:  # gamma > 1 far out: inf, as in the array path
            return math.inf

    def _array(self, t, xp):
        return self._peak * self._gamma ** t


@register("schedule", "linear")
class Linear(Schedule):
    """Linear interpolation from ``start`` to ``end`` over ``horizon``, then ``end``.

    .. math:: s(t) = \\mathrm{start} + (\\mathrm{end} - \\mathrm{start})\\, \\min(t, T) / T

    Same as ``torch.optim.lr_scheduler.LinearLR(opt, start_factor, end_factor, total_iters=T)``
    with ``start = base·start_factor``, ``end = base·end_factor``; optax ``linear_schedule``.

    Examples
    --------
    >>> s = Linear(0.0, 1.0, horizon=4)
    >>> [s(t) for t in (0, 1, 4, 9)]
    [0.0, 0.25, 1.0, 1.0]
    """

    def __init__(self, start, end, horizon, clock="step"):
        owner = "linear"
        self._start = non_negative(owner, "start", start)
        self._end = non_negative(owner, "end", end)
        self._horizon = positive(owner, "horizon", horizon)
        self._slope = (self._end - self._start) / self._horizon
        self.start, self.end, self.horizon = (
            keep(start, self._start), keep(end, self._end), keep(horizon, self._horizon))
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        if t >= self._horizon:
            return self._end
        return self._start + self._slope * t

    def _array(self, t, xp):
        return where(xp, t >= self._horizon, self._end,
                     self._start + self._slope * xp.clip(t, max=self._horizon))


@register("schedule", "polynomial")
class Polynomial(Schedule):
    """Polynomial decay from ``peak`` to ``end`` over ``horizon``, then ``end``.

    .. math:: s(t) = \\mathrm{end} + (\\mathrm{peak} - \\mathrm{end})(1 - \\min(t, T)/T)^{p}

    Same as ``torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=T, power=p)`` for
    ``end = 0``; optax ``polynomial_schedule(peak, end, p, T)``.

    Examples
    --------
    >>> s = Polynomial(1.0, horizon=4, power=2.0)
    >>> [s(t) for t in (0, 2, 4, 5)]
    [1.0, 0.25, 0.0, 0.0]
    """

    def __init__(self, peak, horizon, power=1.0, end=0.0, clock="step"):
        owner = "polynomial"
        self._peak = positive(owner, "peak", peak)
        self._horizon = positive(owner, "horizon", horizon)
        self._power = positive(owner, "power", power)
        self._end = number(owner, "end", end, low=0, high=self._peak)
        self._amp = self._peak - self._end
        self.peak, self.horizon, self.power, self.end = (
            keep(peak, self._peak), keep(horizon, self._horizon),
            keep(power, self._power), keep(end, self._end))
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        if t >= self._horizon:
            return self._end
        return self._end + self._amp * (1.0 - t / self._horizon) ** self._power

    def _array(self, t, xp):
        z = xp.clip(t, max=self._horizon) / self._horizon
        return where(xp, t >= self._horizon, self._end,
                     self._end + self._amp * (1.0 - z) ** self._power)
