"""Optimizers: trajectories equal to torch.optim and schedulefree, fast path equal to reference.

Every comparison runs two optimizers on the *same gradient oracle* (a fixed
noisy quadratic, the gradient taken at each optimizer's own iterate, so the
whole trajectory matters) with a learning rate that changes every step.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsched import backend
from lrsched.optim import SGD, Adam, AdamW, ScheduleFreeAdamW, ScheduleFreeSGD, _dispatch
from lrsched.spec import SpecError, parse, registry, spec

torch = pytest.importorskip("torch")

DIM = 7
STEPS = 120
HAS_NUMBA = _dispatch._has_numba()
PATHS = ["reference", pytest.param("fast", marks=pytest.mark.skipif(
    not HAS_NUMBA, reason="numba is not installed"))]


class Oracle:
    """Gradient of a fixed quadratic plus a seeded noise sequence: g_t(p) = A p - b + e_t."""

    def __init__(self, seed=0, steps=STEPS, dim=DIM, noise=0.3):
        rng = np.random.default_rng(seed)
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        self.a = q @ np.diag(np.linspace(0.5, 4.0, dim)) @ q.T
        self.b = rng.standard_normal(dim)
        self.noise = noise * rng.standard_normal((steps, dim))
        self.p0 = rng.standard_normal(dim)

    def grad(self, p, t):
        return self.a @ p - self.b + self.noise[t]


def lr_sequence(low, high, steps=STEPS, seed=1):
    return np.random.default_rng(seed).uniform(low, high, steps).tolist()


def run_ours(opt, oracle, lrs, *, momenta=None, dtype=np.float64, path="reference"):
    """Trajectory of ``opt`` (rows: params after each step) and the final state."""
    opt.path = path
    p = oracle.p0.astype(dtype)
    state = opt.init(p)
    rows = []
    for t, lr in enumerate(lrs):
        g = oracle.grad(p.astype(np.float64), t).astype(dtype)
        m = None if momenta is None else momenta[t]
        p = opt.step(p, g, lr, state, momentum=m)
        assert p.dtype == dtype
        rows.append(p.copy())
    return np.array(rows), state


def run_torch(make, oracle, lrs, *, set_momentum=None, momenta=None):
    """Trajectory of a torch optimizer built by ``make([p], lr)`` on the same oracle."""
    p = torch.tensor(oracle.p0, dtype=torch.float64, requires_grad=True)
    with contextlib.redirect_stdout(io.StringIO()):  # the SF references print on train()
        opt = make([p], lrs[0])
        if hasattr(opt, "train"):
            opt.train()
    rows = []
    for t, lr in enumerate(lrs):
        group = opt.param_groups[0]
        group["lr"] = lr
        if momenta is not None:
            set_momentum(group, momenta[t])
        p.grad = torch.from_numpy(oracle.grad(p.detach().numpy().copy(), t))
        opt.step()
        rows.append(p.detach().numpy().copy())
    return np.array(rows), opt


def max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# --------------------------------------------------------------------------- torch.optim

SGD_OPTIONS = [
    dict(momentum=m, nesterov=n, dampening=d, weight_decay=w)
    for m in (0.0, 0.9)
    for n in (False, True)
    for d in (0.0, 0.3)
    for w in (0.0, 0.05)
    if not (n and (m == 0 or d != 0))
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("options", SGD_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_matches_torch(options, path):
    oracle = Oracle(seed=2)
    lrs = lr_sequence(0.01, 0.15)
    ours, state = run_ours(SGD(**options), oracle, lrs, path=path)
    theirs, _ = run_torch(lambda ps, lr: torch.optim.SGD(ps, lr=lr, foreach=False, **options),
                          oracle, lrs)
    assert max_diff(ours, theirs) <= 1e-10
    assert state["step"] == STEPS
    assert np.linalg.norm(ours[-1] - oracle.p0) > 0.1  # it moved


ADAM_OPTIONS = [
    dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
    dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1),
    dict(beta1=0.3, beta2=0.9, eps=1e-3, weight_decay=0.02),  # lerp weight >= 0.5 branch
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("decoupled", [False, True], ids=["adam", "adamw"])
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=["default", "wd", "low-beta"])
def test_adam_adamw_match_torch(options, decoupled, path):
    oracle = Oracle(seed=3)
    lrs = lr_sequence(0.001, 0.05)
    cls, torch_cls = (AdamW, torch.optim.AdamW) if decoupled else (Adam, torch.optim.Adam)
    ours, state = run_ours(cls(**options), oracle, lrs, path=path)
    kw = dict(betas=(options["beta1"], options["beta2"]), eps=options["eps"],
              weight_decay=options["weight_decay"], foreach=False)
    theirs, topt = run_torch(lambda ps, lr: torch_cls(ps, lr=lr, **kw), oracle, lrs)
    assert max_diff(ours, theirs) <= 1e-10
    tstate = topt.state[topt.param_groups[0]["params"][0]]
    assert max_diff(state["exp_avg_sq"], tstate["exp_avg_sq"].numpy()) <= 1e-10
    assert state["step"] == int(tstate["step"]) == STEPS


def _cycled(low, high, zeros=()):
    """A momentum sequence cycling like onecycle's, with optional zero steps."""
    t = np.arange(STEPS)
    values = low + (high - low) * 0.5 * (1 + np.cos(2 * np.pi * t / 40))
    values[list(zeros)] = 0.0
    return values.tolist()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("options, zeros", [
    (dict(momentum=0.9), ()),
    (dict(momentum=0.9, nesterov=True, weight_decay=0.01), (5, 6, 50)),
    (dict(momentum=0.9, dampening=0.2), (0, 1, 30)),  # buffer created at the first nonzero
    (dict(), (3, 4)),  # sgd without momentum, cycled from outside
])
def test_sgd_momentum_override_matches_torch(options, zeros, path):
    oracle = Oracle(seed=4)
    lrs = lr_sequence(0.01, 0.1)
    momenta = _cycled(0.8, 0.95, zeros)

    def set_momentum(group, m):
        group["momentum"] = m

    ours, _ = run_ours(SGD(**options), oracle, lrs, momenta=momenta, path=path)
    theirs, _ = run_torch(lambda ps, lr: torch.optim.SGD(ps, lr=lr, foreach=False, **options),
                          oracle, lrs, set_momentum=set_momentum, momenta=momenta)
    assert max_diff(ours, theirs) <= 1e-10


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("decoupled", [False, True], ids=["adam", "adamw"])
def test_adam_beta1_override_matches_torch(decoupled, path):
    oracle = Oracle(seed=5)
    lrs = lr_sequence(0.001, 0.05)
    momenta = _cycled(0.85, 0.95)
    cls, torch_cls = (AdamW, torch.optim.AdamW) if decoupled else (Adam, torch.optim.Adam)

    def set_momentum(group, b1):
        group["betas"] = (b1, group["betas"][1])

    ours, _ = run_ours(cls(weight_decay=0.05), oracle, lrs, momenta=momenta, path=path)
    theirs, _ = run_torch(lambda ps, lr: torch_cls(ps, lr=lr, weight_decay=0.05, foreach=False),
                          oracle, lrs, set_momentum=set_momentum, momenta=momenta)
    assert max_diff(ours, theirs) <= 1e-10


# --------------------------------------------------------------------------- schedulefree

schedulefree = pytest.importorskip("schedulefree")

SF_OPTIONS = [
    dict(),
    dict(weight_decay=0.05, warmup_steps=10),
    dict(r=1.0, weight_lr_power=1.0, warmup_steps=3),
]


def _warmup_from_zero(lrs):
    """An external schedule that starts at lr = 0: the first average weight is 0 (c = 0)."""
    return [0.0] + lrs[1:]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("options", SF_OPTIONS, ids=["default", "wd-warmup", "r-power"])
def test_sf_sgd_matches_reference(options, path):
    oracle = Oracle(seed=6)
    lrs = _warmup_from_zero(lr_sequence(0.02, 0.2))
    ours, state = run_ours(ScheduleFreeSGD(momentum=0.85, **options), oracle, lrs, path=path)
    theirs, topt = run_torch(
        lambda ps, lr: schedulefree.SGDScheduleFreeReference(ps, lr=lr, momentum=0.85, **options),
        oracle, lrs)
    assert max_diff(ours, theirs) <= 1e-10  # y: where the gradients are taken
    group = topt.param_groups[0]
    tstate = topt.state[group["params"][0]]
    assert max_diff(ScheduleFreeSGD().eval_params(ours[-1], state), tstate["x"].numpy()) <= 1e-10
    assert max_diff(state["z"], tstate["z"].numpy()) <= 1e-10
    assert state["weight_sum"] == pytest.approx(group["weight_sum"], rel=1e-14)
    assert state["lr_max"] == group["lr_max"] and state["step"] == group["k"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("options", SF_OPTIONS, ids=["default", "wd-warmup", "r-power"])
def test_sf_adamw_matches_reference(options, path):
    oracle = Oracle(seed=7)
    lrs = _warmup_from_zero(lr_sequence(0.002, 0.05))
    ours, state = run_ours(ScheduleFreeAdamW(beta1=0.9, beta2=0.99, **options), oracle, lrs,
                           path=path)
    theirs, topt = run_torch(
        lambda ps, lr: schedulefree.AdamWScheduleFreeReference(ps, lr=lr, betas=(0.9, 0.99),
                                                               **options),
        oracle, lrs)
    assert max_diff(ours, theirs) <= 1e-10
    tstate = topt.state[topt.param_groups[0]["params"][0]]
    assert max_diff(state["x"], tstate["x"].numpy()) <= 1e-10
    assert max_diff(state["exp_avg_sq"], tstate["exp_avg_sq"].numpy()) <= 1e-10


@pytest.mark.parametrize("path", PATHS)
def test_sf_momentum_override_matches_reference(path):
    oracle = Oracle(seed=8)
    lrs = lr_sequence(0.002, 0.05)
    momenta = _cycled(0.8, 0.95)

    def set_betas(group, b1):
        group["betas"] = (b1, group["betas"][1])

    ours, _ = run_ours(ScheduleFreeAdamW(), oracle, lrs, momenta=momenta, path=path)
    theirs, _ = run_torch(lambda ps, lr: schedulefree.AdamWScheduleFreeReference(ps, lr=lr),
                          oracle, lrs, set_momentum=set_betas, momenta=momenta)
    assert max_diff(ours, theirs) <= 1e-10


# --------------------------------------------------------------------------- fast == reference

CONFIGS = [
    SGD(), SGD(momentum=0.9, nesterov=True, weight_decay=0.01), SGD(momentum=0.5, dampening=0.5),
    Adam(), Adam(beta1=0.3, weight_decay=0.1), AdamW(),
    ScheduleFreeSGD(weight_decay=0.01, warmup_steps=20), ScheduleFreeAdamW(weight_decay=0.01, r=0.5),
]


@pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", CONFIGS, ids=spec)
def test_fast_path_equals_reference(opt, dtype, parallel, monkeypatch):
    monkeypatch.setattr(_dispatch, "PARALLEL_MIN_SIZE", 1 if parallel else 1 << 62)
    steps = 300
    oracle = Oracle(seed=9, steps=steps)
    lrs = lr_sequence(0.001, 0.05, steps=steps)
    momenta = _cycled(0.8, 0.95, (7,)) * 3
    fast, fstate = run_ours(opt, oracle, lrs, momenta=momenta[:steps], dtype=dtype, path="fast")
    assert fstate["path"] == ("numba-parallel" if parallel else "numba")
    ref, rstate = run_ours(opt, oracle, lrs, momenta=momenta[:steps], dtype=dtype)
    assert rstate["path"] == "reference"
    scale = 1 + np.max(np.abs(ref))
    assert max_diff(fast, ref) <= (1e-12 if dtype == np.float64 else 2e-6) * scale
    for key, value in rstate.items():
        if isinstance(value, np.ndarray):
            assert fstate[key].dtype == dtype
            assert max_diff(fstate[key], value) <= (1e-12 if dtype == np.float64 else 2e-6) * scale


@pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")
@settings(max_examples=25, deadline=None)
@given(
    momentum=st.sampled_from([0.0, 0.5, 0.9, 0.99]),
    dampening=st.floats(0, 1),
    weight_decay=st.floats(0, 0.5),
    nesterov=st.booleans(),
    lr=st.floats(1e-4, 0.3),
    seed=st.integers(0, 2**16),
)
def test_sgd_fast_equals_reference_property(momentum, dampening, weight_decay, nesterov, lr, seed):
    if nesterov:
        momentum, dampening = max(momentum, 0.5), 0.0
    opt = SGD(momentum=momentum, nesterov=nesterov, dampening=dampening, weight_decay=weight_decay)
    oracle = Oracle(seed=seed, steps=30)
    lrs = [lr] * 30
    fast, _ = run_ours(opt, oracle, lrs, path="fast")
    ref, _ = run_ours(opt, oracle, lrs, path="reference")
    assert max_diff(fast, ref) <= 1e-12 * (1 + np.max(np.abs(ref)))


# --------------------------------------------------------------------------- backends


@pytest.mark.parametrize("opt", CONFIGS, ids=spec)
def test_every_backend_follows_numpy(xp, opt):
    steps = 60
    oracle = Oracle(seed=10, steps=steps)
    lrs = lr_sequence(0.005, 0.05, steps=steps)
    expected, _ = run_ours(opt, oracle, lrs)
    opt.path = "auto"
    for dtype_name in ("float64", "float32"):
        dtype = getattr(xp, dtype_name)
        p = backend.asarray(oracle.p0.copy(), xp=xp, dtype=dtype)
        state = opt.init(p)
        for t, lr in enumerate(lrs):
            g = backend.asarray(oracle.grad(backend.to_numpy(p).astype(np.float64), t), xp=xp,
                                dtype=dtype)
            p = opt.step(p, g, lr, state)
        assert backend.namespace(p) is backend.namespace(backend.asarray([0.0], xp=xp))
        assert p.dtype == dtype
        shown = opt.eval_params(p, state)
        assert shown.dtype == dtype
        got = backend.to_numpy(p).astype(np.float64)
        tol = 1e-12 if dtype_name == "float64" else 1e-4
        assert max_diff(got, expected[-1]) <= tol * (1 + np.max(np.abs(expected[-1])))


# --------------------------------------------------------------------------- the registry

# A learning rate that suits each optimizer on the test quadratic (others get 0.1).
GOOD_LR = {"adam": 0.1, "adamw": 0.1, "sf_adamw": 0.1, "sgd": 0.1, "sf_sgd": 0.5, "prodigy": 1.0}
NON_DEFAULT = {
    "sgd": "sgd(momentum=0.5, nesterov=True, weight_decay=0.001)",
    "adam": "adam(beta1=0.8, beta2=0.99, eps=1e-06)",
    "adamw": "adamw(weight_decay=0.1)",
    "sf_sgd": "sf_sgd(momentum=0.8, warmup_steps=5, r=1.0)",
    "sf_adamw": "sf_adamw(beta1=0.95, weight_lr_power=1.0)",
}


@pytest.mark.parametrize("name", sorted(registry("optimizer")))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_registry_optimizer_converges_keeps_dtype_and_round_trips(name, dtype):
    opt = parse(name, kind="optimizer")
    assert spec(parse(spec(opt))) == spec(opt) == f"{name}()"
    if name in NON_DEFAULT:
        assert spec(parse(NON_DEFAULT[name])) == NON_DEFAULT[name]
    curvature = np.linspace(1.0, 10.0, 8).astype(dtype)

    def loss(p):
        return 0.5 * float(np.sum(curvature * p.astype(np.float64) ** 2))

    p = np.ones(8, dtype=dtype)
    state = opt.init(p)
    keys = set(state)
    start = loss(opt.eval_params(p, state))
    steps, lr0 = 400, GOOD_LR.get(name, 0.1)
    for t in range(steps):
        p = opt.step(p, curvature * p, lr0 * (1 - t / steps), state)
    assert p.dtype == dtype and opt.eval_params(p, state).dtype == dtype
    assert loss(opt.eval_params(p, state)) < 1e-4 * start
    assert set(state) == keys
    for value in state.values():
        if isinstance(value, np.ndarray):
            assert value.dtype == dtype and value.shape == p.shape
        else:
            json.dumps(value)  # state is JSON-friendly apart from its arrays


# --------------------------------------------------------------------------- checks and paths


@pytest.mark.parametrize("text, argument", [
    ("sgd(momentum=-1)", "momentum"),
    ("sgd(momentum=1.0)", "momentum"),
    ("sgd(dampening=2)", "dampening"),
    ("sgd(weight_decay=-0.1)", "weight_decay"),
    ("sgd(nesterov=True)", "nesterov"),
    ("sgd(momentum=0.9, nesterov=True, dampening=0.1)", "nesterov"),
    ("sgd(nesterov=1)", "nesterov"),
    ("adam(beta1=1.5)", "beta1"),
    ("adam(beta2=-0.1)", "beta2"),
    ("adam(eps=0)", "eps"),
    ("adamw(weight_decay=-1)", "weight_decay"),
    ("adamw(beta1=nan)", "beta1"),
    ("sf_sgd(momentum=1)", "momentum"),
    ("sf_sgd(warmup_steps=-1)", "warmup_steps"),
    ("sf_sgd(warmup_steps=2.5)", "warmup_steps"),
    ("sf_sgd(r=-1)", "r"),
    ("sf_adamw(eps=0)", "eps"),
    ("sf_adamw(weight_lr_power=-2)", "weight_lr_power"),
    ("sf_adamw(beta2=1)", "beta2"),
])
def test_bad_arguments_raise_one_line(text, argument):
    with pytest.raises(SpecError) as info:
        parse(text)
    message = str(info.value)
    assert "\n" not in message and argument in message
    assert message.startswith(text.split("(")[0])


def test_constructors_raise_value_error():
    with pytest.raises(ValueError, match="momentum=-1"):
        SGD(momentum=-1)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0 and dampening=0"):
        SGD(momentum=0.9, nesterov=True, dampening=0.5)
    with pytest.raises(ValueError, match="beta1=1.5"):
        ScheduleFreeAdamW(beta1=1.5)


def test_numpy_scalar_learning_rate_keeps_float32():
    for opt in CONFIGS:
        for path in ("reference", "fast") if HAS_NUMBA else ("reference",):
            opt.path = path
            p = np.ones(5, dtype=np.float32)
            state = opt.init(p)
            for _ in range(3):
                p = opt.step(p, np.full(5, 0.5, dtype=np.float32), np.float64(0.01), state,
                             momentum=np.float64(0.9))
            assert p.dtype == np.float32
            assert all(v.dtype == np.float32 for v in state.values() if isinstance(v, np.ndarray))


def test_path_selection(monkeypatch):
    opt = Adam()
    assert opt.init(np.zeros(4))["path"] == ("numba" if HAS_NUMBA else "reference")
    assert opt.init(np.zeros(4, dtype=np.float16))["path"] == "reference"
    assert opt.init(np.zeros((4, 2)))["path"] == "reference"
    assert opt.init(np.zeros(8)[::2])["path"] == "reference"
    monkeypatch.setenv("LRSCHED_FAST", "0")
    assert opt.init(np.zeros(4))["path"] == "reference"
    opt.path = "bogus"
    with pytest.raises(ValueError, match="path='bogus'"):
        opt.init(np.zeros(4))
    opt.path = "fast"
    with pytest.raises(ValueError, match="path='fast'"):
        opt.init(np.zeros(4, dtype=np.float16))
    with pytest.raises(ValueError, match="unknown"):
        import lrsched.optim._dispatch as d

        d.kernels["unknown"]


def test_import_does_not_load_numba():
    code = "import sys, lrsched.optim; assert 'numba' not in sys.modules, 'numba imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_first_steps_by_hand():
    """Golden values worked out by hand (see the docstrings)."""
    for path in ("reference", "fast") if HAS_NUMBA else ("reference",):
        opt = SGD(momentum=0.9)
        opt.path = path
        p = np.array([1.0, -2.0])
        state = opt.init(p)
        opt.step(p, np.array([0.5, 0.5]), 0.1, state)
        opt.step(p, np.array([0.5, 0.5]), 0.1, state)
        np.testing.assert_allclose(p, [0.855, -2.145], rtol=1e-15)
        sf = ScheduleFreeSGD(momentum=0.5)
        sf.path = path
        y = np.array([1.0])
        state = sf.init(y)
        sf.step(y, np.array([1.0]), 0.5, state)
        sf.step(y, np.array([1.0]), 0.5, state)
        assert y[0] == 0.125 and state["x"][0] == 0.25 and state["z"][0] == 0.0
