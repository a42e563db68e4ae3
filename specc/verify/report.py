"""What verification found: per-level results, the first divergence, a table and JSON."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Divergence:
    """The first place two implementations disagree, and how to replay exactly that case."""

    left: str  # e.g. "specc-jax"
    right: str  # e.g. "specc-python" or "pgx:tic_tac_toe"
    episode: int
    step: int  # 0 = right after init
    field: str
    left_value: Any
    right_value: Any
    seed: int
    actions: list[int]
    replay: str = ""
    note: str = ""  # e.g. that floats within tolerance decided a branch differently

    def describe(self) -> str:
        note = f"  ({self.note})\n" if self.note else ""
        return (
            f"episode {self.episode}, step {self.step}: {self.field} differs\n"
            f"  {self.left}: {_short(self.left_value)}\n  {self.right}: {_short(self.right_value)}\n"
            f"{note}  replay: {self.replay}"
        )


@dataclass
class LevelResult:
    level: int
    name: str
    checks: int = 0
    passed: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    divergence: Divergence | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def record(self, ok: bool, failure: str = "") -> None:
        self.checks += 1
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            if failure and len(self.failures) < 20:
                self.failures.append(failure)


@dataclass
class Report:
    spec: str
    levels: list[LevelResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(level.failed == 0 for level in self.levels)

    def to_json(self) -> str:
        return json.dumps(_jsonable(asdict(self)) | {"ok": self.ok}, indent=2, sort_keys=True)

    def write(self, path: str | Path) -> None:
        """Atomically write the JSON report."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(self.to_json() + "\n")
        os.replace(tmp, path)

    def print(self, console=None) -> None:
        from rich.console import Console
        from rich.markup import escape  # "[rule]" citations and "[True, False]" values are not markup
        from rich.table import Table

        console = console or Console(width=100)
        table = Table(title=f"specc verify {self.spec}")
        for col in ("level", "checks", "passed", "failed", "time"):
            table.add_column(col, justify="right" if col != "level" else "left")
        for lv in self.levels:
            status = "[green]" if lv.failed == 0 else "[red]"
            table.add_row(
                f"{lv.level} {lv.name}", str(lv.checks), str(lv.passed), f"{status}{lv.failed}", f"{lv.seconds:.1f}s"
            )
        console.print(table)
        for lv in self.levels:
            names = ", ".join(lv.details.get("backends", ()))
            if lv.level == 3 and "episodes" in lv.details and names:
                console.print(f"level 3 {lv.name}: {names} in lock-step, {lv.details['episodes']} episodes, "
                              f"{lv.details['steps']} steps")  # fmt: skip
                for side, gaps in lv.details.get("float_gaps", {}).items():
                    worst = max(gaps.items(), key=lambda kv: kv[1], default=("", 0.0))
                    gap = f"at most {worst[1]:.3g} ({worst[0]})" if worst[1] else "none: the same bits"
                    console.print(f"level 3 {lv.name}: float gap of {side} from {lv.details['backends'][0]} "
                                  f"in one step: {gap}")  # fmt: skip
            elif names:
                console.print(f"level {lv.level} {lv.name}: on {names}")
            for w in lv.warnings:
                console.print(f"[yellow]warning[/yellow] (level {lv.level}): {escape(w)}", soft_wrap=True)
            for f in lv.failures[:5]:
                console.print(f"[red]failed[/red] (level {lv.level}): {escape(f)}", soft_wrap=True)
            if lv.divergence is not None:
                text = f"[red]first divergence[/red] (level {lv.level}): {escape(lv.divergence.describe())}"
                console.print(text, soft_wrap=True)  # unwrapped: the replay command stays one line to paste
        console.print("[green]all checks passed[/green]" if self.ok else "[red]verification failed[/red]")


def _short(value: Any) -> str:
    text = np.array2string(np.asarray(value), threshold=60) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) < 400 else text[:400] + " ..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
