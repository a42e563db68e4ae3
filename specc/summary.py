"""The main job's closing summary: `python -m specc.summary STEPS_FILE [REPORT ...]`.

STEPS_FILE has one line per step the job ran, `name<TAB>status<TAB>seconds` (scripts/main.sh
writes it); each REPORT is a JSON report of `specc verify` or `specc bench --report`. The
summary says which steps passed, what verify checked, the headline speeds (each bench's
largest batch) and where the reports and plots are.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from .progress import clock_text
from .results import WIDTH, rate


def read_steps(path: Path) -> list[tuple[str, str, float]]:
    """(name, status, seconds) of each step, in order."""
    steps = []
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            steps.append((parts[0], parts[1], float(parts[2])))
    return steps


def verify_line(report: dict) -> str:
    levels = ", ".join(f"L{lv['level']} {lv['passed']}/{lv['checks']}" for lv in report["levels"])
    verdict = "all checks passed" if report["ok"] else "FAILED"
    return f"verify {report['spec']}: {verdict} ({levels})"


def bench_line(report: dict) -> str:
    """The largest batch's speed and ratios, e.g. `bench cartpole: 28.56M/s at batch 1024 on
    2 dev; vs gymnax:CartPole-v1 1.05x; vs Python 1156x`."""
    row = max(report["rows"], key=lambda r: r["batch"])
    text = f"bench {report['env']}: {rate(row.get('jax_steps_per_s'))}/s at batch {row['batch']}"
    text += f" on {report.get('devices', 1)} dev"
    if row.get("peer"):
        text += f"; vs {row['peer']} {row['vs_peer']:.2f}x"
    if row.get("python_steps_per_s"):
        text += f"; vs Python {row['vs_python']:.0f}x"
    if row.get("c_all_steps_per_s"):
        text += f"; C {rate(row['c_all_steps_per_s'])}/s on {row['c_threads']} cores"
    return text


def summary(steps: list[tuple[str, str, float]], reports: list[Path], plots: list[Path] = ()) -> str:
    """The summary as text (a few lines, under 100 columns each)."""
    total = sum(s for _, _, s in steps)
    failed = [name for name, status, _ in steps if status != "ok"]
    head = "all passed" if not failed else f"FAILED: {', '.join(failed)}"
    lines = [f"== summary: {len(steps)} steps in {clock_text(total)}, {head}"]
    for i, (name, status, seconds) in enumerate(steps, 1):
        mark = "ok    " if status == "ok" else "FAILED"
        lines.append(f"  [{i}/{len(steps)}] {mark} {clock_text(seconds):>7}  {name}")
    for path in reports:
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        lines.append("  " + (bench_line(data) if "rows" in data else verify_line(data)))
    written = [str(p) for p in [*reports, *plots] if p.is_file()]
    if written:
        lines.append(textwrap.fill(f"reports and plots: {', '.join(written)}", WIDTH, initial_indent="  ",
                                   subsequent_indent="    ", break_on_hyphens=False))  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m specc.summary STEPS_FILE [REPORT.json | PLOT.png ...]", file=sys.stderr)
        return 2
    files = [Path(a) for a in args[1:]]
    reports = [p for p in files if p.suffix == ".json"]
    plots = [p for p in files if p.suffix == ".png"]
    print(summary(read_steps(Path(args[0])), reports, plots))
    return 0


if __name__ == "__main__":
    sys.exit(main())
