"""Reading TOML tables with one-line errors that name the file, the table and the key.

A suite file is read through :class:`Table`: :meth:`Table.expect` rejects
unknown keys up front with a "did you mean" suggestion, each ``take`` consumes
one key and checks its type, and :meth:`Table.finish` rejects any key left
over.  :func:`seeds_of`, :func:`budget_of` and :func:`batch_sizes` read the
values shared by the top level and the problem entries.  Every error is a :class:`SuiteError` (a
``ValueError``) whose message starts with the file name, e.g.
``quick.toml: [budget] unknown key 'step' (did you mean 'steps'?); allowed: steps, epochs``.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from ..progress import Budget

__all__ = ["SuiteError", "Table", "seeds_of", "budget_of", "batch_sizes"]

_MISSING = object()


class SuiteError(ValueError):
    """A mistake in a suite file; the message is one line naming the file, table and key."""


_TYPE_NAMES = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
               list: "a list", dict: "a table"}


def _type_name(value) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class Table:
    """One TOML table being read; ``where`` is how errors name it (``"[budget]"``, ``""``)."""

    def __init__(self, data: dict, file: str, where: str = ""):
        if not isinstance(data, dict):
            raise SuiteError(f"{file}: {where or 'the file'} must be a table, "
                             f"got {_type_name(data)}")
        self.data = data
        self.file = file
        self.where = where
        self.allowed: list[str] = []

    # ------------------------------------------------------------------ errors
    def error(self, message: str, key: str | None = None) -> SuiteError:
        place = " ".join(p for p in (self.where, key) if p)
        if place:
            return SuiteError(f"{self.file}: {place}: {message}")
        return SuiteError(f"{self.file}: {message}")

    # ------------------------------------------------------------------ reading
    def has(self, key: str) -> bool:
        return key in self.data

    def take(self, key: str, default: Any = _MISSING, *, kinds: tuple = (), what: str = ""):
        """The value of ``key`` (``default`` when absent), checked against ``kinds``."""
        self.allowed.append(key)
        if key not in self.data:
            if default is _MISSING:
                raise self.error(f"the key {key!r} is required" + (f" ({what})" if what else ""))
            return default
        value = self.data[key]
        wrong = not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
        if kinds and wrong:
            expected = what or " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.error(f"must be {expected}, got {value!r}", key)
        return value

    def sub(self, key: str, default: Any = _MISSING) -> Table | None:
        """The sub-table ``key`` as a :class:`Table` (``default`` when absent)."""
        value = self.take(key, default, kinds=(dict,), what="a table")
        if value is default and default is not _MISSING:
            return value
        where = f"[{key}]" if not self.where else f"{self.where}.{key}"
        return Table(value, self.file, where)

    def expect(self, keys) -> None:
        """Declare every allowed key up front, so a misspelt one is reported before anything
        else (a misspelt required key would otherwise be reported as missing)."""
        self.allowed = list(keys)
        self.finish()
        self.allowed = []

    def finish(self) -> None:
        """Reject keys nobody took."""
        for key in self.data:
            if key not in self.allowed:
                close = difflib.get_close_matches(key, self.allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                scope = f"{self.where} unknown key" if self.where else "unknown top-level key"
                raise SuiteError(f"{self.file}: {scope} {key!r}{hint}; allowed: "
                                 + ", ".join(self.allowed))

    # ------------------------------------------------------------------ typed helpers
    def positive(self, key: str, default: Any = _MISSING, *, integer: bool = False):
        """A finite number > 0 (an integer when ``integer``)."""
        kinds = (int,) if integer else (int, float)
        value = self.take(key, default, kinds=kinds,
                          what="an integer > 0" if integer else "a number > 0")
        if value is default and default is not _MISSING:
            return value
        if not (math.isfinite(value) and value > 0):
            raise self.error(f"{value!r} is not allowed; it must be "
                             f"{'an integer' if integer else 'a finite number'} > 0", key)
        return value

    def numbers(self, key: str, default: Any = _MISSING, *, low=None, high=None,
                what: str = "numbers") -> list | None:
        """A non-empty list of finite numbers, optionally inside the open interval (low, high)."""
        value = self.take(key, default, kinds=(list,), what=f"a list of {what}")
        if value is default and default is not _MISSING:
            return value
        if not value:
            raise self.error(f"is empty; give at least one of the {what}", key)
        for item in value:
            bad = isinstance(item, bool) or not isinstance(item, (int, float))
            if not bad:
                bad = not math.isfinite(item) or (low is not None and not item > low) or (
                    high is not None and not item < high)
            if bad:
                bounds = ""
                if low is not None and high is not None:
                    bounds = f" strictly between {low:g} and {high:g}"
                elif low is not None:
                    bounds = f" > {low:g}"
                raise self.error(f"{item!r} is not allowed; give {what}{bounds}", key)
        return [float(v) for v in value]


def seeds_of(top: Table) -> list[int]:
    """``seeds``: a count ``n`` (seeds ``0 … n-1``) or a list of distinct integers >= 0."""
    value = top.take("seeds", kinds=(int, list), what="a count or a list of integers")
    if isinstance(value, int):
        if value < 1:
            raise top.error(f"{value!r} is not allowed; give a count >= 1 or a list", "seeds")
        return list(range(value))
    if not value:
        raise top.error("is empty; give at least one seed", "seeds")
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in value):
        raise top.error(f"{value!r} is not allowed; seeds are integers >= 0", "seeds")
    if len(set(value)) != len(value):
        raise top.error(f"{value!r} repeats a seed", "seeds")
    return list(value)


def budget_of(table: Table | None) -> Budget | None:
    """A ``[budget]`` table as a :class:`~lrsched.progress.Budget` (``None`` when absent)."""
    if table is None:
        return None
    kwargs = {}
    for key in ("steps", "epochs", "samples", "seconds", "joules"):
        value = table.take(key, None, kinds=(int, float))
        if value is not None:
            kwargs[key] = value
    table.finish()
    try:
        return Budget(**kwargs)
    except ValueError as exc:
        message = str(exc).removeprefix("Budget: ").removeprefix("Budget ")
        raise table.error(message) from None


def batch_sizes(table: Table, value, key: str) -> list[int | None]:
    """A batch size or a list of them: integers > 0, or ``"full"`` (``None``: full batch)."""
    values = value if isinstance(value, list) else [value]
    if not values:
        raise table.error("is empty; give an integer > 0 or 'full'", key)
    out = []
    for v in values:
        if v == "full":
            out.append(None)
        elif isinstance(v, int) and not isinstance(v, bool) and v > 0:
            out.append(v)
        else:
            raise table.error(f"{v!r} is not allowed; use an integer > 0 or 'full'", key)
    return out
