"""``adagrad_norm``: AdaGrad with one scalar step size (Ward, Wu, Bottou, 2019)."""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import Policy, decode_float, encode_float

__all__ = ["AdaGradNorm"]


@register("policy", "adagrad_norm")
class AdaGradNorm(Policy):
    r"""The norm version of AdaGrad: one rate that shrinks with the accumulated gradient norms.

    .. math::

        b_{k+1}^2 = b_k^2 + \lVert g_k\rVert^2,\qquad \eta_k = \frac{\eta}{b_{k+1}},

    so the current gradient is included before the step (Ward et al., Alg. 1).
    The rate is robust to the choice of ``eta`` and ``b0``: if ``b0`` is too
    small the first steps are long and ``b`` catches up after a few large
    gradients (the paper shows ``b`` overshoots the ideal ``L`` by at most a
    constant factor); convergence is :math:`O(\log k/\sqrt{k})` for smooth
    non-convex stochastic problems without knowing ``L``.

    Parameters
    ----------
    eta : float
        Numerator of the rate (> 0).
    b0 : float
        Initial accumulator ``b_0`` (> 0).

    Examples
    --------
    >>> from lrsched.progress import Progress
    >>> a = AdaGradNorm(eta=1.0, b0=3.0)
    >>> a.lr(Progress(step=0, grad_norm=4.0))  # 1/sqrt(9 + 16)
    0.2

    References
    ----------
    R. Ward, X. Wu, L. Bottou, "AdaGrad stepsizes: sharp convergence over
    nonconvex landscapes", ICML 2019 (JMLR 2020).
    """

    needs = frozenset({"grad_norm"})

    def __init__(self, eta=1.0, b0=1e-2):
        owner = "adagrad_norm"
        self.eta = _checks.number(owner, "eta", eta, low=0, low_open=True)
        self.b0 = _checks.number(owner, "b0", b0, low=0, low_open=True)
        super().__init__()

    def _reset(self) -> None:
        self.b2 = self.b0 * self.b0

    def _state(self) -> dict:
        return {"b2": encode_float(self.b2)}

    def _load_state(self, state: dict) -> None:
        b2 = decode_float("adagrad_norm", "b2", state["b2"])
        if b2 is None or not (b2 > 0 and math.isfinite(b2)):
            raise ValueError(f"adagrad_norm.load_state_dict: b2={b2!r} must be a finite number > 0")
        self.b2 = b2

    def _update(self, progress) -> float:
        g = progress.grad_norm
        self.b2 += g * g
        return self.eta / math.sqrt(self.b2)
