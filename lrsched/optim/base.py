"""The optimizer protocol: explicit state, learning rate passed in every step.

An optimizer never owns the learning rate (the schedule or policy does) and
never hides state: ``state = opt.init(params)`` returns a dict of arrays and
counters, and ``params = opt.step(params, grad, lr, state)`` updates both in
place on mutable backends (and returns ``params``, which immutable backends
must use).  ``momentum=`` overrides the momentum (SGD) or beta1 (Adam family)
for one step, which is how momentum cycling (``onecycle``, ``cyclic``) is applied.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Optimizer"]


class Optimizer:
    """Abstract base of all optimizers."""

    spec_name: str
    spec_kind = "optimizer"

    def init(self, params) -> dict[str, Any]:
        raise NotImplementedError

    def step(self, params, grad, lr: float, state: dict, *, momentum: float | None = None):
        raise NotImplementedError

    def eval_params(self, params, state: dict):
        """Parameters at which the loss is reported (Schedule-Free reports at x, not y)."""
        return params
