"""``lrsched train``: one run from specs, with a summary table (and optional plot and log)."""

from __future__ import annotations

import json

from . import UsageError

HELP = "train one problem with one optimizer and schedule or policy"


def add_parser(sub) -> None:
    p = sub.add_parser("train", help=HELP, description=HELP)
    p.add_argument("--problem", required=True, metavar="SPEC",
                   help="e.g. \"logistic(dataset='breast_cancer')\"")
    p.add_argument("--optimizer", default="sgd()", metavar="SPEC", help="e.g. 'adam()' (default sgd())")
    p.add_argument("--schedule", required=True, metavar="SPEC",
                   help="a schedule or policy, e.g. 'cosine(peak=0.5, horizon=1000)'")
    p.add_argument("--budget", required=True, metavar="LIMITS",
                   help="steps=N, epochs=E, seconds=S, joules=J or samples=N, comma-separated")
    p.add_argument("--batch-size", type=int, default=None, metavar="B", help="default: full batch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=None, metavar="N")
    p.add_argument("--target", type=float, default=None, help="loss value to time")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--no-telemetry", action="store_true", help="do not run the resource monitor")
    p.add_argument("--estimate-watts-per-core", type=float, default=None, metavar="W",
                   help="estimate energy from CPU time when no energy counter exists")
    p.add_argument("--plot", metavar="FILE", help="write a PNG of the run")
    p.add_argument("--log", metavar="FILE.jsonl",
                   help="write a JSON Lines run log (header, rows, alerts, summary); "
                        "read it with `lrsched plot` or lrsched.runs.load; .csv writes CSV")
    p.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                   help="live view of progress and consumption: auto (in a terminal only), "
                        "on (plain lines when not a terminal), off")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    from .. import Budget, parse, train

    problem = parse(args.problem, "problem")
    optimizer = parse(args.optimizer, "optimizer")
    schedule = parse(args.schedule)
    if getattr(schedule, "spec_kind", None) not in ("schedule", "policy"):
        raise UsageError(f"--schedule {args.schedule!r} is a {schedule.spec_kind}, "
                         "not a schedule or policy")
    budget = Budget.parse(args.budget)
    if args.batch_size is not None and args.batch_size <= 0:
        raise UsageError(f"--batch-size {args.batch_size} must be a positive integer")
    if args.eval_every is not None and args.eval_every <= 0:
        raise UsageError(f"--eval-every {args.eval_every} must be a positive integer")
    if args.estimate_watts_per_core is not None and not args.estimate_watts_per_core > 0:
        raise UsageError("--estimate-watts-per-core must be a number > 0")
    if args.plot:
        from ..plots.schedule import check_output

        check_output(args.plot, "--plot")
    if args.log:
        from ..runs import check_path

        check_path(args.log, "--log")

    monitor = "auto"
    if args.no_telemetry:
        monitor = None
    elif args.estimate_watts_per_core is not None:
        from ..telemetry import Monitor

        monitor = Monitor(estimate_watts_per_core=args.estimate_watts_per_core)
    result = train(problem, optimizer, schedule, budget=budget, batch_size=args.batch_size,
                   seed=args.seed, eval_every=args.eval_every, target=args.target,
                   dtype=args.dtype, monitor=monitor, log=args.log,
                   progress={"auto": "auto", "on": True, "off": False}[args.progress])
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(format_summary(result))
    if args.plot:
        from ..plots.run import run as plot_run

        plot_run(result, out=args.plot)
        print(f"plot written to {args.plot}")
    if args.log:
        print(f"run log written to {args.log}")
    return 0


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_summary(result) -> str:
    """A short two-column table of a run's specs and summary."""
    s, spec = result.summary, result.spec
    rows = [
        ("problem", spec.get("problem")),
        ("optimizer", spec.get("optimizer")),
        ("schedule", spec.get("schedule")),
        ("budget", spec.get("budget")),
        ("status", s["status"] + (f" ({s['reason']})" if s.get("reason") else "")),
        ("steps", s["steps"]),
        ("epochs", s["epochs"] if s.get("samples") else None),
        ("seconds", s["seconds"]),
        ("initial loss", s["initial_loss"]),
        ("final loss", s["final_loss"]),
        ("best loss", s["best_loss"]),
        ("f*", s.get("f_star")),
        ("gap to f*", s.get("gap")),
        ("final lr", s.get("final_lr")),
        ("joules", None if s.get("joules") is None else f"{s['joules']:.4g} ({s['joules_quality']})"),
        ("peak RSS MiB", None if s.get("peak_rss_bytes") is None else s["peak_rss_bytes"] / 2**20),
    ]
    if s.get("target") is not None:
        rows.append(("steps to target", s.get("steps_to_target")))
        rows.append(("seconds to target", s.get("seconds_to_target")))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {_fmt(v)}" for k, v in rows)
