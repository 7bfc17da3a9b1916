"""The Rosenbrock function (the standard chained form), a classic non-convex valley.

.. math::

    f(x) = \\sum_{i=1}^{d-1} 100\\,(x_{i+1} - x_i^2)^2 + (1 - x_i)^2,
    \\qquad f^* = 0 \\text{ at } x^* = (1, …, 1).

Gradient: ``∂f/∂x_i = −400 x_i (x_{i+1} − x_i²) − 2(1 − x_i)`` (for ``i < d``) plus
``200 (x_i − x_{i−1}²)`` (for ``i > 1``); it matches :func:`scipy.optimize.rosen_der`.

Start: ``seed=0`` gives the classic point ``(−1.2, 1, −1.2, 1, …)``; any other
seed adds ``0.1·N(0, I)`` drawn from ``default_rng(seed)`` (NumPy float64, so all
backends start equal) to it, so repeated seeds explore nearby starts.  There is
no data: ``n_samples`` is ``None``, ``batches`` yields ``(None, b)`` forever
(``b = batch_size``, 1 when ``None``) and
``smoothness`` is ``None`` (the Hessian is unbounded).

References
----------
H. H. Rosenbrock, "An automatic method for finding the greatest or least value
of a function", The Computer Journal 3 (1960).
"""

from __future__ import annotations

import itertools

import numpy as np

from .._checks import integer
from ..spec import register
from ._data import CachedProblem

__all__ = ["rosenbrock"]


@register("problem", "rosenbrock")
class rosenbrock(CachedProblem):
    """Rosenbrock's valley, sum 100(x_{i+1} - x_i^2)^2 + (1 - x_i)^2; f* = 0 at all ones.

    Parameters
    ----------
    dim : int
        Dimension (>= 2).

    Examples
    --------
    >>> r = rosenbrock()
    >>> x0 = r.init(0)
    >>> x0.tolist(), round(r.loss(x0), 6), r.loss(np.ones(2))
    ([-1.2, 1.0], 24.2, 0.0)
    """

    n_samples = None

    def __init__(self, dim=2):
        self.dim = integer("rosenbrock", "dim", dim, low=2)

    @property
    def f_star(self) -> float:
        return 0.0

    def _prepare(self):
        return (), ()

    def _start(self, seed: int) -> np.ndarray:
        x0 = np.where(np.arange(self.dim) % 2 == 0, -1.2, 1.0)
        if seed:
            x0 = x0 + 0.1 * np.random.default_rng(seed).standard_normal(self.dim)
        return x0

    def loss(self, params, batch=None) -> float:
        xp = self._data(params).xp
        head, tail = params[:-1], params[1:]
        a = tail - head * head
        b = 1.0 - head
        return float(xp.sum(100.0 * a * a + b * b))

    def loss_and_grad(self, params, batch=None):
        d = self._data(params)
        xp = d.xp
        head, tail = params[:-1], params[1:]
        a = tail - head * head
        b = 1.0 - head
        loss = float(xp.sum(100.0 * a * a + b * b))
        zero = xp.zeros((1,), dtype=params.dtype, device=d.device)
        left = -400.0 * head * a - 2.0 * b      # d/dx_i for i < d
        right = 200.0 * a                       # d/dx_{i+1}
        return loss, xp.concat([left, zero]) + xp.concat([zero, right])

    def batches(self, seed: int, batch_size: int | None, *, xp=None, device=None, dtype=None):
        integer("rosenbrock", "seed", seed, low=0)
        batch_size = integer("rosenbrock", "batch_size", batch_size, low=1, none=True)
        return itertools.repeat((None, 1 if batch_size is None else batch_size))
