"""Linear rates of first-order methods on quadratics, against theory and the q^k lower bound.

Runs GD (step 2/(L+μ)), heavy ball, Nesterov, ``polyak()`` and ``armijo()``
through :func:`lrsched.train` on ``quadratic(dim, kappa)`` (f* = 0, x* = 0),
computes conjugate gradient with NumPy as the theory reference, and compares
the measured per-step contraction of the A-norm error ‖x_k − x*‖_A =
sqrt(2 (f(x_k) − f*)) with the theoretical rates.  See README.md.

    python papers/quadratic-rates/reproduce.py [--quick] [--out DIR]
"""

from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _common  # noqa: E402  (first: limits BLAS threads before NumPy loads)
import numpy as np  # noqa: E402

from lrsched import train  # noqa: E402
from lrsched.spec import parse  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KAPPAS = (10.0, 100.0, 1000.0)
DENSE_DIM = 20_000     # geometric spectrum: ~2000 eigenvalues in [μ, 2μ] even for κ = 1000
SPARSE_DIM = 1_000     # linear spectrum, κ = 1000: spacing = μ, the small eigenvalues are isolated
TOLERANCE = 0.05       # 5 % on the rate exponent log(ρ)


def methods(kappa: float, L: float = 1.0):
    """(name, optimizer spec, schedule spec, theoretical rate of ‖x_k‖_A or None)."""
    mu = L / kappa
    q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    hb_lr = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    return [
        ("GD 2/(L+μ)", "sgd()", f"constant(lr={2.0 / (L + mu)!r})", (kappa - 1) / (kappa + 1)),
        # torch momentum SGD: buf = β buf + g, p -= lr buf  ==  p_{k+1} = p_k − lr g_k
        # + β (p_k − p_{k−1}), i.e. Polyak's heavy ball with step lr and momentum β
        ("heavy ball", f"sgd(momentum={q * q!r})", f"constant(lr={hb_lr!r})", q),
        # same characteristic polynomial as Nesterov's method with step 1/L (see README)
        ("Nesterov", f"sgd(momentum={q!r}, nesterov=True)", f"constant(lr={1.0 / L!r})",
         1.0 - 1.0 / math.sqrt(kappa)),
        ("Polyak (SPS)", "sgd()", "polyak()", None),
        ("Armijo (SLS)", "sgd()", "armijo()", None),
    ]


def conjugate_gradient(eigenvalues: np.ndarray, x0: np.ndarray, r_end: float,
                       max_steps: int) -> np.ndarray:
    """Relative A-norm errors ‖x_k‖_A/‖x_0‖_A of CG on f = ½ xᵀdiag(λ)x (b = 0, x* = 0).

    The residual is recomputed as −Ax every step (no recurrence drift); the
    iteration is scale-invariant since x* = 0, so it has no accuracy floor.
    """
    lam = eigenvalues
    x = x0.copy()
    r = -lam * x
    p = r.copy()
    rr = float(r @ r)
    e0 = math.sqrt(float(x @ (lam * x)))
    out = [1.0]
    for _ in range(max_steps):
        Ap = lam * p
        x += (rr / float(p @ Ap)) * p
        r = -lam * x
        rr_new = float(r @ r)
        p = r + (rr_new / rr) * p
        rr = rr_new
        out.append(math.sqrt(float(x @ (lam * x))) / e0)
        if out[-1] <= r_end:
            break
    return np.array(out)


def run_method(problem, optimizer: str, schedule: str, r_end: float, max_steps: int):
    """Relative A-norm errors r_k (k = 0, 1, ...) of one method, through lrsched.train."""
    f0 = problem.loss(problem.init(0))
    result = train(problem, optimizer, schedule, budget=max_steps, seed=0, monitor=None,
                   eval_every=1, target=f0 * r_end**2, stop_at_target=True)
    if result.summary["status"] != "done":
        raise RuntimeError(f"{optimizer} {schedule}: {result.summary['reason']}")
    steps = result.history["step"].astype(int)
    r = np.sqrt(np.maximum(result.history["loss"], 0.0) / f0)
    out = np.full(steps[-1] + 1, np.nan)
    out[steps] = r
    return out


def measured_rate(r: np.ndarray, r_mid: float, r_end: float):
    """Per-step contraction between the first k with r ≤ r_mid and the first with r ≤ r_end."""
    below_mid = np.flatnonzero(r <= r_mid)
    below_end = np.flatnonzero(r <= r_end)
    if not below_mid.size or not below_end.size:
        return math.nan, None
    ka, kb = int(below_mid[0]), int(below_end[0])
    return (r[kb] / r[ka]) ** (1.0 / (kb - ka)), (ka, kb)


def exponent_ratio(rate: float, reference: float) -> float:
    """log(rate)/log(reference): 1 = same rate, > 1 faster, < 1 slower."""
    return math.log(rate) / math.log(reference)


def main() -> int:
    args = _common.arguments(__doc__.splitlines()[0], HERE)
    claims = _common.Claims(HERE, args.quick)
    # the A-norm error falls from 1 to r_end; rates are measured on [r_mid, r_end]
    r_end = 1e-20 if args.quick else 1e-40
    r_mid = math.sqrt(r_end)

    rows = []            # (κ, method, theory, measured, window)
    panels = []          # (title, {name: r}, q)
    lower = []           # (κ, method, exponent vs q)
    for kappa in KAPPAS:
        q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
        problem = parse(f"quadratic(dim={DENSE_DIM}, kappa={kappa!r}, spectrum='log')")
        curves = {}
        for name, opt, sched, theory in methods(kappa):
            slowest = theory if theory is not None else (kappa - 1) / (kappa + 1)
            cap = int(2.0 * math.log(r_end) / math.log(slowest)) + 200
            r = run_method(problem, opt, sched, r_end, cap)
            curves[name] = r
            rate, window = measured_rate(r, r_mid, r_end)
            rows.append((kappa, name, theory, rate, window))
            lower.append((kappa, name, exponent_ratio(rate, q) if window else math.nan))
        x0 = problem.init(0)
        cg = conjugate_gradient(problem.eigenvalues, x0, r_end, DENSE_DIM - 1)
        curves["CG (NumPy)"] = cg
        rate, window = measured_rate(cg, r_mid, r_end)
        rows.append((kappa, "CG (NumPy)", None, rate, window))
        lower.append((kappa, "CG (NumPy)", exponent_ratio(rate, q)))
        ratio_to_q = cg / q ** np.arange(cg.size)
        rows.append((kappa, "CG min r_k/q^k", None, float(ratio_to_q.min()), None))
        panels.append((f"κ = {kappa:g}, dim = {DENSE_DIM}, geometric", curves, q))

    # a spectrum that is not worst-case: dim = κ = 1000, eigenvalues μ, 2μ, 3μ, ... at the bottom
    kappa = 1000.0
    q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    sparse = parse(f"quadratic(dim={SPARSE_DIM}, kappa={kappa!r})")
    sparse_cg = conjugate_gradient(sparse.eigenvalues, sparse.init(0), r_end, SPARSE_DIM - 1)
    name, opt, sched, theory = methods(kappa)[1]
    sparse_hb = run_method(sparse, opt, sched, r_end, int(2 * math.log(r_end) / math.log(q)))
    sparse_rate, sparse_window = measured_rate(sparse_cg, r_mid, r_end)
    panels.append((f"κ = 1000, dim = {SPARSE_DIM}, linear (sparse near μ)",
                   {"heavy ball": sparse_hb, "CG (NumPy)": sparse_cg}, q))

    print(f"\nA-norm error contraction per step, measured between r = {r_mid:g} and {r_end:g}")
    print(f"{'kappa':>6}  {'method':<16} {'theory':>9} {'measured':>9} {'exp. ratio':>10}  window")
    deviations = []
    for kappa, name, theory, rate, window in rows:
        if name == "CG min r_k/q^k":
            print(f"{kappa:>6g}  {name:<16} {'':>9} {rate:>9.3g}")
            continue
        ratio = exponent_ratio(rate, theory) if theory is not None else math.nan
        if theory is not None:
            deviations.append((abs(ratio - 1.0), kappa, name, ratio))
        print(f"{kappa:>6g}  {name:<16} {theory if theory else math.nan:>9.5f} {rate:>9.5f} "
              f"{ratio:>10.4f}  {window}")
    print(f"{1000:>6g}  {'CG, dim=1000':<16} {'':>9} {sparse_rate:>9.5f} "
          f"{exponent_ratio(sparse_rate, q):>10.4f}  {sparse_window} (ratio vs q)")

    worst = max(deviations)
    claims.check("rates", worst[0] <= TOLERANCE,
                 f"largest |log ρ_measured / log ρ_theory − 1| = {worst[0]:.2%} "
                 f"({worst[2]}, κ={worst[1]:g}; tolerance {TOLERANCE:.0%})")
    fastest = max(lower, key=lambda t: t[2])
    cg_constants = [rate for _, name, _, rate, _ in rows if name == "CG min r_k/q^k"]
    claims.check("lower-bound", fastest[2] <= 1.0 + TOLERANCE,
                 f"fastest exponent log ρ/log q = {fastest[2]:.3f} ({fastest[1]}, "
                 f"κ={fastest[0]:g}; ≤ {1 + TOLERANCE:.2f} needed); every k < dim = {DENSE_DIM}; "
                 f"CG's min_k r_k/q^k = {min(cg_constants):.3g}")
    sparse_ratio = exponent_ratio(sparse_rate, q)
    end_k = sparse_window[1] if sparse_window else None
    claims.check("not-worst-case", sparse_ratio > 1.0 + TOLERANCE and end_k is not None
                 and end_k < SPARSE_DIM,
                 f"CG on dim={SPARSE_DIM}, κ=1000: log ρ/log q = {sparse_ratio:.2f}, "
                 f"r ≤ {r_end:g} at k = {end_k} < dim")

    draw(panels, r_end, args)
    return _common.done(args, claims)


def draw(panels, r_end: float, args) -> None:
    fig = _common.figure(9.0, 6.4)
    axes = fig.subplots(2, 2).ravel()
    colors = {"GD 2/(L+μ)": "C0", "heavy ball": "C1", "Nesterov": "C2", "Polyak (SPS)": "C4",
              "Armijo (SLS)": "C5", "CG (NumPy)": "k"}
    for ax, (title, curves, q) in zip(axes, panels):
        k_end = math.log(r_end) / math.log(q)
        for name, r in curves.items():
            k = np.arange(r.size)
            ok = np.isfinite(r) & (r > 0)
            ax.semilogy(k[ok], r[ok], color=colors[name], lw=1.4, label=name,
                        ls="-" if name != "CG (NumPy)" else "-.")
        kk = np.linspace(0, 2.5 * k_end, 200)
        ax.semilogy(kk, q**kk, color="0.4", ls="--", lw=1.0, label="q^k (lower bound)")
        ax.set_xlim(0, 2.5 * k_end)
        ax.set_ylim(r_end / 100, 3)
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("iteration k")
        ax.set_ylabel("‖x_k − x*‖_A / ‖x_0 − x*‖_A")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize="x-small", loc="lower left")
    fig.suptitle("Quadratics: measured A-norm error vs the q^k lower bound "
                 "(q = (√κ−1)/(√κ+1))", fontsize="medium")
    _common.save_figure(fig, args, "rates.png")


if __name__ == "__main__":
    sys.exit(main())
