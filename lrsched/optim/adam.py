"""Adam and AdamW, exactly as ``torch.optim.Adam`` and ``torch.optim.AdamW`` (no amsgrad)."""

from __future__ import annotations

from .. import _checks
from ..backend import namespace
from ..spec import register
from . import _dispatch
from .base import Optimizer

__all__ = ["Adam", "AdamW"]


class _AdamBase(Optimizer):
    """Shared update of Adam (coupled L2) and AdamW (decoupled weight decay)."""

    path = "auto"  #: "auto" | "reference" | "fast"; see :mod:`lrsched.optim._dispatch`
    _decoupled = False

    def __init__(self, beta1, beta2, eps, weight_decay):
        owner = self.spec_name
        self.beta1 = _checks.number(owner, "beta1", beta1, low=0, high=1, high_open=True)
        self.beta2 = _checks.number(owner, "beta2", beta2, low=0, high=1, high_open=True)
        self.eps = _checks.number(owner, "eps", eps, low=0, low_open=True)
        self.weight_decay = _checks.number(owner, "weight_decay", weight_decay, low=0)

    def init(self, params):
        """State: the step count and the first and second moments (zeros)."""
        xp = namespace(params)
        return {
            "step": 0,
            "path": _dispatch.choose(self.spec_name, self.path, params),
            "exp_avg": xp.zeros_like(params),
            "exp_avg_sq": xp.zeros_like(params),
        }

    def step(self, params, grad, lr, state, *, momentum=None):
        """One update of ``params`` (in place on mutable backends); returns ``params``.

        ``momentum`` replaces ``beta1`` for this step, in the moment update and
        in the bias correction ``1 - beta1**t`` alike (what torch does when
        ``OneCycleLR`` cycles ``betas``).
        """
        t = state["step"] = state["step"] + 1
        lr = float(lr)  # a NumPy float64 scalar would promote float32 arrays on the reference path
        beta1 = self.beta1 if momentum is None else float(momentum)
        beta2 = self.beta2
        # Scalars exactly as torch's single-tensor Adam computes them (Python floats).
        step_size = lr / (1 - beta1**t)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        decay = 1 - lr * self.weight_decay if self._decoupled and self.weight_decay != 0 else 1.0
        wd = 0.0 if self._decoupled else self.weight_decay
        weight = 1 - beta1  # exp_avg.lerp_(grad, 1 - beta1)
        path = state["path"]
        if path == "reference":
            return self._reference(params, grad, state, decay, wd, weight, step_size,
                                   bias_correction2_sqrt)
        _dispatch.kernels[path].adam(
            params, grad, state["exp_avg"], state["exp_avg_sq"], decay, wd, weight, 1 - weight,
            abs(weight) < 0.5, beta2, 1 - beta2, -step_size, bias_correction2_sqrt, self.eps,
        )
        return params

    def _reference(self, params, grad, state, decay, wd, weight, step_size, bc2_sqrt):
        """The Array API path, one torch operation per line."""
        xp = namespace(params, grad)
        if decay != 1.0:
            params *= decay  # AdamW: param.mul_(1 - lr * weight_decay)
        g = grad + wd * params if wd != 0 else grad
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # torch.lerp: self + w * (end - self) for |w| < 0.5, else end - (end - self) * (1 - w)
        if abs(weight) < 0.5:
            m += weight * (g - m)
        else:
            m = g - (g - m) * (1 - weight)
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        denom = xp.sqrt(v) / bc2_sqrt + self.eps
        params += -step_size * m / denom
        state["exp_avg"], state["exp_avg_sq"] = m, v
        return params


@register("optimizer", "adam")
class Adam(_AdamBase):
    r"""Adam with L2 weight decay added to the gradient (torch.optim.Adam, amsgrad=False).

    With gradient :math:`g_t` at :math:`p_{t-1}` and learning rate :math:`\eta_t`:

    .. math::

        g &\leftarrow g_t + \lambda p_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2 \\
        p_t &= p_{t-1} - \frac{\eta_t}{1-\beta_1^t}\,
               \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    computed in the order of torch's single-tensor implementation (``m`` by
    ``lerp``, the step size and ``sqrt(1 - beta2**t)`` as Python floats);
    trajectories agree with torch to about 1e-15 in float64.

    Parameters
    ----------
    beta1, beta2 : float
        Moment decay rates in ``[0, 1)``.  ``step(..., momentum=b)`` replaces
        ``beta1`` for one step, bias correction included, as torch does when
        a scheduler cycles ``betas``.
    eps : float
        Added to the denominator, ``> 0``.
    weight_decay : float
        :math:`\lambda \ge 0` (L2, coupled through the moments; see ``adamw``).

    State
    -----
    ``{"step": int, "path": str, "exp_avg": array, "exp_avg_sq": array}``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adam()
    >>> p = np.array([1.0, -1.0]); state = opt.init(p)
    >>> opt.step(p, np.array([3.0, -0.5]), 0.1, state)  # the first step moves by lr*sign(g)
    array([ 0.9, -0.9])

    References
    ----------
    Kingma & Ba (2015), "Adam: A method for stochastic optimization", ICLR;
    PyTorch, ``torch.optim.Adam``.
    """

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(beta1, beta2, eps, weight_decay)


@register("optimizer", "adamw")
class AdamW(_AdamBase):
    r"""Adam with decoupled weight decay (torch.optim.AdamW, amsgrad=False).

    As ``adam`` without the L2 term, after first shrinking the parameters:
    :math:`p \leftarrow p\,(1 - \eta_t \lambda)`, then the Adam update with
    the raw gradient.

    Parameters
    ----------
    beta1, beta2, eps :
        As for ``adam``.
    weight_decay : float
        :math:`\lambda \ge 0`, default 0.01 as in torch.

    State
    -----
    ``{"step": int, "path": str, "exp_avg": array, "exp_avg_sq": array}``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = AdamW(weight_decay=0.5)
    >>> p = np.array([1.0, -1.0]); state = opt.init(p)
    >>> opt.step(p, np.array([3.0, -0.5]), 0.1, state)  # shrink by 1 - 0.05, then the Adam step
    array([ 0.85, -0.85])

    References
    ----------
    Loshchilov & Hutter (2019), "Decoupled weight decay regularization", ICLR;
    PyTorch, ``torch.optim.AdamW``.
    """

    _decoupled = True

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(beta1, beta2, eps, weight_decay)

