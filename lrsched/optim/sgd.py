"""Stochastic gradient descent with momentum, exactly as ``torch.optim.SGD``."""

from __future__ import annotations

from .. import _checks
from ..backend import namespace
from ..spec import register
from . import _dispatch
from .base import Optimizer

__all__ = ["SGD"]


@register("optimizer", "sgd")
class SGD(Optimizer):
    r"""SGD with optional (Nesterov) momentum, dampening and L2 weight decay (torch.optim.SGD).

    With gradient :math:`g_t` at :math:`p_{t-1}`, learning rate :math:`\eta_t`,
    momentum :math:`\mu`, dampening :math:`\tau` and weight decay :math:`\lambda`:

    .. math::

        g &\leftarrow g_t + \lambda p_{t-1} \\
        b_t &= \begin{cases} g & \text{first step with } \mu \ne 0 \\
                             \mu b_{t-1} + (1-\tau) g & \text{otherwise} \end{cases} \\
        d &= g + \mu b_t \ \text{(Nesterov)} \quad\text{or}\quad d = b_t \\
        p_t &= p_{t-1} - \eta_t d

    (no buffer at all when :math:`\mu = 0`).  This is ``torch.optim.SGD``'s
    single-tensor algorithm, operation for operation; trajectories agree to
    about 1e-15 in float64 (``tests/test_optim.py``).

    Parameters
    ----------
    momentum : float
        :math:`\mu \in [0, 1)`.  ``step(..., momentum=m)`` overrides it for one
        step (momentum cycling); like torch, a step with momentum 0 leaves the
        buffer untouched, and the buffer starts as the gradient on the first
        step that uses it.
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    dampening : float
        :math:`\tau \in [0, 1]`.
    weight_decay : float
        :math:`\lambda \ge 0`, added to the gradient (L2 penalty).

    State
    -----
    ``{"step": int, "path": str, "momentum_buffer": array or None}``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD(momentum=0.9)
    >>> p = np.array([1.0, -2.0]); state = opt.init(p)
    >>> opt.step(p, np.array([0.5, 0.5]), 0.1, state)
    array([ 0.95, -2.05])
    >>> opt.step(p, np.array([0.5, 0.5]), 0.1, state)  # buffer 0.9*0.5 + 0.5
    array([ 0.855, -2.145])

    References
    ----------
    PyTorch, ``torch.optim.SGD``; Sutskever et al. (2013), "On the importance
    of initialization and momentum in deep learning", ICML.
    """

    path = "auto"  #: "auto" | "reference" | "fast"; see :mod:`lrsched.optim._dispatch`

    def __init__(self, momentum=0.0, nesterov=False, dampening=0.0, weight_decay=0.0):
        owner = "sgd"
        self.momentum = _checks.number(owner, "momentum", momentum, low=0, high=1, high_open=True)
        self.nesterov = _checks.boolean(owner, "nesterov", nesterov)
        self.dampening = _checks.number(owner, "dampening", dampening, low=0, high=1)
        self.weight_decay = _checks.number(owner, "weight_decay", weight_decay, low=0)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"sgd: nesterov=True is not allowed with momentum={self.momentum!r} and "
                f"dampening={self.dampening!r}; Nesterov momentum needs momentum > 0 and dampening=0"
            )
        # SGD without momentum or weight decay is ``p -= lr * g``: one 3-argument kernel call.
        self._plain = self.momentum == 0 and self.weight_decay == 0

    def init(self, params):
        """State for ``params``: a step counter and the momentum buffer (created on first use)."""
        return {
            "step": 0,
            "path": _dispatch.choose("sgd", self.path, params),
            "momentum_buffer": None,
        }

    def step(self, params, grad, lr, state, *, momentum=None):
        """One update of ``params`` (in place on mutable backends); returns ``params``."""
        state["step"] += 1
        path = state["path"]
        if path == "reference":
            return self._reference(params, grad, float(lr), state, momentum)
        kernels = _dispatch.kernels[path]
        if momentum is None:
            if self._plain:
                kernels.sgd_plain(params, grad, lr)
                return params
            momentum = self.momentum
        buf = state["momentum_buffer"]
        first = False
        if momentum != 0 and buf is None:
            buf = state["momentum_buffer"] = params.copy()  # overwritten with g by the kernel
            first = True
        kernels.sgd(
            params, grad, params if buf is None else buf, lr, self.weight_decay,
            momentum, 1.0 - self.dampening, self.nesterov, first,
        )
        return params

    def _reference(self, params, grad, lr, state, momentum):
        """The Array API path, one torch operation per line."""
        mu = self.momentum if momentum is None else float(momentum)
        g = grad
        if self.weight_decay != 0:
            g = g + self.weight_decay * params
        if mu != 0:
            buf = state["momentum_buffer"]
            if buf is None:
                xp = namespace(params, grad)
                buf = state["momentum_buffer"] = xp.asarray(g, copy=True)
            else:
                buf *= mu
                buf += (1.0 - self.dampening) * g
                state["momentum_buffer"] = buf  # for immutable backends, where *= rebinds
            g = g + mu * buf if self.nesterov else buf
        params -= lr * g
        return params
