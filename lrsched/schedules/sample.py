"""Sample schedules over a run of ``steps`` steps (for the ``lrsched lr`` command and plots).

A run of ``N`` steps applies the learning rate at steps ``k = 0, ..., N-1``; the
clock value at step ``k`` is ``k`` on the ``step`` clock, ``k/N`` on the
``fraction`` clock (a budget of ``N`` steps) and ``k·per_step`` on the others
(``per_step`` = epochs, seconds, samples or joules per step).
"""

from __future__ import annotations

import numpy as np

from .._checks import integer, number
from .base import check_clock

__all__ = ["clock_values", "sample"]


def clock_values(clock: str, steps: int, per_step: float = 1.0) -> np.ndarray:
    """Clock values at steps ``0..steps-1`` of a run of ``steps`` steps.

    Examples
    --------
    >>> clock_values("fraction", 4).tolist()
    [0.0, 0.25, 0.5, 0.75]
    >>> clock_values("seconds", 3, per_step=0.5).tolist()
    [0.0, 0.5, 1.0]
    """
    check_clock("clock_values", clock)
    steps = integer("clock_values", "steps", steps, low=1)
    per_step = number("clock_values", "per_step", per_step, low=0, low_open=True)
    k = np.arange(steps, dtype=np.float64)
    if clock == "step":
        return k
    if clock == "fraction":
        return k / steps
    return k * per_step


def sample(schedule, steps: int, per_step: float = 1.0):
    """``(step, lr, momentum)`` arrays of ``schedule`` over a run of ``steps`` steps.

    ``momentum`` is ``None`` for schedules that do not cycle it.

    Examples
    --------
    >>> from lrsched.schedules import Linear
    >>> k, lr, m = sample(Linear(0.0, 1.0, horizon=4), 5)
    >>> lr.tolist(), m
    ([0.0, 0.25, 0.5, 0.75, 1.0], None)
    """
    t = clock_values(schedule.clock, steps, per_step)
    return np.arange(steps), schedule(t), schedule.momentum_at(t)
