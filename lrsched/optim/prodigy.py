"""Prodigy: Adam with a learning rate that estimates the distance to the solution (Mishchenko & Defazio, 2024)."""

from __future__ import annotations

import math

from .. import _checks
from ..backend import namespace
from ..spec import register
from .base import Optimizer

__all__ = ["Prodigy"]


def _dot(a, b) -> float:
    xp = namespace(a, b)
    if xp.__name__ == "numpy":
        return float(xp.dot(a, b))
    return float(xp.sum(a * b))


def _abs_sum(a) -> float:
    xp = namespace(a)
    return float(xp.sum(xp.abs(a)))


@register("optimizer", "prodigy")
class Prodigy(Optimizer):
    r"""Adam whose step size is set by a running estimate ``d`` of ``||x0 - x*||``.

    The package ``prodigyopt``'s ``Prodigy`` (version 1.1) on one flat
    parameter vector, operation for operation.  With the learning rate
    ``lr`` from the schedule (leave it at 1; use a schedule such as a cosine
    to anneal it), gradient :math:`g`, :math:`\beta_3 = \sqrt{\beta_2}` by
    default and :math:`\delta_k = d_k\,\mathrm{lr}_k\,\rho_k` (:math:`\rho_k` the
    optional Adam bias correction):

    .. math::

        r_{k+1} &= \beta_3 r_k + \tfrac{d_k}{d_0}\,\delta_k\; g\cdot(x_0 - x_k) \\
        m &\leftarrow \beta_1 m + d_k (1-\beta_1) g,\qquad
        v \leftarrow \beta_2 v + d_k^2 (1-\beta_2) g^2 \\
        s &\leftarrow \beta_3 s + \tfrac{d_k}{d_0}\,\delta_k\, g \\
        \hat d &= d_\text{coef}\, r_{k+1} / \lVert s\rVert_1,\qquad
        d_\text{max} \leftarrow \max(d_\text{max}, \hat d),\qquad
        d_{k+1} = \min(d_\text{max},\ d_k \cdot \text{growth\_rate}) \\
        x &\leftarrow x - \delta_k\, m / (\sqrt{v} + d_{k+1}\epsilon)

    (on the first step ``d`` only increases: ``d = max(d, d_hat)`` while it
    equals ``d0``; ``safeguard_warmup`` drops ``lr`` from the ``s`` update;
    ``weight_decay`` is added to the gradient, or with ``decouple`` the
    parameters shrink by ``1 - weight_decay * delta_k``; ``slice_p > 1``
    estimates ``d`` from every ``slice_p``-th coordinate only).  A step with a
    zero gradient changes nothing, as in the package.

    Parameters
    ----------
    beta1, beta2 : float
        Adam's moment decay rates, in ``[0, 1)``.  ``step(..., momentum=b)``
        replaces ``beta1`` for one step.
    beta3 : float, optional
        Decay of the ``d`` statistics (default ``sqrt(beta2)``).
    eps : float
        Added to the denominator, scaled by ``d``.
    weight_decay : float
        L2 penalty (decoupled with ``decouple=True``).
    decouple : bool
    use_bias_correction : bool
    safeguard_warmup : bool
    d0 : float
        Initial estimate of ``d``.
    d_coef : float
        Multiplier of the estimate (the recommended way to tune Prodigy).
    growth_rate : float
        Largest growth factor of ``d`` per step (``inf``: unrestricted).
    slice_p : int
        Use every ``slice_p``-th coordinate for the ``d`` statistics.

    State
    -----
    ``{"step": int, "d": float, "d_max": float, "d_numerator": float,
    "p0": array, "s": array, "exp_avg": array or None, "exp_avg_sq": array}``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Prodigy()
    >>> p = np.array([1.0, -2.0]); state = opt.init(p)
    >>> p = opt.step(p, np.array([0.5, 0.5]), 1.0, state)
    >>> state["d"]   # d0: the first gradient carries no distance information yet
    1e-06

    References
    ----------
    K. Mishchenko, A. Defazio, "Prodigy: an expeditiously adaptive
    parameter-free learner", ICML 2024.  Reference package: ``prodigyopt``.
    """

    def __init__(self, beta1=0.9, beta2=0.999, beta3=None, eps=1e-8, weight_decay=0.0,
                 decouple=True, use_bias_correction=False, safeguard_warmup=False, d0=1e-6,
                 d_coef=1.0, growth_rate=math.inf, slice_p=1):
        owner = "prodigy"
        self.beta1 = _checks.number(owner, "beta1", beta1, low=0, high=1, high_open=True)
        self.beta2 = _checks.number(owner, "beta2", beta2, low=0, high=1, high_open=True)
        self.beta3 = _checks.number(owner, "beta3", beta3, low=0, high=1, none=True)
        self.eps = _checks.number(owner, "eps", eps, low=0, low_open=True)
        self.weight_decay = _checks.number(owner, "weight_decay", weight_decay, low=0)
        self.decouple = _checks.boolean(owner, "decouple", decouple)
        self.use_bias_correction = _checks.boolean(owner, "use_bias_correction",
                                                   use_bias_correction)
        self.safeguard_warmup = _checks.boolean(owner, "safeguard_warmup", safeguard_warmup)
        self.d0 = _checks.number(owner, "d0", d0, low=0, low_open=True)
        self.d_coef = _checks.number(owner, "d_coef", d_coef, low=0, low_open=True)
        self.growth_rate = _checks.number(owner, "growth_rate", growth_rate, low=1, finite=False)
        self.slice_p = _checks.integer(owner, "slice_p", slice_p, low=1)

    def init(self, params):
        """State: counters, the ``d`` estimates, ``x0`` and the moment buffers (zeros)."""
        xp = namespace(params)
        p0 = xp.asarray(params[:: self.slice_p], copy=True)
        return {
            "step": 0,
            "d": self.d0,
            "d_max": self.d0,
            "d_numerator": 0.0,
            "p0": p0,
            "s": xp.zeros_like(p0),
            "exp_avg": xp.zeros_like(params) if self.beta1 > 0 else None,
            "exp_avg_sq": xp.zeros_like(params),
        }

    def step(self, params, grad, lr, state, *, momentum=None):
        """One update of ``params`` (in place on mutable backends); returns ``params``."""
        xp = namespace(params, grad)
        lr = float(lr)
        beta1 = self.beta1 if momentum is None else float(momentum)
        beta2 = self.beta2
        beta3 = math.sqrt(beta2) if self.beta3 is None else self.beta3
        k = state["step"]
        d, d_max, d0 = state["d"], state["d_max"], self.d0
        if self.use_bias_correction:
            bias_correction = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1))
        else:
            bias_correction = 1
        dlr = d * lr * bias_correction
        d_numerator = state["d_numerator"] * beta3

        g = grad
        if self.weight_decay != 0 and not self.decouple:
            g = g + self.weight_decay * params

        s, p0 = state["s"], state["p0"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        use_m = m is not None and beta1 > 0  # a momentum override acts only when beta1 > 0
        d_denom = 0.0
        delta_numerator = 0.0
        if lr > 0.0:
            sliced = g[:: self.slice_p]
            delta_numerator = (d / d0) * dlr * _dot(sliced, p0 - params[:: self.slice_p])
            if use_m:
                m *= beta1
                m += (d * (1 - beta1)) * g
            v *= beta2
            v += ((d * d * (1 - beta2)) * g) * g  # addcmul_(g, g, value=...) order
            s *= beta3
            s += ((d / d0) * (d if self.safeguard_warmup else dlr)) * sliced
            state["s"], state["exp_avg"], state["exp_avg_sq"] = s, m, v
            d_denom = _abs_sum(s)
        if d_denom == 0:  # no gradient information yet: nothing moves (as the package)
            return params

        d_numerator = d_numerator + delta_numerator
        d_hat = self.d_coef * d_numerator / d_denom
        if d == d0:
            d = max(d, d_hat)
        d_max = max(d_max, d_hat)
        d = min(d_max, d * self.growth_rate)
        state.update(step=k + 1, d=d, d_max=d_max, d_numerator=d_numerator)

        denom = xp.sqrt(v) + d * self.eps
        if self.weight_decay != 0 and self.decouple:
            params += (-self.weight_decay * dlr) * params
        if use_m:
            params += (-dlr) * (m / denom)
        else:
            params += (-dlr * d) * (g / denom)
        return params
