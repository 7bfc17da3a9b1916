"""A simulated machine for resource-aware policies: a fake clock and a throttled problem.

Tests and demonstrations of time-budget schedules and of :class:`~lrsched.policies.Guard`
need a machine whose speed changes mid-run, deterministically and without
waiting.  :class:`FakeClock` is a monotonic clock that only moves when told to;
:class:`ThrottledProblem` wraps a problem and advances the clock by the cost of
each gradient (``step_seconds``, multiplied by ``slowdown`` once the clock has
passed ``after_seconds``), as a machine that throttles (thermal limits, a
co-tenant) would.  :func:`patched_loop_clock` points the training loop's clock
at a :class:`FakeClock` for the duration of a ``with`` block.

>>> clock = FakeClock()
>>> from lrsched.spec import parse
>>> p = ThrottledProblem(parse("quadratic(dim=3, kappa=2.0)"), clock, step_seconds=0.01,
...                      after_seconds=0.02, slowdown=3.0)
>>> x = p.init(0)
>>> for _ in range(4):
...     _ = p.loss_and_grad(x)
>>> round(clock(), 6)   # 0.01 + 0.01 + 0.03 + 0.03
0.08
"""

from __future__ import annotations

import contextlib
import time as _time
import types

__all__ = ["FakeClock", "ThrottledProblem", "patched_loop_clock"]


class FakeClock:
    """A monotonic clock in seconds that advances only through :meth:`advance`."""

    def __init__(self, start: float = 0.0):
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"FakeClock.advance: seconds={seconds!r} must be >= 0")
        self.now += seconds


class ThrottledProblem:
    """``problem`` on a machine that slows down by ``slowdown`` after ``after_seconds``.

    Every ``loss_and_grad`` costs ``step_seconds`` of fake time (times
    ``slowdown`` once the clock reads ``after_seconds`` or more); every
    ``loss`` on a minibatch (a line-search probe) costs ``probe_share`` of
    that; full-objective evaluations are free.  Everything else is delegated
    to the wrapped problem.
    """

    spec_kind = "problem"

    def __init__(self, problem, clock: FakeClock, *, step_seconds: float,
                 after_seconds: float = float("inf"), slowdown: float = 1.0,
                 probe_share: float = 0.5):
        if not step_seconds > 0 or not slowdown > 0:
            raise ValueError("ThrottledProblem: step_seconds and slowdown must be > 0")
        self.problem = problem
        self.clock = clock
        self.step_seconds = float(step_seconds)
        self.after_seconds = float(after_seconds)
        self.slowdown = float(slowdown)
        self.probe_share = float(probe_share)

    def __getattr__(self, name):  # n_samples, dim, f_star, init, batches, ...
        if name == "problem":
            raise AttributeError(name)
        return getattr(self.problem, name)

    def cost(self) -> float:
        """Seconds one gradient costs now."""
        slow = self.clock() >= self.after_seconds
        return self.step_seconds * (self.slowdown if slow else 1.0)

    def loss_and_grad(self, params, batch=None):
        self.clock.advance(self.cost())
        return self.problem.loss_and_grad(params, batch)

    def loss(self, params, batch=None):
        if batch is not None:
            self.clock.advance(self.probe_share * self.cost())
        return self.problem.loss(params, batch)

    def spec(self) -> str:
        from ..spec import spec

        return (f"throttled({spec(self.problem)}, step_seconds={self.step_seconds!r}, "
                f"after_seconds={self.after_seconds!r}, slowdown={self.slowdown!r})")


@contextlib.contextmanager
def patched_loop_clock(clock: FakeClock):
    """Run :func:`lrsched.train` on ``clock`` inside the block (``monitor=None`` runs only).

    The loop reads ``time.perf_counter`` through its module's ``time`` name; this
    swaps that name for a namespace whose ``perf_counter`` is ``clock``.
    """
    from .. import loop

    shim = types.SimpleNamespace(**{k: getattr(_time, k) for k in dir(_time)
                                    if not k.startswith("_")})
    shim.perf_counter = clock
    saved = loop.time
    loop.time = shim
    try:
        yield clock
    finally:
        loop.time = saved
