"""Host and RAPL telemetry sources, on this machine and on a fake powercap tree."""

from __future__ import annotations

import logging
import os

import pytest

from lrsched.telemetry import Monitor, ProcessSource, RaplSource, SystemSource
from lrsched.telemetry._host import allowed_cpus
from lrsched.telemetry.testing import FakePowercap, ManualClock, denying_reader


def probe(source):
    return source.probe(0.0, frozenset())


# -- process and system ------------------------------------------------------------------
def test_process_source_measures_this_process():
    src = ProcessSource()
    cap = probe(src)
    assert cap.available and set(src.provides) >= {"rss_bytes", "cpu_seconds"}
    values = src.read(0.0, {})
    assert values["rss_bytes"] > 1e6  # a Python process with numpy loaded
    assert values["peak_rss_bytes"] >= values["rss_bytes"]
    assert values["cpu_seconds"] > 0
    assert all(q == "measured" for q in src.qualities.values())


def test_process_source_with_children_counts_at_least_as_much():
    own, family = ProcessSource(), ProcessSource(children=True)
    probe(own), probe(family)
    a = own.read(0.0, {})
    b = family.read(0.0, {})
    assert b["cpu_seconds"] >= a["cpu_seconds"] and b["rss_bytes"] > 0


def test_system_source_reports_load_over_allowed_cpus_and_free_memory():
    src = SystemSource()
    cap = probe(src)
    assert cap.available and f"{len(allowed_cpus())} CPU" in cap.detail
    total = 0
    v = {"cpu_percent": None}
    for _ in range(20000):  # keep a CPU busy until the kernel's tick counters show it
        total += sum(range(50000))
        v = src.read(0.0, {})
        if v["cpu_percent"]:
            break
    assert v["cpu_percent"] is not None and 0.0 < v["cpu_percent"] <= 100.0
    assert v["available_memory_bytes"] > 0


def test_this_machine_measures_process_and_system():
    m = Monitor(sources=["process", "system"])
    caps = {c.source: c.available for c in m.capabilities()}
    assert caps == {"process": True, "system": True}
    snap = m.sample_now()
    assert snap.quality["rss_bytes"] == "measured" and snap.rss_bytes > 0
    m.stop()


# -- RAPL on a fake tree -------------------------------------------------------------------
def test_rapl_sums_packages_and_dram_and_ignores_core_and_psys(tmp_path):
    tree = FakePowercap(tmp_path, packages=2, dram=True, psys=True)
    src = RaplSource(root=tmp_path)
    cap = probe(src)
    assert cap.available and "2 package and 2 dram" in cap.detail
    assert src.qualities == {"rapl_package_joules": "measured", "rapl_dram_joules": "measured"}
    tree.set_energy("intel-rapl:0", 1000 + 3_000_000)
    tree.set_energy("intel-rapl:1", 1000 + 2_000_000)
    tree.set_energy("intel-rapl:0/intel-rapl:0:1", 1000 + 500_000)
    tree.set_energy("intel-rapl:0/intel-rapl:0:0", 10**9)  # core: inside the package
    tree.set_energy("intel-rapl:2", 10**9)  # psys: overlaps everything
    v = src.read(0.0, {})
    assert v == {"rapl_package_joules": 5.0, "rapl_dram_joules": 0.5}


def test_rapl_counter_wraparound(tmp_path):
    tree = FakePowercap(tmp_path, packages=1, dram=False, psys=False,
                        max_energy_range_uj=1_000_000)
    src = RaplSource(root=tmp_path)
    assert probe(src).available and "rapl_dram_joules" not in src.provides
    tree.set_energy("intel-rapl:0", 900_000)
    assert src.read(0.0, {})["rapl_package_joules"] == pytest.approx(0.899)
    tree.set_energy("intel-rapl:0", 100_000)  # wrapped past 1 J
    assert src.read(0.0, {})["rapl_package_joules"] == pytest.approx(0.899 + 0.2)


def test_rapl_permission_denied_is_unavailable_with_its_reason(tmp_path, caplog):
    FakePowercap(tmp_path)
    caplog.set_level(logging.INFO, logger="lrsched.telemetry")
    m = Monitor(sources=[RaplSource(root=tmp_path, reader=denying_reader("energy_uj"))])
    (cap,) = m.capabilities()
    assert not cap.available
    assert "permission denied" in cap.detail and "5.10" in cap.detail
    assert "energy_uj" in cap.detail
    assert len(caplog.records) == 1 and "permission denied" in caplog.records[0].getMessage()
    m.stop()


@pytest.mark.parametrize("setup, reason", [
    (lambda root: None, "does not exist"),
    (lambda root: os.makedirs(root), "no intel-rapl package domain"),
])
def test_rapl_without_powercap_is_unavailable(tmp_path, setup, reason):
    root = tmp_path / "powercap"
    setup(root)
    cap = probe(RaplSource(root=root))
    assert not cap.available and reason in cap.detail


def test_rapl_on_this_machine_reports_why_not_or_measures():
    src = RaplSource()
    cap = probe(src)
    if cap.available:  # a bare-metal Linux box run as root
        assert src.read(0.0, {})["rapl_package_joules"] >= 0
    else:
        assert cap.detail and ("does not exist" in cap.detail or "permission" in cap.detail
                               or "no intel-rapl" in cap.detail)
    src.close()


def test_rapl_measures_and_the_estimate_stands_aside(tmp_path):
    tree = FakePowercap(tmp_path, dram=False, psys=False)
    clock = ManualClock()
    m = Monitor(sources=["process", RaplSource(root=tmp_path), "estimate"],
                estimate_watts_per_core=10.0, clock=clock)
    caps = {c.source: c for c in m.capabilities()}
    assert not caps["estimate"].available and "RAPL" in caps["estimate"].detail
    m.sample_now()
    tree.set_energy("intel-rapl:0", 1000 + 7_500_000)
    snap = m.sample_now()
    assert snap.joules == pytest.approx(7.5) and snap.joules_quality == "measured"
    m.stop()


def test_rapl_file_vanishing_mid_run_drops_the_source(tmp_path, caplog):
    FakePowercap(tmp_path, dram=False, psys=False)
    m = Monitor(sources=[RaplSource(root=tmp_path)], clock=ManualClock())
    m.sample_now()
    os.remove(tmp_path / "intel-rapl:0" / "energy_uj")
    snap = m.sample_now()
    assert snap.rapl_package_joules is None and snap.joules == 0.0
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1
    m.stop()
