"""``lrsched lr``: CSV of learning rates, plots, and one-line errors that write nothing."""

from __future__ import annotations

import csv
import io

import pytest

from lrsched.cli import main
from lrsched.spec import parse


def run(capsys, *argv):
    code = main(["lr", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_prints_step_lr_csv(capsys):
    text = "warmup(cosine(peak=0.1, horizon=90), steps=10)"
    code, out, err = run(capsys, text, "--steps", "120")
    assert code == 0 and err == ""
    table = rows(out)
    assert table[0] == ["step", "lr"] and len(table) == 121
    s = parse(text)
    assert [int(r[0]) for r in table[1:]] == list(range(120))
    assert [float(r[1]) for r in table[1:]] == [s(k) for k in range(120)]  # exact: repr round trip


def test_several_specs_one_column_each_and_momentum(capsys):
    a, b = "onecycle(peak=0.1, horizon=50)", "cosine(horizon=50, peak=0.1)"
    code, out, _ = run(capsys, a, b, "--steps", "50", "--momentum")
    table = rows(out)
    assert code == 0
    assert table[0] == ["step", a, f"momentum {a}", "cosine(peak=0.1, horizon=50)"]
    s = parse(a)
    assert [float(r[2]) for r in table[1:]] == [s.momentum_at(k) for k in range(50)]


def test_clock_option_moves_specs_to_another_clock(capsys):
    code, out, _ = run(capsys, "cosine(peak=0.1, horizon=1.0)", "--steps", "4", "--clock", "fraction")
    s = parse("cosine(peak=0.1, horizon=1.0, clock='fraction')")
    assert code == 0 and [float(r[1]) for r in rows(out)[1:]] == [s(k / 4) for k in range(4)]
    code, out, _ = run(capsys, "cosine(peak=0.1, horizon=10.0, clock='seconds')", "--steps", "5",
                       "--per-step", "2.5")
    s = parse("cosine(peak=0.1, horizon=10.0, clock='seconds')")
    assert [float(r[1]) for r in rows(out)[1:]] == [s(2.5 * k) for k in range(5)]


def test_plot_writes_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "lr.png"
    code, out, err = run(capsys, "onecycle(peak=0.1, horizon=100)", "rex(peak=0.1, horizon=100)",
                         "--steps", "100", "--plot", str(path))
    # the CSV is printed with --plot too (DESIGN §11); the confirmation goes to stderr
    assert code == 0 and "plot written" in err and rows(out)[0][0] == "step"
    assert len(rows(out)) == 101
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, err = run(capsys, "rex(peak=0.1, horizon=100)", "--steps", "3", "--plot",
                         str(tmp_path / "b.svg"), "--csv")
    assert rows(out)[0] == ["step", "lr"] and "plot written" in err
    assert (tmp_path / "b.svg").exists()


@pytest.mark.parametrize("argv, fragment", [
    (["cosine(peak=-1, horizon=10)"], "peak"),
    (["cosine(peak=1, horizon=0)"], "horizon"),
    (["cosin(peak=1, horizon=10)"], "unknown schedule"),
    (["cosine(peak=1, horizon=10, flor=0.1)"], "unknown argument 'flor'"),
    (["cosine(peak='high', horizon=10)"], "peak"),
    (["cosine(peak=1, horizon=[10])"], "horizon"),
    (["cosine(peak=1, horizon=10"], "cannot parse"),
    (["sgd()"], "not a schedule"),
    (["dog()"], "not a schedule"),
    (["cosine(peak=1, horizon=10)", "onecycle(peak=1, horizon=2)"], "empty phase"),
    (["cosine(peak=1, horizon=10, clock='seconds')", "--clock", "epoch"], "clock"),
    (["cosine(peak=1, horizon=10)", "--steps", "0"], "--steps"),
    (["cosine(peak=1, horizon=10)", "--per-step", "-1"], "--per-step"),
])
def test_mistakes_are_one_line_exit_2_and_write_nothing(capsys, tmp_path, argv, fragment):
    pytest.importorskip("matplotlib")
    path = tmp_path / "out.png"
    if "--steps" not in argv:
        argv = [*argv, "--steps", "10"]
    code, out, err = run(capsys, *argv, "--plot", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err and err.startswith("lrsched lr: error:")
    assert not path.exists()


def test_bad_plot_files_are_refused_before_any_output(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, err = run(capsys, "constant(0.1)", "--steps", "3", "--plot",
                         str(tmp_path / "x.unknown"), "--csv")
    assert code == 2 and out == "" and "extensions" in err
    code, out, err = run(capsys, "constant(0.1)", "--steps", "3", "--plot",
                         str(tmp_path / "missing" / "x.png"))
    assert code == 2 and "does not exist" in err


def test_plots_schedule_draws_into_given_axes():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from lrsched.plots import schedule

    fig = Figure()
    ax = fig.add_subplot()
    assert schedule(["cyclic(0.01, 0.1, 5)", "constant(0.05)"], 40, ax=ax,
                    labels=["c", "k"]) is fig
    assert [line.get_label() for line in ax.get_lines()] == ["c", "k"]
    assert len(fig.axes) == 2  # the momentum axis of the cycling schedule
    with pytest.raises(ValueError, match="2 labels for 1"):
        schedule("constant(0.1)", 10, labels=["a", "b"])
