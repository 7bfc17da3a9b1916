"""Problems and data sets: gradients, backends, f* against scikit-learn, minibatches, specs, LIBSVM."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrsched import backend
from lrsched.problems import (
    least_squares,
    logistic,
    mlp,
    quadratic,
    rosenbrock,
    softmax,
    synthetic_classification,
)
from lrsched.problems.least_squares import least_squares_reference
from lrsched.problems.logistic import logistic_reference
from lrsched.spec import parse

# Small instances of every problem (and of every code path: rotation, noise, depth, tasks).
SPECS = [
    "quadratic(dim=6, kappa=10.0)",
    "quadratic(dim=5, rotate=True, spectrum='log', seed=3)",
    "quadratic(dim=4, noise=0.5)",
    "least_squares(l2=0.1)",
    "least_squares(synthetic_regression(n=60, d=4, kappa=30.0))",
    "logistic()",
    "logistic(synthetic_classification(n=80, d=5), l2=0.0)",
    "softmax('iris', l2=0.01)",
    "rosenbrock(dim=5)",
    "mlp('iris', hidden=(5, 4), activation='tanh')",
    "mlp('diabetes', hidden=(6,))",
    "mlp(synthetic_classification(n=50, d=3, classes=3), hidden=())",
]


def _point(problem, seed=1) -> np.ndarray:
    """A generic point (not the start, where many gradients vanish or are symmetric)."""
    x0 = np.asarray(problem.init(0), dtype=np.float64)
    return x0 + 0.3 * np.random.default_rng(seed).standard_normal(problem.dim)


def _first_minibatch(problem, xp, size=7, dtype=None):
    batch, n = next(problem.batches(0, size, xp=xp, dtype=dtype))
    return batch


def _to_np(x):
    return np.asarray(backend.to_numpy(x), dtype=np.float64)


@pytest.mark.parametrize("text", SPECS)
def test_gradient_matches_central_differences(text, xp):
    problem = parse(text)
    x = _point(problem)
    batches = [None, _first_minibatch(problem, xp)]
    rng = np.random.default_rng(2)
    coords = rng.choice(problem.dim, size=min(problem.dim, 10), replace=False)
    directions = [np.eye(problem.dim)[j] for j in coords] + [rng.standard_normal(problem.dim)]
    for batch in batches:
        loss, grad = problem.loss_and_grad(backend.asarray(x, xp=xp), batch)
        assert isinstance(loss, float)
        assert type(grad) is type(backend.asarray(x, xp=xp))
        assert loss == pytest.approx(problem.loss(backend.asarray(x, xp=xp), batch), rel=1e-12)
        grad = _to_np(grad)
        for v in directions:
            h = 1e-6
            up = problem.loss(backend.asarray(x + h * v, xp=xp), batch)
            down = problem.loss(backend.asarray(x - h * v, xp=xp), batch)
            fd = (up - down) / (2 * h)
            assert grad @ v == pytest.approx(fd, rel=1e-5, abs=1e-6 * max(1.0, abs(loss)))


@pytest.mark.parametrize("text", SPECS)
def test_backends_agree_with_numpy(text, xp):
    problem = parse(text)
    x = _point(problem, seed=4)
    ref_loss, ref_grad = problem.loss_and_grad(x)
    init = problem.init(5, xp=xp)
    np.testing.assert_array_equal(_to_np(init), problem.init(5))
    loss, grad = problem.loss_and_grad(backend.asarray(x, xp=xp))
    assert loss == pytest.approx(ref_loss, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(_to_np(grad), ref_grad, rtol=1e-10, atol=1e-12)
    np_batch = _first_minibatch(problem, np)
    xp_batch = _first_minibatch(problem, xp)
    loss_b, grad_b = problem.loss_and_grad(backend.asarray(x, xp=xp), xp_batch)
    ref_b, ref_gb = problem.loss_and_grad(x, np_batch)
    assert loss_b == pytest.approx(ref_b, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(_to_np(grad_b), ref_gb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "problem, reference",
    [
        (logistic(), logistic_reference),
        (logistic(synthetic_classification(n=90, d=4, separable=True), l2=0.1), logistic_reference),
        (least_squares("diabetes", l2=0.01), least_squares_reference),
    ],
)
def test_numpy_fast_path_equals_array_api_reference(problem, reference, dtype):
    x = _point(problem).astype(dtype)
    tol = backend.tolerance(np.dtype(dtype)) * 10
    for batch in [None, _first_minibatch(problem, np, size=33, dtype=dtype)]:
        d = problem._data(x)
        X, t = d.samples if batch is None else batch
        loss, grad = problem.loss_and_grad(x, batch)
        ref_loss, ref_grad = reference(np, X, t, d.consts[0], x)
        assert grad.dtype == np.dtype(dtype)
        assert loss == pytest.approx(ref_loss, rel=tol)
        np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol)
        assert problem.loss(x, batch) == pytest.approx(ref_loss, rel=tol)


def test_cache_follows_the_parameters_dtype_and_namespace():
    torch = pytest.importorskip("torch")
    p = logistic("breast_cancer")
    x = _point(p)
    ref = p.loss_and_grad(x)
    f32 = p.loss_and_grad(x.astype(np.float32))
    t64 = p.loss_and_grad(torch.asarray(x))
    again = p.loss_and_grad(x)
    assert f32[1].dtype == np.float32 and t64[1].dtype == torch.float64
    assert again[0] == ref[0] and np.array_equal(again[1], ref[1])
    assert f32[0] == pytest.approx(ref[0], rel=1e-5)
    assert t64[0] == pytest.approx(ref[0], rel=1e-12)
    with pytest.raises(ValueError, match="floating"):
        p.loss(np.zeros(p.dim, dtype=np.int64))


# ----------------------------------------------------------------------- f* vs scikit-learn


def _sklearn_logreg(problem):
    from sklearn.linear_model import LogisticRegression

    data = problem.data
    clf = LogisticRegression(C=1.0 / (data.n_samples * problem.l2), tol=1e-12, max_iter=100_000)
    clf.fit(data.X, data.labels)
    return clf


def test_logistic_f_star_matches_scikit_learn():
    p = logistic("breast_cancer", l2=1e-3)
    clf = _sklearn_logreg(p)
    theirs = p.loss(np.concatenate([clf.coef_[0], clf.intercept_]))
    assert p.f_star == pytest.approx(theirs, rel=1e-8)
    assert p.f_star <= theirs * (1 + 1e-12)


@pytest.mark.parametrize("name, l2", [("iris", 1e-2), ("wine", 1e-3)])
def test_softmax_f_star_matches_scikit_learn(name, l2):
    p = softmax(name, l2=l2)
    clf = _sklearn_logreg(p)
    W = np.vstack([clf.coef_.T, clf.intercept_[None, :]])
    theirs = p.loss(W.reshape(-1))
    assert p.f_star == pytest.approx(theirs, rel=1e-8)
    assert p.f_star <= theirs * (1 + 1e-12)


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_least_squares_f_star_matches_scikit_learn(l2):
    from sklearn.linear_model import LinearRegression, Ridge

    p = least_squares("diabetes", l2=l2)
    X, y = p.data.X, p.data.y
    model = LinearRegression() if l2 == 0 else Ridge(alpha=p.n_samples * l2, tol=1e-14)
    model.fit(X, y)
    theirs = p.loss(np.concatenate([model.coef_, [model.intercept_]]))
    assert p.f_star == pytest.approx(theirs, rel=1e-8)
    H = p.hessian()
    ev = np.linalg.eigvalsh(H)
    assert p.smoothness == pytest.approx(ev[-1]) and p.strong_convexity == pytest.approx(ev[0])


def test_f_star_is_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("LRSCHED_CACHE_DIR", str(tmp_path))
    value = softmax("iris", l2=0.05).f_star
    files = list((tmp_path / "f_star").glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["value"] == value

    import lrsched.problems._fstar as fstar

    def fail(*args, **kwargs):
        raise AssertionError("f* was recomputed although it is cached")

    monkeypatch.setattr(fstar, "minimize_convex", fail)
    assert softmax("iris", l2=0.05).f_star == value
    files[0].write_text("{not json")
    monkeypatch.undo()
    monkeypatch.setenv("LRSCHED_CACHE_DIR", str(tmp_path))
    assert softmax("iris", l2=0.05).f_star == pytest.approx(value, rel=1e-12)
    assert json.loads(files[0].read_text())["value"] == pytest.approx(value, rel=1e-12)


def test_smoothness_bounds_hold_on_the_hessian():
    for p, factor in [(logistic("breast_cancer"), 4.0), (softmax("iris"), 2.0)]:
        x = _point(p)
        top = np.linalg.eigvalsh(p.hessian(x))[-1]
        assert top <= p.smoothness * (1 + 1e-12)
        (Xa, _), _ = p._prepare()
        bound = np.linalg.eigvalsh(Xa.T @ Xa)[-1] / (factor * len(Xa)) + p.l2
        assert p.smoothness == pytest.approx(bound, rel=1e-12)


# ----------------------------------------------------------------------- quadratic, rosenbrock


def test_quadratic_spectrum_and_rotation():
    q = quadratic(dim=8, kappa=50.0, L=2.0, rotate=True, spectrum="log", seed=7)
    ev = np.linalg.eigvalsh(q.matrix())
    np.testing.assert_allclose(ev, np.geomspace(2.0 / 50, 2.0, 8), rtol=1e-12)
    assert (q.smoothness, q.strong_convexity, q.f_star) == (2.0, 0.04, 0.0)
    flat = quadratic(dim=5, kappa=4.0)
    np.testing.assert_allclose(flat.eigenvalues, np.linspace(0.25, 1.0, 5))
    x = np.random.default_rng(0).standard_normal(5)
    assert flat.loss(x) == pytest.approx(0.5 * x @ np.diag(flat.eigenvalues) @ x, rel=1e-14)


def test_quadratic_gradient_descent_meets_the_theory_rate():
    q = quadratic(dim=50, kappa=20.0, rotate=True)
    x = q.init(0)
    f = q.loss(x)
    for _ in range(30):
        loss, g = q.loss_and_grad(x)
        x = x - g / q.smoothness
        assert q.loss(x) <= (1 - 1 / q.kappa) * loss * (1 + 1e-12)
    assert q.loss(x) < f * (1 - 1 / 20) ** 30


def test_quadratic_noise_stream():
    q = quadratic(dim=2000, noise=2.0)
    draws = [d for d, _ in _take(q.batches(3, 16), 4)]
    assert [n for _, n in _take(q.batches(3, 16), 2)] == [16, 16]
    sample = np.concatenate(draws)
    assert abs(sample.mean()) < 5 * 0.5 / np.sqrt(sample.size)
    assert sample.std() == pytest.approx(2.0 / 4.0, rel=0.05)
    np.testing.assert_array_equal(draws[0], next(q.batches(3, 16))[0])
    assert not np.array_equal(draws[0], draws[1])
    x = np.ones(q.dim)
    _, g = q.loss_and_grad(x, draws[0])
    np.testing.assert_allclose(g, q.eigenvalues * x + draws[0])
    assert next(quadratic(dim=3).batches(0, None)) == (None, 1)


def test_rosenbrock_matches_scipy():
    from scipy.optimize import rosen, rosen_der

    r = rosenbrock(dim=6)
    np.testing.assert_array_equal(r.init(0), [-1.2, 1, -1.2, 1, -1.2, 1])
    assert not np.array_equal(r.init(1), r.init(0))
    for seed in range(3):
        x = np.random.default_rng(seed).uniform(-2, 2, 6)
        loss, grad = r.loss_and_grad(x)
        assert loss == pytest.approx(rosen(x), rel=1e-14)
        np.testing.assert_allclose(grad, rosen_der(x), rtol=1e-13, atol=1e-12)
    assert r.loss(np.ones(6)) == 0.0 == r.f_star and r.n_samples is None


def test_mlp_initialisation_scales():
    net = mlp("digits", hidden=(400, 300), activation="relu", l2=0.0)
    x = net.init(0)
    W1 = x[: 64 * 400]
    assert W1.std() == pytest.approx(np.sqrt(2 / 64), rel=0.02)
    tanh = mlp("digits", hidden=(400,), activation="tanh")
    W1 = tanh.init(0)[: 64 * 400]
    assert W1.std() == pytest.approx(np.sqrt(2 / 464), rel=0.02)
    assert not np.array_equal(net.init(0), net.init(1)) and net.f_star is None


def _take(it, k):
    return [next(it) for _ in range(k)]
