"""Multinomial logistic (softmax) regression with unpenalised biases.

.. math::

    f(W) = \\frac1n \\sum_i \\Bigl(\\log \\sum_c e^{z_{ic}} - z_{i y_i}\\Bigr)
           + \\frac{\\ell_2}{2} \\lVert W_{1:d} \\rVert_F^2, \\qquad Z = X̃ W

with ``X̃ = [X, 1]`` and ``W`` of shape ``(d+1, k)`` whose last row holds the
class biases.  The flat parameter vector is ``W`` in row-major order (length
``(d+1)·k``).  With one-hot targets ``Y`` and ``P = softmax(Z)`` row-wise, the
gradient is ``X̃ᵀ(P − Y)/n + ℓ2 M ⊙ W``; the log-sum-exp subtracts the row
maximum first.  This is scikit-learn's multinomial ``LogisticRegression(C=1/(n·l2))``
objective divided by ``C·n``.

``smoothness`` is the bound ``λmax(X̃ᵀX̃)/(2n) + l2`` (the softmax Hessian
``diag(p) − ppᵀ`` has norm at most 1/2).  ``f_star`` comes from L-BFGS-B +
Newton on the exact Hessian (the class-shift direction of the biases is a null
direction, handled by a least-squares Newton solve), cached on disk.
Parameters start at 0 for every seed (the initial loss is ``log k``).
"""

from __future__ import annotations

import numpy as np

from .._checks import number
from ..spec import register
from ._fstar import ConvexGLM

__all__ = ["softmax", "softmax_reference"]



def softmax_reference(xp, X, Y, mask, params, grad=True):
    """Array-API reference: ``loss`` or ``(loss, grad)``; ``Y`` one-hot (n, k), ``mask`` (d+1, k)."""
    n, k = Y.shape
    W = xp.reshape(params, (X.shape[1], k))
    Z = X @ W
    Z = Z - xp.max(Z, axis=1, keepdims=True)
    E = xp.exp(Z)
    S = xp.sum(E, axis=1, keepdims=True)
    WM = W * mask
    loss = (float(xp.sum(xp.log(S))) - float(xp.sum(Y * Z))) / n + 0.5 * float(xp.sum(WM * W))
    if not grad:
        return loss
    G = X.T @ (E / S - Y) / n + WM
    return loss, xp.reshape(G, (-1,))


@register("problem", "softmax")
class softmax(ConvexGLM):
    """Softmax regression: mean multinomial cross-entropy + l2/2 |W|^2, unpenalised biases.

    Parameters
    ----------
    dataset : str, Dataset or dataset spec
        A classification data set with 2 or more classes.
    l2 : float
        Ridge penalty on the weights (>= 0; the biases are not penalised).

    Examples
    --------
    >>> p = softmax("iris")
    >>> p.dim, round(p.loss(p.init(0)), 6) == round(float(np.log(3.0)), 6)
    (15, True)
    """

    curvature = 0.5  # max of the link's second derivative

    def __init__(self, dataset="digits", l2=1e-3):
        owner = "softmax"
        self.l2 = number(owner, "l2", l2, low=0.0)
        data = self._set_dataset(owner, dataset)
        if data.task != "classification":
            raise ValueError(
                f"softmax: dataset={data.name!r} is a regression data set; "
                "use least_squares(dataset=...) or mlp(dataset=...)"
            )
        self.n_classes = data.n_classes
        self.dim = (data.n_features + 1) * self.n_classes
        self._init_constants()

    def _prepare(self):
        X, k = self.data.X, self.n_classes
        Xa = np.empty((X.shape[0], X.shape[1] + 1))
        Xa[:, :-1] = X
        Xa[:, -1] = 1.0
        Y = np.zeros((X.shape[0], k))
        Y[np.arange(X.shape[0]), self.data.labels] = 1.0
        mask = np.full((Xa.shape[1], k), self.l2)
        mask[-1] = 0.0
        return (Xa, Y), (mask,)

    def loss(self, params, batch=None) -> float:
        d = self._data(params)
        X, Y = d.samples if batch is None else batch
        return softmax_reference(d.xp, X, Y, d.consts[0], params, grad=False)

    def loss_and_grad(self, params, batch=None):
        d = self._data(params)
        X, Y = d.samples if batch is None else batch
        return softmax_reference(d.xp, X, Y, d.consts[0], params)

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """The full-objective Hessian (NumPy float64, ``dim × dim``, row-major ``W`` indexing).

        ``H[(a,c),(b,e)] = Σ_i x̃_ia x̃_ib (p_ic δ_ce − p_ic p_ie) / n + ℓ2 M_ac δ_ab δ_ce``.
        """
        (Xa, _), (mask,) = self.__dict__.get("_prepared") or self._prepare()
        n, m = Xa.shape
        k = self.n_classes
        Z = Xa @ np.reshape(np.asarray(params, dtype=np.float64), (m, k))
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        V = (Xa[:, :, None] * P[:, None, :]).reshape(n, m * k)
        H = -(V.T @ V) / n
        H4 = H.reshape(m, k, m, k)
        for c in range(k):
            H4[:, c, :, c] += (Xa.T * P[:, c]) @ Xa / n
        H += np.diag(mask.reshape(-1))
        return H
