"""The LR range test: the sweep, the smoothing, divergence, suggestions, the CLI and the
plot, and a comparison with torch-lr-finder on the same model."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrsched
from lrsched import Budget, find_lr, parse, train
from lrsched.cli import main as cli_main
from lrsched.policies.find_lr import suggest_minimum, suggest_steepest

LOGISTIC = "logistic(dataset='breast_cancer')"



def test_sweep_smoothing_and_suggestions():
    r = find_lr(LOGISTIC, "sgd", start=1e-6, end=1.0, steps=61, smooth=0.9)
    assert not r.diverged and len(r.lrs) == 61
    np.testing.assert_allclose(r.lrs, np.geomspace(1e-6, 1.0, 61), rtol=1e-12)
    # bias-corrected exponential average, written out
    avg, expected = 0.0, []
    for i, loss in enumerate(r.losses):
        avg = 0.9 * avg + 0.1 * loss
        expected.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(r.smoothed, expected, rtol=1e-14)
    assert r.smoothed[0] == r.losses[0] == pytest.approx(math.log(2.0))
    # the losses are the trajectory of SGD at these rates
    problem = parse(LOGISTIC)
    x = problem.init(0)
    for lr, loss in zip(r.lrs[:5], r.losses[:5]):
        value, grad = problem.loss_and_grad(x)
        assert value == loss
        x = x - lr * grad
    assert r.suggestion == r.steepest == suggest_steepest(r.lrs, r.smoothed)
    assert r.minimum == suggest_minimum(r.lrs, r.smoothed)


def test_suggestion_rules_on_a_known_curve():
    lrs = np.geomspace(1e-4, 1.0, 41)
    losses = 1.0 / (1.0 + np.exp(3 * (np.log10(lrs) + 2)))  # steepest at lr = 1e-2
    losses[-3:] = [0.5, 2.0, 9.0]
    assert suggest_steepest(lrs, losses, 0, 3) == pytest.approx(1e-2)
    assert suggest_minimum(lrs, losses) == pytest.approx(lrs[np.argmin(losses)] / 10)
    assert suggest_steepest(lrs[:5], losses[:5], 10, 5) is None


def test_stops_when_the_loss_diverges():
    r = find_lr("quadratic(dim=20, kappa=10.0)", "sgd", end=100.0, steps=100)
    assert r.diverged and len(r.lrs) < 100
    assert r.smoothed[-1] > 4.0 * r.smoothed[:-1].min()
    # GD on this quadratic (L = 1) diverges above 2: the sweep got past it and stopped
    assert r.lrs[-1] > 2.0
    assert 0.1 < r.suggestion < 2.0


def test_the_suggestion_trains_well():
    problem = parse(LOGISTIC)
    r = find_lr(problem, "sgd")
    assert 0.1 / problem.smoothness < r.suggestion <= 2.0 / problem.smoothness * 1.05
    run = train(problem, "sgd", f"constant({r.suggestion})", budget=Budget(steps=500),
                monitor=None)
    assert run.status == "done"
    f_star = problem.f_star
    assert (run.summary["final_loss"] - f_star) < 1e-2 * (run.summary["initial_loss"] - f_star)


def test_minibatches_and_other_optimizers():
    r = find_lr(LOGISTIC, "adam", batch_size=32, steps=50, seed=3)
    assert len(r.lrs) >= 20 and np.all(np.isfinite(r.losses[:20]))
    assert r.spec["batch_size"] == 32 and r.spec["optimizer"] == "adam()"
    assert r.suggestion is not None


def test_argument_errors():
    for kwargs, name in [({"start": 0.0}, "start"), ({"start": 1.0, "end": 0.5}, "end"),
                         ({"steps": 1}, "steps"), ({"smooth": 1.0}, "smooth"),
                         ({"diverge": 1.0}, "diverge"), ({"batch_size": 0}, "batch_size")]:
        with pytest.raises(ValueError, match=name):
            find_lr(LOGISTIC, "sgd", **kwargs)
    assert lrsched.find_lr is find_lr


def test_matches_torch_lr_finder_on_the_same_model():
    torch = pytest.importorskip("torch")
    lr_finder = pytest.importorskip("torch_lr_finder")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    problem = parse(LOGISTIC)
    X, y = np.asarray(problem.data.X), np.asarray(problem.data.y)
    n = X.shape[0]
    Xb = torch.tensor(np.hstack([X, np.ones((n, 1))]))
    labels = torch.tensor(np.where(y == np.unique(y)[-1], 1.0, -1.0))

    class Model(torch.nn.Module):  # the same logistic regression, parameters from 0
        def __init__(self):
            super().__init__()
            self.theta = torch.nn.Parameter(torch.zeros(Xb.shape[1], dtype=torch.float64))

        def forward(self, x):
            return x @ self.theta

    def torch_range_test(smooth_f):
        model = Model()
        opt = torch.optim.SGD(model.parameters(), lr=1e-7)

        def criterion(out, lab):
            penalty = 0.5 * problem.l2 * (model.theta[:-1] ** 2).sum()
            return torch.nn.functional.softplus(-lab * out).mean() + penalty

        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(Xb, labels),
                                             batch_size=n, shuffle=False)
        finder = lr_finder.LRFinder(model, opt, criterion, device="cpu")
        finder.range_test(loader, end_lr=10, num_iter=100, smooth_f=smooth_f, diverge_th=4)
        ax, suggestion = finder.plot(suggest_lr=True)
        matplotlib.pyplot.close(ax.figure)
        return finder.history, suggestion

    # unsmoothed: the same sweep, the same losses, the same steepest point
    history, theirs = torch_range_test(0.0)
    ours = find_lr(problem, "sgd", smooth=0.0)
    np.testing.assert_allclose(ours.lrs, history["lr"], rtol=1e-12)
    np.testing.assert_allclose(ours.losses, history["loss"], rtol=1e-12)
    assert ours.steepest == pytest.approx(theirs, rel=1e-12)
    # default smoothing differs (theirs: 0.05 * new + 0.95 * previous, no bias correction;
    # ours: fastai's bias-corrected beta=0.98): the suggestions agree within a factor 2
    _, theirs = torch_range_test(0.05)
    ours = find_lr(problem, "sgd")
    assert 0.5 < ours.steepest / theirs < 2.0


def test_cli_prints_the_suggestion_and_writes_the_plot(tmp_path, capsys):
    out = tmp_path / "lr.png"
    code = cli_main(["find-lr", "--problem", LOGISTIC, "--steps", "40", "--plot", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "suggested lr (steepest descent):" in text and out.stat().st_size > 1000
    code = cli_main(["find-lr", "--problem", LOGISTIC, "--steps", "20", "--csv"])
    rows = capsys.readouterr().out.splitlines()
    assert code == 0 and rows[0] == "lr,loss,smoothed" and len(rows[1].split(",")) == 3


@pytest.mark.parametrize("argv, needle", [
    (["--problem", "logistic(dataset='nope')"], "dataset"),
    (["--problem", LOGISTIC, "--optimizer", "cosine(peak=1.0, horizon=5)"], "optimizer"),
    (["--problem", LOGISTIC, "--start", "1", "--end", "0.1"], "start"),
    (["--problem", LOGISTIC, "--steps", "1"], "steps"),
    (["--problem", LOGISTIC, "--plot", "/no/such/folder/x.png"], "folder"),
    (["--problem", LOGISTIC, "--plot", "x.unknown"], "extension"),
])
def test_cli_mistakes_are_one_line_and_exit_2(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_main(["find-lr", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_plot_marks_the_suggestions():
    pytest.importorskip("matplotlib")
    r = find_lr(LOGISTIC, "sgd", steps=40)
    fig = r.plot()
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert ax.get_xscale() == "log"
    assert any(label.startswith("steepest") for label in labels)
    assert any(label.startswith("minimum") for label in labels)
