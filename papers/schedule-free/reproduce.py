"""Schedule-Free SGD and AdamW, never told the horizon, against a tuned cosine at each horizon.

Runs ``suite-sgd.toml`` and ``suite-adamw.toml`` (the ``-quick`` variants
with ``--quick``: two horizons, two seeds) through the harness into one
results folder.  For each horizon and method the LR with the lowest median
final training loss over seeds is kept (Schedule-Free's loss is taken at its
averaged iterate x, as the package reports it).  See README.md.

    python papers/schedule-free/reproduce.py [--quick] [--out DIR] [--workers N]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _common  # noqa: E402  (first: limits BLAS threads before NumPy loads)
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAMILIES = {"sgd": "SGD", "adamw": "AdamW"}
MATCH = 1.10   # "matches": Schedule-Free's tuned loss at most 10 % above the cosine's


def horizon(budget: str) -> int:
    return int(float(budget.split("=")[1]))


def table(trials):
    """{(method, horizon): {lr: (median, per-seed values)}} with method = 'sf·constant' etc."""
    out: dict = {}
    for (opt, label, budget, lr), group in trials.groupby(["optimizer", "label", "budget", "lr"]):
        method = ("sf" if opt.startswith("sf_") else "base") + "·" + label
        out.setdefault((method, horizon(budget)), {})[lr] = (
            _common.median_over_seeds(group["final"]), group["final"].to_numpy())
    return out


def tuned(results, method, h):
    """(best lr, its median loss) at horizon ``h``."""
    grid = results[method, h]
    lr = min(grid, key=lambda k: grid[k][0])
    return lr, grid[lr][0]


def main() -> int:
    args = _common.arguments(__doc__.splitlines()[0], HERE)
    claims = _common.Claims(HERE, args.quick)
    results, horizons = {}, {}
    for family in FAMILIES:
        name = f"suite-{family}-quick.toml" if args.quick else f"suite-{family}.toml"
        suite = _common.run_suite(os.path.join(HERE, name), args.out, args.workers)
        trials = _common.trials_frame(args.out, suite)
        results[family] = table(trials)
        horizons[family] = sorted({horizon(b) for b in trials["budget"]})

    for family, title in FAMILIES.items():
        res, hs = results[family], horizons[family]
        print(f"\n{title}: tuned median final training loss by horizon (lr in brackets)")
        methods = ("base·cosine", "sf·constant", "base·constant", "sf·cosine")
        names = {"base·cosine": f"{title} + cosine", "sf·constant": f"SF-{title}",
                 "base·constant": f"{title} constant", "sf·cosine": f"SF-{title} + cosine"}
        print(f"{'horizon':>8} " + "".join(f"{names[m]:>24}" for m in methods))
        for h in hs:
            cells = [f"{tuned(res, m, h)[1]:.4f} [{tuned(res, m, h)[0]:g}]" for m in methods]
            print(f"{h:>8} " + "".join(f"{c:>24}" for c in cells))
        ratios = [tuned(res, "sf·constant", h)[1] / tuned(res, "base·cosine", h)[1] for h in hs]
        one_lr = tuned(res, "sf·constant", hs[-1])[0]
        fixed = [res["sf·constant", h][one_lr][0] / tuned(res, "base·cosine", h)[1] for h in hs]
        print("  SF ÷ cosine (each tuned per horizon): "
              + ", ".join(f"{h}: {r:.3f}" for h, r in zip(hs, ratios)))
        print(f"  SF at one lr ({one_lr:g}, best at {hs[-1]}) ÷ cosine tuned per horizon: "
              + ", ".join(f"{h}: {r:.3f}" for h, r in zip(hs, fixed)))
        worst = int(np.argmax(ratios))
        claims.check(f"sf-{family}", max(ratios) <= MATCH,
                     f"SF-{title} ÷ {title}+cosine tuned loss per horizon: "
                     + ", ".join(f"{h}: {r:.3f}" for h, r in zip(hs, ratios))
                     + f" (worst {ratios[worst]:.3f} at {hs[worst]}; ≤ {MATCH:g} needed)")

    draw(results, horizons, args)
    return _common.done(args, claims)


def draw(results, horizons, args) -> None:
    fig = _common.figure(10.0, 3.8)
    axes = fig.subplots(1, 2)
    styles = {"base·cosine": ("C0", "-", "o", "+ cosine (tuned per horizon)"),
              "sf·constant": ("C3", "-", "s", "Schedule-Free (tuned per horizon)"),
              "base·constant": ("C7", ":", ".", "constant rate"),
              "sf·cosine": ("C1", ":", ".", "Schedule-Free + cosine")}
    for ax, (family, title) in zip(axes, FAMILIES.items()):
        res, hs = results[family], horizons[family]
        for method, (color, ls, marker, label) in styles.items():
            loss = [tuned(res, method, h)[1] for h in hs]
            ax.plot(hs, loss, ls=ls, marker=marker, color=color, label=label, ms=5)
        one_lr = tuned(res, "sf·constant", hs[-1])[0]
        ax.plot(hs, [res["sf·constant", h][one_lr][0] for h in hs], ls="--", color="C3",
                alpha=0.6, label=f"Schedule-Free, one lr ({one_lr:g})")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(hs, [str(h) for h in hs])
        ax.set_xlabel("horizon (steps)")
        ax.set_ylabel("tuned final training loss (median of seeds)")
        ax.set_title(f"{title}, digits MLP", fontsize="small")
        ax.grid(True, alpha=0.3, which="both")
        ax.legend(fontsize="x-small")
    fig.suptitle("Schedule-Free (constant rate, no horizon) against cosine decay tuned per "
                 "horizon", fontsize="medium")
    _common.save_figure(fig, args, "horizons.png")


if __name__ == "__main__":
    sys.exit(main())
