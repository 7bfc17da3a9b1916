"""Composition: ``warmup``, ``join``, ``scale``, ``product`` and ``sum`` of schedules.

A composite reads one clock and passes the (shifted) value to its parts; see
:mod:`lrsched.schedules.base` for how its clock is chosen.  Parts left on the
default ``step`` clock are rebuilt on the composite's clock, so a part whose
shape depends on its clock (``onecycle``) follows it too.  Operators build the
same objects: ``2 * s`` is ``scale(s, factor=2)``, ``a * b`` is ``product(a, b)``,
``a + b`` is ``sum(a, b)`` and ``a + 0.01`` is ``sum(a, constant(0.01))``.
"""

from __future__ import annotations

from bisect import bisect_right

from .._checks import number, sequence_of_numbers
from ..spec import parse, register
from .base import Schedule, common_clock, keep, on_clock, where
from .basic import non_negative

__all__ = ["Warmup", "Join", "Scale", "Product", "Sum"]


def _schedule(owner, name, value):
    if isinstance(value, str):
        value = parse(value, kind="schedule")
    if getattr(value, "spec_kind", None) == "policy":
        raise ValueError(
            f"{owner}: {name}={value!r} is an adaptive policy, which has no closed form "
            f"to compose; {owner} takes closed-form schedules (policies wrap schedules instead)"
        )
    if not isinstance(value, Schedule):
        raise ValueError(
            f"{owner}: {name}={value!r} is not allowed; {name} must be a schedule such as "
            "cosine(peak=0.1, horizon=1000)"
        )
    return value


def _parts(owner, schedules, clock):
    parts = [_schedule(owner, "schedules", s) for s in schedules]
    if not parts:
        raise ValueError(f"{owner}: needs at least one schedule, e.g. {owner}(constant(0.1), ...)")
    clock = common_clock(owner, clock, parts)
    return [on_clock(p, clock) for p in parts], clock


def _single_momentum_source(owner, parts):
    cycling = [p for p in parts if p.cycles_momentum]
    if len(cycling) > 1:
        raise ValueError(
            f"{owner}: {len(cycling)} parts cycle the momentum; at most one may "
            "(give the others cycle_momentum=False)"
        )
    return cycling[0] if cycling else None


@register("schedule", "warmup")
class Warmup(Schedule):
    """Linear warmup from ``start`` to ``inner(0)`` over ``steps`` clock units, then ``inner``.

    .. math:: s(t) = \\mathrm{start} + (\\mathrm{inner}(0) - \\mathrm{start})\\, t/W \\;(t < W),
              \\qquad \\mathrm{inner}(t - W) \\;(t \\ge W)

    ``steps`` is measured on the clock (e.g. ``0.05`` of the budget with
    ``clock="fraction"``).  The momentum of a cycling inner schedule is held at its
    ``t = 0`` value during the warmup.

    Same as torch ``SequentialLR([LinearLR(start_factor=start/peak, total_iters=W),
    inner], milestones=[W])``, optax ``warmup_cosine_decay_schedule(start, peak, W, W + T)``
    for ``inner = cosine(peak, T)`` and Hugging Face ``get_cosine_schedule_with_warmup(opt,
    W, W + T)`` (for ``t <= W + T``; HF's cosine is not held past the end).

    Examples
    --------
    >>> from lrsched.schedules import Cosine
    >>> s = Warmup(Cosine(peak=1.0, horizon=100), steps=10)
    >>> [round(s(t), 6) for t in (0, 5, 10, 60, 110)]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    def __new__(cls, inner, steps, start=0.0, clock="step"):
        # A policy has no closed form: it builds its own warmup (lrsched.policies.compose).
        if getattr(inner, "spec_kind", None) == "policy":
            return inner.composite("warmup", steps, start=start, clock=clock)
        return super().__new__(cls)

    def __init__(self, inner, steps, start=0.0, clock="step"):
        owner = "warmup"
        inner = _schedule(owner, "inner", inner)
        self._steps = non_negative(owner, "steps", steps)
        self._start = non_negative(owner, "start", start)
        self.clock = common_clock(owner, clock, [inner])
        self.inner = on_clock(inner, self.clock)
        self.steps, self.start = keep(steps, self._steps), keep(start, self._start)
        self._v0 = self.inner._scalar(0.0)
        self._slope = (self._v0 - self._start) / self._steps if self._steps > 0 else 0.0
        self.cycles_momentum = self.inner.cycles_momentum
        if self.cycles_momentum:
            self._m0 = self.inner._momentum_scalar(0.0)

    def _scalar(self, t):
        if t < self._steps:
            return self._start + self._slope * t
        return self.inner._scalar(t - self._steps)

    def _array(self, t, xp):
        ramp = self._start + self._slope * xp.clip(t, max=self._steps)
        return xp.where(t < self._steps, ramp,
                        self.inner._array(xp.clip(t - self._steps, min=0.0), xp))

    def _momentum_scalar(self, t):
        if t < self._steps:
            return self._m0
        return self.inner._momentum_scalar(t - self._steps)

    def _momentum_array(self, t, xp):
        after = self.inner._momentum_array(xp.clip(t - self._steps, min=0.0), xp)
        return where(xp, t < self._steps, self._m0, after)


@register("schedule", "join")
class Join(Schedule):
    """Run schedules one after another: ``a`` until ``at[0]``, then ``b(t - at[0])``, ...

    .. math:: s(t) = s_i(t - a_{i-1}) \\quad\\text{for } a_{i-1} \\le t < a_i
              \\;(a_{-1} = 0,\\ a_n = \\infty)

    Each part restarts its own clock at its boundary.  Same as torch ``SequentialLR``
    (whose parts switch to their closed form at 0 at each milestone) and optax
    ``join_schedules``.  Momentum is cycled when every part cycles it; mixing cycling and
    non-cycling parts is an error (the momentum would be undefined on some pieces).

    Examples
    --------
    >>> from lrsched.schedules import Constant, Linear
    >>> s = Join(Linear(0.0, 1.0, horizon=10), Constant(0.5), at=[10])
    >>> [s(t) for t in (0, 5, 10, 99)]
    [0.0, 0.5, 0.5, 0.5]
    """

    def __init__(self, *schedules, at, clock="step"):
        owner = "join"
        parts, self.clock = _parts(owner, schedules, clock)
        self.schedules = tuple(parts)
        self.at = sequence_of_numbers(owner, "at", at, increasing=True, low=0)
        for a in self.at:
            number(owner, "at", a)
        if len(self.at) != len(parts) - 1:
            raise ValueError(
                f"{owner}: at={at!r} is not allowed; at must list {len(parts) - 1} boundaries "
                f"(one between each of the {len(parts)} schedules)"
            )
        self._at = [float(a) for a in self.at]
        self._starts = [0.0, *self._at]
        cycling = {p.cycles_momentum for p in parts}
        if len(cycling) > 1:
            raise ValueError(
                f"{owner}: parts mix momentum cycling and none; give the cycling parts "
                "cycle_momentum=False, or join only schedules that cycle it"
            )
        self.cycles_momentum = cycling.pop()
        self._lr_fns = [p._scalar for p in parts]
        self._m_fns = [p._momentum_scalar for p in parts] if self.cycles_momentum else []

    def _scalar(self, t):
        i = bisect_right(self._at, t)
        return self._lr_fns[i](t - self._starts[i])

    def _momentum_scalar(self, t):
        i = bisect_right(self._at, t)
        return self._m_fns[i](t - self._starts[i])

    def _pieces(self, t, xp, method):
        out = getattr(self.schedules[0], method)(t, xp)
        for boundary, part in zip(self._at, self.schedules[1:]):
            value = getattr(part, method)(xp.clip(t - boundary, min=0.0), xp)
            out = xp.where(t < boundary, out, value)
        return out

    def _array(self, t, xp):
        return self._pieces(t, xp, "_array")

    def _momentum_array(self, t, xp):
        return self._pieces(t, xp, "_momentum_array")


@register("schedule", "scale")
class Scale(Schedule):
    """A schedule multiplied by a constant: ``s(t) = factor · inner(t)``.

    Examples
    --------
    >>> from lrsched.schedules import Constant
    >>> Scale(Constant(0.5), factor=0.2)(7)
    0.1
    """

    def __new__(cls, inner, factor, clock="step"):
        if getattr(inner, "spec_kind", None) == "policy":  # see Warmup.__new__
            return inner.composite("scale", factor, clock=clock)
        return super().__new__(cls)

    def __init__(self, inner, factor, clock="step"):
        owner = "scale"
        inner = _schedule(owner, "inner", inner)
        self._factor = non_negative(owner, "factor", factor)
        self.factor = keep(factor, self._factor)
        self.clock = common_clock(owner, clock, [inner])
        self.inner = on_clock(inner, self.clock)
        self.cycles_momentum = self.inner.cycles_momentum

    def _scalar(self, t):
        return self._factor * self.inner._scalar(t)

    def _array(self, t, xp):
        return self._factor * self.inner._array(t, xp)

    def _momentum_scalar(self, t):
        return self.inner._momentum_scalar(t)

    def _momentum_array(self, t, xp):
        return self.inner._momentum_array(t, xp)


class _Combination(Schedule):
    """Pointwise combination of schedules; at most one part may cycle the momentum."""

    def __init__(self, *schedules, clock="step"):
        owner = self.spec_name
        parts, self.clock = _parts(owner, schedules, clock)
        self.schedules = tuple(parts)
        self._fns = [p._scalar for p in parts]
        self._momentum_source = _single_momentum_source(owner, parts)
        self.cycles_momentum = self._momentum_source is not None

    def _momentum_scalar(self, t):
        return self._momentum_source._momentum_scalar(t)

    def _momentum_array(self, t, xp):
        return self._momentum_source._momentum_array(t, xp)


@register("schedule", "product")
class Product(_Combination):
    """Pointwise product of schedules: ``s(t) = Π_i s_i(t)`` (``a * b``).

    Useful to modulate one schedule by another, e.g. a cosine by a slow exponential.

    Examples
    --------
    >>> from lrsched.schedules import Constant, Linear
    >>> (Constant(0.5) * Linear(1.0, 0.0, horizon=10))(5)
    0.25
    """

    def _scalar(self, t):
        value = 1.0
        for f in self._fns:
            value *= f(t)
        return value

    def _array(self, t, xp):
        value = self.schedules[0]._array(t, xp)
        for part in self.schedules[1:]:
            value = value * part._array(t, xp)
        return value


@register("schedule", "sum")
class Sum(_Combination):
    """Pointwise sum of schedules: ``s(t) = Σ_i s_i(t)`` (``a + b``, ``a + 0.01``).

    Useful to put a floor under any schedule: ``cosine(...) + 1e-4``.

    Examples
    --------
    >>> from lrsched.schedules import Constant, Linear
    >>> (Linear(1.0, 0.0, horizon=10) + 0.5)(5)
    1.0
    """

    def _scalar(self, t):
        value = 0.0
        for f in self._fns:
            value += f(t)
        return value

    def _array(self, t, xp):
        value = self.schedules[0]._array(t, xp)
        for part in self.schedules[1:]:
            value = value + part._array(t, xp)
        return value
