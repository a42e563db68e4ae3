"""specc as the agent's judge: check, compile and verify a candidate spec in hidden files.

A candidate is written next to its target (so relative table paths resolve) under a
hidden name, compiled into a temporary folder, verified there, and removed; the target
and generated/ are never touched. Failures come back as short lines that name the
target's file, line and column, ready to feed back to the agent.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError
from ..kernels import KernelBody, UnfilledKernel, cache_path, write_cache
from ..loader import load
from ..schema import Spec


@dataclass
class Verdict:
    """What specc made of a candidate: how far it got, and what failed."""

    checked: bool = False
    compiled: bool = False
    verified: bool = False
    passed: int = 0  # verify checks passed (to rank candidates that all fail)
    failures: list[str] = field(default_factory=list)
    summary: str = ""
    unfilled: bool = False  # the check stopped at a kernel with no body yet

    @property
    def stage(self) -> str:
        if self.verified:
            return "verified"
        if self.compiled:
            return "verify failed"
        if self.checked:
            return "compile failed"
        return "check failed"


@contextmanager
def candidate_file(target: Path, text: str, bodies: dict[str, KernelBody] | None = None) -> Iterator[Path]:
    """The candidate's text (and kernel cache) as hidden files beside `target`, removed after."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.candidate-", suffix=".yaml")
    path = Path(name)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    try:
        if bodies:
            try:
                write_cache(load_spec(path).kernels, path, bodies)
            except SpecError:
                pass  # not a valid spec: checking it will say why
        yield path
    finally:
        for p in (path, cache_path(path)):
            if p.exists():
                p.unlink()


def load_spec(path: Path) -> Spec:
    from ..schema import validate
    from ..source import load_yaml

    data, source = load_yaml(path)
    return validate(data, source)


def relabel(message: str, candidate: Path, label: str) -> str:
    """Errors name the hidden candidate file; the agent and people know it as `label`."""
    forms = {str(candidate), candidate.as_posix(), os.path.relpath(candidate), candidate.name}
    for form in sorted(forms, key=len, reverse=True):  # the longest first: the name is inside the path
        message = message.replace(form, label)
    return message


def check(candidate: Path, label: str) -> Verdict:
    try:
        load(candidate)
    except SpecError as err:
        message = relabel(" ".join(str(err).split()), candidate, label)
        return Verdict(failures=[message], summary="check failed", unfilled=isinstance(err, UnfilledKernel))
    return Verdict(checked=True, summary="checks")


def compile_and_verify(candidate: Path, label: str, levels: list[int], episodes: int, examples: int) -> Verdict:
    """Compile into a temporary folder and run `levels` there with small counts."""
    from rich.console import Console

    from ..compiler import compile_spec, write
    from ..verify import verify

    verdict = check(candidate, label)
    if not verdict.checked:
        return verdict
    out = Path(tempfile.mkdtemp(prefix="specc-agent-"))
    try:
        try:
            write(compile_spec(candidate), out)
        except Exception as err:  # a backend's fault, reported to the agent all the same
            verdict.failures = [relabel(f"compiling failed: {type(err).__name__}: {err}", candidate, label)]
            verdict.summary = "compile failed"
            return verdict
        verdict.compiled = True
        try:
            report = verify(str(candidate), levels, episodes=episodes, examples=examples, generated=out,
                            console=Console(file=io.StringIO(), width=140))  # fmt: skip
        except Exception as err:
            verdict.failures = [relabel(f"verify crashed: {type(err).__name__}: {err}", candidate, label)]
            verdict.summary = "verify crashed"
            return verdict
        verdict.verified = report.ok
        verdict.passed = sum(lv.passed for lv in report.levels)
        verdict.summary = "; ".join(f"level {lv.level} {lv.name} {lv.passed}/{lv.checks}" for lv in report.levels)
        gen = f" --generated {out}"  # a replay command naming a folder that is gone is no help
        verdict.failures = [relabel(f.replace(gen, ""), candidate, label) for f in report_failures(report)]
        return verdict
    finally:
        shutil.rmtree(out, ignore_errors=True)


def report_failures(report, per_level: int = 8) -> list[str]:
    """Each failed level's failures (the first few) and its first divergence."""
    lines = []
    for lv in report.levels:
        if lv.failed == 0:
            continue
        lines.append(f"level {lv.level} ({lv.name}): {lv.failed} of {lv.checks} checks failed")
        lines += [f"level {lv.level}: {' '.join(f.split())}" for f in lv.failures[:per_level]]
        if lv.divergence is not None:
            lines.append(f"level {lv.level} first divergence: {' | '.join(lv.divergence.describe().splitlines())}")
    return lines
