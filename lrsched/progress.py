"""What a run has done so far (:class:`Progress`) and how far it may go (:class:`Budget`).

:class:`Progress` is the one observation every schedule and policy reads.  The
training loop owns a single instance and updates its fields in place each step
(no allocation on the hot path); a schedule reads the field named by its clock.

:class:`Budget` holds one or more limits; a run stops as soon as any limit is
reached, and ``budget.fraction(progress)`` is the largest ``consumed / limit``
over the limits set, which is what the ``fraction`` clock reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Progress", "Budget", "CLOCKS"]

#: Clock names a schedule may run on; each is a field of :class:`Progress`.
CLOCKS = ("step", "epoch", "seconds", "samples", "joules", "fraction")


@dataclass(slots=True)
class Progress:
    """A run's progress and resource use at the start of the current step.

    Attributes
    ----------
    step : int
        Optimizer steps done.
    epoch : float
        Passes over the training set (``samples / n_samples``).
    samples : int
        Training samples consumed.
    seconds : float
        Training time on a monotonic clock; evaluation excluded.
    joules : float or None
        Energy consumed, ``None`` when no energy source is measured.
    fraction : float
        Share of the budget consumed (largest over its limits), in [0, 1].
    loss : float
        Loss of the current minibatch at the current parameters.
    grad_norm : float or None
        Euclidean norm of the current gradient, ``None`` unless a policy needs it.
    lr : float
        The learning rate applied at the previous step (``nan`` before the first).
    snapshot : object or None
        Latest telemetry snapshot, ``None`` when no monitor runs.
    eval_loss : float
        Full-objective loss at the last evaluation (``nan`` before the first).
    grad, params, probe
        Heavy signals, set only for policies that declare them in ``needs``:
        the gradient and parameter vectors, and ``probe(lr) -> loss`` which
        evaluates the current minibatch at ``params - lr * grad``.
    extra : dict
        Free-form values that callbacks and policies may share.
    """

    step: int = 0
    epoch: float = 0.0
    samples: int = 0
    seconds: float = 0.0
    joules: float | None = None
    fraction: float = 0.0
    loss: float = math.nan
    grad_norm: float | None = None
    lr: float = math.nan
    snapshot: Any = None
    eval_loss: float = math.nan
    grad: Any = None
    params: Any = None
    probe: Any = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        heavy = ("snapshot", "grad", "params", "probe")
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in heavy}
        return out


_LIMITS = ("steps", "epochs", "seconds", "joules", "samples")
_PROGRESS_FIELD = {"steps": "step", "epochs": "epoch", "seconds": "seconds",
                   "joules": "joules", "samples": "samples"}


@dataclass(frozen=True)
class Budget:
    """Limits on a run; it stops when any limit is reached.

    >>> b = Budget(steps=100, seconds=2.0)
    >>> b.fraction(Progress(step=50, seconds=1.5))
    0.75
    """

    steps: int | None = None
    epochs: float | None = None
    seconds: float | None = None
    joules: float | None = None
    samples: int | None = None

    def __post_init__(self):
        set_any = False
        for name in _LIMITS:
            value = getattr(self, name)
            if value is None:
                continue
            set_any = True
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                value > 0 and math.isfinite(value)
            ):
                raise ValueError(
                    f"Budget: {name}={value!r} is not allowed; {name} must be a finite number > 0"
                )
            if name in ("steps", "samples"):
                if float(value) != int(value):
                    raise ValueError(f"Budget: {name}={value!r} must be a whole number")
                object.__setattr__(self, name, int(value))
        if not set_any:
            raise ValueError(
                "Budget needs at least one limit: steps=, epochs=, seconds=, joules= or samples="
            )

    @property
    def limits(self) -> dict[str, float]:
        """The limits that are set, by name."""
        return {n: getattr(self, n) for n in _LIMITS if getattr(self, n) is not None}

    def fraction(self, progress: Progress) -> float:
        """Largest share consumed over the set limits, clipped to [0, 1]."""
        best = 0.0
        for name, limit in self.limits.items():
            used = getattr(progress, _PROGRESS_FIELD[name])
            if used is None:
                continue
            best = max(best, used / limit)
        return min(best, 1.0)

    def exhausted(self, progress: Progress) -> bool:
        return self.fraction(progress) >= 1.0

    def fraction_function(self):
        """A fast ``f(progress) -> fraction`` specialised to the limits that are set.

        The training loop calls it once per step, so it avoids generic dispatch.
        """
        # divisions, not multiplications by 1/limit: consumed == limit must give exactly 1.0
        pairs = [(_PROGRESS_FIELD[n], v) for n, v in self.limits.items()]
        if len(pairs) == 1:
            attr, limit = pairs[0]
            if attr == "step":
                return lambda p: min(p.step / limit, 1.0)
            if attr == "seconds":
                return lambda p: min(p.seconds / limit, 1.0)

            def one(p):
                used = getattr(p, attr)
                return 0.0 if used is None else min(used / limit, 1.0)

            return one

        def many(p):
            best = 0.0
            for a, lim in pairs:
                used = getattr(p, a)
                if used is not None:
                    value = used / lim
                    if value > best:
                        best = value
            return min(best, 1.0)

        return many

    @classmethod
    def coerce(cls, value, owner: str = "budget") -> Budget:
        """A Budget from a Budget, a dict of limits, ``"steps=100,seconds=2"`` or a step count."""
        if isinstance(value, Budget):
            return value
        if isinstance(value, dict):
            return cls(**value)
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(steps=value)
        raise ValueError(f"{owner}: budget={value!r} is not allowed; pass Budget(...), a dict, "
                         "'seconds=60' or a number of steps")

    @classmethod
    def parse(cls, text: str) -> Budget:
        """Build from ``"steps=1000"`` or ``"seconds=30,joules=500"`` (the CLI form)."""
        kwargs = {}
        for part in [p.strip() for p in str(text).split(",") if p.strip()]:
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or key not in _LIMITS:
                raise ValueError(
                    f"bad budget {text!r}: write LIMIT=VALUE[,LIMIT=VALUE] with LIMIT one of "
                    + ", ".join(_LIMITS)
                )
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"bad budget {text!r}: {key}={value!r} is not a number") from None
            kwargs[key] = int(number) if key in ("steps", "samples") and number.is_integer() else number
        if not kwargs:
            raise ValueError(f"bad budget {text!r}: give at least one LIMIT=VALUE")
        return cls(**kwargs)

    def __str__(self) -> str:
        return ",".join(f"{k}={v:g}" for k, v in self.limits.items())
