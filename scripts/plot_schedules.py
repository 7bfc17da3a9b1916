"""Draw every built-in schedule over a 1000-step run into ``docs/schedules.png``.

Usage: ``python scripts/plot_schedules.py [--out docs/schedules.png]``.
Each panel is drawn by :func:`lrsched.plots.schedule`; the momentum of the
cycling schedules (``onecycle``, ``cyclic``) is dashed on the right axis.
"""

from __future__ import annotations

import argparse
import io
import os
import textwrap

from lrsched.plots import schedule

STEPS = 1000

#: (panel title, specs drawn in it, legend labels or None)
PANELS = [
    ("constant", ["constant(0.1)"], None),
    ("step", ["step(peak=0.1, step_size=250, gamma=0.5)"], None),
    ("multistep", ["multistep(peak=0.1, milestones=[500, 800], gamma=0.2)"], None),
    ("exponential", ["exponential(peak=0.1, gamma=0.997)"], None),
    ("linear", ["linear(start=0.1, end=0.01, horizon=1000)"], None),
    ("polynomial", ["polynomial(peak=0.1, horizon=1000, power=2.0)",
                    "polynomial(peak=0.1, horizon=1000, power=0.5)"], ["power=2", "power=0.5"]),
    ("cosine", ["cosine(peak=0.1, horizon=1000, floor=0.01)"], None),
    ("cosine_restarts", ["cosine_restarts(peak=0.1, period=100, mult=2)"], None),
    ("onecycle", ["onecycle(peak=0.1, horizon=1000)",
                  "onecycle(peak=0.1, horizon=1000, anneal='linear', three_phase=True)"],
     ["cos", "linear, three-phase"]),
    ("cyclic", ["cyclic(low=0.01, high=0.1, step_size_up=125)",
                "cyclic(low=0.01, high=0.1, step_size_up=125, mode='triangular2')",
                "cyclic(low=0.01, high=0.1, step_size_up=125, mode='exp_range', gamma=0.998)"],
     ["triangular", "triangular2", "exp_range"]),
    ("inverse_sqrt", ["inverse_sqrt(peak=0.1, warmup=100)"], None),
    ("wsd", ["wsd(peak=0.1, horizon=1000, warmup=50, decay=0.2)",
             "wsd(peak=0.1, horizon=1000, warmup=50, decay=0.2, shape='cosine')",
             "wsd(peak=0.1, horizon=1000, warmup=50, decay=0.2, shape='1-sqrt')"],
     ["linear", "cosine", "1-sqrt"]),
    ("rex", ["rex(peak=0.1, horizon=1000)", "linear(0.1, 0.0, 1000)"], ["rex", "linear"]),
    ("warmup", ["warmup(cosine(peak=0.1, horizon=900), steps=100)"], None),
    ("join", ["join(linear(0.01, 0.1, 100), constant(0.1), cosine(peak=0.1, horizon=400), "
              "at=[100, 600])"], None),
    ("sum, product", ["sum(cosine(peak=0.09, horizon=1000), constant(0.01))",
                      "product(cosine_restarts(peak=0.1, period=250), linear(1.0, 0.2, 1000))"],
     ["cosine + 0.01", "restarts × linear"]),
]


def draw(out: str) -> None:
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=(16, 13), layout="constrained")
    axes = fig.subplots(4, 4).ravel()
    for ax, (name, specs, labels) in zip(axes, PANELS):
        schedule(specs, STEPS, labels=labels, ax=ax, title="")
        subtitle = "\n".join(textwrap.wrap(specs[0], 52)) if labels is None else ""
        ax.set_title(f"{name}\n{subtitle}".strip(), fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel("")
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0.0, top=0.105)
        for twin in ax.get_shared_x_axes().get_siblings(ax):  # the momentum axis, if any
            if twin is not ax:
                twin.tick_params(labelsize=7)
                twin.yaxis.label.set_fontsize(8)
    fig.suptitle(f"lrsched built-in schedules over a {STEPS}-step run "
                 "(dashed: momentum, right axis)", fontsize=12)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    # a 64-colour palette PNG keeps the picture small enough for the README (< 150 KB)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72)
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=64).save(out, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs",
                                                      "schedules.png"))
    args = parser.parse_args()
    draw(args.out)
    print(f"wrote {os.path.normpath(args.out)} ({os.path.getsize(args.out) / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
