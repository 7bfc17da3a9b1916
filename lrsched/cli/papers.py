"""``lrsched papers``: list and run the reproductions in ``papers/`` of a source checkout.

``lrsched papers list`` shows each study (a folder of ``papers/`` with a
``reproduce.py``), the paper it reproduces and its claims with the outcomes
recorded in its README.  ``lrsched papers run NAME [--quick] [--out DIR]
[--workers N]`` runs ``papers/NAME/reproduce.py`` with the same Python and
returns its exit status: 0 when every claim came out as the README records.

``papers/`` is not installed with the package: it is found next to the
``lrsched`` package's source tree, or else in the current directory.  Outside
a source checkout, or for an unknown name, one line on stderr and exit status 2.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from . import UsageError

HELP = "list and run the paper reproductions of a source checkout"

#: The folder holding the ``lrsched`` package; ``papers/`` sits next to it in a source checkout.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_CLAIM = re.compile(r"^\s*[-*]\s+CLAIM\s+(?P<id>[A-Za-z0-9_.-]+):.*(?:—|--)\s+"
                    r"expected:\s*(?P<expected>PASS|FAIL)")


def add_parser(sub) -> None:
    p = sub.add_parser("papers", help=HELP, description=HELP)
    actions = p.add_subparsers(dest="papers_command", metavar="ACTION", parser_class=type(p))
    p.set_defaults(run=_no_action, papers_parser=p)

    lst = actions.add_parser("list", help="the studies in papers/ and their claims")
    lst.set_defaults(run=run)

    r = actions.add_parser("run", help="run papers/NAME/reproduce.py",
                           description="Run one reproduction; exit status 0 when every claim "
                                       "comes out as its README records.")
    r.add_argument("name", metavar="NAME", help="a study folder of papers/ (see `papers list`)")
    r.add_argument("--quick", action="store_true", help="the small grid (under a minute)")
    r.add_argument("--out", metavar="DIR", help="results folder (default: papers/NAME/results)")
    r.add_argument("--workers", type=int, metavar="N",
                   help="trials at once for the harness-based studies (default 1)")
    r.set_defaults(run=run)


def _no_action(args) -> int:
    args.papers_parser.print_help()
    return 0


def papers_folder(cwd: str | None = None) -> str:
    """The ``papers/`` folder of the source checkout holding lrsched, or of ``cwd``."""
    candidates = [os.path.join(PACKAGE_PARENT, "papers"),
                  os.path.join(os.path.abspath(cwd or os.getcwd()), "papers")]
    for folder in candidates:
        if os.path.isdir(folder) and studies(folder):
            return folder
    raise UsageError("papers/ not found: run from a source checkout of lrsched "
                     f"(looked in {candidates[0]} and {candidates[1]})")


def studies(folder: str) -> list[str]:
    """Names of the study folders (those with a ``reproduce.py``), sorted."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(n for n in names if not n.startswith((".", "_"))
                  and os.path.isfile(os.path.join(folder, n, "reproduce.py")))


def describe(study: str) -> tuple[str, list[tuple[str, str]]]:
    """(the paper line of the README, [(claim id, recorded outcome)])."""
    title, claims = "", []
    readme = os.path.join(study, "README.md")
    if os.path.isfile(readme):
        with open(readme, encoding="utf-8") as handle:
            for line in handle:
                match = _CLAIM.match(line)
                if match:
                    claims.append((match["id"], match["expected"]))
                elif not title and line.startswith("**Paper"):
                    title = line.split(":", 1)[-1].strip(" *\n")
    return title, claims


def run(args) -> int:
    folder = papers_folder()
    names = studies(folder)
    if args.papers_command == "list":
        width = max(len(n) for n in names)
        for name in names:
            title, claims = describe(os.path.join(folder, name))
            print(f"{name:<{width}}  {title}".rstrip())
            for claim_id, expected in claims:
                print(f"{'':<{width}}    {expected}  {claim_id}")
        return 0
    if args.name not in names:
        raise UsageError(f"unknown study {args.name!r}; studies in {folder}: {', '.join(names)}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers} is not allowed; use an integer >= 1")
    command = [sys.executable, os.path.join(folder, args.name, "reproduce.py")]
    if args.quick:
        command.append("--quick")
    if args.out:
        command += ["--out", os.path.abspath(args.out)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    sys.stdout.flush()
    return subprocess.call(command)
