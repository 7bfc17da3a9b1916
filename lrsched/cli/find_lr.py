"""``lrsched find-lr``: the LR range test from specs; prints the suggestion (and the curve)."""

from __future__ import annotations

from . import UsageError

HELP = "LR range test: sweep the learning rate exponentially and suggest one"


def add_parser(sub) -> None:
    p = sub.add_parser("find-lr", help=HELP, description=HELP)
    p.add_argument("--problem", required=True, metavar="SPEC",
                   help="e.g. \"logistic(dataset='breast_cancer')\"")
    p.add_argument("--optimizer", default="sgd()", metavar="SPEC",
                   help="e.g. 'sgd(momentum=0.9)' (default sgd())")
    p.add_argument("--start", type=float, default=1e-7, help="first rate (default 1e-7)")
    p.add_argument("--end", type=float, default=10.0, help="last rate (default 10)")
    p.add_argument("--steps", type=int, default=100, help="steps of the sweep (default 100)")
    p.add_argument("--smooth", type=float, default=0.98,
                   help="beta of the bias-corrected loss average (default 0.98; 0 = raw)")
    p.add_argument("--diverge", type=float, default=4.0,
                   help="stop when the smoothed loss exceeds this multiple of its minimum")
    p.add_argument("--batch-size", type=int, default=None, metavar="B", help="default: full batch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--plot", metavar="FILE", help="write the loss-vs-rate figure (PNG, SVG, PDF)")
    p.add_argument("--csv", action="store_true", help="print the curve as lr,loss,smoothed CSV")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..policies.find_lr import find_lr
    from ..spec import parse

    problem = parse(args.problem, "problem")
    optimizer = parse(args.optimizer, "optimizer")
    if args.batch_size is not None and args.batch_size <= 0:
        raise UsageError(f"--batch-size {args.batch_size} must be a positive integer")
    if args.steps < 2:
        raise UsageError(f"--steps {args.steps} must be at least 2")
    if not (0 < args.start < args.end):
        raise UsageError(f"--start {args.start:g} and --end {args.end:g} need 0 < start < end")
    if args.plot:
        from ..plots.schedule import check_output

        try:
            check_output(args.plot)
        except ImportError:
            raise UsageError("--plot needs matplotlib (pip install matplotlib)") from None
    import numpy as np

    dtype = np.float32 if args.dtype == "float32" else np.float64
    result = find_lr(problem, optimizer, start=args.start, end=args.end, steps=args.steps,
                     smooth=args.smooth, diverge=args.diverge, batch_size=args.batch_size,
                     seed=args.seed, dtype=dtype)
    if args.csv:
        print(result.to_csv())
    status = "diverged, stopped early" if result.diverged else "did not diverge"
    print(f"swept {len(result.lrs)} rates from {result.lrs[0]:.3g} to {result.lrs[-1]:.3g} ({status})")
    print(f"suggested lr (steepest descent): {_fmt(result.steepest)}")
    print(f"minimum / 10:                    {_fmt(result.minimum)}")
    if args.plot:
        result.plot(out=args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"
