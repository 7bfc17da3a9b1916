"""Data sets, LIBSVM files, minibatch streams, specs and argument errors of lrsched.problems."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsched import backend
from lrsched.problems import (
    Dataset,
    least_squares,
    load_dataset,
    logistic,
    quadratic,
    read_libsvm,
    softmax,
    synthetic_classification,
    synthetic_regression,
)
from lrsched.spec import SpecError, parse, spec

# ----------------------------------------------------------------------- data sets


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine", "iris", "diabetes"])
def test_bundled_datasets_are_standardised(name):
    from sklearn import datasets as skd

    ds = load_dataset(name)
    raw_X, raw_y = getattr(skd, f"load_{name}")(return_X_y=True)
    assert ds.X.shape == raw_X.shape and ds.X.flags.c_contiguous and not ds.X.flags.writeable
    constant = raw_X.std(axis=0) == 0
    np.testing.assert_allclose(ds.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.X.std(axis=0)[~constant], 1.0, rtol=1e-12)
    assert np.all(ds.X[:, constant] == 0.0)
    expected = (raw_X[:, ~constant] - raw_X[:, ~constant].mean(0)) / raw_X[:, ~constant].std(0)
    np.testing.assert_allclose(ds.X[:, ~constant], expected, rtol=1e-12, atol=1e-12)
    if name == "diabetes":
        assert ds.task == "regression"
        np.testing.assert_allclose(ds.y, (raw_y - raw_y.mean()) / raw_y.std(), rtol=1e-12)
    else:
        assert ds.task == "classification" and ds.n_classes == len(np.unique(raw_y))
        np.testing.assert_array_equal(ds.label_values[ds.labels], raw_y)
    assert load_dataset(name) is ds  # loaded once per process
    assert "digits" != name or constant.any()


@pytest.mark.parametrize("kappa", [1.0, 10.0, 1000.0])
def test_synthetic_features_have_exact_condition_number(kappa):
    ds = synthetic_regression(n=300, d=12, kappa=kappa, seed=2)
    C = ds.X.T @ ds.X / ds.n_samples
    np.testing.assert_allclose(np.diag(C), 1.0, rtol=1e-10)
    assert np.linalg.cond(C) == pytest.approx(kappa, rel=1e-8)
    cls = synthetic_classification(n=300, d=12, classes=4, kappa=kappa, separable=True)
    assert np.linalg.cond(cls.X.T @ cls.X / 300) == pytest.approx(kappa, rel=1e-8)
    assert cls.n_classes == 4


def test_separable_synthetic_data_is_linearly_separable():
    ds = synthetic_classification(n=400, d=6, classes=2, separable=True, seed=5)
    from sklearn.svm import LinearSVC

    assert LinearSVC(C=1e6, max_iter=200_000).fit(ds.X, ds.labels).score(ds.X, ds.labels) == 1.0
    noisy = synthetic_classification(n=400, d=6, classes=2, separable=False, seed=5)
    assert 0.6 < np.mean(noisy.labels == ds.labels) < 1.0
    assert np.array_equal(synthetic_classification(seed=1).X, synthetic_classification(seed=1).X)


def test_from_arrays_prints_a_content_hash_and_parses_back():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    ds = Dataset.from_arrays(X, y, name="mine")
    p = logistic(dataset=ds, l2=0.01)
    text = spec(p)
    assert text == f"logistic(dataset={ds.name!r}, l2=0.01)" and ds.name.startswith("mine@")
    assert len(ds.name) == len("mine@") + 12
    assert parse(text).data is ds
    other = Dataset.from_arrays(X, 1 - y, name="mine")
    assert other.name != ds.name
    with pytest.raises(ValueError, match="from_arrays outside this process"):
        load_dataset("mine@000000000000")
    assert Dataset.from_arrays(X, X[:, 0] * 1.5).task == "regression"
    assert Dataset.from_arrays(X, y.astype(float)).task == "classification"


@pytest.mark.parametrize(
    "X, y, fragment",
    [
        (np.zeros(5), np.zeros(5), "2-D"),
        (np.zeros((5, 2)), np.zeros(4), "one entry per row"),
        (np.full((5, 2), np.nan), np.arange(5), "finite"),
        (np.ones((4, 2)), np.ones(4, dtype=int), "at least 2 classes"),
    ],
)
def test_from_arrays_rejects_bad_arrays(X, y, fragment):
    with pytest.raises(ValueError, match=fragment):
        Dataset.from_arrays(X, y)


# ----------------------------------------------------------------------- LIBSVM

LIBSVM_TEXT = """\
# a comment line
+1 1:0.5 3:-2 7:1e-3
-1 2:1.5   4:3 # trailing comment

+1 1:1 7:4
-1 3:0.25
"""


def test_libsvm_matches_scikit_learn(tmp_path):
    from sklearn.datasets import load_svmlight_file

    path = tmp_path / "toy.svm"
    path.write_text(LIBSVM_TEXT)
    X, y = read_libsvm(str(path))
    X_ref, y_ref = load_svmlight_file(str(path), zero_based=False)
    np.testing.assert_array_equal(X, X_ref.toarray())
    np.testing.assert_array_equal(y, y_ref)
    unsorted = tmp_path / "unsorted.svm"  # scikit-learn refuses this order; we accept it
    unsorted.write_text(LIBSVM_TEXT.replace("1:1 7:4", "7:4 1:1"))
    np.testing.assert_array_equal(read_libsvm(str(unsorted))[0], X)
    p = logistic(dataset=f"libsvm:{path}", l2=0.1)
    assert p.dim == 8 and p.data.n_classes == 2
    assert spec(parse(spec(p))) == spec(p) == f"logistic(dataset='libsvm:{path}', l2=0.1)"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1 1:2\n1 2-3\n", "line 2: bad token '2-3'"),
        ("1 1:2\nabc 1:2\n", "line 2: label 'abc' is not a number"),
        ("1 0:2\n", "line 1: index 0"),
        ("1 x:2\n", "line 1: index 'x'"),
        ("1 1:2 1:3\n", "line 1: index 1 appears twice"),
        ("1 1:nan\n", "line 1: value 'nan' is not finite"),
        ("1 qid:3 1:2\n", "line 1: qid"),
        ("1 1:\n", "line 1: bad token"),
        ("# only a comment\n", "no samples"),
    ],
)
def test_libsvm_errors_name_the_line(tmp_path, text, fragment):
    path = tmp_path / "bad.svm"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        read_libsvm(str(path))
    message = str(info.value)
    assert fragment in message and "\n" not in message and str(path) in message


def test_libsvm_missing_file(tmp_path):
    missing = str(tmp_path / "nope.svm")
    with pytest.raises(FileNotFoundError, match="nope.svm"):
        read_libsvm(missing)
    with pytest.raises(FileNotFoundError, match="nope.svm"):
        parse(f"logistic(dataset='libsvm:{missing}')")


# ----------------------------------------------------------------------- minibatches


def _indexed_problem(n: int) -> logistic:
    """A problem whose first feature is the sample index (standardised, still increasing)."""
    X = np.column_stack([np.arange(n, dtype=float), np.sin(np.arange(n))])
    y = np.arange(n) % 2
    return logistic(dataset=Dataset.from_arrays(X, y, name=f"indexed{n}"))


def _indices(problem, batch) -> np.ndarray:
    full = problem._prepare()[0][0][:, 0]
    return np.searchsorted(full, backend.to_numpy(batch[0])[:, 0])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), size=st.integers(1, 39), seed=st.integers(0, 2**32 - 1))
def test_each_epoch_is_the_seeded_permutation(n, size, seed):
    p = _indexed_problem(n)
    stream = p.batches(seed, size)
    if size >= n:
        assert [next(stream) for _ in range(3)] == [(None, n)] * 3
        return
    rng = np.random.default_rng(seed)
    per_epoch = -(-n // size)
    for _ in range(3):
        epoch = [next(stream) for _ in range(per_epoch)]
        sizes = [count for _, count in epoch]
        assert sizes == [size] * (n // size) + ([n % size] if n % size else [])
        assert all(len(batch[0]) == count == len(batch[1]) for batch, count in epoch)
        order = np.concatenate([_indices(p, batch) for batch, _ in epoch])
        np.testing.assert_array_equal(order, rng.permutation(n))
    again = p.batches(seed, size)
    first = next(p.batches(seed, size))[0]
    np.testing.assert_array_equal(next(again)[0][0], first[0])


def test_batch_order_is_identical_across_backends(xp):
    p = _indexed_problem(23)
    reference = p.batches(11, 5)
    stream = p.batches(11, 5, xp=xp)
    for _ in range(12):
        (Xr, yr), nr = next(reference)
        (Xb, yb), nb = next(stream)
        assert nb == nr and type(Xb) is type(backend.asarray(np.zeros(1), xp=xp))
        np.testing.assert_array_equal(backend.to_numpy(Xb), Xr)
        np.testing.assert_array_equal(backend.to_numpy(yb), yr)


def test_full_batch_and_batch_errors():
    p = least_squares()
    assert next(p.batches(0, None)) == (None, p.n_samples)
    assert next(p.batches(0, 10_000)) == (None, p.n_samples)
    for bad in (0, -3, 2.5, "8"):
        with pytest.raises(ValueError, match="batch_size"):
            p.batches(0, bad)
    with pytest.raises(ValueError, match="seed"):
        p.batches(-1, 8)


def test_problems_pickle_after_use():
    p = softmax("iris")
    x = p.init(0) + 0.1
    before = p.loss_and_grad(x)
    clone = pickle.loads(pickle.dumps(p))
    after = clone.loss_and_grad(x)
    assert after[0] == before[0] and np.array_equal(after[1], before[1])


# ----------------------------------------------------------------------- specs and errors

CANONICAL = [
    "quadratic()",
    "quadratic(dim=10, kappa=1000.0, L=2.0, rotate=True, noise=0.1, spectrum='log', seed=3)",
    "least_squares()",
    "least_squares(dataset='breast_cancer', l2=0.5)",
    "least_squares(synthetic_regression(n=100, d=5, kappa=3.0, noise=0.0, seed=1))",
    "logistic()",
    "logistic(synthetic_classification(n=300, d=4, separable=True, kappa=2.0), l2=0.0)",
    "softmax()",
    "softmax(dataset='wine', l2=0.1)",
    "softmax(synthetic_classification(classes=5))",
    "rosenbrock()",
    "rosenbrock(dim=10)",
    "mlp()",
    "mlp(dataset='diabetes', hidden=(16, 8), activation='tanh', l2=0.0)",
    "mlp(dataset='iris', hidden=())",
]


@pytest.mark.parametrize("text", CANONICAL)
def test_spec_round_trip(text):
    assert spec(parse(text, kind="problem")) == text


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("mlp(hidden=[32])", "mlp()"),
        ("mlp(hidden=64)", "mlp(hidden=(64,))"),
        ("logistic(dataset='breast_cancer', l2=0.001)", "logistic()"),
        ("softmax(dataset='synthetic_classification(classes=3)')",
         "softmax(synthetic_classification(classes=3))"),
        ("quadratic(dim=5.0, kappa=10)", "quadratic(dim=5, kappa=10.0)"),
    ],
)
def test_spec_canonical_form(text, canonical):
    assert spec(parse(text)) == canonical


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("quadratic(kappa=0.5)", "kappa=0.5 is not allowed"),
        ("quadratic(dim=0)", "dim=0"),
        ("quadratic(dim=1)", "kappa=100.0 is not allowed with dim=1"),
        ("quadratic(spectrum='cubic')", "spectrum='cubic'"),
        ("quadratic(L=0)", "L=0"),
        ("quadratic(noise=-1)", "noise=-1"),
        ("quadratic(rotate=1)", "rotate=1"),
        ("least_squares(l2=-1)", "l2=-1"),
        ("least_squares('digits')", "has 10 classes"),
        ("logistic('digits')", "use softmax(dataset='digits')"),
        ("logistic('diabetes')", "regression data set"),
        ("logistic(dataset='mnist')", "dataset='mnist' is not allowed"),
        ("logistic(dataset=3)", "dataset=3 is not allowed"),
        ("softmax('diabetes')", "regression data set"),
        ("rosenbrock(dim=1)", "dim=1"),
        ("mlp(activation='gelu')", "activation='gelu'"),
        ("mlp(hidden=[0])", "hidden=[0]"),
        ("mlp(hidden='wide')", "hidden='wide'"),
        ("synthetic_regression(n=5, d=10)", "n=5 is not allowed"),
        ("synthetic_classification(classes=1)", "classes=1"),
        ("synthetic_classification(kappa=0.1)", "kappa=0.1"),
        ("logistic(synthetic_regression())", "regression data set"),
    ],
)
def test_bad_arguments_raise_one_line_errors(text, fragment):
    with pytest.raises(SpecError) as info:
        parse(text)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_direct_construction_raises_value_error():
    with pytest.raises(ValueError, match="logistic: l2=-0.1 is not allowed"):
        logistic(l2=-0.1)
    with pytest.raises(ValueError, match="quadratic: seed=-1"):
        quadratic(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        quadratic().init(-2)


def test_a_plain_path_is_read_as_libsvm(tmp_path):
    path = tmp_path / "plain.svm"
    path.write_text(LIBSVM_TEXT)
    p = logistic(dataset=str(path), l2=0.1)
    assert spec(p) == f"logistic(dataset='libsvm:{path}', l2=0.1)"
    with pytest.raises(FileNotFoundError, match="missing.svm"):
        logistic(dataset=str(tmp_path / "missing.svm"))
