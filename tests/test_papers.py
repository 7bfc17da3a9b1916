"""papers/: every study is complete, its ``reproduce.py --quick`` runs, prints a line for each
claim of its README and agrees with the recorded outcomes; ``lrsched papers`` finds and runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from lrsched.cli import main
from lrsched.cli import papers as cli_papers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPERS = os.path.join(ROOT, "papers")
STUDIES = cli_papers.studies(PAPERS)
EXPECTED = ("budgeted-training", "hypergradient", "polyak-family", "quadratic-rates",
            "schedule-free", "sgdr")


def claim_ids(name: str) -> list[str]:
    return [claim_id for claim_id, _ in cli_papers.describe(os.path.join(PAPERS, name))[1]]


def test_the_six_studies_are_there():
    assert set(EXPECTED) <= set(STUDIES)


@pytest.mark.parametrize("name", STUDIES)
def test_study_folder_is_complete(name):
    folder = os.path.join(PAPERS, name)
    title, claims = cli_papers.describe(folder)
    assert title, f"{name}/README.md has no '**Paper:**' line"
    assert claims, f"{name}/README.md has no CLAIM lines"
    assert len({c for c, _ in claims}) == len(claims), "claim ids repeat"
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert images, f"{name}/README.md shows no figure"
    for image in images:
        path = os.path.join(folder, image)
        assert os.path.isfile(path), f"{name}: {image} is not committed"
        assert os.path.getsize(path) < 200_000, f"{name}: {image} is over 200 KB"


@pytest.mark.slow
@pytest.mark.parametrize("name", STUDIES)
def test_quick_reproduction(name, tmp_path):
    command = [sys.executable, os.path.join(PAPERS, name, "reproduce.py"), "--quick",
               "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    for claim_id in claim_ids(name):
        assert re.search(rf"^CLAIM {re.escape(claim_id)}: .+ (PASS|FAIL) \S", done.stdout,
                         re.MULTILINE), f"no CLAIM line for {claim_id}:\n{output[-4000:]}"
    assert any(f.endswith(".png") for f in os.listdir(tmp_path)), "no figure written"


def test_papers_list(capsys):
    assert main(["papers", "list"]) == 0
    out = capsys.readouterr().out
    for name in STUDIES:
        assert name in out
        for claim_id in claim_ids(name):
            assert claim_id in out


def test_papers_run_unknown_name(capsys):
    assert main(["papers", "run", "no-such-study"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown study 'no-such-study'" in err


def test_papers_outside_a_source_checkout(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli_papers, "PACKAGE_PARENT", str(tmp_path / "site-packages"))
    monkeypatch.chdir(tmp_path)
    assert main(["papers", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "papers/ not found" in err


def test_papers_run_passes_options_and_exit_status(tmp_path, monkeypatch):
    study = tmp_path / "papers" / "toy"
    study.mkdir(parents=True)
    (study / "reproduce.py").write_text(
        "import sys\nopen(sys.argv[-1] + '/args.txt', 'w').write(' '.join(sys.argv[1:]))\n"
        "sys.exit(3)\n")
    monkeypatch.setattr(cli_papers, "PACKAGE_PARENT", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["papers", "run", "toy", "--quick", "--out", str(out)]) == 3
    assert (out / "args.txt").read_text() == f"--quick --out {out}"
