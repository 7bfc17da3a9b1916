"""Our schedules against ``torch.optim.lr_scheduler`` and Hugging Face ``transformers``.

Each test builds the reference scheduler on a one-parameter optimizer with a Python
float lr, steps it ``n`` times and compares the learning rate (and momentum) it
writes into the param group before step ``k`` with our closed form at ``t = k``, over
random configurations.  torch computes most schedules chainably; with float lrs it
agrees with the closed form to ~1e-14, so we ask for a relative error <= 1e-9 (plus
1e-12·peak absolute for values that end at exactly 0).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrsched.schedules import (
    WSD,
    Cosine,
    CosineRestarts,
    Cyclic,
    Exponential,
    InverseSqrt,
    Join,
    Linear,
    MultiStep,
    OneCycle,
    Polynomial,
    Step,
    Warmup,
)

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler as tls  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None)
RTOL = 1e-9
peaks = st.floats(1e-3, 10.0)


def optimizer(lr, kind="sgd"):
    p = torch.nn.Parameter(torch.zeros(1))
    if kind == "adam":
        return torch.optim.Adam([p], lr=lr)
    return torch.optim.SGD([p], lr=lr, momentum=0.9)


def trace(opt, scheduler, n, epochs=None):
    """Learning rates and momenta in effect at steps 0..n-1 (or at the given epochs)."""
    lrs, moms = [], []
    group = opt.param_groups[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the deprecated step(epoch) path warns
        for k in range(n if epochs is None else len(epochs)):
            if epochs is not None:
                scheduler.step(epochs[k])
            lrs.append(group["lr"])
            moms.append(group["betas"][0] if "betas" in group else group["momentum"])
            opt.step()
            if epochs is None:
                scheduler.step()
    return np.array(lrs), np.array(moms)


def assert_close(ours, theirs, peak):
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-12 * peak)


def ours(s, n):
    return np.array([s(k) for k in range(n)])


# --------------------------------------------------------------------------- one scheduler each

@SETTINGS
@given(peak=peaks, size=st.integers(1, 50), gamma=st.floats(0.05, 1.0), n=st.integers(1, 300))
def test_step(peak, size, gamma, n):
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.StepLR(opt, size, gamma), n)
    assert_close(ours(Step(peak, size, gamma), n), lr, peak)


@SETTINGS
@given(peak=peaks, ms=st.lists(st.integers(1, 200), max_size=5, unique=True),
       gamma=st.floats(0.05, 1.0), n=st.integers(1, 300))
def test_multistep(peak, ms, gamma, n):
    ms = sorted(ms)
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.MultiStepLR(opt, ms, gamma), n)
    assert_close(ours(MultiStep(peak, ms, gamma), n), lr, peak)


@SETTINGS
@given(peak=peaks, gamma=st.floats(0.9, 1.0), n=st.integers(1, 300))
def test_exponential(peak, gamma, n):
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.ExponentialLR(opt, gamma), n)
    assert_close(ours(Exponential(peak, gamma), n), lr, peak)


@SETTINGS
@given(peak=peaks, sf=st.floats(0.01, 1.0), ef=st.floats(0.0, 1.0), T=st.integers(1, 200),
       n=st.integers(1, 300))
def test_linear(peak, sf, ef, T, n):
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.LinearLR(opt, start_factor=sf, end_factor=ef, total_iters=T), n)
    assert_close(ours(Linear(peak * sf, peak * ef, T), n), lr, peak)


@SETTINGS
@given(peak=peaks, T=st.integers(1, 200), power=st.floats(0.2, 4.0), n=st.integers(1, 300))
def test_polynomial(peak, T, power, n):
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.PolynomialLR(opt, total_iters=T, power=power), n)
    assert_close(ours(Polynomial(peak, T, power=power), n), lr, peak)


@SETTINGS
@given(peak=peaks, T=st.integers(1, 300), floor=st.floats(0.0, 1.0))
def test_cosine_up_to_its_horizon(peak, T, floor):
    floor *= peak
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.CosineAnnealingLR(opt, T_max=T, eta_min=floor), T + 1)
    s = Cosine(peak, T, floor=floor)
    assert_close(ours(s, T + 1), lr, peak)
    assert s(T + 1) == s(10 * T) == floor  # ours holds; torch rises again past T


@SETTINGS
@given(peak=peaks, T0=st.integers(1, 30), mult=st.integers(1, 3), floor=st.floats(0.0, 1.0),
       n=st.integers(1, 300))
def test_cosine_restarts_integer_steps(peak, T0, mult, floor, n):
    floor *= peak
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.CosineAnnealingWarmRestarts(opt, T_0=T0, T_mult=mult, eta_min=floor), n)
    assert_close(ours(CosineRestarts(peak, T0, mult=mult, floor=floor), n), lr, peak)


@SETTINGS
@given(peak=peaks, T0=st.integers(1, 30), mult=st.integers(1, 3), floor=st.floats(0.0, 1.0),
       epochs=st.lists(st.floats(0.0, 300.0), min_size=1, max_size=40))
def test_cosine_restarts_fractional_epochs(peak, T0, mult, floor, epochs):
    floor *= peak
    s = CosineRestarts(peak, T0, mult=mult, floor=floor)
    # away from exact restarts, where torch's logarithm may round to the previous cycle
    starts = [T0 * (mult**i - 1) / (mult - 1) if mult > 1 else T0 * i for i in range(400)]
    epochs = [e for e in epochs if min(abs(e - b) for b in starts) > 1e-9]
    if not epochs:
        return
    opt = optimizer(peak)
    lr, _ = trace(opt, tls.CosineAnnealingWarmRestarts(opt, T_0=T0, T_mult=mult, eta_min=floor),
                  0, epochs=epochs)
    assert_close(np.array([s(e) for e in epochs]), lr, peak)


@SETTINGS
@given(peak=peaks, T=st.integers(20, 400), pct=st.floats(0.05, 0.45),
       anneal=st.sampled_from(["cos", "linear"]), div=st.floats(1.0, 100.0),
       final_div=st.floats(1.0, 1e4), three=st.booleans(), kind=st.sampled_from(["sgd", "adam"]),
       base=st.floats(0.5, 0.9), top=st.floats(0.9, 0.99))
def test_onecycle_with_momentum(peak, T, pct, anneal, div, final_div, three, kind, base, top):
    # torch divides by zero when a phase is empty; we refuse such configurations
    assume(pct * T > 1 and (not three or 2 * pct * T - 2 < T - 1))
    s = OneCycle(peak, T, pct_start=pct, anneal=anneal, div_factor=div,
                 final_div_factor=final_div, three_phase=three, base_momentum=base,
                 max_momentum=top)
    opt = optimizer(peak, kind)
    ref = tls.OneCycleLR(opt, max_lr=peak, total_steps=T, pct_start=pct, anneal_strategy=anneal,
                         div_factor=div, final_div_factor=final_div, three_phase=three,
                         base_momentum=base, max_momentum=top)
    lr, mom = trace(opt, ref, T)  # t = 0..T-1: torch raises past its last step
    assert_close(ours(s, T), lr, peak)
    np.testing.assert_allclose([s.momentum_at(k) for k in range(T)], mom, rtol=RTOL)


@SETTINGS
@given(low=st.floats(1e-4, 1.0), span=st.floats(0.0, 5.0), up=st.integers(1, 40),
       down=st.one_of(st.none(), st.integers(1, 40)),
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
       gamma=st.floats(0.95, 1.0), kind=st.sampled_from(["sgd", "adam"]),
       base=st.floats(0.5, 0.85), top=st.floats(0.85, 0.99), n=st.integers(1, 300))
def test_cyclic_all_modes_with_momentum(low, span, up, down, mode, gamma, kind, base, top, n):
    high = low + span
    s = Cyclic(low, high, up, down, mode=mode, gamma=gamma, base_momentum=base, max_momentum=top)
    opt = optimizer(low, kind)
    ref = tls.CyclicLR(opt, base_lr=low, max_lr=high, step_size_up=up, step_size_down=down,
                       mode=mode, gamma=gamma, base_momentum=base, max_momentum=top)
    lr, mom = trace(opt, ref, n)
    assert_close(ours(s, n), lr, high)
    np.testing.assert_allclose([s.momentum_at(k) for k in range(n)], mom, rtol=RTOL)


# --------------------------------------------------------------------------- SequentialLR

@SETTINGS
@given(peak=peaks, sf=st.floats(0.01, 1.0), W=st.integers(1, 100), T=st.integers(1, 300),
       floor=st.floats(0.0, 1.0))
def test_linear_warmup_then_cosine_is_sequential_lr(peak, sf, W, T, floor):
    floor *= peak
    opt = optimizer(peak)
    ref = tls.SequentialLR(opt, [tls.LinearLR(opt, start_factor=sf, total_iters=W),
                                 tls.CosineAnnealingLR(opt, T_max=T, eta_min=floor)],
                           milestones=[W])
    lr, _ = trace(opt, ref, W + T + 1)
    s = Warmup(Cosine(peak, T, floor=floor), steps=W, start=sf * peak)
    assert_close(ours(s, W + T + 1), lr, peak)


@st.composite
def pieces(draw, peak):
    """A (torch factory, our schedule, length) triple; lengths keep cosines within T_max."""
    kind = draw(st.sampled_from(["step", "exponential", "cosine", "linear", "polynomial"]))
    length = draw(st.integers(1, 80))
    if kind == "step":
        size, gamma = draw(st.integers(1, 20)), draw(st.floats(0.1, 1.0))
        return (lambda o: tls.StepLR(o, size, gamma)), Step(peak, size, gamma), length
    if kind == "exponential":
        gamma = draw(st.floats(0.9, 1.0))
        return (lambda o: tls.ExponentialLR(o, gamma)), Exponential(peak, gamma), length
    if kind == "cosine":
        T = draw(st.integers(length, 120))
        return (lambda o: tls.CosineAnnealingLR(o, T_max=T)), Cosine(peak, T), length
    if kind == "linear":
        sf, ef, T = draw(st.floats(0.05, 1.0)), draw(st.floats(0.0, 1.0)), draw(st.integers(1, 60))
        return ((lambda o: tls.LinearLR(o, start_factor=sf, end_factor=ef, total_iters=T)),
                Linear(peak * sf, peak * ef, T), length)
    T, power = draw(st.integers(1, 100)), draw(st.floats(0.5, 3.0))
    return ((lambda o: tls.PolynomialLR(o, total_iters=T, power=power)),
            Polynomial(peak, T, power=power), length)


@SETTINGS
@given(data=st.data(), peak=peaks, count=st.integers(2, 3))
def test_join_is_sequential_lr(data, peak, count):
    parts = [data.draw(pieces(peak)) for _ in range(count)]
    at = list(np.cumsum([length for _, _, length in parts[:-1]]).tolist())
    opt = optimizer(peak)
    ref = tls.SequentialLR(opt, [make(opt) for make, _, _ in parts], milestones=at)
    n = at[-1] + parts[-1][2]
    lr, _ = trace(opt, ref, n)
    assert_close(ours(Join(*[s for _, s, _ in parts], at=at), n), lr, peak)


# --------------------------------------------------------------------------- Hugging Face

def hf():
    return pytest.importorskip("transformers.optimization")


@SETTINGS
@given(peak=peaks, W=st.integers(0, 100), D=st.integers(1, 300))
def test_hf_cosine_with_warmup(peak, W, D):
    opt = optimizer(peak)
    lr, _ = trace(opt, hf().get_cosine_schedule_with_warmup(opt, W, W + D), W + D + 1)
    assert_close(ours(Warmup(Cosine(peak, D), steps=W), W + D + 1), lr, peak)


@SETTINGS
@given(peak=peaks, W=st.integers(0, 100), D=st.integers(1, 300))
def test_hf_linear_with_warmup(peak, W, D):
    opt = optimizer(peak)
    lr, _ = trace(opt, hf().get_linear_schedule_with_warmup(opt, W, W + D), W + D + 20)
    assert_close(ours(Warmup(Linear(peak, 0.0, D), steps=W), W + D + 20), lr, peak)


@SETTINGS
@given(peak=peaks, W=st.integers(0, 100), D=st.integers(1, 300), end=st.floats(0.0, 0.99),
       power=st.floats(0.5, 3.0))
def test_hf_polynomial_with_warmup(peak, W, D, end, power):
    end *= peak
    opt = optimizer(peak)
    ref = hf().get_polynomial_decay_schedule_with_warmup(opt, W, W + D, lr_end=end, power=power)
    lr, _ = trace(opt, ref, W + D + 20)
    s = Warmup(Polynomial(peak, D, power=power, end=end), steps=W)
    assert_close(ours(s, W + D + 20), lr, peak)


@SETTINGS
@given(peak=peaks, W=st.integers(0, 200), tau=st.one_of(st.none(), st.integers(1, 1000)),
       n=st.integers(1, 600))
def test_hf_inverse_sqrt(peak, W, tau, n):
    opt = optimizer(peak)
    lr, _ = trace(opt, hf().get_inverse_sqrt_schedule(opt, W, timescale=tau), n)
    assert_close(ours(InverseSqrt(peak, W, timescale=tau), n), lr, peak)


@SETTINGS
@given(peak=peaks, W=st.integers(0, 100), S=st.integers(0, 200), D=st.integers(1, 200),
       shape=st.sampled_from(["linear", "cosine", "1-sqrt"]), ratio=st.floats(0.0, 1.0))
def test_hf_warmup_stable_decay(peak, W, S, D, shape, ratio):
    T = W + S + D
    opt = optimizer(peak)
    ref = hf().get_wsd_schedule(opt, num_warmup_steps=W, num_decay_steps=D, num_training_steps=T,
                                decay_type=shape, min_lr_ratio=ratio)
    lr, _ = trace(opt, ref, T + 20)
    s = WSD(peak, T, warmup=W, decay=D / T, shape=shape, floor=ratio * peak)
    assert_close(ours(s, T + 20), lr, peak)
