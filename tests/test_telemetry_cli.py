"""``lrsched telemetry``: the capability report, live samples, JSON and bad values."""

from __future__ import annotations

import json

import pytest

from lrsched.cli import main


def test_capability_report_names_every_source(capsys):
    assert main(["telemetry", "--seconds", "0"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "telemetry sources:"
    for name in ("process", "system", "nvml", "rapl", "estimate"):
        assert any(line.split()[0] == name for line in lines[1:6])
    assert "samples" not in out


def test_live_samples_are_table_rows(capsys):
    assert main(["telemetry", "--seconds", "0.25", "--interval", "0.05",
                 "--estimate-watts-per-core", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("samples every"))
    header = lines[start + 1].split()
    rows = [line.split() for line in lines[start + 2:] if not line.startswith("joules quality")]
    assert header[0] == "time_s" and "joules" in header
    assert rows and all(len(r) == len(header) for r in rows)
    assert lines[-1] == "joules quality: estimated"


def test_json_output_is_machine_readable(capsys):
    assert main(["telemetry", "--json", "--seconds", "0.2", "--interval", "0.05"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["source"] for c in doc["capabilities"]] == ["process", "system", "nvml", "rapl",
                                                          "estimate"]
    assert doc["samples"] and doc["samples"][0]["index"] == 0
    for sample in doc["samples"]:
        assert set(doc["columns"]) <= set(sample)
    assert doc["stats"]["samples"] >= len(doc["samples"])


@pytest.mark.parametrize("argv", [["--seconds", "-1"], ["--interval", "0"],
                                  ["--estimate-watts-per-core", "-3"], ["--seconds", "abc"]])
def test_bad_values_exit_2_with_one_line(capsys, argv):
    assert _exit_code(["telemetry", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse type errors exit from the parser
        return exc.code
