"""The schedule protocol: a pure function of one clock value.

``s(t)`` returns a Python float for a number and an array for an array of clock
values; ``s.lr(progress)`` reads ``t`` from the :class:`~lrsched.progress.Progress`
field named by ``s.clock``.  A schedule keeps no state: the clock comes in.
"""

from __future__ import annotations

from ..progress import CLOCKS

__all__ = ["Schedule"]


class Schedule:
    """Abstract base of closed-form schedules."""

    spec_name: str
    spec_kind = "schedule"
    clock: str = "step"
    #: Signals the loop must compute for this object (schedules read none).
    needs: frozenset = frozenset()

    def __call__(self, t):
        raise NotImplementedError

    def lr(self, progress) -> float:
        return self(getattr(progress, self.clock))

    def momentum(self, progress):
        """Momentum/beta1 to apply this step, or ``None`` (only cycling schedules set it)."""
        return None

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        return None


def check_clock(owner: str, clock: str) -> str:
    if clock not in CLOCKS:
        raise ValueError(
            f"{owner}: clock={clock!r} is not allowed; clock must be one of "
            + ", ".join(repr(c) for c in CLOCKS)
        )
    return clock
