"""Which code computes an optimizer step: the reference path or a fused fast path.

Every optimizer holds its update twice, with the same operations in the same order:

* the **reference** path: plain Array API code (NumPy, ``array_api_strict``,
  torch, CuPy, ...), one array operation per line, easy to read and to check
  against the papers and against ``torch.optim``;
* a **fused** path: one pass over memory that reads each array once and writes
  it once.  On the CPU the kernels are compiled with numba
  (:mod:`lrsched.optim._numba_kernels`); on a GPU they are
  ``cupy.ElementwiseKernel`` s (:mod:`lrsched.optim._cupy_kernels`).

``opt.init(params)`` picks the path once and records it in ``state["path"]``
(a string, so the state stays JSON-friendly), so that a step costs one string
comparison and no probing of the arrays:

=====================  ==========================================================
``"reference"``        the Array API code (any backend)
``"numba"``            numba, one thread; NumPy float32/float64, 1-D, C-contiguous
``"numba-parallel"``   numba ``prange`` over all threads, for ``params.size >=``
                       :data:`PARALLEL_MIN_SIZE`
``"cupy"``             ``cupy.ElementwiseKernel``; CuPy float32/float64, contiguous
=====================  ==========================================================

How to choose
-------------
``opt.path`` (an attribute, not a spec argument, so it never changes a trial's
identity) is ``"auto"`` by default: the fused path when one applies, else the
reference.  Set it to ``"reference"`` to force the reference path, or to
``"fast"`` to require a fused path (``init`` raises ``ValueError`` when none
applies).  The environment variable ``LRSCHED_FAST=0`` turns ``"auto"`` into
``"reference"`` for the whole process.  numba and CuPy are imported only when a
state on their path is first stepped or initialised, never by ``import lrsched``.

Measured on this project's 2-core CPU machine (numba 0.68, float32, Adam):
one thread beats two below about 10^4 elements (the parallel launch costs
about 2 µs); at 10^6 two threads take 0.2 ms against 0.4 ms.  Even for 31
elements a numba call (about 0.25 µs) is cheaper than NumPy's
``params -= lr * grad`` (about 0.9 µs), so there is no separate small-vector
NumPy path.  ``benchmarks/bench_optim.py`` reproduces these figures.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

__all__ = ["PARALLEL_MIN_SIZE", "PATHS", "choose", "kernels", "fast_enabled"]

#: Smallest vector for which the numba kernels run on all threads.
PARALLEL_MIN_SIZE = 1 << 15

#: The values of ``state["path"]``.
PATHS = ("reference", "numba", "numba-parallel", "cupy")

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_numba_available: bool | None = None


def fast_enabled() -> bool:
    """False when the environment variable ``LRSCHED_FAST`` is ``0`` (or ``false``/``no``/``off``)."""
    return os.environ.get("LRSCHED_FAST", "1").strip().lower() not in ("0", "false", "no", "off")


def _has_numba() -> bool:
    global _numba_available
    if _numba_available is None:
        _numba_available = importlib.util.find_spec("numba") is not None
    return _numba_available


def _fused_path(params) -> str | None:
    """The fused path that applies to ``params``, or ``None``."""
    dtype = getattr(params, "dtype", None)
    if type(params) is np.ndarray:
        if (dtype in _FLOATS and params.ndim == 1 and params.flags.c_contiguous
                and _has_numba()):
            return "numba-parallel" if params.size >= PARALLEL_MIN_SIZE else "numba"
        return None
    if type(params).__module__.startswith("cupy"):
        if dtype in _FLOATS and params.flags.c_contiguous:
            return "cupy"
    return None


def choose(owner: str, path: str, params) -> str:
    """The value of ``state["path"]`` for ``params`` under the optimizer's ``path`` setting."""
    if path == "reference":
        return "reference"
    if path not in ("auto", "fast"):
        raise ValueError(
            f"{owner}: path={path!r} is not allowed; path must be one of 'auto', 'reference', 'fast'"
        )
    fused = _fused_path(params)
    if path == "fast":
        if fused is None:
            raise ValueError(
                f"{owner}: path='fast' needs NumPy (with numba installed) or CuPy float32/float64 "
                f"contiguous 1-D parameters, got {type(params).__name__} "
                f"of dtype {getattr(params, 'dtype', None)}; use path='auto'"
            )
        return fused
    if fused is None or not fast_enabled():
        return "reference"
    return fused


class _Kernels(dict):
    """``kernels[path]``: the kernel set of a fused path, imported on first use."""

    def __missing__(self, path):
        if path == "numba":
            from ._numba_kernels import SERIAL as found
        elif path == "numba-parallel":
            from ._numba_kernels import PARALLEL as found
        elif path == "cupy":
            from ._cupy_kernels import load

            found = load()
        else:
            raise ValueError(f"state['path']={path!r} is not a fused path; allowed: {PATHS[1:]}")
        self[path] = found
        return found


#: ``kernels[state["path"]]`` is an object with the functions ``sgd_plain``,
#: ``sgd``, ``adam``, ``sf_sgd`` and ``sf_adamw`` (same signatures on every path).
kernels = _Kernels()
