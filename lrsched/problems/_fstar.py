"""f* of smooth convex problems: L-BFGS-B to high precision, then Newton polishing.

``minimize_convex`` runs :func:`scipy.optimize.minimize` (L-BFGS-B, ``gtol=1e-12``,
``ftol=1e-16``, up to 100 000 iterations) on the full float64 objective, then up
to 20 Newton steps with a backtracking line search (the Hessians here are small
and cheap).  Singular Hessians (e.g. the class-shift direction of an unpenalised
softmax bias) are handled by a relative damping of 1e-12 on the diagonal: the
gradient has no component there, and the objective is invariant along it.
The result is the lowest objective value seen.  It is ``None`` when the gradient
does not vanish or the value is not finite, so callers never get a wrong f*.
On separable data with ``l2=0`` the infimum 0 is not attained; the solver then
drives the loss to about 1e-15, which is returned (0 to that precision).

:func:`cached_f_star` stores the value on disk (:mod:`lrsched.problems._cache`)
under the problem's canonical spec and its data fingerprint.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..spec import spec
from ._cache import cached
from ._data import DataProblem, lambda_max_gram

__all__ = ["minimize_convex", "cached_f_star"]

VERSION = 1


def minimize_convex(
    fun_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    hessian: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
) -> tuple[float | None, np.ndarray]:
    """Minimise a smooth convex function; returns ``(f*, argmin)`` (``f*`` is None if not attained).

    BLAS runs single-threaded meanwhile (when ``threadpoolctl`` is installed): NumPy and
    SciPy ship separate OpenBLAS pools whose spinning threads fight when calls alternate
    between them, which made L-BFGS-B on ``softmax(digits)`` ~100x slower on 2 cores.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with scikit-learn
        return _minimize(fun_grad, hessian, x0)
    with threadpool_limits(limits=1, user_api="blas"):
        return _minimize(fun_grad, hessian, x0)


def _minimize(fun_grad, hessian, x0):
    from scipy.optimize import minimize

    result = minimize(
        fun_grad, x0, jac=True, method="L-BFGS-B",
        options={"maxiter": 100_000, "maxfun": 200_000, "gtol": 1e-12, "ftol": 1e-16,
                 "maxcor": 30},
    )
    x = np.array(result.x, dtype=np.float64)
    f, g = fun_grad(x)
    for _ in range(20):
        if np.max(np.abs(g)) <= 1e-15 * max(1.0, abs(f)):
            break
        H = hessian(x)
        H[np.diag_indices_from(H)] += 1e-12 * max(float(np.trace(H)) / H.shape[0], 1e-300)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=1e-12)[0]
        t, improved = 1.0, False
        for _ in range(30):
            x_new = x - t * step
            f_new, g_new = fun_grad(x_new)
            if f_new < f or (f_new == f and np.max(np.abs(g_new)) < np.max(np.abs(g))):
                x, f, g, improved = x_new, f_new, g_new, True
                break
            t *= 0.5
        if not improved:
            break
    scale = max(1.0, abs(f), float(np.max(np.abs(x))))
    if not np.isfinite(f) or np.max(np.abs(g)) > 1e-7 * scale:
        return None, x
    return float(f), x


def cached_f_star(problem, fingerprint: str, compute: Callable[[], float | None]) -> float | None:
    """``compute()`` once per (canonical spec, data fingerprint), memoised on disk."""
    key = f"f_star v{VERSION} | {spec(problem)} | {fingerprint}"
    return cached("f_star", key, compute)


_UNSET = object()


class ConvexGLM(DataProblem):
    """A smooth convex generalised linear model (logistic, softmax): its f* comes from
    :func:`minimize_convex` on ``loss_and_grad`` and ``hessian``, cached on disk, and its
    smoothness bound is ``λmax(X̃ᵀX̃)·curvature/n + l2`` with the link's curvature bound.
    """

    #: Largest second derivative of the per-sample loss in the linear predictor.
    curvature: float

    def _init_constants(self) -> None:
        self._smoothness = None
        self._f_star = _UNSET

    @property
    def smoothness(self) -> float:
        """Upper bound ``λmax(X̃ᵀX̃)·curvature/n + l2`` on the gradient's Lipschitz constant."""
        if self._smoothness is None:
            (Xa, _), _ = self.__dict__.get("_prepared") or self._prepare()
            self._smoothness = lambda_max_gram(Xa) * self.curvature / Xa.shape[0] + self.l2
        return self._smoothness

    @property
    def f_star(self) -> float | None:
        """Minimum of the full objective (L-BFGS-B + Newton, cached on disk)."""
        if self._f_star is _UNSET:
            def compute():
                return minimize_convex(self.loss_and_grad, self.hessian, np.zeros(self.dim))[0]

            self._f_star = cached_f_star(self, self.data.fingerprint, compute)
        return self._f_star
