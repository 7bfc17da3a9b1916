"""``lrsched.integrations.optax``: our schedules as optax schedules, against optax's own.

Skipped when jax or optax is not installed (CI does not install them).  Comparisons over
random configurations run eagerly with 64-bit jax (``jax.enable_x64``) so that the
relative error can be asked to be 1e-9; every shape is also traced under ``jax.jit``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsched.integrations.optax import momentum, schedule
from lrsched.schedules import Cosine, Exponential, Join, Linear, MultiStep, Polynomial, Warmup
from lrsched.spec import parse

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
jnp = jax.numpy

SETTINGS = settings(max_examples=30, deadline=None)
peaks = st.floats(1e-3, 10.0)


N = 512  # one array shape for every example: eager jax compiles once per shape


def compare(ours, theirs, peak, atol=1e-12):
    """Our schedule through the adapter (jax.numpy array path) against optax at 0..N-1.

    ``atol`` is relative to ``peak``."""
    n = N
    with jax.enable_x64(True):
        steps = jnp.arange(n)
        got = np.asarray(schedule(ours)(steps))
        expected = np.asarray(theirs(steps))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=atol * peak)
    np.testing.assert_allclose([ours(k) for k in range(n)], expected, rtol=1e-9, atol=atol * peak)


@SETTINGS
@given(peak=peaks, T=st.integers(1, 400), floor=st.floats(0.0, 1.0))
def test_cosine_decay(peak, T, floor):
    compare(Cosine(peak, T, floor=floor * peak),
            optax.cosine_decay_schedule(peak, T, alpha=floor), peak)


@SETTINGS
@given(start=st.floats(0.0, 1.0), peak=peaks, W=st.integers(1, 100), T=st.integers(1, 300),
       floor=st.floats(0.0, 1.0))
def test_warmup_cosine_decay(start, peak, W, T, floor):
    ours = Warmup(Cosine(peak, T, floor=floor * peak), steps=W, start=start * peak)
    theirs = optax.warmup_cosine_decay_schedule(start * peak, peak, W, W + T,
                                                end_value=floor * peak)
    compare(ours, theirs, peak)


@SETTINGS
@given(a=st.floats(0.0, 10.0), b=st.floats(0.0, 10.0), T=st.integers(1, 300))
def test_linear(a, b, T):
    compare(Linear(a, b, T), optax.linear_schedule(a, b, T), max(a, b, 1e-3))


@SETTINGS
@given(peak=peaks, end=st.floats(0.0, 1.0), power=st.floats(0.2, 4.0), T=st.integers(1, 300))
def test_polynomial(peak, end, power, T):
    # XLA evaluates count / T as count * (1/T): at count >= T optax's base 1 - count/T can be
    # ~1e-16 instead of 0, which power < 1 amplifies to (1e-16)^power; ours is exactly `end`
    compare(Polynomial(peak, T, power=power, end=end * peak),
            optax.polynomial_schedule(peak, end * peak, power, T), peak,
            atol=max(1e-12, (4 * np.finfo(float).eps) ** power))


@SETTINGS
@given(peak=peaks, gamma=st.floats(0.9, 1.0))
def test_exponential(peak, gamma):
    compare(Exponential(peak, gamma), optax.exponential_decay(peak, 1, gamma), peak)


@SETTINGS
@given(peak=peaks, ms=st.lists(st.integers(1, 200), max_size=4, unique=True),
       gamma=st.floats(0.05, 1.0))
def test_multistep_is_piecewise_constant(peak, ms, gamma):
    ms = sorted(ms)
    compare(MultiStep(peak, ms, gamma),
            optax.piecewise_constant_schedule(peak, {m: gamma for m in ms}), peak)


@SETTINGS
@given(peak=peaks, a=st.integers(1, 100), b=st.integers(1, 100), T=st.integers(1, 200))
def test_join(peak, a, b, T):
    ours = Join(Linear(0.0, peak, a), Cosine(peak, T), Linear(peak, 0.0, 50), at=[a, a + b])
    theirs = optax.join_schedules([optax.linear_schedule(0.0, peak, a),
                                   optax.cosine_decay_schedule(peak, T),
                                   optax.linear_schedule(peak, 0.0, 50)], [a, a + b])
    compare(ours, theirs, peak)


EVERY_SHAPE = [
    "constant(0.1)", "step(peak=0.1, step_size=7)", "multistep(peak=0.1, milestones=[5, 9])",
    "exponential(0.1, 0.97)", "linear(0.0, 0.1, 20)", "polynomial(0.1, 30, power=2.0)",
    "cosine(peak=0.1, horizon=30)", "cosine_restarts(peak=0.1, period=5, mult=2)",
    "onecycle(peak=0.1, horizon=40, three_phase=True)", "cyclic(0.01, 0.1, 4, mode='exp_range', gamma=0.99)",
    "inverse_sqrt(peak=0.1, warmup=5)", "wsd(peak=0.1, horizon=40, warmup=5, shape='cosine')",
    "rex(peak=0.1, horizon=40)", "warmup(onecycle(peak=0.1, horizon=30), steps=5)",
    "join(constant(0.1), rex(peak=0.1, horizon=20), at=[10])", "scale(cosine(peak=1.0, horizon=30), factor=0.1)",
    "product(cosine(peak=1.0, horizon=30), constant(0.1))", "sum(cosine(peak=0.1, horizon=30), constant(0.01))",
]


@pytest.mark.parametrize("text", EVERY_SHAPE)
def test_every_shape_traces_under_jit_in_float32(text):
    s = parse(text)
    lr = jax.jit(schedule(s))
    got = np.array([float(lr(jnp.asarray(k, dtype=jnp.int32))) for k in range(50)])
    expected = np.array([s(k) for k in range(50)])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6 * expected.max())
    if s.cycles_momentum:
        m = jax.jit(momentum(s))
        np.testing.assert_allclose([float(m(jnp.asarray(k))) for k in range(50)],
                                   [s.momentum_at(k) for k in range(50)], rtol=1e-5)


def test_drives_an_optax_optimizer_with_momentum_cycling():
    s = parse("onecycle(peak=0.5, horizon=30)")
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule(s), momentum=momentum(s))
    params = {"w": jnp.asarray([1.0, -2.0])}
    state = opt.init(params)

    @jax.jit
    def update(params, state):
        grads = jax.grad(lambda p: jnp.sum(p["w"] ** 2))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for k in range(30):
        params, state = update(params, state)  # update k uses (and records) the values at k
        assert float(state.hyperparams["learning_rate"]) == pytest.approx(s(k), rel=1e-5)
        assert float(state.hyperparams["momentum"]) == pytest.approx(s.momentum_at(k), rel=1e-5)
    assert float(jnp.sum(params["w"] ** 2)) < 5.0


def test_refuses_other_clocks_and_policies():
    with pytest.raises(ValueError, match="clock='fraction'"):
        schedule("cosine(peak=0.1, horizon=1.0, clock='fraction')")
    with pytest.raises(ValueError, match="closed-form"):
        schedule(parse("dog()", kind="policy"))
    assert momentum("cosine(peak=0.1, horizon=10)") is None
