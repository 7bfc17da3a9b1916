"""Binary logistic regression with an unpenalised bias.

.. math::

    f(w, b) = \\frac1n \\sum_i \\log\\bigl(1 + e^{-y_i (x_i \\cdot w + b)}\\bigr)
              + \\frac{\\ell_2}{2} \\lVert w \\rVert^2, \\qquad y_i \\in \\{-1, +1\\}

with standardised features.  Parameters are one flat vector ``θ = (w, b)``
(length ``d + 1``); with ``X̃ = [X, 1]`` and ``t = -y`` (precomputed), the margins
are ``m = t ⊙ X̃θ``, the loss is ``mean(logaddexp(0, m))`` and the gradient is
``X̃ᵀ (t ⊙ σ(m)) / n + ℓ2 (w, 0)``, where ``σ(m) = exp(m − logaddexp(0, m))`` is
evaluated stably from the loss terms themselves.  The second class in sorted
order is ``+1``.  This is scikit-learn's ``LogisticRegression(C=1/(n·l2))``
objective divided by ``C·n``.

``smoothness`` is the standard bound ``λmax(X̃ᵀX̃)/(4n) + l2``; ``f_star`` is
computed once with L-BFGS-B + Newton (:mod:`lrsched.problems._fstar`) and cached
on disk.  Parameters start at 0 for every seed (the initial loss is ``log 2``).

The NumPy path (called ~10⁵ times per benchmark) runs the same arithmetic with
in-place ufuncs, a Fortran-ordered ``X̃`` (both matrix-vector products are then
the faster BLAS variant) and ``logaddexp(0, z) = max(z, 0) + log1p(exp(-|z|))``
(exact to rounding, and ~5 µs faster than ``np.logaddexp`` on 569 samples);
every other namespace runs :func:`logistic_reference`, which uses Array-API
functions only.  Both are tested equal.
"""

from __future__ import annotations

import numpy as np

from .._checks import number
from ..spec import register
from ._fstar import ConvexGLM

__all__ = ["logistic", "logistic_reference"]



def logistic_reference(xp, X, t, mask, params, grad=True):
    """Array-API reference: ``loss`` or ``(loss, grad)`` for data ``X̃`` (n, d+1), ``t = -y``."""
    n = X.shape[0]
    m = (X @ params) * t
    terms = xp.logaddexp(0.0, m)
    wm = params * mask
    loss = float(xp.sum(terms)) / n + 0.5 * float(xp.sum(wm * params))
    if not grad:
        return loss
    s = xp.exp(m - terms) * t
    return loss, (s @ X) / n + wm


@register("problem", "logistic")
class logistic(ConvexGLM):
    """Binary logistic regression: mean log(1 + exp(-y x.w)) + l2/2 |w|^2, unpenalised bias.

    Parameters
    ----------
    dataset : str, Dataset or dataset spec
        A binary classification data set (see :func:`~lrsched.problems.load_dataset`).
    l2 : float
        Ridge penalty on the weights (>= 0; the bias is not penalised).

    Examples
    --------
    >>> p = logistic("breast_cancer")
    >>> w = p.init(0)
    >>> round(p.loss(w), 6) == round(float(np.log(2.0)), 6), p.dim
    (True, 31)
    """

    curvature = 0.25  # max of the link's second derivative

    def __init__(self, dataset="breast_cancer", l2=1e-3):
        owner = "logistic"
        self.l2 = number(owner, "l2", l2, low=0.0)
        data = self._set_dataset(owner, dataset)
        if data.task != "classification":
            raise ValueError(
                f"logistic: dataset={data.name!r} is a regression data set; "
                "use least_squares(dataset=...) or mlp(dataset=...)"
            )
        if data.n_classes != 2:
            raise ValueError(
                f"logistic: dataset={data.name!r} has {data.n_classes} classes but logistic is "
                f"binary; use softmax(dataset={data.name!r})"
            )
        self.dim = data.n_features + 1
        self._init_constants()

    def _prepare(self):
        X = self.data.X
        Xa = np.empty((X.shape[0], X.shape[1] + 1), order="F")
        Xa[:, :-1] = X
        Xa[:, -1] = 1.0
        t = np.where(self.data.labels == 1, -1.0, 1.0)
        mask = np.full(self.dim, self.l2)
        mask[-1] = 0.0
        return (Xa, t), (mask,)

    def loss(self, params, batch=None) -> float:
        d = self._data(params)
        X, t = d.samples if batch is None else batch
        if not d.fast:
            return logistic_reference(d.xp, X, t, d.consts[0], params, grad=False)
        z = X @ params
        z *= t
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)
        terms = np.log1p(e)
        terms += np.maximum(z, 0.0)
        wm = params * d.consts[0]
        return float(terms.sum()) / z.shape[0] + 0.5 * float(wm @ params)

    def loss_and_grad(self, params, batch=None):
        h = self._hot
        if type(params) is h[0] and params.dtype is h[1] and (h[2] is None or params.device == h[2]):
            d = h[3]
        else:
            d = self._lookup(params)
        X, t = d.samples if batch is None else batch
        if not d.fast:
            return logistic_reference(d.xp, X, t, d.consts[0], params)
        z = X @ params
        z *= t
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)
        terms = np.log1p(e)
        terms += np.maximum(z, 0.0)
        wm = params * d.consts[0]
        n = z.shape[0]
        loss = float(terms.sum()) / n + 0.5 * float(wm @ params)
        z -= terms
        np.exp(z, out=z)
        z *= t
        g = z @ X
        g /= n
        g += wm
        return loss, g

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """The full-objective Hessian in NumPy float64: ``X̃ᵀ diag(σ(1-σ)) X̃ / n + diag(l2 mask)``."""
        (Xa, t), (mask,) = self.__dict__.get("_prepared") or self._prepare()
        m = (Xa @ np.asarray(params, dtype=np.float64)) * t
        s = np.exp(m - np.logaddexp(0.0, m))
        D = s * (1.0 - s) / Xa.shape[0]
        return (Xa.T * D) @ Xa + np.diag(mask)
