"""``hypergradient``: SGD with hypergradient descent on the rate, SGD-HD (Baydin et al., 2018)."""

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

__all__ = ["Hypergradient"]


@register("policy", "hypergradient")
class Hypergradient(Policy):
    r"""Learn the rate by gradient descent on it: SGD-HD.

    For the SGD update :math:`x_t = x_{t-1} - \alpha_t \nabla f(x_{t-1})`, the
    derivative of :math:`f(x_{t-1})` with respect to :math:`\alpha_{t-1}` is
    :math:`-\nabla f(x_{t-1})\cdot\nabla f(x_{t-2})`, so one step of gradient
    descent on the rate is

    .. math::

        \alpha_t = \alpha_{t-1} + \beta\,\nabla f(x_{t-1})\cdot\nabla f(x_{t-2}),

    i.e. with the gradients ``g_k`` the loop hands over, ``lr_k = lr_{k-1} +
    beta * (g_k . g_{k-1})`` and ``lr_0 = init``.  The rate grows while
    consecutive gradients agree and shrinks when they oscillate.  Unlike the
    paper the rate is kept ``>= 0`` (a negative rate would ascend; the loop
    treats one as a divergence); the projection is inactive unless the rule
    itself would go negative.

    Parameters
    ----------
    init : float
        Initial rate ``alpha_0``.
    beta : float
        Hypergradient step size (units of rate squared per gradient squared).
        The paper's defaults for SGD-HD are ``init=0.001, beta=0.001``.

    Examples
    --------
    >>> import numpy as np
    >>> from lrsched.progress import Progress
    >>> h = Hypergradient(init=0.1, beta=0.01)
    >>> h.lr(Progress(step=0, grad=np.array([1.0, 2.0])))
    0.1
    >>> h.lr(Progress(step=1, grad=np.array([3.0, -1.0])))  # 0.1 + 0.01*(3 - 2)
    0.11

    References
    ----------
    A. G. Baydin, R. Cornish, D. Martínez Rubio, M. Schmidt, F. Wood, "Online
    learning rate adaptation with hypergradient descent", ICLR 2018 (Alg. 1
    and 2, SGD-HD).
    """

    needs = frozenset({"grad"})

    def __init__(self, init=1e-3, beta=1e-3):
        owner = "hypergradient"
        self.init = _checks.number(owner, "init", init, low=0)
        self.beta = _checks.number(owner, "beta", beta, low=0)
        super().__init__()

    def _reset(self) -> None:
        self.rate = self.init
        self.previous = None  # g_{k-1}

    def _state(self) -> dict:
        return {"rate": encode_float(self.rate), "previous": encode_vector(self.previous)}

    def _load_state(self, state: dict) -> None:
        rate = decode_float("hypergradient", "rate", state["rate"])
        if rate is None or not (rate >= 0 and math.isfinite(rate)):
            raise ValueError(f"hypergradient.load_state_dict: rate={rate!r} must be >= 0")
        previous = decode_vector("hypergradient", "previous", state["previous"])
        self.rate, self.previous = rate, previous

    def _update(self, progress) -> float:
        grad = progress.grad
        previous = self.previous
        if previous is not None:
            if previous.shape != grad.shape:
                raise ValueError(
                    f"hypergradient: the gradient has shape {tuple(grad.shape)} but the "
                    f"stored one {tuple(previous.shape)}; reset() the policy for a new problem"
                )
            previous = as_like(previous, grad)
            self.rate = max(self.rate + self.beta * dot(grad, previous), 0.0)
        # the loop may reuse the gradient buffer, so keep a copy
        self.previous = copy(grad)
        return self.rate
