"""Shared pieces of the ``papers/<study>/reproduce.py`` scripts.

Every study folder holds a ``README.md`` whose claims are machine-readable
lines::

    - CLAIM <id>: <text> — expected: PASS
    - CLAIM <id>: <text> — expected: FAIL; quick: PASS

``expected`` is the outcome recorded from the full run; ``quick`` (optional)
the outcome of ``--quick`` where it differs, with the reason in the README.
A script checks each claim with :meth:`Claims.check`, which prints one line
``CLAIM <id>: <text> PASS|FAIL <measured figure>``; :meth:`Claims.finish`
returns 1 when any outcome differs from the README (or a claim was not
checked), 0 otherwise.

Importing this module limits BLAS/OpenMP to one thread (unless the variables
are already set): the problems here are small, and threaded BLAS on a few
shared cores only contends (a digits MLP step was ~4x slower with it).  It
must therefore be imported before NumPy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_name, "1")

PAPERS = os.path.dirname(os.path.abspath(__file__))
if os.path.dirname(PAPERS) not in sys.path:  # run from a source checkout without installing
    sys.path.insert(0, os.path.dirname(PAPERS))

import numpy as np  # noqa: E402

__all__ = ["PAPERS", "Claims", "read_claims", "arguments", "run_suite", "trials_frame",
           "curves_of", "median_over_seeds", "figure", "save_figure", "done"]

_CLAIM = re.compile(r"^\s*[-*]\s+CLAIM\s+(?P<id>[A-Za-z0-9_.-]+):\s*(?P<text>.*?)\s+(?:—|--)\s+"
                    r"expected:\s*(?P<expected>PASS|FAIL)"
                    r"(?:\s*;\s*quick:\s*(?P<quick>PASS|FAIL))?\s*$")


def read_claims(readme: str) -> dict[str, dict]:
    """``{id: {"text", "expected", "quick"}}`` from the CLAIM lines of a README."""
    out: dict[str, dict] = {}
    with open(readme, encoding="utf-8") as handle:
        for line in handle:
            match = _CLAIM.match(line)
            if match:
                out[match["id"]] = {"text": match["text"], "expected": match["expected"],
                                    "quick": match["quick"] or match["expected"]}
    if not out:
        raise SystemExit(f"{readme}: no '- CLAIM <id>: <text> — expected: PASS|FAIL' lines")
    return out


class Claims:
    """Check claims against the outcomes recorded in the study's README."""

    def __init__(self, folder: str, quick: bool):
        self.recorded = read_claims(os.path.join(folder, "README.md"))
        self.quick = quick
        self.outcomes: dict[str, str] = {}

    def check(self, claim_id: str, passed: bool, measured: str) -> bool:
        if claim_id not in self.recorded:
            raise KeyError(f"claim {claim_id!r} is not in the README")
        outcome = "PASS" if passed else "FAIL"
        self.outcomes[claim_id] = outcome
        print(f"CLAIM {claim_id}: {self.recorded[claim_id]['text']} {outcome} {measured}",
              flush=True)
        return passed

    def finish(self) -> int:
        key = "quick" if self.quick else "expected"
        status = 0
        for claim_id, record in self.recorded.items():
            got = self.outcomes.get(claim_id)
            if got is None:
                print(f"claim {claim_id} was not checked", file=sys.stderr)
                status = 1
            elif got != record[key]:
                print(f"claim {claim_id}: {got}, but the README records {record[key]}"
                      f"{' for --quick' if self.quick else ''}", file=sys.stderr)
                status = 1
        if status == 0:
            print(f"all {len(self.recorded)} claims as recorded in the README")
        return status


def arguments(description: str, folder: str) -> argparse.Namespace:
    """``--quick``, ``--out DIR`` (default ``<study>/results``, git-ignored) and ``--workers``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="small grids and fewer seeds (under a minute on 2 cores)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="results folder (default: results/ next to this script)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="trials at once (1: in this process; more: the process executor)")
    args = parser.parse_args()
    if args.out is None:
        args.out = os.path.join(folder, "results", "quick" if args.quick else "full")
    os.makedirs(args.out, exist_ok=True)
    args.started = time.monotonic()
    args.folder = folder
    return args


def run_suite(path: str, out: str, workers: int = 1):
    """Run a suite file through the harness into ``out`` (resumes; no progress bar)."""
    from lrsched import bench

    suite = bench.load_suite(path)
    executor = "serial" if workers <= 1 else "process"
    summary = bench.run_suite(suite, out, executor=executor, workers=workers, display=False)
    print(f"suite {suite.name}: {len(suite.trials)} trials ({summary.ran} run, "
          f"{summary.skipped} already in {out}) in {summary.seconds:.1f} s", flush=True)
    return suite


def run_study_suite(args):
    """Run the study's ``suite.toml`` (``suite-quick.toml`` with ``--quick``) into
    ``args.out``; returns the suite and its trials as :func:`trials_frame` gives them."""
    name = "suite-quick.toml" if args.quick else "suite.toml"
    suite = run_suite(os.path.join(args.folder, name), args.out, args.workers)
    return suite, trials_frame(args.out, suite)


def trials_frame(out: str, suite=None):
    """The stored trials of ``out`` (only those of ``suite`` when given) as a DataFrame,
    with ``final`` = the final loss, or ``nan`` for a diverged or failed trial."""
    from lrsched import bench

    trials, _ = bench.load(out)
    if suite is not None:
        trials = trials[trials["trial_id"].isin({t.trial_id for t in suite.trials})]
    trials = trials.copy()
    trials["final"] = np.where(trials["status"] == "done", trials["final_loss"], np.nan)
    return trials


def curves_of(out: str, trial_ids) -> dict[str, dict[str, np.ndarray]]:
    """Recorded curves of some trials (``{trial_id: {column: array}}``)."""
    from lrsched.bench import Store

    with Store(out, create=False) as store:
        return {tid: store.curve(tid) for tid in trial_ids}


def median_over_seeds(values) -> float:
    """Median over seeds; ``nan`` (a diverged seed) counts as worse than any number."""
    values = np.asarray(values, dtype=float)
    return float(np.median(np.where(np.isnan(values), np.inf, values)))


def figure(width: float, height: float):
    """A matplotlib Figure rendered with Agg (no pyplot, no global backend)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig, args, name: str) -> str:
    """Write ``name`` into ``args.out``; a full run also refreshes the committed copy in the
    study folder.  Warns when the PNG exceeds 200 KB."""
    path = os.path.join(args.out, name)
    fig.savefig(path, dpi=80)
    size = os.path.getsize(path)
    if size > 200_000:
        print(f"warning: {path} is {size / 1e3:.0f} KB (> 200 KB)", file=sys.stderr)
    if not args.quick and os.path.abspath(args.out) != os.path.abspath(args.folder):
        shutil.copyfile(path, os.path.join(args.folder, name))
    print(f"figure: {path}", flush=True)
    return path


def done(args, claims: Claims) -> int:
    """Print the run time and return the exit status of the claims."""
    print(f"{'quick' if args.quick else 'full'} run: {time.monotonic() - args.started:.1f} s")
    return claims.finish()
