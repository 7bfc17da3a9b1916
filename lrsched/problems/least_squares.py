"""Linear least squares (ridge) regression with an unpenalised bias.

.. math::

    f(w, b) = \\frac1{2n} \\sum_i (x_i \\cdot w + b - y_i)^2 + \\frac{\\ell_2}{2}\\lVert w\\rVert^2

on standardised features and standardised targets.  A binary classification
data set regresses on ±1 labels (then standardised); multi-class sets are
refused.  Parameters are ``θ = (w, b)``; with ``X̃ = [X, 1]`` the gradient is
``X̃ᵀ(X̃θ − y)/n + ℓ2 (w, 0)`` and the Hessian the constant
``H = X̃ᵀX̃/n + diag(ℓ2, …, ℓ2, 0)``.

Known exactly: ``smoothness = λmax(H)``, ``strong_convexity = λmin(H)`` (0 when
the features are rank deficient and ``l2 = 0``), and ``f_star``, the objective
at the least-squares solution of the stacked system
``[X̃/√n ; √ℓ2·M] θ ≈ [y/√n ; 0]`` (SVD-based :func:`numpy.linalg.lstsq`, so
rank-deficient data is fine).  This is scikit-learn's ``Ridge(alpha=n·l2)``
objective divided by ``2n``.  Parameters start at 0 for every seed.
"""

from __future__ import annotations

import numpy as np

from .._checks import number
from ..spec import register
from ._data import DataProblem

__all__ = ["least_squares", "least_squares_reference"]


def least_squares_reference(xp, X, y, mask, params, grad=True):
    """Array-API reference: ``loss`` or ``(loss, grad)`` for data ``X̃`` (n, d+1) and targets ``y``."""
    n = X.shape[0]
    r = X @ params - y
    wm = params * mask
    loss = 0.5 * float(xp.sum(r * r)) / n + 0.5 * float(xp.sum(wm * params))
    if not grad:
        return loss
    return loss, (r @ X) / n + wm


@register("problem", "least_squares")
class least_squares(DataProblem):
    """Least squares: mean (x.w + b - y)^2 / 2 + l2/2 |w|^2 on standardised data; f* exact.

    Parameters
    ----------
    dataset : str, Dataset or dataset spec
        A regression (or binary classification) data set.
    l2 : float
        Ridge penalty on the weights (>= 0; the bias is not penalised).

    Examples
    --------
    >>> p = least_squares("diabetes")
    >>> w = p.init(0)
    >>> p.loss(w), p.dim     # standardised targets: the loss at 0 is 1/2
    (0.5, 11)
    >>> round(p.f_star, 6)
    0.241126
    """

    def __init__(self, dataset="diabetes", l2=0.0):
        owner = "least_squares"
        self.l2 = number(owner, "l2", l2, low=0.0)
        data = self._set_dataset(owner, dataset)
        if data.task == "classification" and data.n_classes != 2:
            raise ValueError(
                f"least_squares: dataset={data.name!r} has {data.n_classes} classes; least squares "
                f"takes regression or binary data; use softmax(dataset={data.name!r})"
            )
        self.dim = data.n_features + 1
        self._spectrum = None
        self._f_star = None

    def _targets(self) -> np.ndarray:
        if self.data.task == "regression":
            return np.asarray(self.data.y, dtype=np.float64)
        y = np.where(self.data.labels == 1, 1.0, -1.0)
        return (y - y.mean()) / y.std()

    def _prepare(self):
        X = self.data.X
        Xa = np.empty((X.shape[0], X.shape[1] + 1), order="F")
        Xa[:, :-1] = X
        Xa[:, -1] = 1.0
        mask = np.full(self.dim, self.l2)
        mask[-1] = 0.0
        return (Xa, self._targets()), (mask,)

    def loss(self, params, batch=None) -> float:
        d = self._data(params)
        X, y = d.samples if batch is None else batch
        return least_squares_reference(d.xp, X, y, d.consts[0], params, grad=False)

    def loss_and_grad(self, params, batch=None):
        d = self._data(params)
        X, y = d.samples if batch is None else batch
        if not d.fast:
            return least_squares_reference(d.xp, X, y, d.consts[0], params)
        r = X @ params
        r -= y
        wm = params * d.consts[0]
        n = r.shape[0]
        loss = 0.5 * float(r @ r) / n + 0.5 * float(wm @ params)
        g = r @ X
        g /= n
        g += wm
        return loss, g

    def hessian(self, params=None) -> np.ndarray:
        """The constant Hessian ``X̃ᵀX̃/n + diag(l2 mask)`` in NumPy float64."""
        (Xa, _), (mask,) = self.__dict__.get("_prepared") or self._prepare()
        return Xa.T @ Xa / Xa.shape[0] + np.diag(mask)

    def _eigenvalues(self) -> tuple[float, float]:
        if self._spectrum is None:
            ev = np.linalg.eigvalsh(self.hessian())
            self._spectrum = (max(float(ev[0]), 0.0), float(ev[-1]))
        return self._spectrum

    @property
    def smoothness(self) -> float:
        """``λmax`` of the Hessian (exact)."""
        return self._eigenvalues()[1]

    @property
    def strong_convexity(self) -> float:
        """``λmin`` of the Hessian (exact; 0 for rank-deficient data without l2)."""
        return self._eigenvalues()[0]

    def solution(self) -> np.ndarray:
        """The minimiser ``θ*`` (minimum-norm when not unique), NumPy float64."""
        (Xa, y), (mask,) = self.__dict__.get("_prepared") or self._prepare()
        n = Xa.shape[0]
        A = np.vstack([Xa / np.sqrt(n), np.diag(np.sqrt(mask))])
        b = np.concatenate([y / np.sqrt(n), np.zeros(self.dim)])
        return np.linalg.lstsq(A, b, rcond=None)[0]

    @property
    def f_star(self) -> float:
        """The minimum, in closed form (the objective at :meth:`solution`)."""
        if self._f_star is None:
            self._f_star = self.loss(self.solution())
        return self._f_star
