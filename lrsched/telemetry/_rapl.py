"""CPU package and DRAM energy from RAPL through the Linux powercap interface.

Layout read (``root`` is ``/sys/class/powercap`` by default, injectable for tests)::

    root/intel-rapl:0/name                  "package-0"
    root/intel-rapl:0/energy_uj             cumulative µJ
    root/intel-rapl:0/max_energy_range_uj   the value at which energy_uj wraps to 0
    root/intel-rapl:0/intel-rapl:0:0/name   "core" (inside the package: not added)
    root/intel-rapl:0/intel-rapl:0:1/name   "dram" (separate: added as rapl_dram_joules)

Package domains of every socket are summed into ``rapl_package_joules`` and
their ``dram`` subdomains into ``rapl_dram_joules``; ``core``/``uncore`` are
parts of the package and ``psys`` (the whole platform) overlaps it, so they are
left out.  AMD Zen CPUs appear through the same ``intel-rapl`` interface.

Wraparound: ``energy_uj`` wraps at ``max_energy_range_uj`` (some hundreds of
joules, about a minute at full load), so a reading below the previous one adds
``max_energy_range_uj`` to the difference.  Sampling must be faster than one
wrap per interval, which a monitor at any useful rate is.

Since Linux 5.10 ``energy_uj`` is readable by root only (CVE-2020-8694,
"Platypus"); a ``PermissionError`` makes the source unavailable with that
reason.  File reads go through ``reader(path) -> str`` so tests can inject
failures.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from ._snapshot import MEASURED, Capability
from ._source import Source

__all__ = ["RaplSource", "DEFAULT_POWERCAP_ROOT"]

DEFAULT_POWERCAP_ROOT = "/sys/class/powercap"
_ZONE = re.compile(r"^intel-rapl:\d+$")
_SUBZONE = re.compile(r"^intel-rapl:\d+:\d+$")


def _read_file(path: str) -> str:
    with open(path) as f:
        return f.read()


class _Domain:
    __slots__ = ("path", "kind", "max_uj", "prev_uj", "total_uj")  # path: the energy_uj file

    def __init__(self, path, kind, max_uj, first_uj):
        self.path, self.kind, self.max_uj = path, kind, max_uj
        self.prev_uj = first_uj
        self.total_uj = 0

    def update(self, raw_uj: int) -> None:
        delta = raw_uj - self.prev_uj
        if delta < 0:  # the counter wrapped past max_energy_range_uj
            delta += self.max_uj
        self.total_uj += delta
        self.prev_uj = raw_uj


class RaplSource(Source):
    """CPU package (+ DRAM) energy since the probe, from ``energy_uj`` counters.

    Parameters
    ----------
    root : str
        The powercap directory.
    reader : callable, optional
        ``reader(path) -> str`` used for every file read (default: open and read).
    """

    name = "rapl"

    def __init__(self, root: str = DEFAULT_POWERCAP_ROOT,
                 reader: Callable[[str], str] | None = None):
        super().__init__()
        self.root = os.fspath(root)
        self._read = reader or _read_file
        self._domains: list[_Domain] = []

    def _int(self, path: str) -> int:
        return int(self._read(path).strip())

    def _find_domains(self) -> list[tuple[str, str]]:
        found = []
        for zone in sorted(os.listdir(self.root)):
            if not _ZONE.match(zone):
                continue
            zone_path = os.path.join(self.root, zone)
            if self._read(os.path.join(zone_path, "name")).strip().startswith("package"):
                found.append((zone_path, "package"))
            for sub in sorted(os.listdir(zone_path)):
                sub_path = os.path.join(zone_path, sub)
                if _SUBZONE.match(sub) and self._read(
                        os.path.join(sub_path, "name")).strip() == "dram":
                    found.append((sub_path, "dram"))
        return found

    def probe(self, now: float, provided: frozenset) -> Capability:
        self._domains = []
        if not os.path.isdir(self.root):
            return self._unavailable(
                f"{self.root} does not exist (no RAPL powercap interface: not Linux, a VM, "
                "or a container without it)")
        try:
            found = self._find_domains()
            if not any(kind == "package" for _, kind in found):
                return self._unavailable(f"no intel-rapl package domain under {self.root}")
            for path, kind in found:
                max_uj = self._int(os.path.join(path, "max_energy_range_uj"))
                first = self._int(os.path.join(path, "energy_uj"))
                self._domains.append(_Domain(os.path.join(path, "energy_uj"), kind, max_uj, first))
        except PermissionError as exc:
            self._domains = []
            return self._unavailable(
                f"permission denied reading {exc.filename or self.root}: energy_uj is "
                "root-only since Linux 5.10 (CVE-2020-8694); run as root or make it readable")
        except (OSError, ValueError) as exc:
            self._domains = []
            return self._unavailable(f"cannot read RAPL under {self.root}: {exc}")
        qualities = {"rapl_package_joules": MEASURED}
        if any(d.kind == "dram" for d in self._domains):
            qualities["rapl_dram_joules"] = MEASURED
        n_pkg = sum(d.kind == "package" for d in self._domains)
        n_dram = len(self._domains) - n_pkg
        return self._available(f"{n_pkg} package and {n_dram} dram domain(s) under {self.root}",
                               qualities)

    def read(self, now: float, values: Mapping) -> dict:
        package = dram = 0
        for d in self._domains:
            d.update(self._int(d.path))
            if d.kind == "package":
                package += d.total_uj
            else:
                dram += d.total_uj
        out = {"rapl_package_joules": package * 1e-6}
        if "rapl_dram_joules" in self.qualities:
            out["rapl_dram_joules"] = dram * 1e-6
        return out

    def __repr__(self) -> str:
        return f"RaplSource(root={self.root!r})"
