"""Data sets: standardised features and targets behind every data-driven problem.

A :class:`Dataset` holds a dense float64 feature matrix whose columns are
standardised (mean 0, standard deviation 1 with ``ddof=0``; a constant column is
left at 0) and its targets: class labels for classification, or real values for
regression, which are standardised too so that losses are comparable across
data sets.

Where a data set comes from (the ``dataset=`` argument of a problem):

* a scikit-learn bundled set, by name: ``breast_cancer``, ``digits``, ``wine``,
  ``iris`` (classification) and ``diabetes`` (regression); nothing is downloaded
  (needs the ``datasets`` extra, i.e. scikit-learn);
* ``"libsvm:/path/to/file"``: a LIBSVM/svmlight text file
  (:func:`lrsched.problems.libsvm.read_libsvm`), read densely;
* a synthetic generator, itself a spec of kind ``dataset``
  (``synthetic_classification(...)``, ``synthetic_regression(...)``);
* user arrays, :meth:`Dataset.from_arrays`; such a data set prints in specs as
  ``"name@<content hash>"``, which :func:`load_dataset` resolves in the same
  process only (the arrays themselves are not in the spec).

>>> ds = Dataset.from_arrays([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]], [0, 1, 1], name="toy")
>>> ds.X[:, 0].round(4).tolist(), ds.X[:, 1].tolist(), ds.n_classes
([-1.2247, 0.0, 1.2247], [0.0, 0.0, 0.0], 2)
"""

from __future__ import annotations

import hashlib
import os
import weakref
from typing import Any

import numpy as np

__all__ = ["Dataset", "load_dataset", "spec_value", "SKLEARN_DATASETS", "standardize"]

#: scikit-learn loaders by name, and whether the set is a classification task.
SKLEARN_DATASETS = {
    "breast_cancer": ("load_breast_cancer", "classification"),
    "digits": ("load_digits", "classification"),
    "wine": ("load_wine", "classification"),
    "iris": ("load_iris", "classification"),
    "diabetes": ("load_diabetes", "regression"),
}
TASKS = ("classification", "regression")

_USER_DATASETS: weakref.WeakValueDictionary[str, Dataset] = weakref.WeakValueDictionary()
_SKLEARN_CACHE: dict[str, Dataset] = {}


def standardize(X) -> np.ndarray:
    """Columns scaled to mean 0 and standard deviation 1; constant columns become 0.

    ``X_j <- (X_j - mean_j) / std_j`` with ``std_j = sqrt(mean((X_j - mean_j)^2))``;
    where ``std_j`` is 0 (or below ``1e-12 * max|X_j|``, i.e. rounding noise) the
    column is set to 0.
    """
    X = np.array(X, dtype=np.float64, copy=True, order="C")
    mean = X.mean(axis=0)
    X -= mean
    std = np.sqrt((X * X).mean(axis=0))
    scale = np.abs(X).max(axis=0, initial=0.0)
    constant = std <= 1e-12 * np.maximum(scale, np.finfo(np.float64).tiny)
    X[:, constant] = 0.0
    std[constant] = 1.0
    X /= std
    return X


class Dataset:
    """Standardised features ``X`` (n, d) and targets ``y`` of one data set.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Raw features; standardised on construction (see :func:`standardize`).
    y : array_like, shape (n,)
        Class labels (classification) or real targets (regression, standardised).
    name : str
        The identifier printed in specs.
    task : {"classification", "regression"} or None
        ``None`` infers it: integer or boolean labels, or real labels that are all
        integers with at most 100 distinct values, mean classification.

    Attributes
    ----------
    X : numpy.ndarray
        Read-only standardised float64 features, C-contiguous.
    y : numpy.ndarray
        Read-only targets: labels as given (classification) or standardised floats.
    labels : numpy.ndarray or None
        Class indices ``0..k-1`` into ``label_values`` (classification only).
    label_values : numpy.ndarray or None
        The sorted distinct labels (classification only).
    """

    def __init__(self, X, y, *, name: str, task: str | None = None):
        self._set_data(X, y, name=name, task=task)

    def _set_data(self, X, y, *, name: str, task: str | None) -> None:
        owner = name if isinstance(name, str) else "Dataset"
        X = np.asarray(X)
        y = np.asarray(y)
        if X.ndim != 2:
            raise ValueError(f"{owner}: X must be a 2-D array (samples, features), got shape {X.shape}")
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"{owner}: y must be a 1-D array with one entry per row of X "
                f"({X.shape[0]}), got shape {y.shape}"
            )
        if X.shape[0] < 2 or X.shape[1] < 1:
            raise ValueError(f"{owner}: need at least 2 samples and 1 feature, got shape {X.shape}")
        if not np.issubdtype(X.dtype, np.number) or not np.all(np.isfinite(X)):
            raise ValueError(f"{owner}: X must hold finite numbers")
        if task is None:
            task = _infer_task(y)
        if task not in TASKS:
            raise ValueError(f"{owner}: task={task!r} is not allowed; task must be one of {TASKS}")
        self.name = name
        self.task = task
        self.X = standardize(X)
        self.X.flags.writeable = False
        self.labels = self.label_values = None
        if task == "classification":
            self.label_values, labels = np.unique(y, return_inverse=True)
            if self.label_values.size < 2:
                raise ValueError(f"{owner}: a classification data set needs at least 2 classes")
            self.labels = labels.astype(np.int64).reshape(-1)
            self.labels.flags.writeable = False
            self.y = np.array(y)
        else:
            if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
                raise ValueError(f"{owner}: regression targets must be finite numbers")
            self.y = standardize(y.astype(np.float64).reshape(-1, 1)).reshape(-1)
        self.y.flags.writeable = False
        self._fingerprint = None
        self._source = None

    @classmethod
    def from_arrays(cls, X, y, *, name: str = "arrays", task: str | None = None) -> Dataset:
        """A data set from user arrays; it prints in specs as ``"name@<hash>"``.

        The hash is the first 12 hex digits of :attr:`fingerprint`; within this
        process :func:`load_dataset` (and so :func:`lrsched.spec.parse`) finds the
        data set again from that string.
        """
        if not isinstance(name, str) or not name or "@" in name or ":" in name:
            raise ValueError(
                f"Dataset.from_arrays: name={name!r} is not allowed; name must be a "
                "non-empty string without '@' or ':'"
            )
        ds = cls.__new__(cls)
        ds._set_data(X, y, name=name, task=task)
        ds.name = f"{name}@{ds.fingerprint[:12]}"
        _USER_DATASETS[ds.name] = ds
        return ds

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int | None:
        return None if self.label_values is None else int(self.label_values.size)

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the standardised data, shapes and task."""
        if self._fingerprint is None:
            h = hashlib.sha256()
            h.update(f"{self.task}|{self.X.shape}|".encode())
            h.update(np.ascontiguousarray(self.X).tobytes())
            if self.labels is not None:
                h.update(self.labels.tobytes())
            else:
                h.update(np.ascontiguousarray(self.y).tobytes())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def describe(self) -> str:
        """One line: name, shape and task."""
        kind = f"{self.n_classes} classes" if self.task == "classification" else "regression"
        return f"{self.name}: {self.n_samples} samples x {self.n_features} features, {kind}"

    def __repr__(self) -> str:
        return f"<Dataset {self.describe()}>"


def _infer_task(y: np.ndarray) -> str:
    if y.dtype == bool or np.issubdtype(y.dtype, np.integer) or not np.issubdtype(y.dtype, np.number):
        return "classification"
    if np.all(np.isfinite(y)) and np.all(y == np.round(y)) and np.unique(y).size <= 100:
        return "classification"
    return "regression"


def _load_sklearn(name: str) -> Dataset:
    cached = _SKLEARN_CACHE.get(name)
    if cached is not None:
        return cached
    try:
        from sklearn import datasets as skd
    except ImportError as exc:  # pragma: no cover - scikit-learn is a test dependency
        raise ImportError(
            f"data set {name!r} is bundled with scikit-learn, which is not installed; "
            "install the `datasets` extra: pip install 'lrsched[datasets]'"
        ) from exc
    loader, task = SKLEARN_DATASETS[name]
    X, y = getattr(skd, loader)(return_X_y=True)
    ds = Dataset(X, y, name=name, task=task)
    ds._source = name
    _SKLEARN_CACHE[name] = ds
    return ds


def load_dataset(name: Any) -> Dataset:
    """Resolve a ``dataset=`` argument to a :class:`Dataset`.

    Parameters
    ----------
    name : str or Dataset
        A :class:`Dataset` (returned as is); a scikit-learn name (see
        :data:`SKLEARN_DATASETS`); ``"libsvm:PATH"`` or a plain path to a LIBSVM file; a dataset spec such as
        ``"synthetic_regression(n=500)"``; or the ``"name@hash"`` of a data set
        made with :meth:`Dataset.from_arrays` in this process.

    Raises
    ------
    ValueError
        Unknown names, with the list of what is allowed.
    FileNotFoundError
        A LIBSVM path that does not exist (the message names the path).
    """
    if isinstance(name, Dataset):
        return name
    if not isinstance(name, str):
        raise ValueError(
            f"dataset={name!r} is not allowed; dataset must be a name, 'libsvm:PATH', "
            "a dataset spec or a Dataset"
        )
    if name in SKLEARN_DATASETS:
        return _load_sklearn(name)
    if ("(" not in name and not name.startswith("libsvm:")
            and (os.sep in name or os.path.isfile(os.path.expanduser(name)))):
        name = "libsvm:" + name  # a plain path is a LIBSVM file (DESIGN §7)
    if name.startswith("libsvm:"):
        from .libsvm import read_libsvm

        path = os.path.expanduser(name[len("libsvm:"):])
        X, y = read_libsvm(path)
        ds = Dataset(X, y, name=name)
        ds._source = name
        return ds
    if "@" in name and "(" not in name:
        found = _USER_DATASETS.get(name)
        if found is None:
            raise ValueError(
                f"dataset={name!r} was made with Dataset.from_arrays outside this process "
                "(or freed); pass the Dataset object itself"
            )
        return found
    if "(" in name:
        from ..spec import parse

        return parse(name, kind="dataset")
    raise ValueError(
        f"dataset={name!r} is not allowed; dataset must be one of "
        f"{', '.join(SKLEARN_DATASETS)}, 'libsvm:PATH', synthetic_classification(...), "
        "synthetic_regression(...) or a Dataset"
    )


def spec_value(ds: Dataset):
    """What a problem stores as its ``dataset`` attribute, so specs print and parse back.

    A registered generator prints as its own nested spec; a bundled or LIBSVM set
    as the name it was loaded by; any other :class:`Dataset` as ``"name@hash"``,
    registered for :func:`load_dataset` in this process.
    """
    if getattr(type(ds), "spec_name", None) is not None:
        return ds
    if ds._source is not None:
        return ds._source
    key = ds.name if "@" in ds.name else f"{ds.name}@{ds.fingerprint[:12]}"
    _USER_DATASETS[key] = ds
    return key
