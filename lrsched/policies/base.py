"""The policy protocol: an adaptive learning rate that reads :class:`~lrsched.progress.Progress`.

A policy is called by the training loop exactly like a schedule,
``lr = policy.lr(progress)``, once per step, after the loss and gradient at the
current parameters are known.  Unlike a schedule it keeps state, and that state
is explicit:

* ``needs`` names the signals the loop must compute for it (a subset of
  ``{"loss", "grad_norm", "grad", "params", "probe"}``); nothing else is computed;
* ``state_dict()`` returns a versioned, JSON-serialisable dict (floats, ints,
  strings and lists; vectors as lists of floats; non-finite floats as the
  strings ``"inf"``, ``"-inf"``, ``"nan"``), and ``load_state_dict(d)``
  validates and restores it, so a resumed run continues bit for bit;
* there is no hidden step counter: the step comes from ``progress.step``.  The
  state remembers the last step it saw only to make ``lr(progress)`` idempotent
  within a step (a second call for the same step returns the same value and
  does not update the state twice).

Example of a state dict (``dog()`` after 3 steps of a 2-parameter problem)::

    {"version": 1, "policy": "dog", "step": 2, "lr": 0.0123,
     "x0": [0.5, -1.0], "rbar": 0.0211, "G": 3.87}

Composition.  A policy may wrap an inner schedule or policy and act as a
multiplier on it (``plateau(cosine(peak=0.1, horizon=1000))``,
``guard(dog(), max_rss_bytes=2**33)``); the inner object may also be a plain
number (a constant rate).  A wrapper's ``needs`` is the union of its own and the
inner's, and its state dict nests the inner's under ``"inner"``.  Policies have
no closed form, so ``policy(t)`` raises a ``TypeError`` that says to call
``policy.lr(progress)``; schedule combinators that accept a policy as their
inner (``warmup(dog(), steps=100)``) call ``inner.lr(progress)``.

Problem-dependent constants.  A policy that needs a property of the problem
(``polyak`` needs f*) implements ``bind(problem)``; the loop calls it when
present (wrappers forward it to their inner).  ``progress.extra["f_star"]`` is
read as a fallback.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from ..backend import namespace, to_numpy

__all__ = [
    "Policy",
    "Wrapper",
    "SIGNALS",
    "encode_float",
    "decode_float",
    "encode_vector",
    "decode_vector",
    "as_like",
    "dot",
    "norm",
    "copy",
]

#: Signals a policy may ask the loop for.
SIGNALS = frozenset({"loss", "grad_norm", "grad", "params", "probe"})


# --------------------------------------------------------------------------- state helpers

def encode_float(x) -> float | str | None:
    """A float as JSON-safe data (non-finite values become ``"inf"``, ``"-inf"``, ``"nan"``)."""
    if x is None:
        return None
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def decode_float(owner: str, key: str, value) -> float | None:
    """Inverse of :func:`encode_float`, raising ``ValueError`` on anything else."""
    if value is None:
        return None
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{owner}.load_state_dict: {key}={value!r} is not a number")
    return float(value)


def encode_vector(x) -> list | None:
    """A vector (any backend) as a list of Python floats (exact for float32 and float64)."""
    if x is None:
        return None
    return to_numpy(x).astype(np.float64, copy=False).ravel().tolist()


def decode_vector(owner: str, key: str, value) -> np.ndarray | None:
    """Inverse of :func:`encode_vector`; the array is converted to the run's backend
    and dtype at its next use (:func:`as_like`)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, Real) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"{owner}.load_state_dict: {key} must be a list of numbers")
    return np.asarray(value, dtype=np.float64)


def as_like(x, ref):
    """``x`` in the namespace, dtype and device of ``ref`` (a no-op when it already is)."""
    if type(x) is type(ref) and x.dtype == ref.dtype:
        return x
    xp = namespace(ref)
    if xp is np:
        return np.asarray(to_numpy(x), dtype=ref.dtype)
    from ..backend import device

    return xp.asarray(np.asarray(to_numpy(x)), dtype=ref.dtype, device=device(ref))


def copy(a):
    """A copy of an array in its own namespace (the loop may reuse its buffers)."""
    if type(a) is np.ndarray:
        return a.copy()
    return namespace(a).asarray(a, copy=True)


def dot(a, b) -> float:
    """Inner product of two flat vectors as a Python float."""
    if type(a) is np.ndarray:
        return float(np.dot(a, b))
    xp = namespace(a, b)
    return float(xp.sum(a * b))


def norm(a) -> float:
    """Euclidean norm of a flat vector as a Python float."""
    if type(a) is np.ndarray:
        return float(np.sqrt(np.dot(a, a)))
    xp = namespace(a)
    return float(xp.linalg.vector_norm(a))


# --------------------------------------------------------------------------- protocol

class Policy:
    """Abstract base of adaptive learning-rate policies.

    Subclasses set ``needs``, implement ``_update(progress) -> float`` (called
    once per step) and describe their state with ``_state()`` /
    ``_load_state(d)`` and ``_reset()``.
    """

    spec_name: str
    spec_kind = "policy"
    #: Policies read the step for idempotence; they have no clock of their own.
    clock = "step"
    #: Signals the loop must compute for this policy.
    needs: frozenset = frozenset()
    #: Version of the state dict layout; bump it when the layout changes.
    state_version = 1

    def __init__(self) -> None:
        # this policy's own state only: an inner policy handed to a wrapper keeps its state
        Policy.reset(self)

    # -- the one method the loop calls ---------------------------------------------------
    def lr(self, progress) -> float:
        """The learning rate for the step ``progress.step`` (idempotent within a step)."""
        step = progress.step
        if step == self._step:
            return self._lr
        value = float(self._update(progress))
        self._step = step
        self._lr = value
        return value

    def _update(self, progress) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def momentum(self, progress):
        """Momentum/beta1 override for this step; policies set none of their own."""
        return None

    def __call__(self, t):
        from ..spec import spec

        raise TypeError(
            f"{spec(self)} is an adaptive policy with no closed form s(t); "
            "call .lr(progress) instead"
        )

    def bind(self, problem) -> Policy:
        """Read problem-dependent constants (e.g. f*); the default reads none."""
        return self

    def __repr__(self) -> str:
        from ..spec import spec

        return spec(self)

    def composite(self, name: str, *args, **kwargs) -> Policy:
        """The policy-aware form of the schedule combinator ``name`` around this policy.

        ``warmup(dog(), steps=100)`` and ``scale(polyak(), factor=0.5)`` are built
        this way: the schedule combinators call ``inner.composite(name, ...)``
        when their inner is a policy (see :mod:`lrsched.policies.compose`).
        """
        from .compose import COMPOSITES

        cls = COMPOSITES.get(name)
        if cls is None:
            raise ValueError(
                f"{name}() cannot take the adaptive policy {self.spec_name}() as a part; "
                f"policies compose with {', '.join(sorted(COMPOSITES))} only"
            )
        return cls(self, *args, **kwargs)

    # -- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything learned: the state of a freshly built policy."""
        self._step = -1
        self._lr = math.nan
        self._reset()

    def _reset(self) -> None:
        pass

    def _state(self) -> dict:
        return {}

    def _load_state(self, state: dict) -> None:
        pass

    def state_dict(self) -> dict:
        """Versioned, JSON-serialisable state (see the module docstring)."""
        out = {
            "version": self.state_version,
            "policy": self.spec_name,
            "step": int(self._step),
            "lr": encode_float(self._lr),
        }
        out.update(self._state())
        return out

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from :meth:`state_dict`; raises ``ValueError`` if it does not fit
        (and then leaves the policy as it was)."""
        backup = self.state_dict()
        try:
            self._apply_state(state)
        except Exception:
            self._apply_state(backup)
            raise

    def _apply_state(self, state: dict) -> None:
        owner = self.spec_name
        if not isinstance(state, dict):
            raise ValueError(f"{owner}.load_state_dict: expected a dict, got {type(state).__name__}")
        if state.get("policy") != owner:
            raise ValueError(
                f"{owner}.load_state_dict: the state belongs to {state.get('policy')!r}, not {owner!r}"
            )
        if state.get("version") != self.state_version:
            raise ValueError(
                f"{owner}.load_state_dict: state version {state.get('version')!r} is not "
                f"supported; this version reads {self.state_version}"
            )
        expected = set(self.state_dict())
        missing = expected - set(state)
        unknown = set(state) - expected
        if missing or unknown:
            raise ValueError(
                f"{owner}.load_state_dict: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}"
            )
        step = state["step"]
        if isinstance(step, bool) or not isinstance(step, int) or step < -1:
            raise ValueError(f"{owner}.load_state_dict: step={step!r} must be an integer >= -1")
        lr = decode_float(owner, "lr", state["lr"])
        self._load_state(state)
        self._step = step
        self._lr = lr


class Wrapper(Policy):
    """A policy that multiplies an inner schedule, policy or constant by its own factor.

    Subclasses keep ``self.inner`` (the constructor argument, stored as given so
    the spec prints it) and call :meth:`inner_lr` for the inner rate.
    """

    #: Signals this wrapper reads itself (the inner's are added).
    own_needs: frozenset = frozenset()

    @staticmethod
    def check_inner(owner: str, inner) -> Any:
        if isinstance(inner, str):
            from ..spec import parse

            inner = parse(inner)
        if isinstance(inner, Real) and not isinstance(inner, bool):
            if not (math.isfinite(inner) and inner >= 0):
                raise ValueError(
                    f"{owner}: inner={inner!r} is not allowed; inner must be a schedule, "
                    "a policy or a finite number >= 0"
                )
            return inner
        if not callable(getattr(inner, "lr", None)):
            raise ValueError(
                f"{owner}: inner={inner!r} is not allowed; inner must be a schedule, "
                "a policy or a finite number >= 0"
            )
        return inner

    @property
    def needs(self) -> frozenset:  # type: ignore[override]
        return self.own_needs | frozenset(getattr(self.inner, "needs", frozenset()))

    def inner_lr(self, progress) -> float:
        inner = self.inner
        if isinstance(inner, Real):
            return float(inner)
        return float(inner.lr(progress))

    def momentum(self, progress):
        fn = getattr(self.inner, "momentum", None)
        return None if fn is None else fn(progress)

    def bind(self, problem) -> Policy:
        fn = getattr(self.inner, "bind", None)
        if fn is not None:
            fn(problem)
        return self

    def reset(self) -> None:
        super().reset()
        fn = getattr(self.inner, "reset", None)
        if fn is not None:
            fn()

    def state_dict(self) -> dict:
        out = super().state_dict()
        fn = getattr(self.inner, "state_dict", None)
        out["inner"] = fn() if fn is not None else {}
        return out

    def _apply_state(self, state: dict) -> None:
        inner_state = state.get("inner") if isinstance(state, dict) else None
        if not isinstance(inner_state, dict):
            raise ValueError(f"{self.spec_name}.load_state_dict: 'inner' must be a dict")
        super()._apply_state(state)
        fn = getattr(self.inner, "load_state_dict", None)
        if fn is not None:
            fn(inner_state)
