"""``lrsched plot``: draw one or more run logs (loss, learning rate, resources) into a PNG."""

from __future__ import annotations

import os

from . import UsageError

HELP = "plot run logs written by `lrsched train --log` (loss, learning rate, resources)"


def add_parser(sub) -> None:
    p = sub.add_parser("plot", help=HELP, description=HELP)
    p.add_argument("logs", nargs="+", metavar="FILE.jsonl", help="run logs; several are overlaid")
    p.add_argument("--out", metavar="PNG",
                   help="image to write (default: the first log's name with .png)")
    p.add_argument("--title", default=None, help="figure title (default: the shared specs)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..plots.run import run as plot_run

    out = args.out or os.path.splitext(args.logs[0])[0] + ".png"
    for path in args.logs:
        if not os.path.exists(path):
            raise UsageError(f"no such run log: {path}")
    # plot_run checks `out` and reads every log before drawing: a bad one writes nothing
    plot_run(args.logs, out=out, title=args.title)
    print(f"plot written to {out}")
    return 0
