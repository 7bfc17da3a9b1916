"""``lrsched bench report DIR``: ``DIR/report.md`` and a self-contained ``DIR/report.html``.

The report is built once as a list of blocks (headings, paragraphs, tables,
figures) and written twice: Markdown with the PNG figures beside it in
``DIR``, and HTML with the same PNGs embedded as base64, so the HTML file can
be mailed or attached on its own.  Without matplotlib the tables are
written and the report says how to get the figures.

Contents: the suite and its provenance; the AlgoPerf score per method (for
steps, seconds and, where measured, joules); the winner per workload; costs
to each relative target (median and bootstrap 95 % CI over seeds); the
learning-rate grid of tuned methods; figures (loss against steps and seconds,
learning rate, resources, performance profiles, runtime ECDF, time–loss–energy
Pareto view); and every diverged or failed trial with its reason.
"""

from __future__ import annotations

import base64
import html
import math
import os

import numpy as np

from . import metrics
from .analysis import Analysis

__all__ = ["write_report", "score_table"]

FIGURES = (("loss_step.png", "loss", {"x": "step"}, "Loss against steps"),
           ("loss_seconds.png", "loss", {"x": "seconds"}, "Loss against training seconds"),
           ("lr.png", "learning_rate", {}, "Learning rate against steps"),
           ("resources.png", "resources", {}, "Resources against training seconds"),
           ("profiles.png", "profiles", {}, "Performance profiles"),
           ("ecdf.png", "ecdf", {}, "Runtime ECDF"),
           ("pareto.png", "pareto", {}, "Time–loss–energy Pareto view"))


def _num(value, measure: str | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "miss"
    if measure == "steps":
        return f"{value:.0f}"
    return f"{value:.3g}"


def _ci(values, measure) -> str:
    median, low, high = metrics.median_ci(values)
    if not math.isfinite(median) or low == high:
        return _num(median, measure)
    return f"{_num(median, measure)} [{_num(low, measure)}, {_num(high, measure)}]"


def score_table(analysis: Analysis) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the score table, best steps score first."""
    scores = {m: analysis.scores(m) for m in analysis.measures}
    pairs = analysis.profile_costs("steps")
    headers = ["method", "ruleset", *[f"score ({m})" for m in analysis.measures],
               "pairs reached", "diverged (kept lr)", "failed (kept lr)"]
    rows = []
    for j, method in enumerate(analysis.methods):
        sels = [s for (w, m), s in analysis.selected.items() if m == method]
        counts = {"diverged": 0, "failed": 0}
        for s in sels:
            for k in counts:
                counts[k] += s.statuses[k]
        tuned = "external (tuned)" if any(s.tuned for s in sels) else "self (defaults)"
        rows.append([method, tuned, *[f"{scores[m][j]:.3f}" for m in analysis.measures],
                     f"{int(np.isfinite(pairs[:, j]).sum())}/{pairs.shape[0]}",
                     str(counts["diverged"]), str(counts["failed"])])
    rows.sort(key=lambda r: -float(r[2]))
    return headers, rows


def _blocks(analysis: Analysis, figures: list[tuple[str, str]]) -> list[tuple]:
    meta = analysis.meta
    statuses = {"done": 0, "diverged": 0, "failed": 0}
    for t in analysis.trials:
        statuses[t["status"]] += 1
    expected = len(meta.get("trial_ids", [])) or len(analysis.trials)
    missing = expected - len(analysis.trials)
    prov = analysis.trials[0]["provenance"]
    hosts = sorted({t["provenance"].get("host", {}).get("hostname", "?") for t in analysis.trials})
    versions = prov.get("versions", {})
    blocks: list[tuple] = [("h", 1, f"Benchmark report: {meta.get('name', 'suite')}")]
    if meta.get("description"):
        blocks.append(("p", meta["description"]))
    blocks.append(("p", (
        f"Suite `{meta.get('source', '?')}`: {expected} trials; stored {len(analysis.trials)} "
        f"(done {statuses['done']}, diverged {statuses['diverged']}, failed {statuses['failed']})"
        + (f"; {missing} not run yet (re-run the command to finish)" if missing > 0 else "")
        + f". Ruleset: {meta.get('ruleset', '?')}; relative targets "
        + ", ".join(f"{t:g}" for t in analysis.targets)
        + f"; learning rates selected by {analysis.select_by} to target "
        + f"{analysis.select_target:g}.")))
    blocks.append(("p", (
        f"lrsched {versions.get('lrsched', '?')}, numpy {versions.get('numpy', '?')}, Python "
        f"{prov.get('host', {}).get('python', '?')}; git {prov.get('driver', {}).get('git_commit')}"
        f"; executor {prov.get('driver', {}).get('executor', '?')}; hosts: {', '.join(hosts)}. "
        "Targets are f* + rel·(f0 − f*); f* is the problem's known minimum, or the best loss "
        "seen over all trials of the problem where none is known (marked *). A divergence or "
        "failure counts as a miss at full budget.")))
    for note in meta.get("notes", []):
        blocks.append(("p", note))

    headers, rows = score_table(analysis)
    blocks += [("h", 2, "Scores"), ("p", (
        "AlgoPerf score: area under the performance profile for 1 ≤ τ ≤ 4, divided by 3, over "
        "all (workload, target) pairs (1 = fastest everywhere, 0 = never within 4× the best).")),
        ("table", headers, rows)]

    blocks.append(("h", 2, "Winners"))
    blocks.append(("table", ["workload", "winner", f"median {analysis.select_by} to "
                             f"{analysis.select_target:g}"],
                   [[w + ("*" if wl.estimated else ""), m or "none reached it",
                     _num(c, analysis.select_by)]
                    for (w, m, c), wl in zip(analysis.winners(), analysis.workloads)]))

    blocks.append(("h", 2, "Time to target"))
    blocks.append(("p", "Median over seeds [bootstrap 95 % CI] at the selected learning rate."))
    head = ["workload", "method", "lr", *[f"steps to {t:g}" for t in analysis.targets],
            f"seconds to {analysis.select_target:g}", "final gap", "done/div/fail"]
    k = analysis.targets.index(analysis.select_target) if analysis.select_target in \
        analysis.targets else len(analysis.targets) - 1
    table = []
    for (w, method), sel in sorted(analysis.selected.items(),
                                   key=lambda kv: (kv[0][0], analysis.methods.index(kv[0][1]))):
        s = sel.statuses
        table.append([analysis.workloads[w].label, method, _num(sel.lr),
                      *[_ci(sel.costs["steps"][:, i], "steps")
                        for i in range(len(analysis.targets))],
                      _ci(sel.costs["seconds"][:, k], "seconds") if "seconds" in sel.costs else "–",
                      _num(float(np.median(sel.final_gap))),
                      f"{s['done']}/{s['diverged']}/{s['failed']}"])
    blocks.append(("table", head, table))

    tuned = [(w, m, s) for (w, m), s in analysis.selected.items() if len(s.grid) > 1]
    if tuned:
        blocks.append(("h", 2, "Learning-rate grid (external tuning)"))
        blocks.append(("p", f"Median {analysis.select_by} to {analysis.select_target:g} per "
                            "learning rate; the selected one is in bold."))
        rows = []
        for w, method, sel in tuned:
            cells = []
            for lr, cost, _ in sel.grid:
                text = f"{_num(lr)}: {_num(cost, analysis.select_by)}"
                cells.append(f"**{text}**" if lr == sel.lr else text)
            rows.append([analysis.workloads[w].label, method, ", ".join(cells)])
        blocks.append(("table", ["workload", "method", "lr: cost"], rows))

    blocks.append(("h", 2, "Figures"))
    for name, caption in figures:
        blocks.append(("figure", name, caption))

    bad = [t for t in analysis.trials if t["status"] != "done"]
    if bad:
        blocks.append(("h", 2, "Diverged and failed trials"))
        rows = [[t["trial_id"], t["status"], t["problem_label"] or t["problem"],
                 analysis.method_of(t), _num(t["lr"]), str(t["seed"]), t["reason"] or ""]
                for t in bad[:100]]
        blocks.append(("table", ["trial", "status", "problem", "method", "lr", "seed", "reason"],
                       rows))
        if len(bad) > 100:
            blocks.append(("p", f"… and {len(bad) - 100} more (see the trials table)."))
    return blocks


def _draw(analysis: Analysis, folder: str) -> tuple[list[tuple[str, str]], str | None]:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return [], "Figures need matplotlib: pip install 'lrsched[plots]'."
    from ..plots import bench_curves, bench_scores

    out = []
    for filename, function, kwargs, caption in FIGURES:
        module = bench_curves if hasattr(bench_curves, function) else bench_scores
        getattr(module, function)(analysis, out=os.path.join(folder, filename), **kwargs)
        out.append((filename, caption))
    return out, None


def _markdown(blocks) -> str:
    lines = []
    for block in blocks:
        if block[0] == "h":
            lines += ["#" * block[1] + " " + block[2], ""]
        elif block[0] == "p":
            lines += [block[1], ""]
        elif block[0] == "table":
            headers, rows = block[1], block[2]
            lines.append("| " + " | ".join(headers) + " |")
            lines.append("|" + "|".join("---" for _ in headers) + "|")
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
            lines.append("")
        elif block[0] == "figure":
            lines += [f"![{block[2]}]({block[1]})", "", f"*{block[2]}*", ""]
    return "\n".join(lines)


def _inline(text: str) -> str:
    """Markdown's `code` and **bold** in HTML, everything else escaped."""
    out, code = [], False
    for i, part in enumerate(html.escape(text).split("`")):
        if i:
            code = not code
        if code:
            out.append(f"<code>{part}</code>")
        else:
            pieces = part.split("**")
            out.append("".join(f"<b>{p}</b>" if j % 2 else p for j, p in enumerate(pieces)))
    return "".join(out)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
        "color:#222}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}"
        "img{max-width:100%}figure{margin:1.5em 0}figcaption{color:#555;font-style:italic}"
        "code{background:#f3f3f3;padding:0 3px}")


def _html(blocks, folder: str) -> str:
    title = next((b[2] for b in blocks if b[0] == "h"), "Benchmark report")
    body = []
    for block in blocks:
        if block[0] == "h":
            body.append(f"<h{block[1]}>{_inline(block[2])}</h{block[1]}>")
        elif block[0] == "p":
            body.append(f"<p>{_inline(block[1])}</p>")
        elif block[0] == "table":
            head = "".join(f"<th>{_inline(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>"
                           for r in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif block[0] == "figure":
            with open(os.path.join(folder, block[1]), "rb") as handle:
                data = base64.b64encode(handle.read()).decode("ascii")
            body.append(f'<figure><img alt="{html.escape(block[2])}" '
                        f'src="data:image/png;base64,{data}"><figcaption>'
                        f"{html.escape(block[2])}</figcaption></figure>")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_report(folder: str, analysis: Analysis | None = None) -> str:
    """Write ``folder/report.md``, ``folder/report.html`` and the figures ``folder/*.png``.

    Returns
    -------
    str
        The path of ``report.html``.
    """
    analysis = analysis or Analysis(folder)
    figures, note = _draw(analysis, folder)
    blocks = _blocks(analysis, figures)
    if note:
        blocks.append(("p", note))
    with open(os.path.join(folder, "report.md"), "w", encoding="utf-8") as handle:
        handle.write(_markdown(blocks))
    path = os.path.join(folder, "report.html")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(_html(blocks, folder))
    return path
