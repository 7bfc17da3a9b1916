"""Shared machinery of problems: per-backend data caches and seeded minibatch streams.

Each problem prepares its constant arrays once in NumPy float64 (``_prepare``):
*sample* arrays (first axis = samples, permuted by minibatching) and *constant*
arrays (masks, spectra).  They are converted lazily to the namespace, device and
dtype of the parameters they meet and cached per ``(array type, dtype, device)``.

Hot path: the last conversion used is kept in a one-entry tuple
``_hot = (array type, dtype, device or None, entry)`` checked with ``is``
(``==`` for devices), so a full-batch call on the same parameters' kind costs a
few attribute reads and no dictionary work.  ``entry.fast`` is true for plain
NumPy arrays, where problems may use in-place ufuncs (``out=``); every other
namespace takes the plain Array-API reference path.  NumPy keeps the memory
layout ``_prepare`` chose; other namespaces get C-contiguous copies.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from .. import backend
from .._checks import integer
from .base import Problem
from .datasets import Dataset, load_dataset, spec_value

__all__ = ["Converted", "CachedProblem", "DataProblem", "lambda_max_gram"]


class Converted:
    """A problem's prepared arrays in one namespace/device/dtype."""

    __slots__ = ("xp", "fast", "samples", "consts", "device", "dtype")

    def __init__(self, xp, fast, samples, consts, device, dtype):
        self.xp = xp
        self.fast = fast
        self.samples = samples
        self.consts = consts
        self.device = device
        self.dtype = dtype


class CachedProblem(Problem):
    """A problem whose constant arrays are converted per backend on first use."""

    _hot: tuple = (None, None, None, None)

    def _prepare(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """``(sample arrays, constant arrays)`` in NumPy float64."""
        raise NotImplementedError

    def _data(self, params) -> Converted:
        """The prepared arrays in the namespace/device/dtype of ``params``."""
        h = self._hot
        if type(params) is h[0] and params.dtype is h[1] and (h[2] is None or params.device == h[2]):
            return h[3]
        return self._lookup(params)

    def _lookup(self, params) -> Converted:
        xp = backend.namespace(params)
        fast = xp is np
        dev = None if fast else backend.device(params)
        dtype = params.dtype
        key = (type(params), str(dtype), None if dev is None else str(dev))
        cache = self.__dict__.setdefault("_converted", {})
        entry = cache.get(key)
        if entry is None:
            if not xp.isdtype(dtype, "real floating"):
                raise ValueError(
                    f"{self.spec_name}: parameters of dtype {dtype} are not allowed; "
                    "use a real floating dtype (init() gives float64 by default)"
                )
            prepared = self.__dict__.get("_prepared")
            if prepared is None:
                prepared = self._prepared = self._prepare()
            samples, consts = prepared

            def convert(a):
                if fast:  # keep the prepared memory layout (a problem may want Fortran order)
                    return np.asarray(a, dtype=dtype)
                return backend.asarray(np.array(a, order="C"), xp=xp, device=dev, dtype=dtype)

            entry = Converted(xp, fast, tuple(map(convert, samples)), tuple(map(convert, consts)),
                              dev, dtype)
            cache[key] = entry
        self._hot = (type(params), dtype, dev, entry)
        return entry

    def _entry_for(self, xp, device, dtype) -> Converted:
        probe = backend.asarray(np.zeros(1), xp=xp, device=device, dtype=dtype)
        return self._lookup(probe)

    def _start(self, seed: int) -> np.ndarray:
        """The initial parameters in NumPy float64 (override)."""
        return np.zeros(self.dim)

    def init(self, seed: int = 0, *, xp=None, device=None, dtype=None):
        seed = integer(self.spec_name, "seed", seed, low=0)
        return backend.asarray(self._start(seed), xp=xp, device=device, dtype=dtype)

    def __getstate__(self):  # converted arrays (maybe on a GPU) are not pickled
        state = self.__dict__.copy()
        for key in ("_hot", "_converted"):
            state.pop(key, None)
        return state


class DataProblem(CachedProblem):
    """A problem over the samples of a :class:`~lrsched.problems.datasets.Dataset`."""

    data: Dataset

    def _set_dataset(self, owner: str, dataset) -> Dataset:
        try:
            data = load_dataset(dataset)
        except ValueError as exc:
            message = str(exc)
            raise ValueError(message if message.startswith(owner) else f"{owner}: {message}") from None
        self.data = data
        self.dataset = spec_value(data)
        self.n_samples = data.n_samples
        return data

    def batches(self, seed: int, batch_size: int | None, *, xp=None, device=None,
                dtype=None) -> Iterator[tuple[object, int]]:
        """Infinite ``(batch, n)`` stream; see the module docstring of :mod:`lrsched.problems`.

        Each epoch draws ``numpy.random.default_rng(seed)``'s next permutation of
        the samples, gathers the prepared sample arrays in that order once (one
        ``take``) and yields consecutive slices of ``batch_size`` rows (the last,
        partial one included).  ``batch_size=None`` or ``>= n_samples`` yields
        ``(None, n_samples)``: full batches.
        """
        owner = self.spec_name
        seed = integer(owner, "seed", seed, low=0)
        batch_size = integer(owner, "batch_size", batch_size, low=1, none=True)
        n = self.n_samples
        entry = self._entry_for(xp, device, dtype)
        if batch_size is None or batch_size >= n:
            return itertools.repeat((None, n))
        return _minibatches(entry, n, seed, batch_size)


def _minibatches(entry: Converted, n: int, seed: int, size: int):
    rng = np.random.default_rng(seed)
    xp = entry.xp
    while True:
        perm = rng.permutation(n)
        if entry.fast:
            shuffled = [np.take(a, perm, axis=0) for a in entry.samples]
        else:
            index = backend.asarray(perm, xp=xp, device=entry.device, dtype=xp.int64)
            shuffled = [xp.take(a, index, axis=0) for a in entry.samples]
        for start in range(0, n, size):
            stop = min(start + size, n)
            yield tuple(a[start:stop, ...] for a in shuffled), stop - start


def lambda_max_gram(X: np.ndarray) -> float:
    """Largest eigenvalue of ``X^T X`` (through the smaller of ``X^T X`` and ``X X^T``)."""
    n, d = X.shape
    if min(n, d) <= 3000:
        G = X.T @ X if d <= n else X @ X.T
        return float(np.linalg.eigvalsh(G)[-1])
    from scipy.sparse.linalg import LinearOperator, eigsh

    op = LinearOperator((d, d), matvec=lambda v: X.T @ (X @ v), dtype=np.float64)
    return float(eigsh(op, k=1, which="LA", return_eigenvectors=False, tol=1e-10)[0])
