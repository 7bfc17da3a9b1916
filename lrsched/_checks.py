"""Argument checks used by every constructor.

Each check raises ``ValueError`` with one line that names the owner, the
argument, the value received and what is allowed, e.g.
``cosine: peak=-1 is not allowed; peak must be a number > 0``.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real

__all__ = ["number", "integer", "one_of", "boolean", "sequence_of_numbers", "output_file"]


def _fail(owner: str, name: str, value, allowed: str):
    raise ValueError(f"{owner}: {name}={value!r} is not allowed; {name} must be {allowed}")


def number(owner, name, value, *, low=None, high=None, low_open=False, high_open=False,
           finite=True, none=False):
    """Check a real number within optional bounds; returns it as a Python float."""
    if value is None and none:
        return None
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high:g}")
    allowed = "a " + ("finite " if finite else "") + "number" + (" " + " and ".join(bounds) if bounds else "")
    if none:
        allowed += " or None"
    if isinstance(value, bool) or not isinstance(value, Real):
        _fail(owner, name, value, allowed)
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        _fail(owner, name, value, allowed)
    if low is not None and (value < low or (low_open and value == low)):
        _fail(owner, name, value, allowed)
    if high is not None and (value > high or (high_open and value == high)):
        _fail(owner, name, value, allowed)
    return value


def integer(owner, name, value, *, low=None, high=None, none=False):
    """Check an integer within optional bounds; returns it as a Python int."""
    if value is None and none:
        return None
    bounds = []
    if low is not None:
        bounds.append(f">= {low}")
    if high is not None:
        bounds.append(f"<= {high}")
    allowed = "an integer" + (" " + " and ".join(bounds) if bounds else "") + (" or None" if none else "")
    if isinstance(value, bool):
        _fail(owner, name, value, allowed)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, Integral):
        _fail(owner, name, value, allowed)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        _fail(owner, name, value, allowed)
    return value


def one_of(owner, name, value, choices):
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        _fail(owner, name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def boolean(owner, name, value):
    if not isinstance(value, bool):
        _fail(owner, name, value, "True or False")
    return value


def sequence_of_numbers(owner, name, value, *, increasing=False, low=None):
    """Check a list/tuple of real numbers, optionally strictly increasing; returns a list."""
    allowed = "a list of numbers" + (" in increasing order" if increasing else "")
    if low is not None:
        allowed += f" >= {low:g}"
    if not isinstance(value, (list, tuple)):
        _fail(owner, name, value, allowed)
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, Real) or math.isnan(float(v)):
            _fail(owner, name, value, allowed)
        if low is not None and v < low:
            _fail(owner, name, value, allowed)
        out.append(v)
    if increasing and any(b <= a for a, b in zip(out, out[1:])):
        _fail(owner, name, value, allowed)
    return list(value)


def output_file(path, what: str = "output") -> str:
    """Return ``path`` as a string if a file can be written there, before any work is done;
    otherwise a one-line ``ValueError`` naming ``what`` (``"--log"``, ``"--plot"``, ...)."""
    path = os.fspath(path)
    if not path or os.path.isdir(path):
        raise ValueError(f"{what} {path!r} is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{what} {path!r}: folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{what} {path!r}: folder {folder!r} is not writable")
    return path
