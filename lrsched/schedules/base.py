"""The schedule protocol: a pure function of one clock value.

``s(t)`` returns a Python float for a number and an array for an array of clock
values; ``s.lr(progress)`` reads ``t`` from the :class:`~lrsched.progress.Progress`
field named by ``s.clock``.  A schedule keeps no state: the clock comes in.

One definition, two paths
-------------------------
Each schedule class holds its formula twice, side by side, with the same
precomputed constants and the same order of operations:

* ``_scalar(t)``: plain :mod:`math` on Python floats.  This is the training
  loop's hot path (``s.lr(progress)`` costs one attribute read and one call);
  it never touches NumPy.
* ``_array(t, xp)``: the vectorised form in any Array API namespace ``xp``
  (NumPy, ``array_api_strict``, torch, CuPy, ``jax.numpy``).  Pieces are
  selected with ``xp.where`` over clipped inputs, never with Python branches on
  values, so the same code traces under ``jax.jit``.

The shared tests evaluate every registered schedule both ways and check that
they agree (``tests/test_schedules.py``).

Momentum
--------
Cycling schedules (``onecycle``, ``cyclic``) also move the momentum (SGD) or
beta1 (Adam) in antiphase with the learning rate.  ``s.momentum(progress)`` and
``s.momentum_at(t)`` return it, or ``None`` for schedules that do not cycle it.

Clocks of composite schedules
-----------------------------
A composite (``warmup``, ``join``, ``scale``, ``product``, ``sum``) reads *one*
clock and hands the same (shifted) value to its parts.  Its clock is the one
non-default clock among its own ``clock=`` and its parts' clocks: parts left at
the default ``"step"`` follow the composite, and two different non-default
clocks are an error.  So ``warmup(cosine(peak=0.1, horizon=1.0,
clock="fraction"), steps=0.05)`` runs on the ``fraction`` clock, and its spec
prints ``clock='fraction'`` on the outside.
"""

from __future__ import annotations

import inspect
from numbers import Real

import numpy as np

from ..backend import namespace
from ..progress import CLOCKS

__all__ = ["Schedule", "check_clock", "common_clock", "keep", "on_clock", "where"]


def check_clock(owner: str, clock: str) -> str:
    if clock not in CLOCKS:
        raise ValueError(
            f"{owner}: clock={clock!r} is not allowed; clock must be one of "
            + ", ".join(repr(c) for c in CLOCKS)
        )
    return clock


def common_clock(owner: str, clock: str, parts) -> str:
    """The clock a composite runs on: the one non-default clock among ``clock`` and its parts'."""
    check_clock(owner, clock)
    chosen = {c for c in [clock, *(p.clock for p in parts)] if c != "step"}
    if len(chosen) > 1:
        raise ValueError(
            f"{owner}: clock={clock!r} with parts on clocks "
            f"{', '.join(repr(p.clock) for p in parts)} is not allowed; a composite reads one "
            "clock: give the parts the same clock or leave them at the default 'step'"
        )
    return chosen.pop() if chosen else "step"


def on_clock(schedule: Schedule, clock: str) -> Schedule:
    """``schedule`` running on ``clock``: itself when it already does, else rebuilt with ``clock=``.

    Only a schedule on the default ``step`` clock can be moved; another clock is an error.

    >>> from lrsched.schedules import Cosine
    >>> on_clock(Cosine(peak=0.1, horizon=1.0), "fraction")
    cosine(peak=0.1, horizon=1.0, clock='fraction')
    """
    check_clock("on_clock", clock)
    if schedule.clock == clock:
        return schedule
    if schedule.clock != "step":
        raise ValueError(
            f"{schedule!r} runs on clock {schedule.clock!r}, not {clock!r}; "
            f"give it clock={clock!r} or leave its clock at the default 'step'"
        )
    args, kwargs = schedule._arguments()
    kwargs["clock"] = clock
    return type(schedule)(*args, **kwargs)


def where(xp, condition, a, b):
    """``xp.where`` where one branch may be a Python number (the other is an array)."""
    if isinstance(a, (int, float)):
        a = xp.full_like(b, a)
    elif isinstance(b, (int, float)):
        b = xp.full_like(a, b)
    return xp.where(condition, a, b)


def _float_dtype(xp):
    try:
        return xp.__array_namespace_info__().default_dtypes()["real floating"]
    except Exception:  # pragma: no cover - namespaces without the inspection API
        return xp.float64


def _rebuild(cls, args, kwargs):
    return cls(*args, **kwargs)


class Schedule:
    """Abstract base of closed-form schedules.

    Subclasses define ``_scalar(t) -> float`` and ``_array(t, xp) -> array``
    (and ``_momentum_scalar``/``_momentum_array`` when they cycle momentum),
    store every constructor argument as an attribute of the same name, and
    register themselves with :func:`lrsched.spec.register`.
    """

    spec_name: str
    spec_kind = "schedule"
    clock: str = "step"
    #: Signals the loop must compute for this object (schedules read none).
    needs: frozenset = frozenset()
    #: True when the schedule also sets the momentum / beta1 each step.
    cycles_momentum: bool = False

    # ------------------------------------------------------------ evaluation
    def __call__(self, t):
        """The learning rate at clock value ``t``: a float for a number, an array for an array."""
        cls = t.__class__
        if cls is float or cls is int:
            return self._scalar(t)
        if isinstance(t, Real):
            return float(self._scalar(float(t)))
        return self._array(*_as_clock_array(t))

    def lr(self, progress) -> float:
        """The learning rate for a run at ``progress`` (reads the field named by ``self.clock``)."""
        try:
            return self._scalar(getattr(progress, self.clock))
        except TypeError:
            _raise_missing_clock(self, progress)
            raise

    def momentum(self, progress):
        """Momentum/beta1 to apply this step, or ``None`` (only cycling schedules set it)."""
        if not self.cycles_momentum:
            return None
        try:
            return self._momentum_scalar(getattr(progress, self.clock))
        except TypeError:
            _raise_missing_clock(self, progress)
            raise

    def momentum_at(self, t):
        """Momentum/beta1 at clock value ``t`` (float or array), or ``None`` when not cycled."""
        if not self.cycles_momentum:
            return None
        if isinstance(t, Real):
            return float(self._momentum_scalar(t if t.__class__ in (int, float) else float(t)))
        return self._momentum_array(*_as_clock_array(t))

    def _scalar(self, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _array(self, t, xp):  # pragma: no cover - abstract
        raise NotImplementedError

    def _momentum_scalar(self, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _momentum_array(self, t, xp):  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------ state (none)
    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        return None

    # ------------------------------------------------------------ algebra
    def __mul__(self, other):
        from .compose import Product, Scale

        if isinstance(other, Schedule):
            return Product(*_flat(self, Product), *_flat(other, Product))
        if isinstance(other, Real) and not isinstance(other, bool):
            return Scale(self, other)
        return NotImplemented

    __rmul__ = __mul__

    def __add__(self, other):
        from .basic import Constant
        from .compose import Sum

        if isinstance(other, Real) and not isinstance(other, bool):
            other = Constant(other)
        if isinstance(other, Schedule):
            return Sum(*_flat(self, Sum), *_flat(other, Sum))
        return NotImplemented

    __radd__ = __add__

    # ------------------------------------------------------------ identity
    def _arguments(self):
        args, kwargs = [], {}
        renamed = getattr(type(self), "spec_attributes", {})
        for p in inspect.signature(type(self)).parameters.values():
            value = getattr(self, renamed.get(p.name, p.name))
            if p.kind is p.VAR_POSITIONAL:
                args.extend(value)
            elif p.kind is p.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[p.name] = value
        return tuple(args), kwargs

    def __reduce__(self):
        args, kwargs = self._arguments()
        return (_rebuild, (type(self), args, kwargs))

    def __repr__(self) -> str:
        from ..spec import spec

        return spec(self)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


def _flat(schedule, kind):
    """The parts of a ``product``/``sum`` (to flatten ``a * b * c``), else ``(schedule,)``."""
    return schedule.schedules if type(schedule) is kind else (schedule,)


def _as_clock_array(t):
    """``(t, xp)`` with ``t`` an array of a floating dtype in its own namespace."""
    if isinstance(t, (list, tuple)):
        t = np.asarray(t, dtype=np.float64)
    xp = namespace(t)
    if not xp.isdtype(t.dtype, "real floating"):
        t = xp.astype(t, _float_dtype(xp))
    return t, xp


def _raise_missing_clock(schedule, progress) -> None:
    """Turn a clock field that is not a number (``joules=None``) into a clear ``ValueError``."""
    value = getattr(progress, schedule.clock, None)
    if isinstance(value, Real):
        return  # the TypeError came from elsewhere: let it propagate
    why = "is not measured in this run" if value is None else f"is {value!r}, not a number"
    raise ValueError(
        f"{type(schedule).spec_name}: clock {schedule.clock!r} reads progress.{schedule.clock}, "
        f"which {why}; choose another clock= or measure it"
    ) from None


def keep(value, checked):
    """The value to store for ``spec()``: the user's int/float as given, else the checked float."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return checked

