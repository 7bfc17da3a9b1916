"""``lrsched bench``: the quick suite end to end, bad input, list, report and export."""

from __future__ import annotations

import base64
import os
import re
import sqlite3

import pytest

from lrsched.bench import load_suite
from lrsched.bench.report import FIGURES
from lrsched.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The default suite run once from the command line (its report included)."""
    out = tmp_path_factory.mktemp("quick") / "results"
    import io
    from contextlib import redirect_stderr, redirect_stdout

    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(["bench", "run", "--out", str(out)])
    assert code == 0, stderr.getvalue()
    return out, stdout.getvalue(), stderr.getvalue()


def test_quick_suite_runs_every_trial_and_reports(quick):
    out, stdout, stderr = quick
    expected = {t.trial_id for t in load_suite("quick").trials}
    with sqlite3.connect(out / "results.sqlite") as conn:
        stored = dict(conn.execute("SELECT trial_id, status FROM trials"))
        curve_rows = conn.execute("SELECT count(*) FROM curves").fetchone()[0]
    assert set(stored) == expected
    assert set(stored.values()) <= {"done", "diverged", "failed"}
    assert list(stored.values()).count("done") > len(expected) // 2
    assert curve_rows > len(expected) * 100
    assert f"report: {out / 'report.html'}" in stdout
    assert re.search(r"^method\s+ruleset\s+score \(steps\)", stdout, re.M)
    assert re.search(r"^cosine\s+external \(tuned\)\s+\d\.\d{3}", stdout, re.M)
    assert "ETA" in stderr and f"[{len(expected)}/{len(expected)}]" in stderr


def test_report_files_and_embedded_figures(quick):
    out, _, _ = quick
    markdown = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    for section in ("## Scores", "## Winners", "## Time to target",
                    "## Learning-rate grid (external tuning)", "## Figures"):
        assert section in markdown
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(embedded) == len(FIGURES)
    for (name, *_), data in zip(FIGURES, embedded):
        assert f"]({name})" in markdown
        png = (out / name).read_bytes()
        assert png.startswith(PNG) and base64.b64decode(data) == png
    assert "<table>" in html and 'src="loss_step.png"' not in html  # self-contained


def test_rerun_resumes_and_report_command_rewrites(quick, capsys):
    out, _, _ = quick
    with sqlite3.connect(out / "results.sqlite") as conn:
        finished = conn.execute("SELECT count(*) FROM trials WHERE status != 'failed'").fetchone()
        failed = conn.execute("SELECT count(*) FROM trials WHERE status = 'failed'").fetchone()
    (out / "report.md").unlink()
    assert main(["bench", "run", "--out", str(out), "--no-report"]) == 0
    err = capsys.readouterr().err
    # finished trials are skipped; failed ones (if any) are tried again
    assert f"ran {failed[0]} trials" in err
    assert f"{finished[0]} trial(s) already in the store are skipped" in err
    assert main(["bench", "report", str(out)]) == 0
    assert (out / "report.md").exists()


def test_export_csv_parquet_and_dataframes(quick, tmp_path, capsys):
    out, _, _ = quick
    assert main(["bench", "export", str(out), "--out", str(tmp_path / "csv")]) == 0
    header = (tmp_path / "csv" / "trials.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["trial_id", "status"] and "final_loss" in header
    assert (tmp_path / "csv" / "curves.csv").read_text().startswith("trial_id,row,step,")
    pytest.importorskip("pyarrow")
    from lrsched.bench import load

    assert main(["bench", "export", str(out), "--format", "parquet",
                 "--out", str(tmp_path / "pq")]) == 0
    import pandas as pd

    trials, curves = load(str(out))
    assert len(trials) == len(load_suite("quick").trials)
    assert set(curves["trial_id"]) <= set(trials["trial_id"])
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "pq" / "trials.parquet"), trials)


BAD = {
    "syntax": ("seeds = [0\n", "TOML syntax error"),
    "unknown problem": ('seeds = 1\nproblems = ["logistc()"]\noptimizers = ["sgd()"]\n'
                        '[budget]\nsteps = 5\n[schedules]\nc = "constant(lr=0.1)"\n',
                        "problems[0]: unknown problem 'logistc'; did you mean 'logistic'?"),
    "negative budget": ('seeds = 1\nproblems = ["logistic()"]\noptimizers = ["sgd()"]\n'
                        '[budget]\nsteps = -3\n[schedules]\nc = "constant(lr=0.1)"\n',
                        "[budget]: steps=-3 is not allowed"),
    "empty grid": ('seeds = 1\nproblems = ["logistic()"]\noptimizers = ["sgd()"]\n'
                   '[budget]\nsteps = 5\n[tuning]\nlr = []\n[schedules]\nc = "constant(lr={lr})"\n',
                   "[tuning] lr: is empty"),
    "unknown key": ('seeds = 1\nproblems = ["logistic()"]\noptimizers = ["sgd()"]\n'
                    '[budget]\nstesp = 5\n', "[budget] unknown key 'stesp'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_suite_files_exit_2_with_one_line_and_write_nothing(case, tmp_path, capsys):
    text, expected = BAD[case]
    suite = tmp_path / "bad.toml"
    suite.write_text(text)
    out = tmp_path / "out"
    assert main(["bench", "run", str(suite), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrsched bench: error: bad.toml: ")
    assert expected in lines[0]
    assert captured.out == ""
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["bad.toml"]


@pytest.mark.parametrize("args, expected", [
    (["bench", "run", "no_such_suite"], "unknown suite 'no_such_suite'"),
    (["bench", "run", "quick", "--workers", "0"], "--workers 0 is not allowed"),
    (["bench", "run", "quick", "--address", "tcp://127.0.0.1:1"],
     "--address is only used with --executor dask"),
    (["bench", "report", "nowhere"], "nowhere: no results.sqlite here"),
    (["bench", "export", "nowhere"], "nowhere: no results.sqlite here"),
])
def test_bad_options_exit_2_and_write_nothing(args, expected, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]
    assert os.listdir(tmp_path) == []


def test_list_shows_suites_and_components(capsys):
    assert main(["bench", "list"]) == 0
    out = capsys.readouterr().out
    for section in ("suites:", "problems:", "optimizers:", "schedules:", "policies:"):
        assert section in out
    assert re.search(r"^  quick +Small convex problems", out, re.M)
    assert re.search(r"^  cosine +\S", out, re.M)
    assert re.search(r"^  logistic +\S", out, re.M)


def test_dry_run_lists_trials_without_writing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "run", "quick", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{len(load_suite('quick').trials)} trials in suite 'quick'" in out
    assert os.listdir(tmp_path) == []
