"""Hypergradient descent: sensitivity of the final loss to the initial learning rate.

Runs ``suite.toml`` (``suite-quick.toml`` with ``--quick``) through the
harness: plain SGD at each rate of a grid from 1e-3 to 1 and SGD-HD started
at that rate, on digits softmax regression and the digits MLP.  The spread of
the final training loss over the grid (max − min of the seed medians) is the
measure of sensitivity; a diverged seed counts at its initial loss (no
progress).  See README.md.

    python papers/hypergradient/reproduce.py [--quick] [--out DIR] [--workers N]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _common  # noqa: E402  (first: limits BLAS threads before NumPy loads)
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = {"sgd": ("SGD", "C0"), "sgd-hd": ("SGD-HD", "C3")}
FAR_LESS = 3.0   # "far less sensitive": at most a third of SGD's spread


def final_losses(trials):
    """{(problem, method): (lrs, seed medians, per-seed array)}; diverged = initial loss."""
    out = {}
    trials = trials.assign(value=np.where(trials["status"] == "done", trials["final_loss"],
                                          trials["initial_loss"]))
    for (problem, method), group in trials.groupby(["problem_label", "label"]):
        lrs = np.array(sorted(group["lr"].unique()))
        seeds = [group[group["lr"] == lr]["value"].to_numpy() for lr in lrs]
        medians = np.array([np.median(s) for s in seeds])
        diverged = int((group["status"] != "done").sum())
        out[problem, method] = (lrs, medians, seeds, diverged)
    return out


def main() -> int:
    args = _common.arguments(__doc__.splitlines()[0], HERE)
    claims = _common.Claims(HERE, args.quick)
    _, trials = _common.run_study_suite(args)
    losses = final_losses(trials)
    problems = list(dict.fromkeys(trials["problem_label"]))

    ratios = {}
    print("\nmedian final training loss by initial learning rate (diverged seeds at f0)")
    for problem in problems:
        print(problem)
        lrs = losses[problem, "sgd"][0]
        print(f"  {'lr':>8} " + "".join(f"{lr:>9g}" for lr in lrs) + "   spread  diverged")
        spreads = {}
        for method in METHODS:
            _, medians, _, diverged = losses[problem, method]
            spreads[method] = float(medians.max() - medians.min())
            print(f"  {method:>8} " + "".join(f"{m:>9.4f}" for m in medians)
                  + f"   {spreads[method]:.4f}  {diverged}")
        ratios[problem] = spreads["sgd"] / spreads["sgd-hd"]
        print(f"  spread ratio SGD / SGD-HD: {ratios[problem]:.2f}")

    claims.check("less-sensitive", all(r >= FAR_LESS for r in ratios.values()), "; ".join(
        f"{p}: spread ratio SGD/SGD-HD = {r:.2f}" for p, r in ratios.items())
        + f" (≥ {FAR_LESS:g} needed)")

    draw(args, trials, losses, problems)
    return _common.done(args, claims)


def draw(args, trials, losses, problems) -> None:
    fig = _common.figure(11.0, 3.6)
    axes = fig.subplots(1, 3)
    for ax, problem in zip(axes, problems):
        for method, (name, color) in METHODS.items():
            lrs, medians, seeds, _ = losses[problem, method]
            for lr, values in zip(lrs, seeds):
                ax.scatter(np.full(len(values), lr), values, color=color, s=8, alpha=0.35)
            ax.plot(lrs, medians, "o-", color=color, label=name, ms=4)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("initial learning rate α0")
        ax.set_ylabel("final training loss")
        ax.set_title(problem, fontsize="small")
        ax.grid(True, alpha=0.3, which="both")
    axes[0].legend(fontsize="small")

    # the rate SGD-HD learns on the MLP, from every initial rate (seed 0)
    ax = axes[2]
    mlp = problems[-1]
    rows = trials[(trials["problem_label"] == mlp) & (trials["label"] == "sgd-hd")
                  & (trials["seed"] == trials["seed"].min())].sort_values("lr")
    curves = _common.curves_of(args.out, rows["trial_id"])
    cmap = __import__("matplotlib").colormaps["viridis"]
    for i, (tid, lr) in enumerate(zip(rows["trial_id"], rows["lr"])):
        c = curves[tid]
        ax.plot(c["epoch"], c["lr"], color=cmap(i / max(1, len(rows) - 1)), label=f"α0={lr:g}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.set_title(f"SGD-HD's rate on {mlp} (seed 0)", fontsize="small")
    ax.legend(fontsize="x-small", ncols=2)
    ax.grid(True, alpha=0.3, which="both")
    fig.suptitle("Hypergradient descent: final loss against the initial learning rate "
                 "(line: median of seeds; dots: seeds)", fontsize="medium")
    _common.save_figure(fig, args, "sensitivity.png")


if __name__ == "__main__":
    sys.exit(main())
