"""``decsps``: the decreasing stochastic Polyak step size (Orvieto et al., 2022)."""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import Policy, decode_float, encode_float

__all__ = ["DecSPS"]


@register("policy", "decsps")
class DecSPS(Policy):
    r"""Polyak's step without ``f*``: DecSPS.

    With :math:`c_k = c_0\sqrt{k+1}` and :math:`\ell^*` a lower bound on the
    minibatch losses (``lower``, 0 for the non-negative losses of this package),

    .. math::

        \gamma_k = \frac{1}{c_k}\,\min\left(
            \frac{f_{S_k}(x_k) - \ell^*}{\lVert\nabla f_{S_k}(x_k)\rVert^2},\;
            c_{k-1}\gamma_{k-1}\right),
        \qquad c_{-1}\gamma_{-1} = c_0\,\gamma_b,

    where :math:`\gamma_b` is ``max_lr``.  The steps are non-increasing and
    bounded, and DecSPS converges at rate :math:`O(1/\sqrt{k})` on convex
    problems without interpolation and without knowing ``f*``; on strongly
    convex problems it is much slower than SPS with the exact ``f*`` (the price
    of the decreasing factor ``1/sqrt(k+1)``).  The step index ``k`` is
    ``progress.step``.  As published, a minibatch loss at the lower bound
    gives a zero step and, the steps being non-increasing, zero from then on:
    ``lower`` must lie strictly below the losses the run can reach.

    Parameters
    ----------
    c0 : float
        Initial scaling ``c_0`` (> 0).
    max_lr : float
        The bound ``gamma_b`` on the first step.
    lower : float
        Lower bound ``ell*`` on the minibatch losses.

    Examples
    --------
    >>> from lrsched.progress import Progress
    >>> d = DecSPS(c0=1.0, max_lr=10.0)
    >>> d.lr(Progress(step=0, loss=2.0, grad_norm=1.0))   # min(2/1, 1*10) / 1
    2.0
    >>> d.lr(Progress(step=1, loss=1.0, grad_norm=0.5))   # min(1/0.25, 1*2) / sqrt(2)
    1.414213562373095

    References
    ----------
    A. Orvieto, S. Lacoste-Julien, N. Loizou, "Dynamics of SGD with stochastic
    Polyak stepsizes: truly adaptive variants and convergence to exact
    solution", NeurIPS 2022 (Eq. 6, DecSPS).
    """

    needs = frozenset({"loss", "grad_norm"})

    def __init__(self, c0=1.0, max_lr=10.0, lower=0.0):
        owner = "decsps"
        self.c0 = _checks.number(owner, "c0", c0, low=0, low_open=True)
        self.max_lr = _checks.number(owner, "max_lr", max_lr, low=0, low_open=True)
        self.lower = _checks.number(owner, "lower", lower)
        super().__init__()

    def _reset(self) -> None:
        # c_{k-1} * gamma_{k-1}: the bound the next step may not exceed (times c_k)
        self.bound = self.c0 * self.max_lr

    def _state(self) -> dict:
        return {"bound": encode_float(self.bound)}

    def _load_state(self, state: dict) -> None:
        bound = decode_float("decsps", "bound", state["bound"])
        if bound is None or not (bound >= 0 and math.isfinite(bound)):
            raise ValueError(f"decsps.load_state_dict: bound={bound!r} must be a finite number >= 0")
        self.bound = bound

    def _update(self, progress) -> float:
        c_k = self.c0 * math.sqrt(progress.step + 1)
        g2 = progress.grad_norm * progress.grad_norm
        gap = max(progress.loss - self.lower, 0.0)
        polyak = gap / g2 if g2 > 0.0 else math.inf
        lr = min(polyak, self.bound) / c_k
        self.bound = c_k * lr
        return lr
