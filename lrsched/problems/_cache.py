"""A tiny on-disk JSON cache for values that are expensive to compute (f* of a problem).

Directory, first that is set: ``$LRSCHED_CACHE_DIR``, ``$XDG_CACHE_HOME/lrsched``,
``~/.cache/lrsched``.  One file per entry, ``<dir>/<namespace>/<sha256(key)[:32]>.json``,
holding the key itself (checked on read, so a hash collision can never return
a wrong value) and the value.  Writes are atomic (a temporary file in the same
folder, then :func:`os.replace`), so concurrent processes at worst compute the
same value twice.  An unreadable or corrupt entry is recomputed; a folder that
cannot be written only costs the caching.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from typing import Any

__all__ = ["cache_dir", "cached"]

FORMAT = 1


def cache_dir() -> str:
    """The folder of lrsched's on-disk cache (not created here)."""
    explicit = os.environ.get("LRSCHED_CACHE_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return os.path.join(os.path.expanduser(xdg), "lrsched")
    return os.path.join(os.path.expanduser("~"), ".cache", "lrsched")


def _path(namespace: str, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return os.path.join(cache_dir(), namespace, f"{digest}.json")


def _read(path: str, key: str):
    try:
        with open(path, encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
        return None
    return entry


def _write(path: str, key: str, value: Any) -> None:
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"format": FORMAT, "key": key, "value": value}, handle)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass


def cached(namespace: str, key: str, compute: Callable[[], Any]) -> Any:
    """Return the JSON value stored under ``key``, computing and storing it if absent.

    ``compute()`` must return a JSON-serialisable value (``None``, numbers, strings,
    lists, dicts); non-finite floats are stored as JSON ``NaN``/``Infinity``.
    """
    path = _path(namespace, key)
    entry = _read(path, key)
    if entry is not None:
        return entry["value"]
    value = compute()
    _write(path, key, value)
    return value
