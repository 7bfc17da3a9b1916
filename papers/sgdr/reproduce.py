"""SGDR's anytime performance: warm restarts against one cosine and step decay.

Runs ``suite.toml`` (``suite-quick.toml`` with ``--quick``: fewer seeds)
through the harness.  Each schedule keeps the LR of the grid with the lowest
median final training loss at the full budget; its recorded curve then gives
the loss at every intermediate budget, compared at the ends of SGDR's cycles
(steps 100, 300, 700) and, for context, in the middle of its cycles.  See README.md.

    python papers/sgdr/reproduce.py [--quick] [--out DIR] [--workers N]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _common  # noqa: E402  (first: limits BLAS threads before NumPy loads)
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEDULES = {"sgdr": "C3", "cosine": "C0", "step": "C7"}
PERIOD, MULT = 100, 2   # as in suite.toml


def cycle_ends(budget: int) -> list[int]:
    """Steps at which SGDR's cycles end (its rate reaches ~0), the budget's end excluded."""
    ends, length, t = [], PERIOD, PERIOD
    while t < budget:
        ends.append(t)
        length *= MULT
        t += length
    return ends


def main() -> int:
    args = _common.arguments(__doc__.splitlines()[0], HERE)
    claims = _common.Claims(HERE, args.quick)
    _, trials = _common.run_study_suite(args)
    budget = int(trials["steps"].max())

    chosen = {}
    for label in SCHEDULES:
        rows = trials[trials["label"] == label]
        medians = rows.groupby("lr")["final"].apply(_common.median_over_seeds)
        lr = float(medians.idxmin())
        picked = rows[rows["lr"] == lr].sort_values("seed")
        curves = _common.curves_of(args.out, picked["trial_id"])
        steps = curves[picked["trial_id"].iloc[0]]["step"]
        losses = np.array([curves[t]["loss"] for t in picked["trial_id"]])
        chosen[label] = {"lr": lr, "step": steps, "loss": losses,
                         "median": np.median(losses, axis=0)}

    ends = cycle_ends(budget)
    middles = [(a + b) // 2 for a, b in zip([0, *ends], [*ends, budget])]
    print(f"\nmedian training loss at intermediate budgets (LR tuned for the full {budget} steps)")
    heads = [f"{k} (lr {v['lr']:g})" for k, v in chosen.items()]
    print(f"{'step':>6} " + "".join(f"{h:>20}" for h in heads) + "   SGDR ÷ best other")
    ratios = {}
    for t in sorted({*ends, *middles, budget}):
        values = {k: float(v["median"][np.searchsorted(v["step"], t)]) for k, v in chosen.items()}
        ratio = values["sgdr"] / min(values["cosine"], values["step"])
        tag = "  cycle end" if t in ends else ("  end" if t == budget else "  mid-cycle")
        if t in ends:
            ratios[t] = ratio
        print(f"{t:>6} " + "".join(f"{values[k]:>20.4f}" for k in chosen) + f"{ratio:>10.3f}{tag}")

    claims.check("anytime-at-restarts", all(r < 1.0 for r in ratios.values()),
                 "SGDR ÷ best of cosine and step at its cycle ends: "
                 + ", ".join(f"step {t}: {r:.3f}" for t, r in ratios.items()) + " (< 1 needed)")

    draw(chosen, ends, budget, args)
    return _common.done(args, claims)


def draw(chosen, ends, budget, args) -> None:
    from lrsched.plots import schedule as plot_schedule

    fig = _common.figure(12.0, 3.8)
    ax, ax_ratio, ax_lr = fig.subplots(1, 3)
    base = chosen["cosine"]["median"]
    for label, color in SCHEDULES.items():
        c = chosen[label]
        for seed_loss in c["loss"]:
            ax.plot(c["step"], seed_loss, color=color, lw=0.6, alpha=0.25)
        ax.plot(c["step"], c["median"], color=color, lw=1.8, label=f"{label} (lr {c['lr']:g})")
        ax_ratio.plot(c["step"][1:], c["median"][1:] / base[1:], color=color, lw=1.8,
                      marker=".", label=label)
    for a in (ax, ax_ratio):
        for t in ends:
            a.axvline(t, color="C3", ls=":", lw=0.8)
        a.set_xlabel("step (= intermediate budget)")
        a.grid(True, alpha=0.3, which="both")
    ax.set_yscale("log")
    ax.set_ylim(0.01, 0.3)
    ax.set_ylabel("training loss")
    ax.set_title("loss (median of seeds; faint: seeds)", fontsize="small")
    ax.legend(fontsize="small")
    ax_ratio.axhline(1.0, color="k", lw=0.6)
    ax_ratio.set_ylabel("median loss ÷ cosine's")
    ax_ratio.set_title("relative to one cosine; dotted: SGDR's cycle ends", fontsize="small")
    specs = [f"cosine_restarts(peak={chosen['sgdr']['lr']!r}, period={PERIOD}, mult={MULT})",
             f"cosine(peak={chosen['cosine']['lr']!r}, horizon={budget})",
             f"multistep(peak={chosen['step']['lr']!r}, milestones=[450, 900, 1200], gamma=0.2)"]
    plot_schedule(specs, steps=budget, labels=list(SCHEDULES), ax=ax_lr)
    for line, color in zip(ax_lr.get_lines(), SCHEDULES.values()):
        line.set_color(color)
    ax_lr.legend(fontsize="small")
    ax_lr.set_title("the tuned schedules", fontsize="small")
    fig.suptitle("SGDR (T0 = 100, T_mult = 2) against one cosine and step decay, digits MLP",
                 fontsize="medium")
    _common.save_figure(fig, args, "anytime.png")


if __name__ == "__main__":
    sys.exit(main())
