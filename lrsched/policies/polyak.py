"""``polyak``: the stochastic Polyak step size, SPS_max (Loizou et al., 2021)."""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import Policy, decode_float, encode_float

__all__ = ["Polyak"]


@register("policy", "polyak")
class Polyak(Policy):
    r"""Polyak's step size with a cap: SPS_max.

    .. math::

        \gamma_k = \min\left(\frac{f_{S_k}(x_k) - f^*}{c\,\lVert\nabla f_{S_k}(x_k)\rVert^2},
                             \gamma_{\max}\right),

    and ``0`` when the loss is already below ``f*`` (or the gradient is zero).
    With the exact optimal value and a full batch this is Polyak's (1987)
    step, which on a strongly convex quadratic gives linear convergence with no
    knowledge of ``L`` or ``mu``; ``c = 1/2`` is the value of the theory.  With
    minibatches, SPS needs the minibatch optimal values ``f*_S``; using the
    full objective's ``f*`` (what this policy does) is exact for interpolating
    problems and otherwise converges to a neighbourhood whose size ``max_lr``
    controls.

    Parameters
    ----------
    max_lr : float
        Cap ``gamma_max`` on the step (``inf`` for none).
    c : float
        Scaling of the denominator (> 0).
    f_star : float, optional
        The optimal value.  When ``None`` it is read from the problem through
        :meth:`bind` (the loop calls it; ``problem.f_star``), or else from
        ``progress.extra["f_star"]``; a run where none of them is known stops
        with a ``ValueError`` naming the fix.

    Examples
    --------
    >>> from lrsched.progress import Progress
    >>> Polyak(f_star=1.0).lr(Progress(loss=3.0, grad_norm=2.0))  # (3-1)/(0.5*4)
    1.0

    References
    ----------
    B. T. Polyak, *Introduction to Optimization*, 1987, §5.3.
    N. Loizou, S. Vaswani, I. Laradji, S. Lacoste-Julien, "Stochastic Polyak
    step-size for SGD: an adaptive learning rate for fast convergence",
    AISTATS 2021.
    """

    needs = frozenset({"loss", "grad_norm"})

    def __init__(self, max_lr=math.inf, c=0.5, f_star=None):
        owner = "polyak"
        self.max_lr = _checks.number(owner, "max_lr", max_lr, low=0, low_open=True, finite=False)
        self.c = _checks.number(owner, "c", c, low=0, low_open=True)
        self.f_star = _checks.number(owner, "f_star", f_star, none=True)
        self._bound_f_star = None
        super().__init__()

    def bind(self, problem) -> Polyak:
        """Take ``f*`` from ``problem.f_star`` unless it was given (the spec is unchanged)."""
        if self.f_star is None:
            value = getattr(problem, "f_star", None)
            self._bound_f_star = None if value is None else float(value)
        return self

    def optimal_value(self, progress) -> float:
        if self.f_star is not None:
            return self.f_star
        if self._bound_f_star is not None:
            return self._bound_f_star
        value = progress.extra.get("f_star") if progress.extra else None
        if value is None:
            raise ValueError(
                "polyak: f* is unknown; pass polyak(f_star=...), call policy.bind(problem) with "
                "a problem whose f_star is known, or set progress.extra['f_star']"
            )
        return float(value)

    def _update(self, progress) -> float:
        gap = progress.loss - self.optimal_value(progress)
        g2 = progress.grad_norm * progress.grad_norm
        if not gap > 0.0 or g2 == 0.0:
            return 0.0
        return min(gap / (self.c * g2), self.max_lr)

    # the bound f* is configuration taken from the problem, and is saved with the
    # state so that a resumed policy does not need to be bound again
    def _reset(self) -> None:
        pass

    def _state(self) -> dict:
        return {"bound_f_star": encode_float(self._bound_f_star)}

    def _load_state(self, state: dict) -> None:
        value = decode_float("polyak", "bound_f_star", state["bound_f_star"])
        if value is not None and not math.isfinite(value):
            raise ValueError(f"polyak.load_state_dict: bound_f_star={value!r} must be finite")
        self._bound_f_star = value
