"""Run logs (lrsched.runs): writing, flushing, reading back, damaged and foreign files,
CSV and TensorBoard output, and ``lrsched plot`` on them."""

from __future__ import annotations

import json
import math
import os
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from fake_run import FakeRun, snapshot

import lrsched
from lrsched import runs
from lrsched.alerts import AlertRules
from lrsched.cli import main
from lrsched.runs import RunLog, load
from lrsched.telemetry.testing import ManualClock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def same_columns(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k].dtype == np.float64 and np.array_equal(a[k], b[k], equal_nan=True) for k in a)


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """A real run with telemetry, logged, and its Result."""
    path = tmp_path_factory.mktemp("log") / "run.jsonl"
    result = lrsched.train("quadratic(dim=10)", "sgd", "constant(lr=0.5)", budget="steps=200",
                           log=path)
    return path, result


def test_a_logged_run_loads_back_as_the_same_result(logged):
    path, result = logged
    back = load(path)
    assert same_columns(back.history, result.history)
    assert back.spec == result.spec
    extra = {"alerts", "provenance"}
    assert {k: v for k, v in back.summary.items() if k not in extra} == result.to_json()["summary"]
    assert back.summary["alerts"] == []


def test_the_header_holds_format_spec_columns_and_provenance(logged):
    path, result = logged
    header, *body = records(path)
    assert header["type"] == "header"
    assert (header["format"], header["version"]) == (runs.FORMAT, runs.VERSION)
    assert header["spec"] == result.spec
    assert header["budget"] == {"steps": 200}
    assert header["columns"] == list(result.history)
    assert "rss_bytes" in header["columns"]  # telemetry columns too
    prov = header["provenance"]
    assert prov["lrsched"] == lrsched.__version__ and prov["numpy"] == np.__version__
    assert {"python", "hostname", "platform", "start_time", "pid"} <= prov.keys()
    assert {t["source"] for t in header["telemetry"]} >= {"process"}
    rows = [r for r in body if r["type"] == "row"]
    assert len(rows) == len(result.history["step"])
    assert set(rows[0]) == {"type", *header["columns"]}
    assert body[-1]["type"] == "footer"


def test_nan_and_infinities_round_trip_exactly(tmp_path):
    path = tmp_path / "r.jsonl"
    run = FakeRun([RunLog(path)]).start()
    losses = [1.0, 0.1 + 1e-17, math.inf, math.nan, -math.inf, 5e-324]
    for k, loss in enumerate(losses):
        run.row(k, loss)
    result = run.end()
    back = load(path)
    assert same_columns(back.history, result.history)
    with open(path) as f:
        text = f.read()
    assert "NaN" not in text and "Infinity" not in text  # strict JSON
    assert '"loss":null' in text and '"loss":1e999' in text


def test_rows_wait_for_the_flush_interval_then_reach_the_file(tmp_path):
    path = tmp_path / "r.jsonl"
    clock = ManualClock()
    log = RunLog(path, flush_seconds=0.5, clock=clock)
    run = FakeRun([log]).start()
    assert len(records(path)) == 1  # the header is flushed at once
    for k in range(5):
        run.row(k, 1.0 / (k + 1))
    assert len(records(path)) == 1  # buffered: no clock time has passed
    clock.advance(0.5)
    run.row(5, 0.1)
    assert [r["step"] for r in records(path)[1:]] == [0, 1, 2, 3, 4, 5]
    run.row(6, 0.1)
    assert len(records(path)) == 7
    run.end()
    kinds = [r["type"] for r in records(path)]
    assert kinds == ["header"] + ["row"] * 7 + ["footer"]


def test_a_log_without_footer_loads_as_incomplete_with_what_was_flushed(tmp_path):
    path = tmp_path / "r.jsonl"
    log = RunLog(path, flush_seconds=0.0)
    run = FakeRun([log]).start()
    for k in range(4):
        run.row(k * 10, 2.0 - k, seconds=k * 0.5)
    # killed: no end(), no close(); cut the last line short as a kill mid-write would
    with open(path, "a") as f:
        f.write('{"type":"row","step":40,"epo')
    back = load(path)
    assert back.summary["status"] == "incomplete"
    assert back.summary["steps"] == 30 and back.summary["seconds"] == 1.5
    assert back.summary["final_loss"] == -1.0 and back.summary["best_loss"] == -1.0
    assert list(back.history["step"]) == [0, 10, 20, 30]
    assert back.spec == run.spec


def test_a_damaged_line_before_the_last_is_an_error(tmp_path):
    path = tmp_path / "r.jsonl"
    run = FakeRun([RunLog(path)]).start()
    run.row(0, 1.0)
    run.row(1, 0.5)
    run.end()
    lines = open(path).read().splitlines()
    lines[1] = lines[1][:20]
    open(path, "w").write("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        load(path)


@pytest.mark.parametrize("content, why", [
    (b"", "it is empty"),
    (b"step,loss\n0,1.0\n", "first line is not a header"),
    (b'{"type": "header", "format": "something-else"}\n', "first line is not a header"),
    (b'[1, 2, 3]\n', "first line is not a header"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe binary", "first line is not a header"),
])
def test_foreign_files_are_refused_with_one_clear_line(tmp_path, content, why):
    path = tmp_path / "foreign.jsonl"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    assert message == f"{path} is not an lrsched run log ({why})"


def test_a_newer_version_a_folder_and_a_missing_file_are_refused(tmp_path):
    newer = tmp_path / "newer.jsonl"
    newer.write_text(json.dumps({"type": "header", "format": runs.FORMAT,
                                 "version": runs.VERSION + 1, "columns": []}) + "\n")
    with pytest.raises(ValueError, match="upgrade lrsched"):
        load(newer)
    with pytest.raises(ValueError, match="is a folder"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.jsonl")


def test_a_log_path_in_a_missing_folder_is_refused_before_the_run(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        RunLog(tmp_path / "nope" / "r.jsonl")
    with pytest.raises(ValueError, match="is a folder"):
        RunLog(tmp_path)


def test_alerts_are_records_in_the_log_and_in_the_loaded_summary(tmp_path):
    path = tmp_path / "r.jsonl"
    log = RunLog(path, alerts=AlertRules(loss_factor=5.0, memory_share=0.5,
                                         total_memory_bytes=1000.0))
    run = FakeRun([log]).start()
    for k in range(10):
        run.row(k, 1.0 if k == 0 else 0.01, snap=snapshot(rss_bytes=100.0))
    run.row(10, 10.0, snap=snapshot(rss_bytes=600.0))   # blows up; RSS above half of 1000
    run.row(11, math.nan, snap=snapshot(rss_bytes=100.0))
    run.end(status="diverged")
    kinds = [r["kind"] for r in records(path) if r["type"] == "alert"]
    assert kinds == ["loss_exploding", "memory", "non_finite_loss"]
    alert_lines = [r for r in records(path) if r["type"] == "alert"]
    assert alert_lines[0]["step"] == 10 and "5 x its best" in alert_lines[0]["message"]
    assert [r["type"] for r in records(path)][-5:] == ["alert", "alert", "row", "alert", "footer"]
    back = load(path)
    assert [a["kind"] for a in back.summary["alerts"]] == kinds
    assert back.summary["status"] == "diverged"
    fig = lrsched.plots.run(back)  # alerts are dotted lines at their steps
    marks = [tuple(ln.get_xdata()) for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert marks == [(10, 10), (10, 10), (11, 11)]


def test_a_csv_log_is_a_plain_table(tmp_path):
    path = tmp_path / "r.csv"
    run = FakeRun([RunLog(path)], telemetry=False).start()
    run.row(0, 1.0)
    run.row(1, math.nan)
    result = run.end()
    lines = open(path).read().splitlines()
    assert lines[0].split(",") == list(result.history)
    assert len(lines) == 3
    assert lines[2].split(",")[5] == ""  # nan is an empty field
    assert float(lines[1].split(",")[5]) == 1.0


def _tfrecords(path):
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        (n,) = struct.unpack("<Q", data[i:i + 8])
        yield data[i + 12: i + 12 + n]
        i += 12 + n + 4


def test_tensorboard_scalars_mirror_the_rows(tmp_path):
    pytest.importorskip("tensorboardX")
    from tensorboardX.proto import event_pb2

    tb = tmp_path / "tb"
    run = FakeRun([RunLog(tmp_path / "r.jsonl", tensorboard=tb)], telemetry=False).start()
    for k in range(3):
        run.row(k, 1.0 / (k + 1), lr=0.1 * (k + 1))
    run.end()
    (events,) = list(tb.iterdir())
    scalars = {}
    for raw in _tfrecords(events):
        event = event_pb2.Event.FromString(raw)
        for v in event.summary.value:
            if v.HasField("simple_value"):
                scalars.setdefault(v.tag, []).append((event.step, v.simple_value))
    assert [s for s, _ in scalars["run/loss"]] == [0, 1, 2]
    assert np.allclose([v for _, v in scalars["run/lr"]], [0.1, 0.2, 0.3])


def test_tensorboard_without_tensorboardx_says_how_to_install(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorboardX" else real(name, *a))
    with pytest.raises(ValueError, match=r"lrsched\[tensorboard\]"):
        RunLog(tmp_path / "r.jsonl", tensorboard=tmp_path / "tb")


# -- plots -----------------------------------------------------------------------------
def test_plot_draws_one_or_several_runs(tmp_path, logged):
    path, result = logged
    other = lrsched.train("quadratic(dim=10)", "sgd", "constant(lr=0.9)", budget="steps=200",
                          monitor=None)
    fig = lrsched.plots.run([path, other])  # writing a PNG: see the killed-run test
    loss_axes = fig.axes[0]
    labels = [ln.get_label() for ln in loss_axes.get_lines() if not ln.get_label().startswith("_")]
    assert labels == ["constant(lr=0.5)", "constant(lr=0.9)"]
    assert loss_axes.get_ylabel() == "loss − f*" and loss_axes.get_yscale() == "log"
    ylabels = " ".join(ax.get_ylabel() for ax in fig.axes)
    assert "memory" in ylabels and "learning rate" in ylabels


def _plot(capsys, *argv):
    code = main(["plot", *map(str, argv)])
    return code, capsys.readouterr()


@pytest.mark.parametrize("bad", ["missing", "folder", "foreign", "binary", "empty"])
def test_plot_cli_refuses_bad_input_with_one_line_and_writes_nothing(tmp_path, logged, capsys,
                                                                     bad):
    target = tmp_path / f"{bad}.jsonl"
    if bad == "folder":
        target.mkdir()
    elif bad == "foreign":
        target.write_text("epoch,loss\n1,0.5\n")
    elif bad == "binary":
        target.write_bytes(bytes(range(256)))
    elif bad == "empty":
        target.write_text("")
    out = tmp_path / "p.png"
    code, io = _plot(capsys, logged[0], target, "--out", out)
    assert code == 2
    assert io.err.count("\n") == 1 and io.err.startswith("lrsched plot: error: ")
    assert str(target) in io.err
    assert not out.exists() and io.out == ""


def test_plot_cli_refuses_an_unwritable_output(tmp_path, logged, capsys):
    code, io = _plot(capsys, logged[0], "--out", tmp_path / "no" / "p.png")
    assert code == 2 and "does not exist" in io.err and io.err.count("\n") == 1


# -- a killed run ----------------------------------------------------------------------
def _rows_in(path) -> int:
    try:
        with open(path) as f:
            return sum(1 for line in f if line.startswith('{"type":"row"'))
    except FileNotFoundError:
        return 0


def test_a_sigkilled_train_keeps_its_log_which_loads_and_plots(tmp_path, capsys):
    log = tmp_path / "killed.jsonl"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrsched", "train", "--problem", "quadratic(dim=50)",
         "--schedule", "constant(lr=0.1)", "--budget", "seconds=60", "--log", str(log),
         "--progress", "off"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60  # a guard against a hung child, not a timing assertion
        while _rows_in(log) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    back = load(log)
    assert back.summary["status"] == "incomplete"
    assert len(back.history["step"]) >= 3
    assert back.summary["steps"] == int(back.history["step"][-1]) > 0
    out = tmp_path / "killed.png"
    code, io = _plot(capsys, log, "--out", out)
    assert code == 0 and f"plot written to {out}" in io.out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = lrsched.plots.run(log)
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert labels[0] == "constant(lr=0.1) (incomplete)"
