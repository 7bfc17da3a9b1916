"""The ``lrsched`` command line.

One module per subcommand under :mod:`lrsched.cli`; each defines
``add_parser(subparsers)`` and ``run(args) -> int``.  Every user mistake (a bad
spec, file or value) prints one line on stderr and exits with status 2, before
anything is written.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .._version import __version__

__all__ = ["main", "UsageError"]

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ("train", "lr", "find_lr", "telemetry", "plot", "bench", "papers")


class UsageError(Exception):
    """A mistake in the user's input: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2, like every other usage error
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lrsched", description="Learning-rate schedules, policies and benchmarks.")
    parser.add_argument("--version", action="version", version=f"lrsched {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"lrsched.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"lrsched.cli.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except UsageError as exc:
        print(f"lrsched {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # SpecError and constructor checks are ValueErrors with one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"lrsched {args.command}: error: {first}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        what = f"no such file: {exc.filename}" if exc.filename else str(exc).splitlines()[0]
        print(f"lrsched {args.command}: error: {what}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `lrsched ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
