"""Fused single-pass optimizer kernels for CuPy arrays (``cupy.ElementwiseKernel``).

CuPy is imported by :func:`load`, which :data:`lrsched.optim._dispatch.kernels`
calls when a state on the ``"cupy"`` path is first used.  Each kernel reads
every array once and writes it once, the GPU counterpart of :mod:`lrsched.optim._numba_kernels`, with the
same operations in the same order.  ``T`` is the arrays' dtype (float32 or
float64); Python-float scalars are cast to ``T`` by CuPy, so float32 updates
run in float32 as in NumPy and torch.  NVRTC is told ``--fmad=false`` so that
``a * b + c`` is not contracted into a fused multiply-add: the kernels then
round like the reference path (and like NumPy); the updates are memory-bound,
so this costs no time.

The functions below take the same arguments as the numba kernels
(``sgd_plain``, ``sgd``, ``adam``, ``sf_sgd``, ``sf_adamw``); compiled
binaries are cached by CuPy in ``~/.cupy/kernel_cache``.
"""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["load"]

_OPTIONS = ("--fmad=false",)

_SGD_PLAIN = ("T g, T lr", "T p", "p = p - lr * g;")

_SGD_NO_MOMENTUM = (
    "T g, T lr, T wd",
    "T p",
    """
    T gi = g;
    if (wd != (T)0) gi = gi + wd * p;
    p = p - lr * gi;
    """,
)

_SGD = (
    "T g, T lr, T wd, T mom, T damp1, int32 nesterov, int32 first",
    "T p, T buf",
    """
    T gi = g;
    if (wd != (T)0) gi = gi + wd * p;
    T b = first ? gi : buf * mom + damp1 * gi;
    buf = b;
    gi = nesterov ? gi + mom * b : b;
    p = p - lr * gi;
    """,
)

_ADAM = (
    "T g, T decay, T wd, T w1, T omw1, int32 small, T b2, T omb2, T nss, T bc2s, T eps",
    "T p, T m, T v",
    """
    T pv = p;
    T gi = g;
    if (decay != (T)1) pv = pv * decay;
    if (wd != (T)0) gi = gi + wd * pv;
    T mi = small ? m + w1 * (gi - m) : gi - (gi - m) * omw1;
    m = mi;
    T vi = v * b2 + omb2 * gi * gi;
    v = vi;
    p = pv + nss * mi / (sqrt(vi) / bc2s + eps);
    """,
)

_SF_SGD = (
    "T g, T lr, T wd, T c, T omc, T beta, T ombeta",
    "T y, T x, T z",
    """
    T gi = g;
    if (wd != (T)0) gi = gi + wd * y;
    T zi = z - lr * gi;
    z = zi;
    T xi = x * omc + c * zi;
    x = xi;
    y = xi * beta + ombeta * zi;
    """,
)

_SF_ADAMW = (
    "T g, T lr_wd, T nlr, T b2, T omb2, T bc2, T eps, T c, T omc, T beta, T ombeta",
    "T y, T x, T z, T v",
    """
    T gi = g;
    T zi = z;
    if (lr_wd != (T)0) zi = zi - lr_wd * y;
    T vi = v * b2 + omb2 * gi * gi;
    v = vi;
    zi = zi + nlr * gi / (sqrt(vi / bc2) + eps);
    z = zi;
    T xi = x * omc + c * zi;
    x = xi;
    y = xi * beta + ombeta * zi;
    """,
)


def load():
    """Import CuPy, define the kernels and return them with the numba kernels' signatures."""
    import cupy

    def kernel(definition, name):
        in_params, out_params, body = definition
        return cupy.ElementwiseKernel(in_params, out_params, body, name, options=_OPTIONS)

    plain = kernel(_SGD_PLAIN, "lrsched_sgd_plain")
    no_momentum = kernel(_SGD_NO_MOMENTUM, "lrsched_sgd_no_momentum")
    momentum = kernel(_SGD, "lrsched_sgd")
    adam_kernel = kernel(_ADAM, "lrsched_adam")
    sf_sgd_kernel = kernel(_SF_SGD, "lrsched_sf_sgd")
    sf_adamw_kernel = kernel(_SF_ADAMW, "lrsched_sf_adamw")

    def sgd_plain(p, g, lr):
        plain(g, lr, p)

    def sgd(p, g, buf, lr, wd, mom, damp1, nesterov, first):
        if mom == 0:  # the buffer is neither read nor written (``buf`` may be ``p`` itself)
            no_momentum(g, lr, wd, p)
        else:
            momentum(g, lr, wd, mom, damp1, int(nesterov), int(first), p, buf)

    def adam(p, g, m, v, decay, wd, w1, omw1, small, b2, omb2, nss, bc2s, eps):
        adam_kernel(g, decay, wd, w1, omw1, int(small), b2, omb2, nss, bc2s, eps, p, m, v)

    def sf_sgd(y, g, x, z, lr, wd, c, omc, beta, ombeta):
        sf_sgd_kernel(g, lr, wd, c, omc, beta, ombeta, y, x, z)

    def sf_adamw(y, g, x, z, v, lr_wd, nlr, b2, omb2, bc2, eps, c, omc, beta, ombeta):
        sf_adamw_kernel(g, lr_wd, nlr, b2, omb2, bc2, eps, c, omc, beta, ombeta, y, x, z, v)

    return SimpleNamespace(
        sgd_plain=sgd_plain, sgd=sgd, adam=adam, sf_sgd=sf_sgd, sf_adamw=sf_adamw
    )
