"""The training loop's cost, as ratios against peers measured in the same run.

(a) ``lrsched.train`` on full-batch logistic regression (breast_cancer) per step,
    divided by a hand-written bare NumPy loop doing the same arithmetic
    (loss + gradient, cosine learning rate, SGD update) — goal <= 1.25;
(b) that bare loop against the equivalent PyTorch CPU loop (autograd +
    torch.optim.SGD + CosineAnnealingLR) — goal: lrsched >= 4x faster;
(c) is in ``bench_optim.py`` (fused optimizer updates on 1e7 parameters);
(d) peak RSS of a run against the bytes of data + parameters + optimizer state.

Timings alternate between contenders and take medians, because this machine is
shared and noisy.  Run: ``python benchmarks/bench_loop.py [--steps N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time

import numpy as np

import lrsched
from lrsched.problems import logistic


def data():
    problem = logistic(dataset="breast_cancer", l2=1e-3)
    X = np.asarray(problem.data.X, dtype=np.float64)
    y = np.where(problem.data.labels == 1, 1.0, -1.0)
    return problem, X, y


def bare_numpy(X, y, l2, steps, peak):
    """The same arithmetic as lrsched's logistic + sgd + cosine, written by hand by
    someone who knows NumPy: Fortran-ordered design matrix with a ones column, the
    stable log(1 + exp(-|z|)) + max(z, 0) form, in-place updates."""
    n, d = X.shape
    Xb = np.empty((n, d + 1), order="F")
    Xb[:, :-1] = X
    Xb[:, -1] = 1.0
    t = -y
    mask = np.full(d + 1, l2)
    mask[-1] = 0.0
    w = np.zeros(d + 1)
    t0 = time.perf_counter()
    for k in range(steps):
        z = Xb @ w
        z *= t
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)
        terms = np.log1p(e)
        terms += np.maximum(z, 0.0)
        wm = w * mask
        loss = float(terms.sum()) / n + 0.5 * float(wm @ w)
        z -= terms
        np.exp(z, out=z)
        z *= t
        g = z @ Xb
        g /= n
        g += wm
        if not loss < 1e300:
            break
        lr = 0.5 * peak * (1.0 + math.cos(math.pi * k / steps))
        w -= lr * g
    return (time.perf_counter() - t0) / steps, loss


def torch_loop(X, y, l2, steps, peak):
    import torch

    torch.set_num_threads(1)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor((y + 1) / 2, dtype=torch.float64)
    w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=peak)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = bce(Xt @ w + b, yt) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        opt.step()
        sched.step()
    return (time.perf_counter() - t0) / steps, float(loss.detach())


def ours(problem, steps, peak, monitor):
    result = lrsched.train(problem, "sgd", f"cosine(peak={peak}, horizon={steps})",
                           budget={"steps": steps}, monitor=monitor)
    return result.summary["seconds"] / steps, result.summary["final_loss"]


def peak_rss_child(n: int, d: int, steps: int) -> dict:
    """Run in a fresh interpreter: RSS before the run vs peak during it."""
    code = f"""
import json, resource, numpy as np, psutil, lrsched
from lrsched.problems import logistic
from lrsched.problems.datasets import Dataset
rng = np.random.default_rng(0)
X = rng.standard_normal(({n}, {d}))
y = np.where(X[:, 0] + 0.5 * rng.standard_normal({n}) > 0, 1.0, -1.0)
ds = Dataset.from_arrays(X, y, name="rss")
del X, y
p = logistic(dataset=ds, l2=1e-3)
p.loss(p.init(0))  # materialise the working copy of the data
p.f_star  # computed (and cached) before the run, so the run's own memory is measured
small = logistic(dataset="breast_cancer")
lrsched.train(small, "adam", "constant(lr=0.01)", budget={{"steps": 2}})  # imports + JIT, once
before = psutil.Process().memory_info().rss
r = lrsched.train(p, "adam", "constant(lr=0.01)", budget={{"steps": {steps}}})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"before": before, "peak": peak, "monitor_peak": r.summary["peak_rss_bytes"]}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--torch-steps", type=int, default=None,
                        help="steps for the (slow) torch loop; default: --steps")
    args = parser.parse_args(argv)
    args.torch_steps = args.torch_steps or args.steps

    problem, X, y = data()
    l2, peak = problem.l2, 0.5
    bare_numpy(X, y, l2, 200, peak)
    ours(problem, 200, peak, None)

    rows = {"bare numpy": [], "lrsched (no telemetry)": [], "lrsched (telemetry 10 Hz)": [],
            "torch": []}
    losses = {}
    for _ in range(args.repeats):
        t, losses["bare numpy"] = bare_numpy(X, y, l2, args.steps, peak)
        rows["bare numpy"].append(t)
        t, losses["lrsched (no telemetry)"] = ours(problem, args.steps, peak, None)
        rows["lrsched (no telemetry)"].append(t)
        t, losses["lrsched (telemetry 10 Hz)"] = ours(problem, args.steps, peak, "auto")
        rows["lrsched (telemetry 10 Hz)"].append(t)
        t, losses["torch"] = torch_loop(X, y, l2, args.torch_steps, peak)
        rows["torch"].append(t)
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"full-batch logistic regression, breast_cancer ({X.shape[0]}x{X.shape[1]}), "
          f"{args.steps} steps, median of {args.repeats}")
    print(f"{'contender':<28}{'us/step':>10}{'final loss':>14}")
    for k, v in med.items():
        print(f"{k:<28}{v * 1e6:>10.2f}{losses[k]:>14.6f}")
    bare = med["bare numpy"]
    print(f"(a) lrsched / bare numpy, no telemetry : {med['lrsched (no telemetry)'] / bare:.3f}"
          "  (goal <= 1.25)")
    print(f"(a) lrsched / bare numpy, telemetry on : {med['lrsched (telemetry 10 Hz)'] / bare:.3f}")
    print(f"(b) torch / lrsched (telemetry on)     : "
          f"{med['torch'] / med['lrsched (telemetry 10 Hz)']:.2f}x  (goal >= 4)")

    n, d, steps = 200_000, 50, 20
    rss = peak_rss_child(n, d, steps)
    data_bytes = n * (d + 1) * 8 + n * 8
    state_bytes = 3 * (d + 1) * 8  # params + adam m and v
    grown = rss["monitor_peak"] - rss["before"]
    print(f"(d) synthetic {n}x{d} logistic + adam, {steps} steps: data+params+state "
          f"{(data_bytes + state_bytes) / 2**20:.1f} MiB; RSS before the run "
          f"{rss['before'] / 2**20:.1f} MiB (interpreter, libraries, the data set and its "
          f"working copy), peak during the run {rss['monitor_peak'] / 2**20:.1f} MiB; "
          f"the run itself added {grown / 2**20:.1f} MiB = {grown / data_bytes:.3f}x the data "
          f"(process lifetime peak {rss['peak'] / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
