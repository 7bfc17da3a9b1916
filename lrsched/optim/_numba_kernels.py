"""Fused single-pass optimizer kernels for NumPy, compiled with numba.

Imported only by :data:`lrsched.optim._dispatch.kernels` when a state on the
``"numba"`` or ``"numba-parallel"`` path is first used (``import numba`` takes
about half a second, far more than ``import lrsched`` may cost).

Each update is written once, as a function of one index ``i`` (``_sgd_at``,
``_adam_at``, ...), inlined into a serial loop (:data:`SERIAL`) and a
``prange`` loop (:data:`PARALLEL`).  The element functions follow the
reference paths in :mod:`lrsched.optim.sgd`, :mod:`lrsched.optim.adam` and
:mod:`lrsched.optim.schedule_free` operation for operation, so the two paths
agree to the last bit or nearly (``tests/test_optim.py`` checks 1e-12 in float64).

Compilation options and why:

* ``fastmath=False``: no reassociation and no fused multiply-add, the same
  rounding as NumPy;
* ``error_model="numpy"``: division by zero gives inf/nan as in NumPy instead
  of raising; it also lets LLVM vectorise the loops (the default ``"python"``
  model puts a branch before every division and calls libm's ``sqrt``, which
  made Adam 8x slower in one thread);
* ``nogil=True`` only for the parallel kernels (long calls, during which the
  telemetry sampler thread may run); releasing the GIL costs about 0.2 µs a
  call, which would double the cost of a 31-parameter SGD step;
* ``cache=True``: compiled code is kept next to this file (or in numba's user
  cache directory), so only the first run on a machine pays for compilation.

Scalars arrive as Python floats and are cast to the array's dtype first
(``t = p.dtype.type``), so float32 arrays are updated in float32 arithmetic,
as NumPy (NEP 50) and torch do.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numba
from numba import prange

__all__ = ["SERIAL", "PARALLEL"]

_OPTIONS = {"fastmath": False, "error_model": "numpy"}
_inline = numba.njit(inline="always", **_OPTIONS)
_serial = numba.njit(cache=True, **_OPTIONS)
_parallel = numba.njit(cache=True, parallel=True, nogil=True, **_OPTIONS)


# --------------------------------------------------------------------------- elements


@_inline
def _sgd_at(i, p, g, buf, lr, wd, mom, damp1, nesterov, first):
    gi = g[i]
    if wd != 0:
        gi = gi + wd * p[i]
    if mom != 0:
        if first:
            b = gi
        else:
            b = buf[i] * mom + damp1 * gi
        buf[i] = b
        if nesterov:
            gi = gi + mom * b
        else:
            gi = b
    p[i] = p[i] - lr * gi


@_inline
def _adam_at(i, p, g, m, v, decay, wd, w1, omw1, small, b2, omb2, nss, bc2s, eps):
    pi = p[i]
    gi = g[i]
    if decay != 1:
        pi = pi * decay
    if wd != 0:
        gi = gi + wd * pi
    mi = m[i]
    if small:
        mi = mi + w1 * (gi - mi)
    else:
        mi = gi - (gi - mi) * omw1
    m[i] = mi
    vi = v[i] * b2 + omb2 * gi * gi
    v[i] = vi
    p[i] = pi + nss * mi / (math.sqrt(vi) / bc2s + eps)


@_inline
def _sf_sgd_at(i, y, g, x, z, lr, wd, c, omc, beta, ombeta):
    gi = g[i]
    if wd != 0:
        gi = gi + wd * y[i]
    zi = z[i] - lr * gi
    z[i] = zi
    xi = x[i] * omc + c * zi
    x[i] = xi
    y[i] = xi * beta + ombeta * zi


@_inline
def _sf_adamw_at(i, y, g, x, z, v, lr_wd, nlr, b2, omb2, bc2, eps, c, omc, beta, ombeta):
    gi = g[i]
    zi = z[i]
    if lr_wd != 0:
        zi = zi - lr_wd * y[i]
    vi = v[i] * b2 + omb2 * gi * gi
    v[i] = vi
    zi = zi + nlr * gi / (math.sqrt(vi / bc2) + eps)
    z[i] = zi
    xi = x[i] * omc + c * zi
    x[i] = xi
    y[i] = xi * beta + ombeta * zi


# --------------------------------------------------------------------------- one thread


@_serial
def sgd_plain(p, g, lr):
    """``p -= lr * g`` in one pass (SGD without momentum or weight decay)."""
    lr = p.dtype.type(lr)
    for i in range(p.shape[0]):
        p[i] = p[i] - lr * g[i]


@_serial
def sgd(p, g, buf, lr, wd, mom, damp1, nesterov, first):
    t = p.dtype.type
    lr, wd, mom, damp1 = t(lr), t(wd), t(mom), t(damp1)
    for i in range(p.shape[0]):
        _sgd_at(i, p, g, buf, lr, wd, mom, damp1, nesterov, first)


@_serial
def adam(p, g, m, v, decay, wd, w1, omw1, small, b2, omb2, nss, bc2s, eps):
    t = p.dtype.type
    decay, wd, w1, omw1, b2, omb2 = t(decay), t(wd), t(w1), t(omw1), t(b2), t(omb2)
    nss, bc2s, eps = t(nss), t(bc2s), t(eps)
    for i in range(p.shape[0]):
        _adam_at(i, p, g, m, v, decay, wd, w1, omw1, small, b2, omb2, nss, bc2s, eps)


@_serial
def sf_sgd(y, g, x, z, lr, wd, c, omc, beta, ombeta):
    t = y.dtype.type
    lr, wd, c, omc, beta, ombeta = t(lr), t(wd), t(c), t(omc), t(beta), t(ombeta)
    for i in range(y.shape[0]):
        _sf_sgd_at(i, y, g, x, z, lr, wd, c, omc, beta, ombeta)


@_serial
def sf_adamw(y, g, x, z, v, lr_wd, nlr, b2, omb2, bc2, eps, c, omc, beta, ombeta):
    t = y.dtype.type
    lr_wd, nlr, b2, omb2, bc2, eps = t(lr_wd), t(nlr), t(b2), t(omb2), t(bc2), t(eps)
    c, omc, beta, ombeta = t(c), t(omc), t(beta), t(ombeta)
    for i in range(y.shape[0]):
        _sf_adamw_at(i, y, g, x, z, v, lr_wd, nlr, b2, omb2, bc2, eps, c, omc, beta, ombeta)


# --------------------------------------------------------------------------- all threads


@_parallel
def sgd_plain_parallel(p, g, lr):
    lr = p.dtype.type(lr)
    for i in prange(p.shape[0]):
        p[i] = p[i] - lr * g[i]


@_parallel
def sgd_parallel(p, g, buf, lr, wd, mom, damp1, nesterov, first):
    t = p.dtype.type
    lr, wd, mom, damp1 = t(lr), t(wd), t(mom), t(damp1)
    for i in prange(p.shape[0]):
        _sgd_at(i, p, g, buf, lr, wd, mom, damp1, nesterov, first)


@_parallel
def adam_parallel(p, g, m, v, decay, wd, w1, omw1, small, b2, omb2, nss, bc2s, eps):
    t = p.dtype.type
    decay, wd, w1, omw1, b2, omb2 = t(decay), t(wd), t(w1), t(omw1), t(b2), t(omb2)
    nss, bc2s, eps = t(nss), t(bc2s), t(eps)
    for i in prange(p.shape[0]):
        _adam_at(i, p, g, m, v, decay, wd, w1, omw1, small, b2, omb2, nss, bc2s, eps)


@_parallel
def sf_sgd_parallel(y, g, x, z, lr, wd, c, omc, beta, ombeta):
    t = y.dtype.type
    lr, wd, c, omc, beta, ombeta = t(lr), t(wd), t(c), t(omc), t(beta), t(ombeta)
    for i in prange(y.shape[0]):
        _sf_sgd_at(i, y, g, x, z, lr, wd, c, omc, beta, ombeta)


@_parallel
def sf_adamw_parallel(y, g, x, z, v, lr_wd, nlr, b2, omb2, bc2, eps, c, omc, beta, ombeta):
    t = y.dtype.type
    lr_wd, nlr, b2, omb2, bc2, eps = t(lr_wd), t(nlr), t(b2), t(omb2), t(bc2), t(eps)
    c, omc, beta, ombeta = t(c), t(omc), t(beta), t(ombeta)
    for i in prange(y.shape[0]):
        _sf_adamw_at(i, y, g, x, z, v, lr_wd, nlr, b2, omb2, bc2, eps, c, omc, beta, ombeta)


SERIAL = SimpleNamespace(sgd_plain=sgd_plain, sgd=sgd, adam=adam, sf_sgd=sf_sgd, sf_adamw=sf_adamw)
PARALLEL = SimpleNamespace(
    sgd_plain=sgd_plain_parallel,
    sgd=sgd_parallel,
    adam=adam_parallel,
    sf_sgd=sf_sgd_parallel,
    sf_adamw=sf_adamw_parallel,
)
