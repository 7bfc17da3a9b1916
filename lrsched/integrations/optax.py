"""Use lrsched schedules as optax schedules (``count -> learning rate``).

An optax schedule is a function of the step count that optax calls inside
``jax.jit``.  Every lrsched schedule already is one: its array path is written
against the Array API, so a traced ``jax.numpy`` count goes through the same
vectorised code (``xp.where`` over clipped inputs, no Python branch on a traced
value), and a Python int goes through the fast scalar path.

Neither optax nor jax is imported here; the returned functions work with any
array the schedule accepts.

>>> from lrsched.integrations.optax import schedule
>>> lr = schedule("cosine(peak=0.1, horizon=100)")
>>> round(lr(50), 6)
0.05
>>> import optax                                              # doctest: +SKIP
>>> opt = optax.sgd(learning_rate=lr)                         # doctest: +SKIP

Momentum cycling (``onecycle``, ``cyclic``) is available as a schedule of b1 /
momentum for ``optax.inject_hyperparams``:

>>> from lrsched.integrations.optax import momentum
>>> round(momentum("onecycle(peak=1.0, horizon=10)")(2), 6)
0.85
>>> opt = optax.inject_hyperparams(optax.sgd)(                # doctest: +SKIP
...     learning_rate=lr, momentum=momentum(s))
"""

from __future__ import annotations

from ..schedules.base import Schedule
from ..spec import parse

__all__ = ["schedule", "momentum"]


def _closed_form(s) -> Schedule:
    s = parse(s, kind="schedule") if isinstance(s, str) else s
    if not isinstance(s, Schedule):
        raise ValueError(
            f"optax needs a closed-form schedule (a function of the step count), not {s!r}; "
            "adaptive policies read the loss and cannot be one"
        )
    if s.clock != "step":
        raise ValueError(
            f"optax counts optimizer steps, but {s!r} runs on clock={s.clock!r}; "
            "give the schedule clock='step'"
        )
    return s


def schedule(s):
    """An optax schedule ``count -> lr`` for a closed-form schedule on the step clock.

    ``s(count)`` follows lrsched's convention: the learning rate applied at step
    ``count`` (0-based), which is also optax's.
    """
    s = _closed_form(s)

    def learning_rate(count):
        return s(count)

    learning_rate.schedule = s
    return learning_rate


def momentum(s):
    """An optax schedule ``count -> momentum`` (SGD momentum / Adam b1), or ``None`` when
    the schedule does not cycle the momentum."""
    s = _closed_form(s)
    if not s.cycles_momentum:
        return None

    def momentum_schedule(count):
        return s.momentum_at(count)

    momentum_schedule.schedule = s
    return momentum_schedule
