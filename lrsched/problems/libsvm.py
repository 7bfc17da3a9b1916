"""A small, strict reader for LIBSVM / svmlight text files.

Format (one sample per line)::

    <label> <index>:<value> <index>:<value> ... [# comment]

Indices are 1-based positive integers, each at most once per line, in any
order; absent features are 0.  Blank lines and lines starting with ``#`` are
skipped.  The number of features is the largest index seen.  ``qid:`` tokens
(ranking files) are not supported.  The result is dense (this package works
on dense arrays); it agrees with :func:`sklearn.datasets.load_svmlight_file`
(``zero_based=False``) on valid files.

Every malformed line raises a one-line ``ValueError`` naming the file, the
line number and the offending token; a missing file raises
``FileNotFoundError`` naming the path.

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile("w", suffix=".svm", delete=False) as f:
...     _ = f.write("+1 1:0.5 3:2\\n-1 2:1 # note\\n")
>>> X, y = read_libsvm(f.name); os.remove(f.name)
>>> X.tolist(), y.tolist()
([[0.5, 0.0, 2.0], [0.0, 1.0, 0.0]], [1.0, -1.0])
"""

from __future__ import annotations

import math
import os

import numpy as np

__all__ = ["read_libsvm"]


def _number(text: str, path: str, lineno: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{path}, line {lineno}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{path}, line {lineno}: {what} {text!r} is not finite")
    return value


def read_libsvm(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read a LIBSVM file into a dense ``(X, y)`` pair of float64 arrays.

    Parameters
    ----------
    path : str
        The file to read.

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, n_features)
    y : numpy.ndarray, shape (n_samples,)

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        A malformed line (the message names the line number), or a file
        without samples.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"LIBSVM file not found: {path!r}")
    labels: list[float] = []
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            content = line.split("#", 1)[0].strip()
            if not content:
                continue
            tokens = content.split()
            row = len(labels)
            labels.append(_number(tokens[0], path, lineno, "label"))
            seen: set[int] = set()
            for token in tokens[1:]:
                index, sep, value = token.partition(":")
                if not sep or not index or not value:
                    raise ValueError(
                        f"{path}, line {lineno}: bad token {token!r}; expected index:value"
                    )
                if index == "qid":
                    raise ValueError(f"{path}, line {lineno}: qid tokens (ranking files) are not supported")
                try:
                    j = int(index)
                except ValueError:
                    raise ValueError(
                        f"{path}, line {lineno}: index {index!r} in {token!r} is not an integer"
                    ) from None
                if j < 1:
                    raise ValueError(
                        f"{path}, line {lineno}: index {j} in {token!r} is not allowed; "
                        "indices are 1-based"
                    )
                if j in seen:
                    raise ValueError(f"{path}, line {lineno}: index {j} appears twice")
                seen.add(j)
                rows.append(row)
                cols.append(j - 1)
                vals.append(_number(value, path, lineno, "value"))
    if not labels:
        raise ValueError(f"{path}: no samples (the file is empty or only comments)")
    n_features = max(cols) + 1 if cols else 1
    X = np.zeros((len(labels), n_features), dtype=np.float64)
    if cols:
        X[np.asarray(rows), np.asarray(cols)] = np.asarray(vals, dtype=np.float64)
    return X, np.asarray(labels, dtype=np.float64)
