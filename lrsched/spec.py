"""The one spec grammar for every component, and the registries behind it.

A spec is ``name(key=value, ...)`` where values are Python literals (numbers,
strings, booleans, ``None``, lists, tuples, dicts, ``inf``, ``nan``) or nested
specs, e.g. ``warmup(cosine(peak=0.1, horizon=900), steps=100)``.  Parsing
uses :mod:`ast` on literals only: nothing is ever evaluated.

Components register under a kind (``problem``, ``optimizer``, ``schedule``,
``policy``, ``dataset``) with :func:`register`; names are unique across kinds,
so ``kind=`` in :func:`parse` is only a check.  Every constructor parameter of a
registered class is stored as an attribute of the same name; :func:`spec` reads
them back to print the object's canonical spec, which round-trips:
``spec(parse(text))`` is the canonical form of ``text``.

>>> from lrsched.spec import parse, spec
>>> spec(parse("cosine(horizon=1000, peak=0.1)"))
'cosine(peak=0.1, horizon=1000)'
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
import math
import sys
import types
from typing import Any

__all__ = ["SpecError", "register", "parse", "spec", "registry", "kinds", "lookup", "describe"]

KINDS = ("problem", "dataset", "optimizer", "schedule", "policy")

_REGISTRY: dict[str, tuple[str, type]] = {}
_BUILTIN_MODULES = (
    "lrsched.problems",
    "lrsched.optim",
    "lrsched.schedules",
    "lrsched.policies",
)
_loaded = False


class SpecError(ValueError):
    """A spec that cannot be parsed or built; the message is one line that says how to fix it."""


def register(kind: str, name: str):
    """Class decorator: make ``cls`` buildable from specs as ``name(...)`` of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")

    def decorate(cls):
        previous = _REGISTRY.get(name)
        if previous is not None and previous[1].__qualname__ != cls.__qualname__:
            raise ValueError(f"spec name {name!r} is already used by {previous[1].__qualname__}")
        _REGISTRY[name] = (kind, cls)
        cls.spec_name = name
        cls.spec_kind = kind
        return cls

    return decorate


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a layer not built yet must not break the others
            if exc.name != module:
                raise


def registry(kind: str | None = None) -> dict[str, type]:
    """Registered classes by name, optionally of one kind, sorted by name."""
    _load_builtins()
    return {
        name: cls
        for name, (k, cls) in sorted(_REGISTRY.items())
        if kind is None or k == kind
    }


def kinds() -> tuple[str, ...]:
    return KINDS


def describe(cls) -> str:
    """First line of a class docstring: the one-line description used by listings."""
    doc = inspect.getdoc(cls) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def lookup(name: str, kind: str | None = None) -> type:
    """The class registered as ``name``; a :class:`SpecError` with suggestions otherwise."""
    _load_builtins()
    entry = _REGISTRY.get(name)
    what = kind or "component"
    if entry is None or (kind is not None and entry[0] != kind):
        pool = [n for n, (k, _) in _REGISTRY.items() if kind is None or k == kind]
        close = difflib.get_close_matches(name, pool, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        if entry is not None:
            raise SpecError(f"{name!r} is a {entry[0]}, not a {kind}{hint}")
        raise SpecError(
            f"unknown {what} {name!r}{hint} (`lrsched bench list` shows them all)"
        )
    return entry[1]


# --------------------------------------------------------------------------- parse

_NAMES = {"inf": math.inf, "nan": math.nan, "True": True, "False": False, "None": None}


def _literal(node: ast.AST, text: str):
    if isinstance(node, ast.Call):
        return _build(node, text, None)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _NAMES:
            return _NAMES[node.id]
        raise SpecError(
            f"{node.id!r} is not a value in {text!r}; quote strings (\"{node.id}\") "
            "or write a call like name(...)"
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise SpecError(f"cannot negate {value!r} in {text!r}")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [_literal(e, text) for e in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    if isinstance(node, ast.Dict):
        return {_literal(k, text): _literal(v, text) for k, v in zip(node.keys, node.values)}
    raise SpecError(
        f"only literals and nested specs are allowed, not {ast.unparse(node)!r} in {text!r}"
    )


def _build(node: ast.Call, text: str, kind: str | None):
    if not isinstance(node.func, ast.Name):
        raise SpecError(f"expected name(...) but got {ast.unparse(node.func)!r} in {text!r}")
    name = node.func.id
    cls = lookup(name, kind)
    args = [_literal(a, text) for a in node.args]
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise SpecError(f"'**' is not allowed in {text!r}")
        kwargs[kw.arg] = _literal(kw.value, text)
    return build(cls, args, kwargs)


def build(cls, args=(), kwargs=None):
    """Instantiate ``cls`` from spec arguments, turning signature mistakes into :class:`SpecError`."""
    kwargs = kwargs or {}
    name = getattr(cls, "spec_name", cls.__name__)
    sig = inspect.signature(cls)
    params = sig.parameters
    has_var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    allowed = [p.name for p in params.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    for key in kwargs:
        if key not in params and not has_var_kw:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SpecError(
                f"{name}() got an unknown argument {key!r}; {hint}allowed: {', '.join(allowed)}"
            )
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        missing = [
            p.name
            for p in params.values()
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.name not in kwargs
        ]
        positional = [
            p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if missing and len(args) < len(positional):
            raise SpecError(
                f"{name}() is missing required argument {missing[len(args):][0]!r}; "
                f"allowed: {', '.join(allowed)}"
            ) from None
        raise SpecError(f"{name}(): {exc}; allowed: {', '.join(allowed)}") from None
    try:
        return cls(*args, **kwargs)
    except SpecError:
        raise
    except (ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not message.startswith(name):
            message = f"{name}(): {message}"
        raise SpecError(message) from None


def parse(text: str | Any, kind: str | None = None):
    """Build a component from its spec string (an already-built object is returned as is).

    Raises :class:`SpecError` (a ``ValueError``) with a one-line message on any mistake.
    """
    if not isinstance(text, str):
        if kind is not None and getattr(text, "spec_kind", kind) != kind:
            raise SpecError(f"{spec(text)!r} is a {text.spec_kind}, not a {kind}")
        return text
    source = text.strip()
    if not source:
        raise SpecError(f"empty {kind or 'component'} spec; write name(key=value, ...)")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"cannot parse spec {source!r}: {exc.msg} at column {exc.offset}") from None
    node = tree.body
    if isinstance(node, ast.Name):  # "sgd" is short for "sgd()"
        node = ast.Call(func=node, args=[], keywords=[])
    if not isinstance(node, ast.Call):
        raise SpecError(f"a spec is name(key=value, ...), got {source!r}")
    return _build(node, source, kind)


# --------------------------------------------------------------------------- print


def _format(value) -> str:
    if hasattr(type(value), "spec_name"):
        return spec(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_format(v) for v in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_format(k)}: {_format(v)}" for k, v in value.items()) + "}"
    # numpy scalars and the like
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return _format(value.item())
        if isinstance(value, np.ndarray):
            return _format(value.tolist())
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} into a spec")


def _equal(a, b) -> bool:
    try:
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return type(a) is type(b) and bool(a == b) or (
            isinstance(a, (int, float)) and isinstance(b, (int, float))
            and not isinstance(a, bool) and not isinstance(b, bool) and a == b
        )
    except Exception:
        return False


def spec(obj) -> str:
    """The canonical spec string of a registered component (round-trips through :func:`parse`)."""
    cls = type(obj)
    name = getattr(cls, "spec_name", None)
    if name is None:
        custom = getattr(obj, "spec", None)
        if callable(custom):
            return custom()
        raise TypeError(f"{cls.__name__} is not a registered component; it has no spec")
    parts: list[str] = []
    positional_ok = True
    # A class may store an argument under another name when the argument's name is taken
    # by a method (``constant(lr)`` vs ``Schedule.lr(progress)``): ``spec_attributes = {"lr": "value"}``.
    spec_attributes = getattr(cls, "spec_attributes", {})
    for p in inspect.signature(cls).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            continue
        attribute = spec_attributes.get(p.name, p.name)
        if not hasattr(obj, attribute):
            raise TypeError(
                f"{cls.__name__} must store constructor argument {p.name!r} as an attribute"
            )
        value = getattr(obj, attribute)
        if p.kind is p.VAR_POSITIONAL:
            parts.extend(_format(v) for v in value)
            positional_ok = False
            continue
        if p.default is not p.empty and _equal(value, p.default):
            positional_ok = False
            continue
        if positional_ok and p.kind is p.POSITIONAL_OR_KEYWORD and hasattr(type(value), "spec_name"):
            parts.append(_format(value))
            continue
        positional_ok = False
        parts.append(f"{p.name}={_format(value)}")
    return f"{name}({', '.join(parts)})"


class _SpecModule(types.ModuleType):
    """This module is also callable: ``lrsched.spec(obj)`` is :func:`spec`, while
    ``lrsched.spec.parse(...)`` (the DESIGN contract) reaches this module's functions."""

    def __call__(self, obj) -> str:
        return spec(obj)


sys.modules[__name__].__class__ = _SpecModule
