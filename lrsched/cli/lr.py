"""``lrsched lr``: print (and plot) the learning rates of schedules over a run.

``lrsched lr SPEC [SPEC ...] --steps N`` prints ``step,lr`` CSV rows for the
steps ``0..N-1`` of an ``N``-step run (several specs: one column each, headed by
its canonical spec).  The clock advances by one per step on ``step``, by
``1/N`` on ``fraction`` (a budget of ``N`` steps) and by ``--per-step`` on the
other clocks.  ``--clock`` moves specs left on the default clock to another one.
``--plot FILE`` also draws the curves (its confirmation goes to stderr, so stdout
stays clean CSV; ``--csv`` is accepted for scripts that say so explicitly).
Every spec and the plot file are checked before anything is written.
"""

from __future__ import annotations

import csv
import sys

from . import UsageError

HELP = "print or plot the learning rates of schedules over a run"


def add_parser(sub) -> None:
    from ..progress import CLOCKS

    p = sub.add_parser("lr", help=HELP, description=HELP)
    p.add_argument("specs", nargs="+", metavar="SPEC",
                   help='schedule spec, e.g. "warmup(cosine(peak=0.1, horizon=900), steps=100)"')
    p.add_argument("--steps", type=int, required=True, metavar="N",
                   help="length of the run: print steps 0..N-1")
    p.add_argument("--clock", choices=CLOCKS, default=None,
                   help="run specs on this clock (specs on the default 'step' clock are moved)")
    p.add_argument("--per-step", type=float, default=1.0, metavar="X",
                   help="clock units per step for epoch, seconds, samples and joules (default 1)")
    p.add_argument("--momentum", action="store_true",
                   help="also print the momentum of schedules that cycle it")
    p.add_argument("--plot", metavar="FILE", default=None,
                   help="draw the curves into FILE (.png, .pdf, .svg, ...)")
    p.add_argument("--csv", action="store_true",
                   help="print the CSV (the default, also with --plot)")
    p.set_defaults(run=run)


def _schedules(args):
    from ..schedules.base import Schedule, on_clock
    from ..spec import parse, spec

    out = []
    for text in args.specs:
        s = parse(text, kind="schedule")
        if not isinstance(s, Schedule):  # pragma: no cover - kind="schedule" guarantees it
            raise UsageError(f"{text!r} is not a closed-form schedule")
        if args.clock is not None:
            try:
                s = on_clock(s, args.clock)
            except ValueError:
                raise UsageError(
                    f"{spec(s)} runs on clock {s.clock!r}, not --clock {args.clock}"
                ) from None
        out.append(s)
    return out


def run(args) -> int:
    from ..schedules.sample import sample
    from ..spec import spec

    if args.steps < 1:
        raise UsageError(f"--steps {args.steps} is not allowed; give a number of steps >= 1")
    if not args.per_step > 0 or args.per_step == float("inf"):
        raise UsageError(f"--per-step {args.per_step} is not allowed; give a finite number > 0")
    schedules = _schedules(args)
    if args.plot is not None:
        from ..plots.schedule import check_output

        check_output(args.plot)
    curves = [sample(s, args.steps, args.per_step) for s in schedules]

    if args.plot is not None:
        from ..plots.schedule import schedule as plot_schedule

        plot_schedule(schedules, args.steps, per_step=args.per_step, out=args.plot)
    _write_csv(schedules, curves, args.momentum, spec)
    if args.plot is not None:
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def _write_csv(schedules, curves, with_momentum, spec) -> None:
    single = len(schedules) == 1
    header, columns = ["step"], []
    for s, (_, lr, mom) in zip(schedules, curves):
        header.append("lr" if single else spec(s))
        columns.append(lr.tolist())
        if with_momentum and mom is not None:
            header.append("momentum" if single else f"momentum {spec(s)}")
            columns.append(mom.tolist())
    writer = csv.writer(sys.stdout, lineterminator="\n")
    try:
        writer.writerow(header)
        for k, row in enumerate(zip(*columns)):
            writer.writerow([k, *(repr(v) for v in row)])
        sys.stdout.flush()
    except BrokenPipeError:  # `lrsched lr ... | head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
