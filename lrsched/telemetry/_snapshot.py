"""What one telemetry sample holds: the measure catalogue, qualities and :class:`Snapshot`.

Every value has its unit in its name and one of four qualities:

``measured``
    read from a hardware or kernel counter (NVML energy counter, RAPL, psutil);
``integrated``
    power readings integrated over time (trapezoid rule between samples), used
    for GPUs without a total-energy counter (pre-Volta);
``estimated``
    a model, e.g. CPU seconds × watts per core (opt-in);
``unavailable``
    no source provides it; the value is ``None``, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "MEASURED",
    "INTEGRATED",
    "ESTIMATED",
    "UNAVAILABLE",
    "QUALITIES",
    "MEASURES",
    "ENERGY_MEASURES",
    "worst_quality",
    "Capability",
    "GpuReading",
    "Snapshot",
]

MEASURED = "measured"
INTEGRATED = "integrated"
ESTIMATED = "estimated"
UNAVAILABLE = "unavailable"
#: Qualities from best to worst.
QUALITIES = (MEASURED, INTEGRATED, ESTIMATED, UNAVAILABLE)
_RANK = {q: i for i, q in enumerate(QUALITIES)}

#: Every value a snapshot may carry, in history-column order, with its meaning.
MEASURES = {
    "rss_bytes": "resident set size of this process (plus live children if asked)",
    "peak_rss_bytes": "peak resident set size of this process so far (getrusage)",
    "cpu_seconds": "CPU user+system time of this process (plus children if asked)",
    "cpu_percent": "system-wide CPU busy share over the CPUs this process may use, 0-100",
    "available_memory_bytes": "memory available to new processes without swapping",
    "gpu_util_percent": "mean GPU utilisation over the monitored devices, 0-100",
    "gpu_memory_bytes": "device memory used on the monitored devices (all processes)",
    "gpu_process_memory_bytes": "device memory used by this process (NVML process list)",
    "gpu_power_watts": "power draw summed over the monitored devices",
    "gpu_joules": "GPU energy since the monitor started (counter, or integrated power)",
    "rapl_package_joules": "CPU package energy since the monitor started (RAPL)",
    "rapl_dram_joules": "DRAM energy since the monitor started (RAPL)",
    "estimated_joules": "CPU energy estimate: CPU seconds × watts per core",
    "joules": "total energy since the monitor started: sum of the energy measures",
}
#: The measures summed into ``joules``.
ENERGY_MEASURES = ("gpu_joules", "rapl_package_joules", "rapl_dram_joules", "estimated_joules")


def worst_quality(qualities: Iterable[str]) -> str:
    """The worst of ``qualities`` (``unavailable`` for none).

    >>> worst_quality(["measured", "integrated"])
    'integrated'
    """
    worst = None
    for q in qualities:
        if worst is None or _RANK[q] > _RANK[worst]:
            worst = q
    return UNAVAILABLE if worst is None else worst


class Capability(NamedTuple):
    """The result of probing one source: is it available, and why (not)."""

    source: str
    available: bool
    detail: str


class GpuReading(NamedTuple):
    """One GPU's values in a snapshot (``None`` where the device does not report it)."""

    index: int
    name: str
    util_percent: float | None
    memory_used_bytes: float | None
    memory_total_bytes: float | None
    power_watts: float | None
    joules: float | None
    joules_quality: str
    process_memory_bytes: float | None


class Snapshot:
    """One immutable telemetry sample.

    Attributes
    ----------
    index : int
        Sample number since the monitor started (0 is the sample taken at start).
    time_seconds : float
        Monitor clock time since the monitor started.
    joules : float or None
        Total energy since the monitor started (sum over energy sources), ``None``
        when no energy source is available.
    joules_quality : str
        Worst quality among the energy sources summed into ``joules``.
    values : Mapping[str, float or None]
        Every measure of the monitor's sources, by name.  Each name in
        :data:`MEASURES` is also an attribute (``snap.rss_bytes``), ``None`` when
        the monitor has no source for it.
    quality : Mapping[str, str]
        Quality of each value (``unavailable`` when the value is ``None``).
    devices : tuple of GpuReading
        Per-GPU values (empty without NVML).
    """

    __slots__ = ("index", "time_seconds", "joules", "joules_quality", "values", "quality",
                 "devices", "_row")

    def __init__(self, index: int, time_seconds: float, values: Mapping, quality: Mapping,
                 joules: float | None, joules_quality: str, devices: tuple = (),
                 row: tuple | None = None):
        put = object.__setattr__
        put(self, "index", index)
        put(self, "time_seconds", time_seconds)
        put(self, "values", MappingProxyType(dict(values)))
        put(self, "quality", MappingProxyType(dict(quality)))
        put(self, "joules", joules)
        put(self, "joules_quality", joules_quality)
        put(self, "devices", tuple(devices))
        put(self, "_row", row)

    def __setattr__(self, name, value):
        raise AttributeError("Snapshot is immutable")

    def __getattr__(self, name):
        # Only called when normal lookup fails: measure names resolve to values.
        if name in MEASURES:
            return object.__getattribute__(self, "values").get(name)
        raise AttributeError(f"Snapshot has no attribute {name!r}")

    def row(self) -> tuple:
        """Values of the monitor's ``columns`` as floats (``nan`` for ``None``), in order."""
        return self._row

    def as_dict(self) -> dict:
        """A JSON-serialisable dict (``None`` for unavailable values)."""
        return {
            "index": self.index,
            "time_seconds": self.time_seconds,
            **{k: v for k, v in self.values.items()},
            "joules": self.joules,
            "joules_quality": self.joules_quality,
            "quality": dict(self.quality),
            "devices": [d._asdict() for d in self.devices],
        }

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.values.items() if v is not None)
        energy = "None" if self.joules is None else f"{self.joules:.4g} ({self.joules_quality})"
        return f"Snapshot(index={self.index}, t={self.time_seconds:.3f}s, {shown}, joules={energy})"


def make_row(columns: tuple, values: Mapping, joules: float | None) -> tuple:
    """Floats of ``columns`` from ``values`` (``joules`` for the ``joules`` column)."""
    out = []
    for name in columns:
        v = joules if name == "joules" else values.get(name)
        out.append(math.nan if v is None else float(v))
    return tuple(out)
