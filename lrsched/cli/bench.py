"""``lrsched bench``: run benchmark suites, report on them, list what they can use.

``lrsched bench run [SUITE] [--out DIR] [--executor serial|process|dask] [--workers N]
[--address ADDR]`` runs a built-in suite (default ``quick``) or a TOML file
into ``DIR`` (default ``lrsched-results/<suite>``), showing progress, then
writes the report and prints its path and the scores.  Re-running the same
command resumes: finished trials are skipped.  A bad suite file or option is
one line on stderr, exit status 2, and nothing is written.

``lrsched bench report DIR`` rewrites ``DIR/report.md`` and ``DIR/report.html``.
``lrsched bench export DIR --format csv|parquet`` writes the two tables.
``lrsched bench list`` shows the built-in suites and every registered problem,
optimizer, schedule and policy with a one-line description.
"""

from __future__ import annotations

import os
import sys

from . import UsageError

HELP = "run benchmark suites, write reports, list components"


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help=HELP, description=HELP)
    commands = p.add_subparsers(dest="bench_command", metavar="ACTION", parser_class=type(p))
    p.set_defaults(run=_no_action, bench_parser=p)

    r = commands.add_parser("run", help="run a suite (resumes where it stopped)",
                            description="Run a suite; re-running the same command resumes.")
    r.add_argument("suite", nargs="?", default="quick",
                   help="built-in suite name or path of a TOML file (default: quick)")
    r.add_argument("--out", metavar="DIR", help="results folder (default: lrsched-results/SUITE)")
    r.add_argument("--executor", choices=("serial", "process", "dask"), default="serial")
    r.add_argument("--workers", type=int, metavar="N",
                   help="trials at once for process and dask (default: the usable cores)")
    r.add_argument("--address", metavar="ADDR", help="Dask scheduler, e.g. tcp://host:8786")
    r.add_argument("--no-report", action="store_true", help="do not write the report at the end")
    r.add_argument("--dry-run", action="store_true", help="list the trials and exit")
    r.set_defaults(run=run_command)

    rep = commands.add_parser("report", help="write DIR/report.md and DIR/report.html")
    rep.add_argument("folder", metavar="DIR")
    rep.set_defaults(run=report_command)

    e = commands.add_parser("export", help="write the trials and curves tables as files")
    e.add_argument("folder", metavar="DIR")
    e.add_argument("--format", choices=("csv", "parquet"), default="csv")
    e.add_argument("--out", metavar="FOLDER", help="where to write them (default: DIR)")
    e.set_defaults(run=export_command)

    lst = commands.add_parser("list", help="built-in suites and registered components")
    lst.set_defaults(run=list_command)


def _no_action(args) -> int:
    args.bench_parser.print_help()
    return 0


def _check_folder(path: str) -> None:
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--out {path!r} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.access(parent, os.W_OK):
        raise UsageError(f"--out {path!r}: {parent!r} is not writable")


def _table(headers, rows) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def run_command(args) -> int:
    from ..bench import load_suite, make_executor, run_suite

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers} is not allowed; use an integer >= 1")
    suite = load_suite(args.suite)
    out = args.out or os.path.join("lrsched-results", suite.name)
    _check_folder(out)
    make_executor(args.executor, workers=args.workers, address=args.address)  # checks options
    if args.dry_run:
        for trial in suite.trials:
            print(f"{trial.trial_id}  {trial.describe()}  {trial.schedule}")
        print(f"{len(suite.trials)} trials in suite {suite.name!r}; results would go to {out}")
        return 0
    print(f"suite {suite.name!r}: {len(suite.trials)} trials -> {out} "
          f"({args.executor}{'' if args.workers is None else f', {args.workers} workers'})")
    summary = run_suite(suite, out, executor=args.executor, workers=args.workers,
                        address=args.address)
    c = summary.counts
    print(f"ran {summary.ran} trials in {summary.seconds:.1f} s (done {c['done']}, diverged "
          f"{c['diverged']}, failed {c['failed']}); {summary.skipped} already stored",
          file=sys.stderr)
    if args.no_report:
        return 0
    return _report(out)


def _report(folder: str) -> int:
    from ..bench import Analysis, write_report
    from ..bench.report import score_table

    analysis = Analysis(folder)
    path = write_report(folder, analysis)
    print(_table(*score_table(analysis)))
    print(f"report: {path}")
    print(f"        {os.path.join(folder, 'report.md')}")
    return 0


def report_command(args) -> int:
    from ..bench import Store

    if not os.path.isfile(os.path.join(args.folder, Store.FILENAME)):
        raise UsageError(f"{args.folder}: no {Store.FILENAME} here; run `lrsched bench run` first")
    return _report(args.folder)


def export_command(args) -> int:
    from ..bench import export

    for path in export(args.folder, args.format, args.out):
        print(path)
    return 0


def list_command(args) -> int:
    from ..bench import builtin_suites
    from ..spec import describe, registry

    sections = [("suites", builtin_suites())]
    for kind, title in (("problem", "problems"), ("dataset", "datasets"),
                        ("optimizer", "optimizers"), ("schedule", "schedules"),
                        ("policy", "policies")):
        sections.append((title, {name: describe(cls) for name, cls in registry(kind).items()}))
    for title, entries in sections:
        print(f"{title}:")
        if not entries:
            print("  (none registered)")
        width = max((len(n) for n in entries), default=0)
        for name, text in entries.items():
            print(f"  {name:<{width}}  {text}".rstrip())
        print()
    return 0
