"""``dog``: Distance over Gradients (Ivgi, Hinder, Carmon, 2023)."""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import Policy, as_like, copy, decode_float, decode_vector, encode_float, encode_vector
from .base import norm as vector_norm

__all__ = ["DoG"]


@register("policy", "dog")
class DoG(Policy):
    r"""A parameter-free step: the distance travelled over the root of the summed squared gradients.

    .. math::

        \bar r_t = \max\bigl(\bar r_{t-1},\ \lVert x_t - x_0\rVert\bigr),\quad
        \bar r_0 = r_\epsilon = \text{reps\_rel}\,(1 + \lVert x_0\rVert),\qquad
        G_t = \epsilon + \sum_{i \le t} \lVert g_i\rVert^2,\qquad
        \eta_t = \frac{\bar r_t}{\sqrt{G_t}} .

    The first step moves by ``r_eps`` (a tiny, scale-aware distance); the step
    then grows geometrically while the iterates move away from ``x_0`` and
    settles once the distance stops growing.  The state holds a copy of
    ``x_0``.  The authors recommend evaluating a polynomial-decay average of
    the iterates; this policy sets the rate only (the iterates are plain SGD),
    as does the reference package's ``DoG`` optimizer, whose trajectory it
    reproduces.

    Parameters
    ----------
    reps_rel : float
        Relative size of the first step, ``r_eps / (1 + ||x0||)`` (the paper
        suggests 1e-6, or 1e-4 with batch normalisation).
    eps : float
        Added to the sum of squared gradients (as in the reference package).

    Examples
    --------
    >>> import numpy as np
    >>> from lrsched.progress import Progress
    >>> dog = DoG(reps_rel=0.1, eps=0.0)
    >>> dog.lr(Progress(step=0, params=np.array([3.0, 4.0]), grad_norm=2.0))  # 0.1*6/2
    0.30000000000000004
    >>> dog.lr(Progress(step=1, params=np.array([3.0, 5.0]), grad_norm=1.0))  # 1/sqrt(5)
    0.4472135954999579

    References
    ----------
    M. Ivgi, O. Hinder, Y. Carmon, "DoG is SGD's best friend: a parameter-free
    dynamic step size schedule", ICML 2023.  Reference package: ``dog-optimizer``.
    """

    needs = frozenset({"params", "grad_norm"})

    def __init__(self, reps_rel=1e-6, eps=1e-8):
        owner = "dog"
        self.reps_rel = _checks.number(owner, "reps_rel", reps_rel, low=0, low_open=True)
        self.eps = _checks.number(owner, "eps", eps, low=0)
        super().__init__()

    def _reset(self) -> None:
        self.x0 = None
        self.rbar = 0.0
        self.G = 0.0

    def _state(self) -> dict:
        return {"x0": encode_vector(self.x0), "rbar": encode_float(self.rbar),
                "G": encode_float(self.G)}

    def _load_state(self, state: dict) -> None:
        owner = "dog"
        x0 = decode_vector(owner, "x0", state["x0"])
        rbar = decode_float(owner, "rbar", state["rbar"])
        G = decode_float(owner, "G", state["G"])
        for key, value in (("rbar", rbar), ("G", G)):
            if value is None or not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"dog.load_state_dict: {key}={value!r} must be a finite number >= 0")
        self.x0, self.rbar, self.G = x0, rbar, G

    def _update(self, progress) -> float:
        params = progress.params
        g2 = progress.grad_norm * progress.grad_norm
        if self.x0 is None:
            self.x0 = copy(params)
            self.rbar = self.reps_rel * (1.0 + vector_norm(params))
            self.G = g2 + self.eps
        else:
            x0 = self.x0 = as_like(self.x0, params)
            self.rbar = max(self.rbar, vector_norm(params - x0))
            self.G += g2
        if self.G <= 0.0:  # a zero gradient with eps=0: nothing to scale by yet
            return 0.0
        return self.rbar / math.sqrt(self.G)
