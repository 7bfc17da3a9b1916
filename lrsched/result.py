"""The outcome of one run: a history of recorded steps and a JSON-serialisable summary."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Result", "History"]

#: Columns every history has, in this order; telemetry columns follow.
CORE_COLUMNS = ("step", "epoch", "samples", "seconds", "lr", "loss", "train_loss", "probes")


class History:
    """Preallocated, growable float64 columns written row by row on the hot path.

    Rows live in one C-contiguous 2-D buffer; :meth:`columns` returns views of the
    filled part.  The loop writes through a flat ``memoryview`` (about 30 ns per
    value), doubling the buffer when it is full.
    """

    __slots__ = ("names", "width", "buffer", "flat", "size")

    def __init__(self, names, capacity: int = 1024):
        self.names = tuple(names)
        self.width = len(self.names)
        self.size = 0
        self._allocate(max(int(capacity), 16))

    def _allocate(self, capacity: int) -> None:
        new = np.full((capacity, self.width), np.nan)
        if self.size:
            new[: self.size] = self.buffer[: self.size]
        self.buffer = new
        self.flat = memoryview(new).cast("B").cast("d")

    def grow(self) -> None:
        self._allocate(2 * self.buffer.shape[0])

    @property
    def capacity(self) -> int:
        return self.buffer.shape[0]

    def columns(self) -> dict[str, np.ndarray]:
        filled = self.buffer[: self.size]
        return {name: np.ascontiguousarray(filled[:, j]) for j, name in enumerate(self.names)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else (1e308 if value > 0 else -1e308)
    return value


@dataclass
class Result:
    """What :func:`lrsched.train` returns.

    Attributes
    ----------
    history : dict of str to numpy.ndarray
        Equal-length float64 columns, one row per recorded step: ``step``,
        ``epoch``, ``samples``, ``seconds``, ``lr``, ``loss`` (full objective at
        that iterate), ``train_loss`` (minibatch loss), ``probes`` (extra loss
        evaluations so far), then telemetry columns such as ``rss_bytes``.
    summary : dict
        JSON-serialisable: ``status`` (``"done"`` or ``"diverged"``), ``final_loss``,
        ``best_loss``, ``gap``, ``steps``, ``seconds``, ``joules``, ``*_to_target``,
        ``peak_rss_bytes``, ...
    spec : dict
        The run's canonical specs (problem, optimizer, schedule, budget, seed, ...).
    params : array or None
        Final parameters (where the loss is reported), in the run's namespace.
    """

    history: dict[str, np.ndarray]
    summary: dict[str, Any]
    spec: dict[str, Any] = field(default_factory=dict)
    params: Any = None

    @property
    def status(self) -> str:
        return self.summary["status"]

    def to_json(self) -> dict:
        """Summary and spec as plain JSON types (inf and nan mapped to JSON-safe values)."""
        return {"spec": _jsonable(self.spec), "summary": _jsonable(self.summary)}

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Result(status={s.get('status')!r}, steps={s.get('steps')}, "
            f"final_loss={s.get('final_loss')!r}, seconds={s.get('seconds', 0):.3g})"
        )
