"""The source protocol: what the monitor asks of every telemetry source.

A source is probed once when the monitor starts, then read at every sample:

1. ``probe(now, provided)`` finds out whether the source works here, takes its
   baselines (energy counters, CPU times) and returns a :class:`Capability`
   whose ``detail`` says what it found or why it is unavailable.  ``provided``
   is the set of measure names the sources probed before it provide, so a
   derived source (the energy estimate) can depend on them.  After a successful
   probe, ``provides`` names its measures and ``qualities`` their qualities.
2. ``read(now, values)`` returns the current values by measure name (``None``
   for a value missing this time).  ``values`` holds what earlier sources
   returned for the same sample.  Any exception means the source is broken: the
   monitor drops it with one warning and goes on sampling.
3. ``close()`` releases what ``probe`` acquired (it is called once per probe,
   whether or not the source was available).

Energy measures are cumulative **since the probe**, so the monitor can sum them.
Sources are not thread-safe; the monitor serialises all calls.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

from ._snapshot import Capability

__all__ = ["Source"]


class Source(abc.ABC):
    """Abstract base of telemetry sources; subclasses are final."""

    #: Short name shown in capability reports and warnings.
    name: str = "source"

    def __init__(self):
        self.provides: tuple[str, ...] = ()
        self.qualities: dict[str, str] = {}

    @abc.abstractmethod
    def probe(self, now: float, provided: frozenset) -> Capability:
        """Check availability and take baselines; set ``provides`` and ``qualities``."""

    @abc.abstractmethod
    def read(self, now: float, values: Mapping) -> Mapping:
        """Current values by measure name; raises when the source is broken."""

    def devices(self) -> tuple:
        """Per-device readings of the last ``read`` (GPU sources only)."""
        return ()

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for most sources
        """Release what ``probe`` acquired; idempotent."""

    def _available(self, detail: str, qualities: Mapping[str, str]) -> Capability:
        self.qualities = dict(qualities)
        self.provides = tuple(qualities)
        return Capability(self.name, True, detail)

    def _unavailable(self, reason: str) -> Capability:
        self.provides = ()
        self.qualities = {}
        return Capability(self.name, False, reason)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
