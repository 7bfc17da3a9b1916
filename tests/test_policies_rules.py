"""Each policy's update rule, step by step: hand-checked examples, the reference packages
(DoG, D-Adaptation, Prodigy), Polyak's linear rate on quadratics, and full-batch
convergence without tuning on logistic regression and softmax."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import lrsched.optim.prodigy  # noqa: F401  (registers "prodigy")
from lrsched import Budget, parse, spec, train
from lrsched.optim.prodigy import Prodigy
from lrsched.policies import Armijo, DAdapt, DecSPS, DoG, Hypergradient, Polyak
from lrsched.progress import Progress

# f(x) = 1/2 (x1^2 + 4 x2^2) from x0 = (1, 1): f* = 0, g = (x1, 4 x2)
A = (1, 4)


def f_exact(x):
    return sum(Fraction(a) * xi * xi for a, xi in zip(A, x)) / 2


def g_exact(x):
    return [a * xi for a, xi in zip(A, x)]


def progress_at(k, x, **extra):
    xs = np.array([float(v) for v in x])
    g = np.array([float(v) for v in g_exact(x)])
    return Progress(step=k, loss=float(f_exact(x)), grad_norm=float(np.linalg.norm(g)), grad=g,
                    params=xs, **extra)


def test_polyak_hand_checked():
    # k=0: f = 5/2, |g|^2 = 17, lr = (5/2) / (1/2 * 17) = 5/17, x1 = (12/17, -3/17)
    # k=1: f = 90/289, |g|^2 = 288/289, lr = 180/288 = 5/8 (capped at max_lr=0.5 below)
    x = [Fraction(1), Fraction(1)]
    p = Polyak(f_star=0.0)
    assert p.lr(progress_at(0, x)) == pytest.approx(5 / 17, rel=1e-15)
    x = [xi - Fraction(5, 17) * gi for xi, gi in zip(x, g_exact(x))]
    assert x == [Fraction(12, 17), Fraction(-3, 17)] and f_exact(x) == Fraction(90, 289)
    assert p.lr(progress_at(1, x)) == pytest.approx(5 / 8, rel=1e-15)
    assert Polyak(f_star=0.0, max_lr=0.5).lr(progress_at(1, x)) == 0.5
    assert Polyak(f_star=0.0, c=1.0).lr(progress_at(1, x)) == pytest.approx(5 / 16, rel=1e-15)
    # below f* (a wrong f*) or at a stationary point the step is 0
    assert Polyak(f_star=1.0).lr(progress_at(0, [Fraction(0), Fraction(0)])) == 0.0


def test_polyak_reads_f_star_from_the_problem_or_progress():
    problem = parse("quadratic(dim=5, kappa=10.0)")
    assert Polyak().bind(problem).lr(Progress(loss=2.0, grad_norm=2.0)) == 1.0
    policy = Polyak()
    r = train(problem, "sgd", policy, budget=Budget(steps=100), monitor=None)  # the loop binds
    assert r.status == "done" and r.summary["final_loss"] < 1e-12
    assert spec(policy) == "polyak()" and policy.state_dict()["bound_f_star"] == 0.0
    assert Polyak().lr(Progress(loss=3.0, grad_norm=2.0, extra={"f_star": 1.0})) == 1.0
    with pytest.raises(ValueError, match="f_star"):
        Polyak().lr(Progress(loss=3.0, grad_norm=2.0))


def test_decsps_hand_checked():
    # c_k = sqrt(k+1); k=0: min(f/|g|^2 = 5/34, 1 * 10) / 1 = 5/34
    # k=1 at x1 = x0 - 5/34 g: min(f/|g|^2, c_0 lr_0 = 5/34) / sqrt(2)
    d = DecSPS(c0=1.0, max_lr=10.0)
    x = [Fraction(1), Fraction(1)]
    lr0 = d.lr(progress_at(0, x))
    assert lr0 == pytest.approx(5 / 34, rel=1e-15)
    x = [xi - Fraction(5, 34) * gi for xi, gi in zip(x, g_exact(x))]
    ratio = f_exact(x) / sum(gi * gi for gi in g_exact(x))
    assert float(ratio) > 5 / 34  # so the bound c_0 lr_0 is active at k=1
    assert d.lr(progress_at(1, x)) == pytest.approx((5 / 34) / math.sqrt(2), rel=1e-15)
    # the cap gamma_b binds the first step: min(5/34, 1 * 0.1) / 1
    assert DecSPS(max_lr=0.1).lr(progress_at(0, [Fraction(1), Fraction(1)])) == 0.1
    # c0 = 2: k=0 gives min(5/34, 2 * 10) / 2
    assert DecSPS(c0=2.0).lr(progress_at(0, [Fraction(1), Fraction(1)])) == pytest.approx(5 / 68)


def test_armijo_hand_checked():
    # at x0: f = 5/2, |g|^2 = 17; f(x0 - eta g) = (1-eta)^2/2 + 2 (1-4 eta)^2 must be
    # <= 5/2 - 0.1 * 17 eta.  eta = 0.9^7 = 0.4783: 1.804 > 1.687 (fails);
    # eta = 0.9^8 = 0.4305: 1.204 <= 1.768 (accepted): 9 probes.
    calls = []

    def probe(eta):
        calls.append(eta)
        return (1 - eta) ** 2 / 2 + 2 * (1 - 4 * eta) ** 2

    a = Armijo()
    lr = a.lr(progress_at(0, [Fraction(1), Fraction(1)], probe=probe))
    assert lr == pytest.approx(0.9 ** 8, rel=1e-14)
    assert len(calls) == 9 and calls[0] == 1.0
    # the next step starts from the accepted step times gamma^(1/b), b = step/epoch
    calls.clear()
    a.lr(Progress(step=10, epoch=2.5, loss=1.0, grad_norm=1.0, probe=probe))
    assert calls[0] == pytest.approx(0.9 ** 8 * 2 ** (1 / 4), rel=1e-14)
    # a full batch (epoch == step) doubles it
    b = Armijo(init=0.25)
    b.lr(Progress(step=0, epoch=0.0, loss=1.0, grad_norm=1.0, probe=lambda e: 0.0))
    calls.clear()
    b.lr(Progress(step=1, epoch=1.0, loss=1.0, grad_norm=1.0, probe=probe))
    assert calls[0] == 0.5


def test_hypergradient_hand_checked():
    # SGD-HD on the quadratic: lr_0 = 0.1; x1 = x0 - 0.1 g0 = (0.9, 0.6), g1 = (0.9, 2.4)
    # lr_1 = 0.1 + 0.01 * (g1 . g0) = 0.1 + 0.01 * (0.9 + 9.6) = 0.205
    h = Hypergradient(init=0.1, beta=0.01)
    x = [Fraction(1), Fraction(1)]
    assert h.lr(progress_at(0, x)) == 0.1
    x = [xi - Fraction(1, 10) * gi for xi, gi in zip(x, g_exact(x))]
    assert h.lr(progress_at(1, x)) == pytest.approx(0.205, rel=1e-15)
    # x2 = x1 - 0.205 g1 = (0.7155, 0.108), g2 = (0.7155, 0.432)
    # lr_2 = 0.205 + 0.01 * (0.7155 * 0.9 + 0.432 * 2.4) = 0.205 + 0.0168075
    x = [xi - Fraction(205, 1000) * gi for xi, gi in zip(x, g_exact(x))]
    assert x == [Fraction(7155, 10000), Fraction(108, 1000)]
    assert h.lr(progress_at(2, x)) == pytest.approx(0.2218075, rel=1e-14)
    # the rate never goes negative
    big = Hypergradient(init=0.1, beta=1.0)
    big.lr(Progress(step=0, grad=np.array([1.0])))
    assert big.lr(Progress(step=1, grad=np.array([-5.0]))) == 0.0


def test_adagrad_norm_and_dog_and_dadapt_first_steps():
    from lrsched.policies import AdaGradNorm

    a = AdaGradNorm(eta=2.0, b0=1.0)
    assert a.lr(Progress(step=0, grad_norm=math.sqrt(3.0))) == pytest.approx(1.0)  # 2/sqrt(4)
    assert a.lr(Progress(step=1, grad_norm=math.sqrt(12.0))) == pytest.approx(0.5)  # 2/sqrt(16)
    d = DoG(reps_rel=1e-6, eps=0.0)
    x0 = np.array([3.0, 4.0])
    assert d.lr(Progress(step=0, params=x0, grad_norm=2.0)) == pytest.approx(6e-6 / 2)
    # rbar stays at r_eps until the iterates move farther than it
    assert d.lr(Progress(step=1, params=x0 + 1e-7, grad_norm=2.0)) == pytest.approx(
        6e-6 / math.sqrt(8))
    assert d.lr(Progress(step=2, params=x0 + 3.0, grad_norm=0.0)) == pytest.approx(
        math.sqrt(18) / math.sqrt(8))
    dd = DAdapt(d0=1e-3)
    assert dd.lr(Progress(step=0, grad=np.array([0.0, 0.0]))) == 0.0  # waits for a gradient
    assert dd.lr(Progress(step=1, grad=np.array([3.0, 4.0]))) == pytest.approx(1e-3 / 5)


# --------------------------------------------------------------------------- reference packages

PROBLEMS = ["logistic(dataset='breast_cancer')", "quadratic(dim=30, kappa=50.0, rotate=True)"]


def ours(problem, optimizer, policy, batches):
    x = problem.init(0)
    state = optimizer.init(x)
    out = []
    for k, (batch, _) in enumerate(batches):
        loss, g = problem.loss_and_grad(x, batch)
        lr = 1.0 if policy is None else policy.lr(Progress(
            step=k, loss=loss, grad_norm=float(np.linalg.norm(g)), grad=g, params=x))
        x = optimizer.step(x, g, lr, state)
        out.append(x.copy())
    return np.array(out)


def reference(problem, make, batches):
    torch = pytest.importorskip("torch")
    t = torch.tensor(problem.init(0).copy(), dtype=torch.float64, requires_grad=True)
    opt = make([t])
    out = []
    for batch, _ in batches:
        _, g = problem.loss_and_grad(t.detach().numpy().copy(), batch)
        t.grad = torch.from_numpy(g)
        opt.step()
        out.append(t.detach().numpy().copy())
    return np.array(out)


def worst_relative(a, b):
    return float(np.max(np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)))


@pytest.mark.parametrize("problem_spec", PROBLEMS)
@pytest.mark.parametrize("batch_size", [None, 64])
def test_dog_matches_dog_optimizer(problem_spec, batch_size):
    dog = pytest.importorskip("dog")
    problem = parse(problem_spec)
    batches = [next(s) for s in [problem.batches(0, batch_size)] for _ in range(200)]
    for reps_rel in (1e-6, 1e-3):
        got = ours(problem, parse("sgd"), DoG(reps_rel=reps_rel), batches)
        want = reference(problem, lambda p, r=reps_rel: dog.DoG(p, reps_rel=r), batches)
        assert worst_relative(got, want) <= 1e-7


@pytest.mark.parametrize("problem_spec", PROBLEMS)
@pytest.mark.parametrize("batch_size", [None, 64])
def test_dadapt_matches_dadaptation(problem_spec, batch_size):
    dadaptation = pytest.importorskip("dadaptation")
    problem = parse(problem_spec)
    batches = [next(s) for s in [problem.batches(0, batch_size)] for _ in range(200)]
    for d0, growth in ((1e-6, math.inf), (1e-4, 1.02)):
        got = ours(problem, parse("sgd"), DAdapt(d0=d0, growth=growth), batches)
        want = reference(problem, lambda p, d=d0, g=growth: dadaptation.DAdaptSGD(p, d0=d, growth_rate=g),
                         batches)
        assert worst_relative(got, want) <= 1e-7


PRODIGY_SETTINGS = [
    ({}, {}),
    ({"weight_decay": 0.01, "use_bias_correction": True, "safeguard_warmup": True},
     {"weight_decay": 0.01, "use_bias_correction": True, "safeguard_warmup": True}),
    ({"weight_decay": 0.01, "decouple": False, "d_coef": 0.5, "slice_p": 3},
     {"weight_decay": 0.01, "decouple": False, "d_coef": 0.5, "slice_p": 3}),
    ({"beta1": 0.0}, {"betas": (0.0, 0.999)}),
    ({"beta1": 0.8, "d0": 1e-5}, {"betas": (0.8, 0.999), "d0": 1e-5}),
    ({"beta3": 0.99, "growth_rate": 1.02, "d0": 1e-5},
     {"beta3": 0.99, "growth_rate": 1.02, "d0": 1e-5}),
]
# Left out: settings whose runs amplify rounding differences (1e-16, from the order of
# the reductions in np.dot/np.sum vs torch) past 1e-7 within 200 steps in *both*
# implementations, e.g. beta1=0 with growth_rate=1.1 (the logistic loss jumps between
# 0.09 and 1.0) or beta1=0.8, beta3=0.99, growth_rate=1.1 (a 1e-13 difference in d
# flips `max(d, d_hat)` later); they agree to 1e-12 for the first ~100 steps.


@pytest.mark.parametrize("problem_spec", PROBLEMS)
@pytest.mark.parametrize("batch_size", [None, 64])
def test_prodigy_matches_prodigyopt(problem_spec, batch_size):
    prodigyopt = pytest.importorskip("prodigyopt")
    problem = parse(problem_spec)
    batches = [next(s) for s in [problem.batches(0, batch_size)] for _ in range(200)]
    for ours_kw, ref_kw in PRODIGY_SETTINGS:
        got = ours(problem, Prodigy(**ours_kw), None, batches)
        want = reference(problem, lambda p, kw=ref_kw: prodigyopt.Prodigy(p, **kw), batches)
        assert worst_relative(got, want) <= 1e-7, ours_kw


@pytest.mark.parametrize("which", ["dog", "dadapt", "prodigy"])
def test_train_reproduces_the_reference_trajectory(which):
    """Through ``lrsched.train`` (the loop computes the signals): same point after 200 steps."""
    torch = pytest.importorskip("torch")
    problem = parse("logistic(dataset='breast_cancer')")
    batches = [(None, problem.n_samples)] * 200
    if which == "dog":
        make = pytest.importorskip("dog").DoG
        r = train(problem, "sgd", "dog()", budget=Budget(steps=200), monitor=None)
    elif which == "dadapt":
        make = pytest.importorskip("dadaptation").DAdaptSGD
        r = train(problem, "sgd", "dadapt()", budget=Budget(steps=200), monitor=None)
    else:
        make = pytest.importorskip("prodigyopt").Prodigy
        r = train(problem, "prodigy", "constant(1.0)", budget=Budget(steps=200), monitor=None)
    want = reference(problem, make, batches)[-1]
    assert torch is not None
    assert np.linalg.norm(r.params - want) <= 1e-7 * np.linalg.norm(want)


def test_prodigy_state_and_dtype():
    p = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    opt = Prodigy()
    state = opt.init(p)
    for _ in range(5):
        p = opt.step(p, np.array([0.5, -0.5, 0.1], dtype=np.float32), 1.0, state)
    assert p.dtype == np.float32 and state["exp_avg"].dtype == np.float32
    assert state["step"] == 5 and state["d"] >= 1e-6
    # a zero rate changes nothing, nor does a first step with a zero gradient (as the package)
    before = p.copy()
    assert np.array_equal(opt.step(p, np.array([0.5, -0.5, 0.1], np.float32), 0.0, state), before)
    assert state["step"] == 5
    fresh = opt.init(p)
    assert np.array_equal(opt.step(p, np.zeros(3, np.float32), 1.0, fresh), before)
    assert fresh["step"] == 0 and fresh["d"] == 1e-6
    with pytest.raises(ValueError, match="beta2"):
        Prodigy(beta2=1.0)


# --------------------------------------------------------------------------- Polyak's rate


def test_polyak_converges_linearly_on_quadratics_and_matches_gd():
    """kappa = 100, linear and log spectra, diagonal and rotated, three starting points.

    Polyak's step with exact f* on a quadratic is the step that minimises the
    distance to x* along -g, so ||x_k - x*||^2 contracts by at least 1 - 1/kappa
    per step; GD with 2/(L + mu) contracts the distance by (kappa-1)/(kappa+1).
    """
    kappa, steps = 100.0, 150
    polyak_gaps, gd_gaps = [], []
    for spectrum in ("linear", "log"):
        for rotate in (False, True):
            for seed in range(3):
                q = parse(f"quadratic(dim=50, kappa={kappa}, spectrum='{spectrum}', "
                          f"rotate={rotate}, seed={seed})")
                x0 = q.init(seed + 10)
                L, mu = q.smoothness, q.strong_convexity
                policy = Polyak().bind(q)
                x, gaps, dists = x0.copy(), [q.loss(x0)], [float(x0 @ x0)]
                for k in range(steps):
                    f, g = q.loss_and_grad(x)
                    x = x - policy.lr(Progress(step=k, loss=f,
                                               grad_norm=float(np.linalg.norm(g)))) * g
                    gaps.append(q.loss(x))
                    dists.append(float(x @ x))
                gaps, dists = np.array(gaps), np.array(dists)
                # per-step contraction factors, measured
                dist_rate = (dists[1:] / dists[:-1]).max()
                gap_rate = (gaps[-1] / gaps[0]) ** (1 / steps)
                late_rate = (gaps[-1] / gaps[steps // 2]) ** (1 / (steps - steps // 2))
                assert dist_rate <= 1 - 1 / kappa + 1e-12
                assert gap_rate < 0.96 and late_rate < 0.97   # linear, not sublinear
                polyak_gaps.append(gaps[-1] / gaps[0])
                x = x0.copy()
                for _ in range(steps):
                    x = x - 2 / (L + mu) * q.loss_and_grad(x)[1]
                gd_gaps.append(q.loss(x) / gaps[0])
    assert np.median(polyak_gaps) <= np.median(gd_gaps)


# --------------------------------------------------------------------------- no tuning


@pytest.mark.slow
@pytest.mark.parametrize("problem_spec", ["logistic(dataset='breast_cancer')",
                                          "softmax(dataset='digits')"])
@pytest.mark.parametrize("optimizer, policy", [("sgd", "polyak()"), ("sgd", "armijo()"),
                                               ("sgd", "dog()"), ("sgd", "dadapt()"),
                                               ("prodigy", "constant(1.0)")])
def test_full_batch_reaches_1e4_without_tuning(problem_spec, optimizer, policy):
    problem = parse(problem_spec)
    schedule = parse(policy)
    getattr(schedule, "bind", lambda p: None)(problem)
    f0 = problem.loss(problem.init(0))
    target = problem.f_star + 1e-4 * (f0 - problem.f_star)
    r = train(problem, optimizer, schedule, budget=Budget(steps=20000), monitor=None,
              target=target, stop_at_target=True, eval_every=1)
    assert r.status == "done"
    assert r.summary["steps_to_target"] is not None
