"""``dadapt``: D-Adaptation for SGD (Defazio & Mishchenko, 2023)."""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import (
    Policy,
    as_like,
    copy,
    decode_float,
    decode_vector,
    dot,
    encode_float,
    encode_vector,
)
from .base import norm as vector_norm

__all__ = ["DAdapt"]


@register("policy", "dadapt")
class DAdapt(Policy):
    r"""Learning-rate-free SGD that estimates the distance to the solution, D.

    The package ``dadaptation``'s ``DAdaptSGD`` (without momentum), written as
    a rate for plain SGD.  With :math:`d_0` the initial estimate and
    :math:`\lVert g_0\rVert` the first gradient's norm, at step ``k``:

    .. math::

        \lambda_k = \frac{d_k}{\lVert g_0\rVert},\quad
        n_{k+1} = n_k + \lambda_k\, g_k\cdot s_k,\quad
        s_{k+1} = s_k + \lambda_k g_k,\quad
        \hat d = \frac{2\,n_{k+1}}{\lVert s_{k+1}\rVert},\quad
        d_{k+1} = \max\bigl(d_k, \min(\hat d, d_k\cdot\text{growth})\bigr),

    and the step is :math:`x_{k+1} = x_k - \lambda_k g_k` (the package writes it
    :math:`x_{k+1} = x_0 - s_{k+1}`, the same for SGD).  ``d`` is a lower bound
    on :math:`\lVert x_0 - x^*\rVert` that only grows; the rate settles at about
    ``D / ||g_0||``.  The state holds the weighted gradient sum ``s``.

    Parameters
    ----------
    d0 : float
        Initial estimate of D (rarely needs changing).
    growth : float
        Largest factor by which ``d`` may grow per step (``inf``: unrestricted;
        values like 1.02 act as a warmup).

    Examples
    --------
    With a constant gradient, ``d_hat = (k - 1) d`` after step ``k``, so ``d``
    doubles after the third step and the fourth step is twice as long:

    >>> import numpy as np
    >>> from lrsched.progress import Progress
    >>> d = DAdapt(d0=0.5)
    >>> [d.lr(Progress(step=k, grad=np.array([2.0, 0.0]))) for k in range(4)]
    [0.25, 0.25, 0.25, 0.5]

    References
    ----------
    A. Defazio, K. Mishchenko, "Learning-rate-free learning by D-Adaptation",
    ICML 2023 (Algorithm 1, D-Adapted SGD).  Reference package: ``dadaptation``
    (``DAdaptSGD``).
    """

    needs = frozenset({"grad"})

    def __init__(self, d0=1e-6, growth=math.inf):
        owner = "dadapt"
        self.d0 = _checks.number(owner, "d0", d0, low=0, low_open=True)
        self.growth = _checks.number(owner, "growth", growth, low=1, finite=False)
        super().__init__()

    def _reset(self) -> None:
        self.d = self.d0
        self.numerator = 0.0
        self.g0_norm = None
        self.s = None

    def _state(self) -> dict:
        return {"d": encode_float(self.d), "numerator": encode_float(self.numerator),
                "g0_norm": encode_float(self.g0_norm), "s": encode_vector(self.s)}

    def _load_state(self, state: dict) -> None:
        owner = "dadapt"
        d = decode_float(owner, "d", state["d"])
        numerator = decode_float(owner, "numerator", state["numerator"])
        g0_norm = decode_float(owner, "g0_norm", state["g0_norm"])
        s = decode_vector(owner, "s", state["s"])
        if d is None or not (d > 0 and math.isfinite(d)):
            raise ValueError(f"dadapt.load_state_dict: d={d!r} must be a finite number > 0")
        if numerator is None or not math.isfinite(numerator):
            raise ValueError(f"dadapt.load_state_dict: numerator={numerator!r} must be finite")
        if g0_norm is not None and not (g0_norm > 0 and math.isfinite(g0_norm)):
            raise ValueError(f"dadapt.load_state_dict: g0_norm={g0_norm!r} must be > 0")
        if (g0_norm is None) != (s is None):
            raise ValueError("dadapt.load_state_dict: g0_norm and s are set together")
        self.d, self.numerator, self.g0_norm, self.s = d, numerator, g0_norm, s

    def _update(self, progress) -> float:
        grad = progress.grad
        if self.g0_norm is None:
            g0 = vector_norm(grad)
            if g0 == 0.0:  # nothing to scale by until a gradient is non-zero
                return 0.0
            self.g0_norm = g0
            self.s = copy(grad) * 0.0
        s = self.s = as_like(self.s, grad)
        d = self.d
        dlr = d / self.g0_norm
        self.numerator += dlr * dot(grad, s)
        s += dlr * grad
        self.s = s  # in place on NumPy and torch; a new array on immutable backends
        sk = vector_norm(s)
        if sk == 0.0:
            return 0.0
        d_hat = 2.0 * self.numerator / sk
        self.d = max(d, min(d_hat, d * self.growth))
        return dlr
