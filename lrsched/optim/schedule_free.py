r"""Schedule-Free SGD and AdamW (Defazio et al., 2024), as the ``schedulefree`` reference classes.

Schedule-Free keeps three sequences: ``z`` (the base SGD/Adam iterate), ``x``
(a weighted average of the ``z``, where the loss is reported) and ``y`` (an
interpolation of the two, where the gradient is taken):

.. math::

    z_{k+1} &= z_k - \gamma_k\, d_k(y_k) \\
    x_{k+1} &= (1 - c_{k+1})\, x_k + c_{k+1}\, z_{k+1}, \qquad
    c_{k+1} = w_k / \textstyle\sum_{i \le k} w_i,\quad
    w_k = (k+1)^r\, \gamma_{\max,k}^{\,p} \\
    y_{k+1} &= \beta\, x_{k+1} + (1 - \beta)\, z_{k+1}

with :math:`\gamma_k` the supplied learning rate times the built-in linear
warmup ``min(1, (k+1)/warmup_steps)``, :math:`\gamma_{\max,k}` its running
maximum and :math:`p` = ``weight_lr_power``; ``c = 0`` while all weights are
zero (as the reference does when it catches ``ZeroDivisionError``).  For SGD
:math:`d_k = g + \lambda y_k`; for AdamW :math:`z` first decays by
:math:`\gamma_k\lambda y_k`, and :math:`d_k = g / (\sqrt{v_k/(1-\beta_2^{k+1})} + \epsilon)`
with :math:`v_k = \beta_2 v_{k-1} + (1-\beta_2) g^2` (no first moment: the
averaging plays its part).

Mapping to the ``schedulefree`` package (``SGDScheduleFreeReference``,
``AdamWScheduleFreeReference``, version 1.4): our ``lr`` argument of ``step`` is
their ``lr`` (so a schedule may still drive it, as their tests do); ``params``
holds ``y`` (their ``p`` in train mode); ``state["x"]`` and ``state["z"]`` are their
``x`` and ``z``; ``eval_params`` returns ``x`` (their eval mode), so no
train/eval switching is needed.  Trajectories agree to about 1e-15 in float64
(``tests/test_optim.py``).  Differences, on purpose: ``sf_sgd`` accepts
``momentum=0`` (pure primal averaging; the reference refuses it), and
``decay_at_z`` is not offered (always decay at ``y``, their default).

References
----------
Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky (2024), "The Road Less
Scheduled", NeurIPS; https://github.com/facebookresearch/schedule_free.
"""

from __future__ import annotations

from .. import _checks
from ..backend import namespace
from ..spec import register
from . import _dispatch
from .base import Optimizer

__all__ = ["ScheduleFreeSGD", "ScheduleFreeAdamW"]


class _ScheduleFree(Optimizer):
    """Shared state, averaging weights and ``eval_params`` of the Schedule-Free methods."""

    path = "auto"  #: "auto" | "reference" | "fast"; see :mod:`lrsched.optim._dispatch`
    _second_moment = False

    def _check_common(self, owner, weight_decay, warmup_steps, r, weight_lr_power):
        self.weight_decay = _checks.number(owner, "weight_decay", weight_decay, low=0)
        self.warmup_steps = _checks.integer(owner, "warmup_steps", warmup_steps, low=0)
        self.r = _checks.number(owner, "r", r, low=0)
        self.weight_lr_power = _checks.number(owner, "weight_lr_power", weight_lr_power, low=0)

    def init(self, params):
        """State: ``x`` and ``z`` (copies of ``params``), the averaging weights and the step."""
        xp = namespace(params)
        state = {
            "step": 0,
            "path": _dispatch.choose(self.spec_name, self.path, params),
            "x": xp.asarray(params, copy=True),
            "z": xp.asarray(params, copy=True),
            "weight_sum": 0.0,
            "lr_max": -1.0,
        }
        if self._second_moment:
            state["exp_avg_sq"] = xp.zeros_like(params)
        return state

    def eval_params(self, params, state):
        """The averaged iterate ``x``, where Schedule-Free reports the loss."""
        return state["x"]

    def _advance(self, lr, state):
        """Warm up ``lr``, update the averaging weights; returns ``(lr, c)`` for step ``k``."""
        k = state["step"]
        lr = float(lr)  # a NumPy float64 scalar would promote float32 arrays on the reference path
        if k < self.warmup_steps:
            lr = lr * ((k + 1) / self.warmup_steps)
        lr_max = state["lr_max"] = max(lr, state["lr_max"])
        weight = ((k + 1) ** self.r) * (lr_max**self.weight_lr_power)
        weight_sum = state["weight_sum"] = state["weight_sum"] + weight
        state["step"] = k + 1
        return lr, (weight / weight_sum if weight_sum != 0 else 0.0)


@register("optimizer", "sf_sgd")
class ScheduleFreeSGD(_ScheduleFree):
    r"""Schedule-Free SGD (``schedulefree.SGDScheduleFreeReference``).

    See :mod:`lrsched.optim.schedule_free` for the update.

    Parameters
    ----------
    momentum : float
        Interpolation :math:`\beta \in [0, 1)` between ``x`` and ``z``;
        ``step(..., momentum=b)`` overrides it for one step.
    weight_decay : float
        L2 penalty :math:`\lambda \ge 0` added to the gradient at ``y``.
    warmup_steps : int
        Built-in linear warmup of the learning rate over this many steps.
    r : float
        Polynomial weighting :math:`(k+1)^r` of the average, ``>= 0``.
    weight_lr_power : float
        Power :math:`p \ge 0` of the running maximum learning rate in the weights.

    State
    -----
    ``{"step": int, "path": str, "x": array, "z": array, "weight_sum": float,
    "lr_max": float}``; ``params`` is ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = ScheduleFreeSGD(momentum=0.5)
    >>> y = np.array([1.0]); state = opt.init(y)
    >>> opt.step(y, np.array([1.0]), 0.5, state)  # z = 0.5, x = z (c = 1), y = 0.5
    array([0.5])
    >>> opt.step(y, np.array([1.0]), 0.5, state)  # z = 0, x = (0.5 + 0)/2, y = 0.125
    array([0.125])
    >>> opt.eval_params(y, state)
    array([0.25])
    """

    def __init__(self, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0):
        owner = "sf_sgd"
        self.momentum = _checks.number(owner, "momentum", momentum, low=0, high=1, high_open=True)
        self._check_common(owner, weight_decay, warmup_steps, r, weight_lr_power)

    def step(self, params, grad, lr, state, *, momentum=None):
        """One update; ``params`` holds ``y`` before and after (in place on mutable backends)."""
        lr, c = self._advance(lr, state)
        beta = self.momentum if momentum is None else float(momentum)
        path = state["path"]
        if path == "reference":
            return self._reference(params, grad, state, lr, c, beta)
        _dispatch.kernels[path].sf_sgd(
            params, grad, state["x"], state["z"], lr, self.weight_decay, c, 1 - c, beta, 1 - beta
        )
        return params

    def _reference(self, y, grad, state, lr, c, beta):
        """The Array API path, one operation of the reference class per line."""
        g = grad + self.weight_decay * y if self.weight_decay != 0 else grad
        x, z = state["x"], state["z"]
        z -= lr * g
        x *= 1 - c
        x += c * z
        state["x"], state["z"] = x, z
        return _assign(y, x * beta + (1 - beta) * z)


@register("optimizer", "sf_adamw")
class ScheduleFreeAdamW(_ScheduleFree):
    r"""Schedule-Free AdamW (``schedulefree.AdamWScheduleFreeReference``, ``decay_at_z=False``).

    See :mod:`lrsched.optim.schedule_free` for the update.

    Parameters
    ----------
    beta1 : float
        Interpolation :math:`\beta_1 \in [0, 1)` between ``x`` and ``z``;
        ``step(..., momentum=b)`` overrides it for one step.
    beta2 : float
        Second-moment decay in ``[0, 1)``.
    eps : float
        Added to the denominator, ``> 0``.
    weight_decay : float
        Decoupled decay :math:`\lambda \ge 0`, applied to ``z`` at ``y``.
    warmup_steps, r, weight_lr_power :
        As for ``sf_sgd``.

    State
    -----
    ``{"step": int, "path": str, "x": array, "z": array, "exp_avg_sq": array,
    "weight_sum": float, "lr_max": float}``; ``params`` is ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = ScheduleFreeAdamW()
    >>> y = np.array([1.0, 1.0]); state = opt.init(y)
    >>> _ = opt.step(y, np.array([2.0, -0.5]), 0.1, state)
    >>> opt.eval_params(y, state)  # the first step moves z, hence x, by lr*sign(g)
    array([0.9, 1.1])
    """

    _second_moment = True

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, warmup_steps=0,
                 r=0.0, weight_lr_power=2.0):
        owner = "sf_adamw"
        self.beta1 = _checks.number(owner, "beta1", beta1, low=0, high=1, high_open=True)
        self.beta2 = _checks.number(owner, "beta2", beta2, low=0, high=1, high_open=True)
        self.eps = _checks.number(owner, "eps", eps, low=0, low_open=True)
        self._check_common(owner, weight_decay, warmup_steps, r, weight_lr_power)

    def step(self, params, grad, lr, state, *, momentum=None):
        """One update; ``params`` holds ``y`` before and after (in place on mutable backends)."""
        bias_correction2 = 1 - self.beta2 ** (state["step"] + 1)
        lr, c = self._advance(lr, state)
        beta = self.beta1 if momentum is None else float(momentum)
        path = state["path"]
        if path == "reference":
            return self._reference(params, grad, state, lr, c, beta, bias_correction2)
        _dispatch.kernels[path].sf_adamw(
            params, grad, state["x"], state["z"], state["exp_avg_sq"], lr * self.weight_decay,
            -lr, self.beta2, 1 - self.beta2, bias_correction2, self.eps, c, 1 - c, beta, 1 - beta,
        )
        return params

    def _reference(self, y, grad, state, lr, c, beta, bias_correction2):
        """The Array API path, one operation of the reference class per line."""
        xp = namespace(y, grad)
        x, z, v = state["x"], state["z"], state["exp_avg_sq"]
        if self.weight_decay != 0:
            z -= (lr * self.weight_decay) * y
        v *= self.beta2
        v += (1 - self.beta2) * grad * grad
        denom = xp.sqrt(v / bias_correction2) + self.eps
        z += -lr * grad / denom
        x *= 1 - c
        x += c * z
        state["x"], state["z"], state["exp_avg_sq"] = x, z, v
        return _assign(y, x * beta + (1 - beta) * z)


def _assign(dst, value):
    """Write ``value`` into ``dst`` in place where the backend allows it; returns the result."""
    try:
        dst[...] = value
    except (TypeError, ValueError, NotImplementedError):  # immutable arrays (JAX)
        return value
    return dst
