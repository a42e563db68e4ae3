"""`specc draft RULES.md -o specs/NAME.yaml`: the agent writes a spec; specc judges it.

The spec is written in steps, in dependency order (state, then actions, then effects,
then scenarios), each step told what the earlier ones declared (its interface
contract). Every answer is merged into a working copy and checked; once the last step
checks, the spec is compiled and verified (levels 1-3, small counts), and failures are
fed back for repair until it passes or the rounds or the budget run out.

Files: the target is written (atomically) only once verified; until then the best
candidate that checks is kept as NAME.draft.yaml beside it, for a person to finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..check_expr import _num
from ..docs import language_reference
from ..errors import SpecError
from ..ir import Pos, Program
from ..kernels import KernelBody, atomic_write, cache_path, cached_bodies, needing_fill, write_cache
from ..loader import load
from ..schema import IDENT
from .answers import Malformed, extract_sections, merge, render_spec
from .client import Agent, AgentError, BudgetExceeded, Ledger
from .judge import Verdict, candidate_file, check, compile_and_verify, load_spec, relabel
from .kernels import FillFailed, fill_kernels
from .prompts import Prompt, render

# specs/tic_tac_toe.yaml, kept in the package so that an installed specc has it (tests/test_packaging.py)
EXAMPLE = Path(__file__).resolve().parent / "example_spec.yaml"
DRAFT_MAX_TOKENS = 16000  # adaptive thinking counts against it too
_PLACEHOLDER = "_placeholder_until_the_actions_step"


@dataclass(frozen=True)
class Phase:
    name: str
    title: str
    keys: tuple[str, ...]
    required: tuple[str, ...]
    instructions: str


PHASES = (
    Phase(
        "state",
        "the state: players, constants, enums, state fields and init",
        ("title", "description", "source", "players", "constants", "enums", "tables", "state", "init", "max_steps"),
        ("players", "state"),
        "Declare what a position of the game is made of: `players`, the `constants` and `enums` the rules\n"
        "name, every `state` field (type, init, range, visibility) and the `init` block (who starts, any\n"
        "dealing or shuffling). Add `max_steps` if the rules can go on forever. No actions yet.",
    ),
    Phase(
        "actions",
        "the actions: parameters and guards, the observation, the reward bounds",
        ("actions", "observe", "rewards"),
        ("actions", "observe"),
        "Declare each action kind: its `params` (domains), its `legal` guard, a `doc` and a `rule` citing\n"
        "the rules' section. No `effect` yet. Declare `observe` (what a player sees; hide what the rules\n"
        "hide) and `rewards` (range, and zero_sum where it holds).",
    ),
    Phase(
        "effects",
        "the effects: what each action does (with any procedures or kernels they share)",
        ("actions", "procedures", "kernels"),
        ("actions",),
        "Give every action its `effect:` block (give only `effect:` under each action: its params and\n"
        "guard stay). Pass the turn, detect the end (win/lose/draw) and pay rewards as the rules say.\n"
        "Shared steps may go in `procedures`; a rule far easier said in words may be a `kernel`.",
    ),
    Phase(
        "scenarios",
        "the scenarios: the rules written as tests (and invariants)",
        ("scenarios", "invariants"),
        ("scenarios",),
        "Write `scenarios` that pin the rules down: one or more per rule (legal and illegal moves,\n"
        "each way the game ends, the rewards, what the observation shows), each with `rule:` citing\n"
        "the rules and a `setup` that makes it short. Add `invariants` that must always hold.",
    ),
)


@dataclass
class DraftResult:
    ok: bool
    rounds: int
    ledger: Ledger
    verdict: Verdict | None
    stop_reason: str = ""
    written: Path | None = None  # the target, or the draft file when not verified
    failures: list[str] = field(default_factory=list)


class Drafter:
    """One drafting run: the working copy, the step it is at, the best candidate so far."""

    def __init__(self, rules_path: Path, target: Path, agent: Agent, levels: list[int], episodes: int, examples: int,
                 say=print):  # fmt: skip
        self.rules_path, self.target, self.agent, self.say = rules_path, target, agent, say
        self.levels, self.episodes, self.examples = levels, episodes, examples
        self.name = target.name.removesuffix(target.suffix)
        if not IDENT.match(self.name):
            raise SpecError(f"{target}: the spec's file name must be an identifier (it becomes the spec's name)")
        self.label = target.name
        self.draft_path = target.with_name(f"{self.name}.draft.yaml")
        self.system = {
            "language": language_reference(),
            "example": EXAMPLE.read_text(),
            "rules": _read_rules(rules_path),
            "name": self.name,
        }
        self.working: dict[str, Any] = {"specc": 1, "name": self.name}
        self.phase = 0  # index into PHASES; len(PHASES) once every step has checked (repair mode)
        self.contract = ""
        self.failures: list[str] = []
        self.history: list[str] = []
        self.kernels: dict[str, KernelBody] = {}
        self.best: tuple[tuple[int, int], str] | None = None
        self.verdict: Verdict | None = None  # of the last compile and verify
        self.stage = "check failed"  # what became of the last answer

    # ---------------------------------------------------------------- the loop

    def run(self, max_rounds: int) -> DraftResult:
        stop = ""
        try:
            while True:
                if self.agent.ledger.calls >= max_rounds:
                    stop = f"--max-rounds {max_rounds} reached"
                    break
                with self.agent.ask(self.prompt(), DRAFT_MAX_TOKENS) as answer:
                    answer.outcome = self.judge(answer.text, answer.truncated, max_rounds)
                    self.say(f"round {self.agent.ledger.calls}: {answer.outcome}")
                if self.verdict is not None and self.verdict.verified:
                    return self.finish()
        except BudgetExceeded as err:
            stop = str(err)
        except AgentError as err:
            stop = str(err)
        failures = list(self.failures)
        if self.phase < len(PHASES):
            failures.append(f"unfinished: step {self.phase + 1} of {len(PHASES)}, {PHASES[self.phase].title}, was next")
        written = self.draft_path if self.best else None
        return DraftResult(False, self.agent.ledger.calls, self.agent.ledger, self.verdict, stop, written, failures)

    def prompt(self) -> Prompt:
        text = self.text()
        if self.phase < len(PHASES):
            return render(
                "draft",
                system="system",
                **self.system,
                phases=PHASES,
                phase=PHASES[self.phase],
                contract=self.contract,
                spec_so_far=text,
                failures=self.failures,
                history=self.history[-10:],
            )
        return render("repair", system="system", **self.system, spec_text=text, stage=self.stage,
                      failures=self.failures, history=self.history[-10:])  # fmt: skip

    def judge(self, answer: str, truncated: bool, max_rounds: int) -> str:
        """Merge one answer into the working copy and let specc judge it; the outcome, one line."""
        step = PHASES[self.phase].name if self.phase < len(PHASES) else "repair"
        try:
            if truncated:
                raise Malformed(f"your answer was cut off at {DRAFT_MAX_TOKENS} tokens: give only the sections asked")
            patch = extract_sections(answer)
            if self.phase < len(PHASES):
                missing = [k for k in PHASES[self.phase].required if k not in patch]
                if missing:
                    raise Malformed(f"this step must give the section(s) {', '.join(missing)}")
        except Malformed as err:
            self.failures = [str(err)]
            self.stage = "malformed answer"
            return self._note(step, f"malformed answer: {err}")
        self.working = merge(self.working, patch) | {"specc": 1, "name": self.name}
        final = self.phase >= len(PHASES) - 1
        verdict = self.verify(final, max_rounds)
        self.failures, self.stage = verdict.failures, verdict.stage
        if not verdict.checked:
            return self._note(step, f"check failed: {verdict.failures[0]}")
        self.contract = self._contract()
        if final:
            self.verdict = verdict
            self.phase = len(PHASES)
        else:
            self.phase += 1
        self._keep((self.phase + verdict.compiled + verdict.verified, verdict.passed), verdict)
        if verdict.verified:
            return self._note(step, f"verified: {verdict.summary}")
        if final:
            first = verdict.failures[0] if verdict.failures else ""
            return self._note(step, f"{verdict.stage}: {verdict.summary}; {first}")
        return self._note(step, "checks")

    def verify(self, final: bool, max_rounds: int) -> Verdict:
        """Check the working copy (with placeholders for sections not written yet); on the
        last step, fill any kernels, compile and verify."""
        text = self.text() + _placeholders(self.working)
        with candidate_file(self.target, text, self.kernels) as candidate:
            verdict = check(candidate, self.label)
            if not verdict.checked and not verdict.unfilled:
                return verdict
            try:
                self._fill(candidate, max_rounds)
            except AgentError as err:  # bodies that never checked, or the spec around them: the agent's to fix
                if not isinstance(err, FillFailed) and err.code != 2:
                    raise  # the API failed, or the budget is spent: the run stops
                return Verdict(
                    failures=[relabel(f"kernels: {err}", candidate, self.label)], summary="kernels not filled"
                )
            verdict = check(candidate, self.label)
            if not verdict.checked or not final:
                return verdict
            return compile_and_verify(candidate, self.label, self.levels, self.episodes, self.examples)

    def _fill(self, candidate: Path, max_rounds: int) -> None:
        spec = load_spec(candidate)
        if spec.kernels and needing_fill(spec, candidate):
            left = max_rounds - self.agent.ledger.calls
            fill_kernels(
                candidate, self.agent, left, levels=(), say=lambda m: self.say(relabel(m, candidate, self.label))
            )
            self.kernels.update(cached_bodies(spec, candidate)[0])

    def text(self) -> str:
        return render_spec(self.working)

    def _note(self, step: str, outcome: str) -> str:
        outcome = " ".join(outcome.split())
        self.history.append(f"round {self.agent.ledger.calls} ({step}): {outcome[:300]}")
        return outcome

    def _contract(self) -> str:
        with candidate_file(self.target, self.text() + _placeholders(self.working), self.kernels) as candidate:
            try:
                _, _, program = load(candidate)
            except SpecError:
                return self.contract
        return contract(program, self.working)

    # ---------------------------------------------------------------- files

    def _keep(self, score: tuple[int, int], verdict: Verdict) -> None:
        """Write the best candidate that checks to NAME.draft.yaml (atomically)."""
        if self.best is not None and score < self.best[0]:
            return
        text = self.text()
        self.best = (score, text)
        note = (
            f"# Draft by `specc draft` from {self.rules_path.as_posix()}: {verdict.stage} ({verdict.summary}).\n"
            "# Not verified yet: finish it by hand, or run specc draft again.\n"
        )
        atomic_write(self.draft_path, note + text)
        self._write_kernels(self.draft_path)

    def _write_kernels(self, path: Path) -> None:
        names = [n for n in self.working.get("kernels") or {} if n in self.kernels]
        if names:
            write_cache(names, path, self.kernels)

    def finish(self) -> DraftResult:
        ledger = self.agent.ledger
        header = (
            f"# Drafted by `specc draft` from {self.rules_path.as_posix()} with {self.agent.model} in "
            f"{ledger.calls} rounds (${ledger.cost:.4f});\n# verified at levels {','.join(map(str, self.levels))} "
            f"({self.episodes} episodes). Review it against the rules.\n"
        )
        atomic_write(self.target, header + self.text())
        self._write_kernels(self.target)
        for p in (self.draft_path, cache_path(self.draft_path)):
            if p.exists():
                p.unlink()
        return DraftResult(True, ledger.calls, ledger, self.verdict, "", self.target, [])


def draft(
    rules_path: str | Path,
    target: str | Path,
    agent: Agent,
    max_rounds: int = 50,
    levels: tuple[int, ...] = (1, 2, 3),
    episodes: int = 50,
    examples: int = 10,
    say=print,
) -> DraftResult:
    """Draft, check, compile, verify and repair until verified or out of rounds or budget."""
    drafter = Drafter(Path(rules_path), Path(target), agent, list(levels), episodes, examples, say)
    return drafter.run(max_rounds)


def contract(program: Program, data: dict[str, Any]) -> str:
    """What the spec declares so far, as the next step may use it."""
    lines = [f"- players: {program.players} (the constant PLAYERS); built-in state: current_player "
             "(int32, assignable), step_count (int32)"]  # fmt: skip
    tables = {c.name: c for c in program.constants}
    for name, value in (data.get("constants") or {}).items():
        c = tables.get(name)
        lines.append(f"- constant {name}: {c.type}" if c else f"- constant {name} = {value}")
    for enum, members in (data.get("enums") or {}).items():
        lines.append(f"- enum {enum}: {', '.join(f'{enum}.{m}' for m in members)}")
    for f in program.fields:
        extra = f", range [{_num(f.range[0])}, {_num(f.range[1])}]" if f.range else ""
        extra += f", visible: {f.visible}" if f.visible != "all" else ""
        lines.append(f"- state {f.name}: {f.type}{extra}")
    for name, k in (data.get("kernels") or {}).items():
        if isinstance(k, dict):
            args = ", ".join(f"{a}: {t}" for a, t in (k.get("args") or {}).items())
            lines.append(f"- kernel {name}({args}) -> {k.get('returns')}")
    for name, p in (data.get("procedures") or {}).items():
        if isinstance(p, dict):
            lines.append(f"- procedure {name}({', '.join(p.get('params') or [])})")
    for a in program.actions:
        if a.name == _PLACEHOLDER:
            continue
        params = ", ".join(f"{p.name} in {p.lo}..{p.hi}" for p in a.params)
        legal = ((data.get("actions") or {}).get(a.name) or {}).get("legal", True)
        lines.append(f"- action {a.name}({params}), legal: {legal}")
    if "observe" in data:
        lines.append(f"- observe: {program.observation_type}")
    return "\n".join(lines)


def _placeholders(data: dict[str, Any]) -> str:
    """Stand-ins for required sections a later step writes, so earlier steps can be checked."""
    extra: dict[str, Any] = {}
    if "actions" not in data:
        extra["actions"] = {_PLACEHOLDER: {"doc": "written at the actions step"}}
    if "observe" not in data:
        extra["observe"] = {"type": "int32", "value": "0"}
    if not extra:
        return ""
    return "\n# placeholders for sections a later step writes\n" + render_spec(extra)


def _read_rules(path: Path) -> str:
    from ..source import read_text

    try:
        return read_text(path)
    except SpecError as err:
        message = err.message.replace("the spec is empty", "the rules file is empty")
        raise SpecError(message, Pos(str(path), 1, 1)) from None
