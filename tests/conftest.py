"""Shared fixtures: the ``xp`` fixture runs a test on every available array backend."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

os.environ.setdefault("LRSCHED_CACHE_DIR", os.path.join(os.path.dirname(__file__), ".cache"))

try:  # one BLAS thread: tiny matrix products on a shared 2-core machine are much faster so
    from threadpoolctl import threadpool_limits

    _BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    _BLAS_LIMIT = None


def _backends():
    out = [pytest.param("numpy", id="numpy"), pytest.param("array_api_strict", id="strict")]
    if importlib.util.find_spec("torch") is not None:
        out.append(pytest.param("torch", id="torch"))
    if importlib.util.find_spec("cupy") is not None:
        out.append(pytest.param("cupy", id="cupy", marks=pytest.mark.gpu))
    return out


def _has_gpu() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@pytest.fixture(params=_backends())
def xp(request):
    """An Array API namespace: numpy and array_api_strict always, torch when installed,
    cupy when a GPU is present."""
    name = request.param
    if name == "numpy":
        return np
    if name == "cupy" and not _has_gpu():
        pytest.skip("cupy is installed but no CUDA GPU is present")
    module = pytest.importorskip(name)
    import array_api_compat

    return array_api_compat.array_namespace(module.asarray([0.0]))
