"""Array backends: one place for everything that depends on the array library.

lrsched computes on NumPy by default, on CuPy when given CuPy arrays, and on any
library that implements the Python Array API standard (through
``array-api-compat``: PyTorch, ``array_api_strict``, JAX, ...).  Kernels start
with ``xp = namespace(*arrays)``; functions that only create arrays take
keyword-only ``xp=``, ``device=`` and ``dtype=``.

NumPy fast path: NumPy >= 2 implements the standard in its main namespace, so
``namespace`` returns the ``numpy`` module itself for NumPy arrays rather than
the ``array_api_compat.numpy`` wrapper (each wrapped call costs a Python frame,
which matters on the per-step hot path of small problems).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = [
    "namespace",
    "to_numpy",
    "device",
    "synchronize",
    "asarray",
    "is_numpy",
    "is_cupy",
    "resolve",
    "default_dtype",
    "tolerance",
    "xp_name",
]

_NUMPY2 = int(np.__version__.split(".")[0]) >= 2


def namespace(*arrays: Any):
    """Return the Array API namespace of ``arrays`` (the ``numpy`` module for NumPy).

    >>> import numpy as np
    >>> namespace(np.zeros(3)) is np
    True
    """
    if _NUMPY2 and all(type(a) is np.ndarray for a in arrays if a is not None):
        return np
    import array_api_compat

    return array_api_compat.array_namespace(*[a for a in arrays if a is not None])


def is_numpy(xp) -> bool:
    """True when ``xp`` is NumPy (the module or its array-api-compat wrapper)."""
    return getattr(xp, "__name__", "") in ("numpy", "array_api_compat.numpy")


def is_cupy(xp) -> bool:
    """True when ``xp`` is CuPy (the module or its array-api-compat wrapper)."""
    return getattr(xp, "__name__", "") in ("cupy", "array_api_compat.cupy")


def xp_name(xp) -> str:
    """Short name of a namespace: ``numpy``, ``cupy``, ``torch``, ``array_api_strict``..."""
    name = getattr(xp, "__name__", str(xp))
    return name.replace("array_api_compat.", "")


def resolve(xp=None):
    """Return a namespace from ``None`` (NumPy), a module, or a name such as ``"torch"``."""
    if xp is None:
        return np
    if isinstance(xp, str):
        if xp == "numpy":
            return np
        try:
            module = __import__(xp)
        except ImportError as exc:
            raise ValueError(
                f"array backend {xp!r} is not installed; install it or use xp='numpy'"
            ) from exc
        import array_api_compat

        return array_api_compat.array_namespace(module.asarray([0.0]))
    if xp is np or getattr(xp, "__name__", "") == "array_api_compat.numpy":
        return np
    mod = getattr(xp, "__name__", "")
    if mod in ("torch", "cupy", "dask.array"):
        import array_api_compat

        return array_api_compat.array_namespace(xp.asarray([0.0]))
    return xp


def to_numpy(x: Any) -> np.ndarray:
    """Copy (or view) any backend's array as a NumPy array on the host."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (int, float, list, tuple)):
        return np.asarray(x)
    mod = type(x).__module__
    if mod.startswith("cupy"):
        return x.get()
    if mod.startswith("torch"):
        return x.detach().cpu().numpy()
    if mod.startswith("jax") or mod.startswith("jaxlib"):
        return np.asarray(x)
    import array_api_compat

    try:
        return np.asarray(array_api_compat.to_device(x, "cpu"))
    except Exception:  # array_api_strict and friends expose __dlpack__ or buffer
        try:
            return np.from_dlpack(x)
        except Exception:
            return np.asarray(x.tolist() if hasattr(x, "tolist") else x)


def device(x: Any):
    """The device of an array (``"cpu"`` for NumPy)."""
    if isinstance(x, np.ndarray):
        return "cpu"
    import array_api_compat

    return array_api_compat.device(x)


def synchronize(xp) -> None:
    """Wait for queued device work so timings are honest; a no-op on CPU backends."""
    name = getattr(xp, "__name__", "")
    if "cupy" in name:
        import cupy

        cupy.cuda.Device().synchronize()
    elif name.endswith("torch"):
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()


def default_dtype(xp):
    """The default floating dtype of ``xp`` (float64 for NumPy and CuPy)."""
    return xp.float64


def asarray(x, *, xp=None, device=None, dtype=None):
    """Convert ``x`` (any backend, or host data) to ``xp`` on ``device`` with ``dtype``."""
    xp = resolve(xp)
    if dtype is None:
        dtype = default_dtype(xp)
    elif isinstance(dtype, str):
        dtype = getattr(xp, dtype)
    if xp is np:
        return np.ascontiguousarray(to_numpy(x), dtype=dtype)
    host = to_numpy(x)
    if device is None:
        return xp.asarray(host, dtype=dtype)
    return xp.asarray(host, dtype=dtype, device=device)


def tolerance(dtype) -> float:
    """A relative tolerance suited to comparing results computed in ``dtype``."""
    name = str(dtype)
    if "16" in name:
        return 1e-2
    if "32" in name:
        return 1e-5
    return 1e-10
