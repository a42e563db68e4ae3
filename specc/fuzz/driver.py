"""`specc fuzz`: generate, run, shrink, classify and save divergences, within a budget.

Hypothesis draws plans in chunks (one @given run of a few specs each, seeded from
--seed and the chunk number). A divergence stops the chunk; hypothesis shrinks the
plan (running only the backend that diverged, for at most --shrink-time seconds),
then the smallest failing plan is classified: the edge kinds whose guarding makes
the divergence disappear (frag.py). It is saved as a regression, its kind is added to
the avoided edges (so the run goes on to find other kinds), and fuzzing resumes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError
from .backends import BACKENDS, REFERENCE
from .cases import Case, dump_cases, make_cases
from .frag import EDGE_KINDS
from .run import Divergence, compile_text, run_cases
from .specgen import Plan, plans, render_spec

# edges reached by the cases rather than by the code (see cases.py)
CASE_LABELS = ("action:step", "observer:observe", "current-player:state", "subnormal:state")
# how often each JAX mode runs: every spec under jit(vmap), every 2nd one under jit, every
# 4th one eagerly (jax.disable_jit: op by op, the slowest). The reference runs on all.
DEFAULT_BACKENDS = {"jax-vmap": 1, "jax-jit": 2, "jax-eager": 4}


@dataclass
class Finding:
    kind: str  # an edge "kind:op", or "unclassified (...)"
    divergence: Divergence
    spec: str  # the shrunk spec
    table_csv: str
    case: Case
    path: Path | None = None  # the saved regression

    def summary(self) -> str:
        where = f" -> {self.path}" if self.path else ""
        return f"{self.kind}: {self.divergence.describe()[:300]}{where}"


@dataclass
class Report:
    programs: int = 0  # random inputs run (a start state and actions, each from one action under test)
    specs: int = 0
    actions: int = 0  # the specs' actions (the code under test), each run from `inputs` inputs per seed
    steps: int = 0
    seconds: float = 0.0
    invalid: list[str] = field(default_factory=list)  # generator faults: specs the checker rejected
    findings: list[Finding] = field(default_factory=list)
    allowed: tuple[str, ...] = ()

    def rate(self) -> float:
        return self.programs / self.seconds if self.seconds else 0.0

    def text(self) -> str:
        specs_s = self.specs / self.seconds if self.seconds else 0.0
        lines = [
            f"specc fuzz: {self.programs} programs in {self.specs} specs ({self.actions} actions), {self.steps} steps, "
            f"{self.seconds:.0f} s ({self.rate():.2f} programs/s, {specs_s:.3f} specs/s); "
            f"{len(self.findings)} divergence kind(s)"
        ]
        if self.allowed:
            lines.append(f"  allowed (not generated): {', '.join(self.allowed)}")
        for f in self.findings:
            lines.append("  " + f.summary())
        for text in self.invalid[:3]:
            lines.append(f"  generator fault (spec rejected): {text}")
        return "\n".join(lines)


class _Found(Exception):
    """A divergence in the spec under test (hypothesis shrinks on it)."""


@dataclass
class _Run:
    avoid: frozenset[str]
    backends: dict[str, int]
    deadline: float
    programs_left: int
    report: Report
    shrink_s: float
    inputs: int = 1  # random inputs per seed of each action
    target: str | None = None  # while shrinking: the backend that diverged
    focus: int | None = None  # while shrinking: the program that diverged at its first step
    shrink_until: float = 0.0
    best: tuple[Plan, Divergence, Case, str] | None = None
    current: str = ""  # the spec under test and its table (what the memory watchdog saves)
    current_table: str = ""

    def body(self, draw_plan: Callable[[], Plan]) -> None:
        shrinking = self.target is not None
        if (shrinking and time.monotonic() > self.shrink_until) or (
            not shrinking and (time.monotonic() > self.deadline or self.programs_left <= 0)
        ):
            return  # before drawing: out of budget, hypothesis runs out of new examples at once
        plan = draw_plan()
        if shrinking and self.focus is not None:  # that program alone: a small, fast compile
            if self.focus >= len(plan.actions):
                return
            plan = dataclasses.replace(plan, actions=(plan.actions[self.focus],))
        text = render_spec(plan, "fz", "fz.csv", self.avoid)
        self.current, self.current_table = text, plan.table_csv
        try:
            env = compile_text(text, plan.table_csv)
        except SpecError as err:  # the generator's fault, not the compiler's: noted, skipped
            if not shrinking:
                self.report.invalid.append(str(err))
            return
        except Exception as err:  # the compiler failed on a valid spec: a divergence of its own
            d = Divergence("compiler", 0, 0, "compile", "<generated code>", "compiles", f"{type(err).__name__}: {err}")
            self.found(plan, d, Case({}, [], [], []), text)
        n = self.report.specs
        backends = [self.target] if shrinking else [b for b, every in self.backends.items() if n % every == 0]
        cases = make_cases(env, [a.seeds for a in plan.actions], self.avoid, self.inputs)
        out = run_cases(env, cases, backends, plan.tolerance)
        if not shrinking:
            if self.report.specs % 50 == 49:  # every spec compiles new functions: keep memory flat
                import jax

                jax.clear_caches()
            self.report.specs += 1
            self.report.actions += len(plan.actions)
            self.report.programs += len(cases)
            self.programs_left -= len(cases)
            self.report.steps += out.steps
        if out.divergences:
            d = out.divergences[0]
            self.found(plan, d, cases[d.case], text)

    def found(self, plan: Plan, d: Divergence, case: Case, text: str) -> None:
        if self.target is None:
            self.target = d.backend if d.backend in BACKENDS else REFERENCE
            self.focus = None  # unless the program alone diverges, the others may matter: shrink them all
            if d.where.startswith(("step 1 ", "init", "observe(state")) and d.field != "legal_action_mask":
                alone = dataclasses.replace(plan, actions=(plan.actions[d.program],))
                index = d.case - sum(len(a.seeds) for a in plan.actions[: d.program]) * self.inputs
                if _diverges(alone, self.avoid, self.target, index, self.inputs):
                    self.focus = d.program
            self.shrink_until = time.monotonic() + self.shrink_s
        if self.best is None or len(text) < len(self.best[3]):
            self.best = (plan, d, case, text)
        raise _Found(d.describe())


def _diverges(plan: Plan, avoid: frozenset[str], backend: str, case: int, inputs: int) -> bool:
    """Whether case number `case` of the plan (run alone) still diverges on `backend`."""
    try:
        env = compile_text(render_spec(plan, "fz", "fz.csv", avoid), plan.table_csv)
    except Exception:
        return True
    cases = make_cases(env, [a.seeds for a in plan.actions], avoid, inputs)
    out = run_cases(env, cases[case : case + 1], [backend] if backend in BACKENDS else [], plan.tolerance)
    return bool(out.divergences)


def classify(plan: Plan, avoid: frozenset[str], d: Divergence, inputs: int = 1) -> str:
    """The edge `kind:op` whose guarding alone makes the divergence disappear (else the
    fewest kinds that together do, joined by '+'), or 'unclassified' (a divergence in
    ordinary values: a real backend bug)."""
    labels = sorted(plan.labels() | set(CASE_LABELS))
    for kind in sorted({label.split(":")[0] for label in labels}):
        if kind in avoid or _diverges(plan, avoid | {kind}, d.backend, d.case, inputs):
            continue
        for label in labels:
            if label.startswith(kind + ":") and not _diverges(plan, avoid | {label}, d.backend, d.case, inputs):
                return label
        return kind
    # no single edge: the smallest set of them that does it (two edges met at once, say)
    kinds = {label.split(":")[0] for label in labels} - avoid
    if not kinds or _diverges(plan, avoid | kinds, d.backend, d.case, inputs):
        return "unclassified"
    for kind in sorted(kinds):
        if not _diverges(plan, avoid | (kinds - {kind}), d.backend, d.case, inputs):
            kinds = kinds - {kind}
    return "+".join(sorted(kinds))


def save_regression(finding: Finding, out_dir: Path) -> Path:
    """NAME.yaml (the spec), NAME.csv (its table), NAME.cases.json (the case and what diverged)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = finding.kind.replace(":", "_").replace("/", "div").replace("%", "mod").replace("*", "pow")
    slug = "".join(c if c.isalnum() or c in "_-" else "_" for c in slug)
    digest = hashlib.sha256(finding.spec.encode()).hexdigest()[:8]
    name = f"{slug}_{digest}"
    spec = finding.spec.replace("file: fz.csv", f"file: {name}.csv")
    header = f"# specc fuzz regression: {finding.kind}\n# {finding.divergence.describe()[:400]}\n"
    (out_dir / f"{name}.yaml").write_text(header + spec)
    (out_dir / f"{name}.csv").write_text(finding.table_csv)
    meta = {"kind": finding.kind, "backend": finding.divergence.backend, "divergence": finding.divergence.describe()}
    cases = json.loads(dump_cases([finding.case]))
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in {**meta, "cases": cases}.items())
    (out_dir / f"{name}.cases.json").write_text("{\n" + body + "\n}\n")
    return out_dir / f"{name}.yaml"


def _watch_memory(run: _Run, limit_gb: float, out: Path, start: float) -> None:
    """Stop the whole process if it holds more than `limit_gb` of memory (a rare generated
    program can make XLA's compiler use tens of GB), saving the spec that did it (and its
    table, memory_blowup.csv) and printing the report of what ran before it."""
    import os
    import sys
    import threading

    def watch() -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while True:
            time.sleep(2.0)
            try:
                rss = int(Path("/proc/self/statm").read_text().split()[1]) * page
            except (OSError, ValueError, IndexError):
                return  # no /proc: no watchdog
            if rss > limit_gb * 2**30 and run.current:  # (before the first spec: nothing of ours to blame)
                out.mkdir(parents=True, exist_ok=True)
                (out / "memory_blowup.yaml").write_text(run.current.replace("file: fz.csv", "file: memory_blowup.csv"))
                (out / "memory_blowup.csv").write_text(run.current_table)
                run.report.seconds = time.monotonic() - start
                print(run.report.text(), flush=True)  # what ran before counts (a campaign's log adds it up)
                print(f"specc fuzz stopped: over {limit_gb:g} GB of memory; the spec: {out}/memory_blowup.yaml",
                      file=sys.stderr, flush=True)  # fmt: skip
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def fuzz(
    seconds: float = 60.0,
    seed: int = 0,
    programs: int | None = None,
    out_dir: str | Path | None = None,
    allow: tuple[str, ...] = (),
    backends: dict[str, int] | None = None,
    max_actions: int = 12,
    inputs: int = 16,
    shrink_s: float = 60.0,
    max_findings: int = 20,
    chunk: int = 8,
    max_memory_gb: float = 8.0,
    progress: Callable[[str], None] = lambda line: None,
) -> Report:
    """Fuzz for `seconds` (or until `programs` programs ran); see the module docstring."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisWarning

    for kind in allow:
        if kind.split(":")[0] not in EDGE_KINDS:
            raise SpecError(f"--allow {kind}: unknown edge kind (known: {', '.join(EDGE_KINDS)})")
    report = Report(allowed=tuple(allow))
    start = time.monotonic()
    run = _Run(frozenset(allow), dict(backends or DEFAULT_BACKENDS), start + seconds, programs or 2**62, report,
               shrink_s, inputs)  # fmt: skip
    _watch_memory(run, max_memory_gb, Path(out_dir) if out_dir is not None else Path("."), start)
    index = 0
    while time.monotonic() < run.deadline and run.programs_left > 0 and len(report.findings) < max_findings:
        run.target, run.best = None, None

        @hypothesis_seed(seed * 1_000_003 + index)
        @settings(
            max_examples=chunk,
            deadline=None,
            database=None,
            derandomize=False,
            report_multiple_bugs=False,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            verbosity=Verbosity.quiet,
        )
        @given(st.data())
        def chunk_test(data: st.DataObject) -> None:
            run.body(lambda: data.draw(plans(max_actions=max_actions)))

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", HypothesisWarning)
                chunk_test()
        except Exception:  # _Found after shrinking, or hypothesis giving up: `run.best` holds the smallest
            pass
        index += 1
        if run.best is not None:
            plan, d, case, text = run.best
            kind = "compile" if d.backend == "compiler" else classify(plan, run.avoid, d, inputs)
            if kind == "unclassified":
                kind = f"unclassified ({d.backend}, {d.field})"
            finding = Finding(kind, d, render_spec(plan, "fz", "fz.csv", run.avoid), plan.table_csv, case)
            if out_dir is not None and d.backend != "compiler":
                finding.path = save_regression(finding, Path(out_dir))
            report.findings.append(finding)
            progress(f"found {finding.summary()}")
            parts = {p.split(":")[0] for p in kind.split("+")}
            if parts <= set(EDGE_KINDS):  # go on without that edge (all its operators), to find others
                run.avoid = run.avoid | parts
        report.seconds = time.monotonic() - start
        progress(f"{report.programs} programs, {report.specs} specs, {report.seconds:.0f} s")
    report.seconds = time.monotonic() - start
    return report
