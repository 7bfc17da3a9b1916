"""Schedule combinators around a policy: ``warmup(dog(), steps=100)``, ``scale(polyak(), 0.5)``.

The closed-form combinators of :mod:`lrsched.schedules.compose` evaluate their
parts at shifted clock values (``inner(t - W)``), which a stateful policy does
not have.  When their ``inner`` is a policy they build these classes instead
(through :meth:`Policy.composite <lrsched.policies.base.Policy.composite>`), which
print the same specs and follow the same formulas with ``inner(t)`` replaced by
the policy's current rate:

* ``warmup(inner, steps, start=0.0, clock="step")``:
  ``lr = start + (inner.lr(progress) - start) * t / steps`` while ``t < steps``,
  then ``inner.lr(progress)``.  For a constant inner this is exactly the
  schedule ``warmup``.  The policy runs from the first step and sees the run's
  real progress (no shift): it keeps learning its statistics during the warmup
  (DoG accumulates gradients, plateau tracks the loss), and only what it
  returns is ramped, which is what a torch ``LinearLR`` warmup does to an
  adaptive optimizer's ``lr`` multiplier.
* ``scale(inner, factor, clock="step")``: ``lr = factor * inner.lr(progress)``.

``t`` is read on ``clock`` (``"seconds"`` gives a warmup measured in training
seconds, ``"fraction"`` one measured as a share of the budget).
"""

from __future__ import annotations

from .. import _checks
from ..progress import CLOCKS
from .base import Wrapper

__all__ = ["PolicyWarmup", "PolicyScale", "COMPOSITES"]


def _clock(owner, clock):
    if clock not in CLOCKS:
        raise ValueError(
            f"{owner}: clock={clock!r} is not allowed; clock must be one of "
            + ", ".join(repr(c) for c in CLOCKS)
        )
    return clock


def _read_clock(owner, progress, clock) -> float:
    value = getattr(progress, clock)
    if value is None:
        raise ValueError(
            f"{owner}: clock {clock!r} reads progress.{clock}, which is not measured in this "
            "run; choose another clock= or measure it"
        )
    return value


class PolicyWarmup(Wrapper):
    """Linear warmup in front of an adaptive policy (spec ``warmup(inner, steps, ...)``).

    .. math::

        \\eta_t = \\text{start} + (\\pi_t - \\text{start})\\,t/W \\quad (t < W),
        \\qquad \\eta_t = \\pi_t \\quad (t \\ge W),

    with :math:`\\pi_t` the inner policy's rate at this step and ``W = steps``
    on ``clock``.  See the module docstring for why the policy is not shifted.

    Examples
    --------
    >>> from lrsched.policies import AdaGradNorm
    >>> from lrsched.progress import Progress
    >>> w = PolicyWarmup(AdaGradNorm(eta=1.0, b0=3.0), steps=4)
    >>> w.lr(Progress(step=2, grad_norm=4.0))   # half of 1/sqrt(9 + 16)
    0.1
    """

    spec_name = "warmup"

    def __init__(self, inner, steps, start=0.0, clock="step"):
        owner = "warmup"
        self.inner = self.check_inner(owner, inner)
        self._steps = _checks.number(owner, "steps", steps, low=0)
        self._start = _checks.number(owner, "start", start, low=0)
        self.steps, self.start = steps, start
        self.clock = _clock(owner, clock)
        super().__init__()

    def _update(self, progress) -> float:
        rate = self.inner_lr(progress)
        t = _read_clock("warmup", progress, self.clock)
        if t < self._steps:
            return self._start + (rate - self._start) * (t / self._steps)
        return rate


class PolicyScale(Wrapper):
    """An adaptive policy's rate times a constant (spec ``scale(inner, factor)``).

    Examples
    --------
    >>> from lrsched.policies import AdaGradNorm
    >>> from lrsched.progress import Progress
    >>> PolicyScale(AdaGradNorm(eta=1.0, b0=3.0), factor=0.5).lr(Progress(grad_norm=4.0))
    0.1
    """

    spec_name = "scale"

    def __init__(self, inner, factor, clock="step"):
        owner = "scale"
        self.inner = self.check_inner(owner, inner)
        self._factor = _checks.number(owner, "factor", factor, low=0)
        self.factor = factor
        self.clock = _clock(owner, clock)
        super().__init__()

    def _update(self, progress) -> float:
        return self._factor * self.inner_lr(progress)


#: Schedule combinators that have a policy-aware form, by spec name.  These classes
#: print as ``warmup(...)``/``scale(...)`` but are not registered: the names belong
#: to the schedule combinators, which hand a policy inner over to them.
COMPOSITES = {"warmup": PolicyWarmup, "scale": PolicyScale}
