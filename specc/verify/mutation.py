"""`specc mutate`: seed bugs into a compiled environment and count how many `specc verify` catches.

Two families of mutants, reported apart:

- code: one edit of the generated JAX env.py (Python `ast`), as a compiler bug in one
  backend would make. The Python reference stays right, so level 3 can see it.
- spec: one edit of the checked IR, compiled into both backends, as a wrong rule would.
  The backends agree, so only properties, scenarios and an outside implementation see it.

Operators: flipped comparisons, off-by-one integers and indices, changed constants
(literals, constant tables, rewards), dropped statements (and dropped field updates),
swapped branches (jnp.where, if/else) and logic swaps (and/or, any/all, not).

A mutant changes behaviour if, on random episodes (legal moves, some illegal or
out-of-range ones, and steps past the end), a state field, any player's observation or
an invariant differs from the original's by more than the field's tolerance. A code
mutant that fails to import or trace counts as changed and caught at "compile"; a spec
mutant the backends cannot generate is "invalid" and left out. Each changed mutant then
meets the verifier's levels, cheapest first, in a temporary copy of generated/NAME/
(generated/ itself is never touched); by default the first level that catches it ends
its run.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from .. import ir
from ..errors import SpecError
from .report import _jsonable
from .rollouts import BUILTIN_FIELDS, tolerances

OPERATORS = ("compare", "off_by_one", "constant", "drop", "swap_branches", "logic")
FAMILIES = ("code", "spec")
BEHAVIOUR_SALT = 0x6D757461  # folded into the seed so the behaviour check's episodes are not level 3's
ILLEGAL_RATE = 0.1  # share of random (often illegal) moves in half of the behaviour episodes


@dataclass
class Mutant:
    family: str  # code | spec
    operator: str
    where: str  # env.py:LINE or SPEC:LINE:COL
    change: str  # the source line, then what changed
    env_source: str = field(default="", repr=False)
    ref_source: str | None = field(default=None, repr=False)  # spec family: the mutated reference
    program: ir.Program | None = field(default=None, repr=False)  # spec family: the mutated IR
    status: str = ""  # equivalent | compile | caught | missed | invalid
    caught_by: list[str] = field(default_factory=list)
    detail: str = ""

    def describe(self) -> str:
        return f"[{self.family}/{self.operator}] {self.where}: {self.change}"


# ------------------------------------------------------------------ code family: env.py


_FLIP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
    ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
_SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
           ast.Is: "is", ast.IsNot: "is not"}  # fmt: skip
_SWAP_CALL = {"logical_and": "logical_or", "logical_or": "logical_and", "any": "all", "all": "any"}


@dataclass
class _Edit:
    """One mutation of the env.py tree: `apply(nodes)` edits the node list of a fresh parse."""

    operator: str
    line: int
    change: str
    apply: Callable[[list[ast.AST]], None]


def _is_table(node: ast.stmt) -> bool:
    """A module-level constant table: `NAME = jnp.array([...], ...)`."""
    return (
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "array"
    )


def _float_variants(v: float) -> list[float]:
    return [0.0, -v] if v else [1.0]


def code_edits(source: str) -> list[_Edit]:
    """Every mutation of the functions and constant tables of a generated env.py."""
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))  # breadth-first: the same order on every parse of `source`
    at = {id(n): i for i, n in enumerate(nodes)}
    lines = source.splitlines()
    edits: list[_Edit] = []

    def text(line: int) -> str:
        t = lines[line - 1].strip()
        return t if len(t) <= 90 else t[:87] + "..."

    def add(op: str, node: ast.AST, change: str, fn: Callable[[Any], None]) -> None:
        i, line = at[id(node)], getattr(node, "lineno", 0)
        edits.append(_Edit(op, line, f"`{text(line)}`: {change}", lambda ns, i=i, fn=fn: fn(ns[i])))

    used = _used_helpers(tree)
    for root in tree.body:
        table = _is_table(root)
        if not (isinstance(root, ast.FunctionDef) or table):
            continue
        if isinstance(root, ast.FunctionDef) and root.name.startswith("_") and root.name not in used:
            continue  # a helper this game never calls (e.g. card zones in tic-tac-toe): edits would be moot
        for node in ast.walk(root):
            if isinstance(node, ast.Compare):
                for j, op in enumerate(node.ops):
                    if type(op) in _FLIP:
                        new = _FLIP[type(op)]
                        add("compare", node, f"{_SYMBOL[type(op)]} -> {_SYMBOL[new]}",
                            lambda n, j=j, new=new: n.ops.__setitem__(j, new()))  # fmt: skip
            elif isinstance(node, ast.Constant) and type(node.value) is bool:
                add("constant", node, f"{node.value} -> {not node.value}",
                    lambda n: setattr(n, "value", not n.value))  # fmt: skip
            elif isinstance(node, ast.Constant) and type(node.value) is int:
                for d in (1, -1):
                    add("constant" if table else "off_by_one", node, f"{node.value} -> {node.value + d}",
                        lambda n, d=d: setattr(n, "value", n.value + d))  # fmt: skip
            elif isinstance(node, ast.Constant) and type(node.value) is float:
                for v in _float_variants(node.value):
                    add("constant", node, f"{node.value} -> {v}", lambda n, v=v: setattr(n, "value", v))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                if name == "where" and len(node.args) == 3:
                    add("swap_branches", node, "jnp.where branches swapped",
                        lambda n: setattr(n, "args", [n.args[0], n.args[2], n.args[1]]))  # fmt: skip
                elif name in _SWAP_CALL:
                    add("logic", node, f"{name} -> {_SWAP_CALL[name]}",
                        lambda n: setattr(n.func, "attr", _SWAP_CALL[n.func.attr]))  # fmt: skip
                elif name == "logical_not" and len(node.args) == 1:
                    add("logic", node, "logical_not dropped", _drop_not)
                elif name == "replace":
                    for j, kw in enumerate(node.keywords):
                        add("drop", node, f"field update `{kw.arg}=` dropped",
                            lambda n, j=j: n.keywords.pop(j))  # fmt: skip
            elif isinstance(node, ast.BoolOp):
                new_op = ast.Or if isinstance(node.op, ast.And) else ast.And
                add("logic", node, f"{type(node.op).__name__.lower()} -> {new_op.__name__.lower()}",
                    lambda n, new_op=new_op: setattr(n, "op", new_op()))  # fmt: skip
            elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
                new_bit = ast.BitOr if isinstance(node.op, ast.BitAnd) else ast.BitAnd
                add("logic", node, "& <-> |", lambda n, new_bit=new_bit: setattr(n, "op", new_bit()))
            if isinstance(node, (ast.FunctionDef, ast.If, ast.For, ast.With)):
                for j, stmt in enumerate(node.body):
                    droppable = isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)) or (
                        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                    )
                    if droppable:
                        line, i = stmt.lineno, at[id(node)]
                        edits.append(_Edit("drop", line, f"`{text(line)}`: statement dropped",
                                           lambda ns, i=i, j=j: _drop_stmt(ns[i], j)))  # fmt: skip
    return edits


def _used_helpers(tree: ast.Module) -> set[str]:
    """Names of private module-level functions called from the public ones, directly or not."""
    defs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    calls = {name: {n.id for n in ast.walk(f) if isinstance(n, ast.Name)} & set(defs) for name, f in defs.items()}
    used: set[str] = set()
    todo = [name for name in defs if not name.startswith("_")]
    while todo:
        for callee in calls[todo.pop()] - used:
            used.add(callee)
            todo.append(callee)
    return used


def _drop_not(call: ast.Call) -> None:
    """`jnp.logical_not(x)` -> `jnp.asarray(x)`: the negation is gone, the call shape stays."""
    call.func.attr = "asarray"  # type: ignore[attr-defined]


def _drop_stmt(node: Any, j: int) -> None:
    del node.body[j]
    if not node.body:
        node.body.append(ast.Pass())


def apply_edit(source: str, edit: _Edit) -> str:
    tree = ast.parse(source)
    edit.apply(list(ast.walk(tree)))
    return ast.unparse(ast.fix_missing_locations(tree))


# ------------------------------------------------------------------ spec family: the IR

_IR_FLIP = {"==": "!=", "!=": "==", "<": "<=", "<=": "<", ">": ">=", ">=": ">"}
_IR_ROOTS = ("constants", "fields", "init", "actions", "observe")  # not invariants: they check, not rule
_IR_SKIP = {"pos", "type", "name", "kind", "params", "index", "offset", "size", "site", "loop_vars", "var",
            "op", "func", "enum", "member", "range", "visible", "tolerance"}  # fmt: skip

Path_ = tuple[str | int, ...]


def _walk_ir(node: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    yield path, node
    if isinstance(node, tuple):
        for i, child in enumerate(node):
            yield from _walk_ir(child, path + (i,))
    elif dataclasses.is_dataclass(node) and not isinstance(node, (ir.Type, ir.Pos)):
        names = _IR_ROOTS if isinstance(node, ir.Program) else [f.name for f in dataclasses.fields(node)]
        for name in names:
            if name not in _IR_SKIP:
                yield from _walk_ir(getattr(node, name), path + (name,))


def _replace_at(node: Any, path: Path_, fn: Callable[[Any], Any]) -> Any:
    if not path:
        return fn(node)
    key, rest = path[0], path[1:]
    if isinstance(node, tuple):
        assert isinstance(key, int)
        return node[:key] + (_replace_at(node[key], rest, fn),) + node[key + 1 :]
    return dataclasses.replace(node, **{str(key): _replace_at(getattr(node, str(key)), rest, fn)})


@dataclass
class _IrEdit:
    operator: str
    where: ir.Pos | None
    change: str
    path: Path_
    fn: Callable[[Any], Any]


def spec_edits(program: ir.Program) -> list[_IrEdit]:
    """Every mutation of the rules (constants, field inits, init, legality, effects, observation)."""
    edits: list[_IrEdit] = []
    for path, node in _walk_ir(program, ()):
        pos = getattr(node, "pos", None)
        add = lambda op, change, fn, path=path, pos=pos: edits.append(_IrEdit(op, pos, change, path, fn))
        if isinstance(node, ir.Binary) and node.op in _IR_FLIP:
            add("compare", f"{node.op} -> {_IR_FLIP[node.op]}", lambda n: dataclasses.replace(n, op=_IR_FLIP[n.op]))
        elif isinstance(node, ir.Binary) and node.op in ("and", "or"):
            new = "or" if node.op == "and" else "and"
            add("logic", f"{node.op} -> {new}", lambda n, new=new: dataclasses.replace(n, op=new))
        elif isinstance(node, ir.Reduce) and node.op in ("any", "all"):
            new = "all" if node.op == "any" else "any"
            add("logic", f"{node.op}(...) -> {new}(...)", lambda n, new=new: dataclasses.replace(n, op=new))
        elif isinstance(node, ir.Unary) and node.op == "not":
            add("logic", "`not` dropped", lambda n: n.operand)
        elif isinstance(node, ir.Literal) and type(node.value) is bool:
            add("constant", f"{node.value} -> {not node.value}", lambda n: dataclasses.replace(n, value=not n.value))
        elif isinstance(node, ir.Literal) and type(node.value) is int:
            for d in (1, -1):
                add("off_by_one", f"{node.value} -> {node.value + d}",
                    lambda n, d=d: dataclasses.replace(n, value=n.value + d))  # fmt: skip
        elif isinstance(node, ir.Literal) and type(node.value) is float:
            for v in _float_variants(node.value):
                add("constant", f"{node.value} -> {v}", lambda n, v=v: dataclasses.replace(n, value=v))
        elif isinstance(node, ir.Cond):
            add("swap_branches", "if/else values swapped",
                lambda n: dataclasses.replace(n, then=n.orelse, orelse=n.then))  # fmt: skip
        elif isinstance(node, ir.If) and node.orelse:
            add("swap_branches", "if/else branches swapped",
                lambda n: dataclasses.replace(n, then=n.orelse, orelse=n.then))  # fmt: skip
        elif isinstance(node, ir.Constant):
            edits.extend(_table_edits(node, path))
        elif isinstance(node, tuple) and node and all(isinstance(s, ir.Stmt) for s in node):
            for j, stmt in enumerate(node):
                edits.append(_IrEdit("drop", stmt.pos, f"statement dropped ({type(stmt).__name__})", path,
                                     lambda block, j=j: block[:j] + block[j + 1 :]))  # fmt: skip
    return edits


def _table_edits(const: ir.Constant, path: Path_) -> list[_IrEdit]:
    """Each entry of a constant table, changed (+/-1 for integers)."""
    edits = []
    flat = np.asarray(const.value)
    for k, v in enumerate(flat.reshape(-1).tolist()):
        idx = np.unravel_index(k, flat.shape)
        label = f"{const.name}[{', '.join(map(str, idx))}]"
        news = [not v] if isinstance(v, bool) else [v + 1, v - 1] if isinstance(v, int) else _float_variants(v)
        for new in news:

            def fn(c: ir.Constant, k: int = k, new: Any = new) -> ir.Constant:
                arr = np.asarray(c.value, dtype=object)
                arr.reshape(-1)[k] = new
                return dataclasses.replace(c, value=_nested(arr.tolist()))

            edits.append(_IrEdit("constant", const.pos, f"{label}: {v} -> {new}", path, fn))
    return edits


def _nested(value: Any) -> Any:
    return tuple(_nested(v) for v in value) if isinstance(value, list) else value


# ------------------------------------------------------------------ behaviour


def load_source(source: str, name: str) -> ModuleType:
    """A module from source text, under a fresh name (dataclasses look it up while it runs)."""
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


class Baseline:
    """The original environment on random episodes, kept to compare each mutant against."""

    def __init__(self, module: ModuleType, episodes: int, seed: int, max_steps: int):
        import jax

        self.players, self.num_actions = module.NUM_PLAYERS, module.NUM_ACTIONS
        self.tol = tolerances(module)
        base = jax.random.fold_in(jax.random.PRNGKey(seed), BEHAVIOUR_SALT)
        self.keys = jax.vmap(lambda e: jax.random.fold_in(base, e))(np.arange(episodes))
        rng = np.random.default_rng([seed, BEHAVIOUR_SALT])
        rate = np.where(np.arange(episodes) < episodes // 2, 0.0, ILLEGAL_RATE)  # half play only legal moves
        run = self._runner(module)
        state = run.init(self.keys)
        self.frames, self.actions = [run.view(state)], []
        ended_for = np.zeros(episodes, int)
        for t in range(max_steps + 2):
            mask = self.frames[-1]["legal_action_mask"]
            scores = np.where(mask, rng.random(mask.shape), -1.0)
            legal_pick = scores.argmax(axis=1)
            any_pick = rng.integers(-1, self.num_actions + 1, episodes)  # out-of-range ones too
            wild = ~mask.any(axis=1) | (rng.random(episodes) < rate)
            actions = np.where(wild, any_pick, legal_pick).astype(np.int32)
            self.actions.append(actions)
            state = run.step(state, actions, run.keys(self.keys, t))
            self.frames.append(run.view(state))
            ended = self.frames[-1]["terminated"] | self.frames[-1]["truncated"]
            ended_for = np.where(ended, ended_for + 1, 0)
            if (ended_for >= 2).all():  # every episode ended and was stepped past its end
                break

    def _runner(self, module: ModuleType) -> Any:
        import jax
        import jax.numpy as jnp

        names = list(BUILTIN_FIELDS) + list(module.FIELDS)

        def view(s: Any) -> dict[str, Any]:
            out = {n: getattr(s, n) for n in names}
            for p in range(module.NUM_PLAYERS):
                out[f"observe(s, {p})"] = module.observe(s, p)
            out["invariants(s)"] = jnp.asarray(module.invariants(s))
            return out

        v_view = jax.jit(jax.vmap(view))
        return SimpleNamespace(
            init=jax.jit(jax.vmap(module.init)),
            step=jax.jit(jax.vmap(module.step)),
            keys=jax.jit(jax.vmap(lambda k, t: jax.random.fold_in(k, t + 1), in_axes=(0, None))),
            view=lambda s: {k: np.asarray(v) for k, v in jax.device_get(v_view(s)).items()},
        )

    def difference(self, module: ModuleType) -> str | None:
        """Where `module` first behaves differently ("episode E step T: FIELD"), or None."""
        run = self._runner(module)
        state = run.init(self.keys)
        for t, want in enumerate(self.frames):
            if t:
                state = run.step(state, self.actions[t - 1], run.keys(self.keys, t - 1))
            got = run.view(state)
            for name, expected in want.items():
                tol = self.tol.get("observation" if name.startswith("observe(") else name, 0.0)
                bad = _differing_rows(got[name], expected, tol)
                if bad is not None:
                    return f"episode {bad} step {t}: {name}"
        return None


def _differing_rows(got: np.ndarray, want: np.ndarray, tol: float) -> int | None:
    if got.shape != want.shape or got.dtype != want.dtype:
        return 0
    if got.dtype.kind == "f":
        close = np.isclose(got, want, rtol=0.0, atol=tol, equal_nan=True)
    else:
        close = got == want
    rows = np.flatnonzero(~close.reshape(len(close), -1).all(axis=1))
    return int(rows[0]) if len(rows) else None


# ------------------------------------------------------------------ the verifier's levels


class Stages:
    """The verifier's levels, each a check of one mutant: (caught?, what it saw)."""

    def __init__(self, spec_path: str, levels: list[int], against: str | None, episodes: int, seed: int,
                 examples: int, workdir: Path):  # fmt: skip
        from ..compiler import compile_spec, write
        from ..loader import load
        from ..schema import ScenarioSpec
        from . import coverage_module
        from .regressions import load_regressions

        self.spec_path, self.episodes, self.seed, self.examples = spec_path, episodes, seed, examples
        self.spec, self.source, self.program = load(spec_path)
        self.compiled = compile_spec(spec_path)
        self.dir = write(self.compiled, workdir / self.program.name)
        self.scenarios = list(self.spec.scenarios) + [ScenarioSpec(**r) for r in load_regressions(spec_path)]
        self.reference = load_source(self.compiled.files["reference.py"], f"specc_mutate_{self.program.name}_ref")
        self.covered = coverage_module(self.program, self.dir)
        self.against = against if 3 in levels else None
        # a mutant may make games endless: level 3's default 10 000 steps an episode would take minutes
        self.max_steps = self.program.max_steps or 200
        self.peer = None
        order = [("3", 3), (f"3 vs {against}", 3), ("2", 2), ("1", 1)]  # cheapest first
        self.order = [name for name, lv in order if lv in levels and (not name.startswith("3 vs") or against)]

    def run(self, stage: str, mutant: Mutant, env: ModuleType) -> tuple[bool, str]:
        try:
            return getattr(self, "_level" + stage.split()[0])(stage, mutant, env)
        except Exception as err:  # a mutant may crash a level: `specc verify` fails then too
            return True, f"raised {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]

    def _reference_of(self, mutant: Mutant, coverage: bool) -> ModuleType:
        from . import coverage_module

        if mutant.program is None:
            return self.covered if coverage else self.reference
        if coverage:
            return coverage_module(mutant.program, self.dir)
        return load_source(mutant.ref_source or "", f"specc_mutate_{self.program.name}_mref")

    def _level3(self, stage: str, mutant: Mutant, env: ModuleType) -> tuple[bool, str]:
        if stage == "3":
            from .rollouts import lockstep_backends

            reference = self._reference_of(mutant, True)
            result = lockstep_backends(env, reference, self.episodes, self.seed, max_steps=self.max_steps)
        else:
            from .peers import chance_cells, lockstep_peer, make_peer

            against = self.against or ""
            self.peer = self.peer or make_peer(against, chance_cells(self.spec, self.source, self.program, against))
            result = lockstep_peer(env, self.against or "", self.episodes, self.seed, self.max_steps, peer=self.peer)
        div = result.divergence
        detail = f"episode {div.episode} step {div.step}: {div.field}" if div else "; ".join(result.failures[:1])
        return result.failed > 0, detail

    def _level2(self, stage: str, mutant: Mutant, env: ModuleType) -> tuple[bool, str]:
        from .scenarios import run_scenarios

        backends = {"jax": env, "python": self._reference_of(mutant, False)}
        result = run_scenarios(self.program, self.source, self.scenarios, backends)
        return result.failed > 0, "; ".join(result.failures[:1])

    def _level1(self, stage: str, mutant: Mutant, env: ModuleType) -> tuple[bool, str]:
        from . import level_properties

        (self.dir / "env.py").write_text(mutant.env_source)
        if mutant.ref_source is not None:
            (self.dir / "reference.py").write_text(mutant.ref_source)
        try:
            result = level_properties(self.dir / f"test_{self.program.name}.py", self.examples)
        finally:
            for name in ("env.py", "reference.py"):
                (self.dir / name).write_text(self.compiled.files[name])
        return result.failed > 0, "; ".join(result.failures[:1])


# ------------------------------------------------------------------ the run


@dataclass
class MutationReport:
    spec: str
    stages: list[str]
    mutants: list[Mutant]
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    def families(self) -> list[str]:
        return [f for f in FAMILIES if any(m.family == f for m in self.mutants)]

    def table(self, family: str) -> dict[str, dict[str, Any]]:
        """Per operator (and "all"): mutants, equivalent, invalid, compile, caught per stage, missed, share."""
        rows: dict[str, dict[str, Any]] = {}
        for op in [*OPERATORS, "all"]:
            ms = [m for m in self.mutants if m.family == family and (op == "all" or m.operator == op)]
            if not ms:
                continue
            count = Counter(m.status for m in ms)
            row: dict[str, Any] = {"mutants": len(ms)}
            row |= {k: count[k] for k in ("equivalent", "invalid", "compile", "caught", "missed")}
            row["by_stage"] = {s: sum(1 for m in ms if s in m.caught_by) for s in self.stages}
            row["share"] = score(ms)
            rows[op] = row
        return rows

    def score(self, family: str | None = None) -> float | None:
        return score([m for m in self.mutants if family is None or m.family == family])

    def to_json(self) -> str:
        data = {
            "spec": self.spec,
            "stages": self.stages,
            "seconds": self.seconds,
            "settings": self.settings,
            "families": {f: {"table": self.table(f), "share": self.score(f)} for f in self.families()},
            "mutants": [
                {k: v for k, v in dataclasses.asdict(m).items() if k not in ("env_source", "ref_source", "program")}
                for m in self.mutants
            ],
        }
        return json.dumps(_jsonable(data), indent=2)

    def print(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        console = console or Console(width=100)
        for fam in self.families():
            console.print(f"specc mutate {self.spec}: {fam} mutants ({FAMILY_DOC[fam]})", highlight=False)
            table = Table()
            cols = ["operator", "mutants", "equivalent", "invalid", "compile"]
            cols += [f"L{s}" for s in self.stages] + ["missed", "caught"]
            for c in cols:
                table.add_column(c, justify="left" if c == "operator" else "right")
            for op, row in self.table(fam).items():
                by_stage = [str(row["by_stage"][s]) for s in self.stages]
                share = "-" if row["share"] is None else f"{row['share']:.0%}"
                cells = [op, str(row["mutants"]), str(row["equivalent"]), str(row["invalid"]), str(row["compile"])]
                table.add_row(*cells, *by_stage, str(row["missed"]), share)
            console.print(table)
            missed = [m for m in self.mutants if m.family == fam and m.status == "missed"]
            for m in missed:
                console.print(f"[red]missed[/red] {escape(m.describe())} ({escape(m.detail)})", highlight=False)
        total = self.score()
        share = "-" if total is None else f"{total:.1%}"
        console.print(f"caught {share} of the mutants that change behaviour ({self.seconds:.0f}s)")


FAMILY_DOC = {"code": "one edit of env.py", "spec": "one edit of the rules, in both backends"}


def score(mutants: list[Mutant]) -> float | None:
    """Caught (compile included) over the mutants that change behaviour."""
    changed = [m for m in mutants if m.status in ("compile", "caught", "missed")]
    return sum(m.status != "missed" for m in changed) / len(changed) if changed else None


def _sample(edits: list[Any], budget: int, seed: int) -> list[Any]:
    """Up to `budget` edits, round-robin over operators (each shuffled by `seed`), so rare
    operators are not drowned by the common ones; deterministic."""
    rng = random.Random(seed)
    pools = {op: [e for e in edits if e.operator == op] for op in OPERATORS}
    for pool in pools.values():
        rng.shuffle(pool)
    picked: list[Any] = []
    while len(picked) < budget and any(pools.values()):
        for op in OPERATORS:
            if pools[op] and len(picked) < budget:
                picked.append(pools[op].pop())
    return picked


def _code_mutants(source: str, budget: int, seed: int) -> list[Mutant]:
    out = []
    for e in _sample(code_edits(source), budget, seed):
        m = Mutant("code", e.operator, f"env.py:{e.line}", e.change)
        try:
            m.env_source = apply_edit(source, e)
        except Exception as err:  # an edit ast.unparse cannot write: not a program
            m.status, m.detail = "invalid", f"{type(err).__name__}: {err}"
        out.append(m)
    return out


def _spec_mutants(program: ir.Program, spec_lines: list[str], budget: int, seed: int) -> list[Mutant]:
    from ..backends import jax_backend, python_backend

    out = []
    for e in _sample(spec_edits(program), budget, seed):
        line = e.where.line if e.where else 0
        text = spec_lines[line - 1].strip() if 0 < line <= len(spec_lines) else ""
        m = Mutant("spec", e.operator, str(e.where or program.source_file), f"`{text[:90]}`: {e.change}")
        try:
            m.program = _replace_at(program, e.path, e.fn)
            m.env_source = jax_backend.generate(m.program)
            m.ref_source = python_backend.generate(m.program)
        except Exception as err:  # the backends refuse it (e.g. a shape made wrong): not an environment
            m.status, m.detail = "invalid", f"{type(err).__name__}: {str(err)[:120]}"
        out.append(m)
    return out


def mutation_score(
    spec_path: str,
    max_mutants: int = 60,
    levels: list[int] | None = None,
    episodes: int = 200,
    against: str | None = None,
    seed: int = 0,
    families: tuple[str, ...] = FAMILIES,
    examples: int = 10,
    behaviour_episodes: int = 1000,
    all_levels: bool = False,
    console: Any = None,
) -> MutationReport:
    """Seed up to `max_mutants` bugs per family into the compiled `spec_path`; run the
    verifier's `levels` on each one that changes behaviour."""
    from hypothesis import settings as hsettings

    from ..progress import task

    levels = levels or [1, 2, 3]
    if not set(levels) <= {1, 2, 3}:
        raise SpecError("specc mutate runs levels 1 to 3")
    for fam in families:
        if fam not in FAMILIES:
            raise SpecError(f"--family takes {', '.join(FAMILIES)}, got {fam!r}")
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="specc_mutate_"))
    hsettings.register_profile("specc-mutate", derandomize=True, database=None)  # the same examples every run
    profile = hsettings.get_current_profile_name()
    hsettings.load_profile("specc-mutate")
    try:
        stages = Stages(spec_path, levels, against, episodes, seed, examples, workdir)
        name = stages.program.name
        original_env = stages.compiled.files["env.py"]
        mutants: list[Mutant] = []
        if "code" in families:
            mutants += _code_mutants(original_env, max_mutants, seed)
        if "spec" in families:
            spec_lines = Path(spec_path).read_text().splitlines()
            mutants += _spec_mutants(stages.program, spec_lines, max_mutants, seed)
        original = load_source(original_env, f"specc_mutate_{name}_original")
        baseline = Baseline(original, behaviour_episodes, seed, stages.program.max_steps or 200)
        with task(f"mutate {name}", total=len(mutants), unit="mutants") as bar:
            for i, m in enumerate(mutants):
                bar.update(note=m.describe()[:60])
                _judge(m, i, baseline, stages, all_levels)
                by = f" by {', '.join('L' + s for s in m.caught_by)}" if m.caught_by else ""
                bar.advance(note="")
                bar.print(f"{i + 1:3d} {m.status}{by}: {m.describe()}")
        return MutationReport(
            spec_path, stages.order, mutants, time.perf_counter() - start,
            {"max_mutants": max_mutants, "levels": levels, "episodes": episodes, "against": against, "seed": seed,
             "examples": examples, "behaviour_episodes": behaviour_episodes, "all_levels": all_levels},
        )  # fmt: skip
    finally:
        hsettings.load_profile(profile)
        shutil.rmtree(workdir, ignore_errors=True)


def _judge(m: Mutant, i: int, baseline: Baseline, stages: Stages, all_levels: bool) -> None:
    """Set the mutant's status: invalid, compile, equivalent, caught (and by which stages) or missed."""
    if m.status == "invalid":
        return
    module_name = f"specc_mutant_{i}"
    try:
        try:
            env = load_source(m.env_source, module_name)
            m.detail = baseline.difference(env) or ""
        except Exception as err:  # fails to import or trace: a broken build, caught before any level
            m.status, m.detail = "compile", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            m.detail = m.detail[:200]
            return
        if not m.detail:
            m.status = "equivalent"
            return
        behaviour = m.detail
        for stage in stages.order:
            caught, detail = stages.run(stage, m, env)
            if caught:
                if not m.caught_by:
                    m.detail = f"{behaviour}; caught by L{stage}: {detail}"
                m.caught_by.append(stage)
                if not all_levels:
                    break
        m.status = "caught" if m.caught_by else "missed"
    finally:
        sys.modules.pop(module_name, None)
