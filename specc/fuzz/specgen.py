"""Random well-typed specs: declarations, statements and whole plans, drawn with hypothesis.

A `Plan` is one spec before rendering: declarations (players, state fields of every
dtype and shape, hidden ones included, constants, an enum, a CSV table, procedures),
an init block, and actions. Each action (its parameters, guard and effect block) is
one *program*: the fuzzer counts programs, and runs each from random states.
`render_spec(plan, avoid)` writes the YAML text with the guards of `avoid` applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from .blocks import SHAPES, BlockGen
from .exprs import BOUNDS, DTYPES, INTS, Ex, ExprGen, Scope, Var
from .frag import Frag, cat, render
from .procgen import ProcPlan, procedures


@dataclass(frozen=True)
class ActionPlan:
    name: str
    params: tuple[tuple[str, str], ...]  # name, domain text
    legal: Frag
    effect: tuple[Frag, ...]  # one fragment per line, indentation included
    seeds: tuple[int, ...] = (0,)  # one case (random start state and actions) per seed


@dataclass(frozen=True)
class FieldPlan:
    name: str
    dtype: str
    shape: tuple[int, ...]
    visible: str
    init: str  # YAML text of the init value
    zone: bool = False


@dataclass(frozen=True)
class Plan:
    """One random spec. `fields` also drives the random states of the cases."""

    players: int
    fields: tuple[FieldPlan, ...]
    constants: str  # YAML lines
    enum: tuple[str, tuple[str, ...]]
    table_csv: str
    procedures: tuple[ProcPlan, ...]
    init: tuple[Frag, ...]
    actions: tuple[ActionPlan, ...]
    observe_type: str
    observe: Frag
    max_steps: int | None = None
    tolerance: float = 1e-4

    def labels(self) -> set[str]:
        """Every guard label (edge site) in the plan."""
        from .frag import labels

        out = labels(self.observe) | labels(tuple(self.init))
        for a in self.actions:
            out |= labels(a.legal) | labels(tuple(a.effect))
        for proc in self.procedures:
            out |= labels(proc.body)
        return out


TABLE_COLUMNS = {"hp": "int16", "w": "float32", "ok": "bool", "kind": "E", "prev": "row"}


def _base_scope(players: int, fields: tuple[FieldPlan, ...], table_rows: int) -> Scope:
    vs = {f.name: Var(f.name, f.dtype, f.shape, "state") for f in fields}
    vs["current_player"] = Var("current_player", "int32", (), "builtin")
    vs["step_count"] = Var("step_count", "int32", (), "builtin")
    vs["K1"] = Var("K1", "int32", (3,), "const")
    vs["K2"] = Var("K2", "float32", (2, 3), "const")
    tables = {f"T.{c}": (("int8" if t in ("E", "row") else t), table_rows) for c, t in TABLE_COLUMNS.items()}
    for name, (dtype, rows) in tables.items():
        vs[name] = Var(name, dtype, (rows,), "const")
    return Scope(vs, players, tables, ("E", ["red", "green", "blue"]))


def _field(draw: Callable, name: str, players: int) -> FieldPlan:
    dtype = draw(st.sampled_from(DTYPES))
    visible = draw(st.sampled_from(["all", "all", "none", "owner"]))
    shape = draw(st.sampled_from(SHAPES))
    if visible == "owner":
        shape = (players,) + draw(st.sampled_from([(), (2,)]))
    zero = {"bool": "false", "float32": "0.0"}.get(dtype, "0")
    init = zero
    if dtype in INTS and not shape and draw(st.booleans()):
        init = draw(st.sampled_from(['"roll(4)"', "-1", str(BOUNDS[dtype][1])]))
    elif shape and len(shape) == 1 and draw(st.booleans()):
        items = [draw(st.sampled_from({"bool": ["true", "false"], "float32": ["1.5", "-2.0"]}.get(dtype, ["-1", "3"])))
                 for _ in range(shape[0])]  # fmt: skip
        init = f"[{', '.join(items)}]"
    return FieldPlan(name, dtype, shape, visible, init)


@st.composite
def plans(draw: Callable, max_actions: int = 24) -> Plan:
    """A random spec plan with 1..max_actions actions (programs)."""
    players = draw(st.integers(1, 4))
    fields = [_field(draw, f"f{k}", players) for k in range(draw(st.integers(2, 6)))]
    zone_dtype = draw(st.sampled_from(["int8", "int16"]))
    fields.append(FieldPlan("z", zone_dtype, (draw(st.integers(1, 4)),), "all", "-1", zone=True))
    fields = tuple(fields)
    rows = draw(st.integers(1, 4))
    scope = _base_scope(players, fields, rows)
    csv = ["name,hp,w,ok,kind,prev"]
    for r in range(rows):
        hp = draw(st.sampled_from(["0", "-1", "32767", "70", ""]))
        prev = draw(st.sampled_from(["", "r0"]))
        w = draw(st.sampled_from(["0.5", "-3.25", "1e30", ""]))
        ok, kind = draw(st.sampled_from(["true", "false", ""])), draw(st.sampled_from(["red", "blue", ""]))
        csv.append(f"r{r},{hp},{w},{ok},{kind},{prev}")

    procs = procedures(draw, scope, players)  # their signatures join scope.funcs
    pure = tuple(f for f in scope.funcs if f.kind != "proc")

    init_gen = BlockGen(draw, players, outcomes=False, procs=pure, prefix="w")
    init = tuple(init_gen.block(scope.fresh(), 0, draw(st.integers(0, 2)), 1)) if draw(st.booleans()) else ()

    actions = []
    # choice points in about a third of the specs: they add a step kind, which costs compile time
    chooses = draw(st.integers(0, 2)) == 0
    for k in range(draw(st.integers(1, max_actions))):
        ascope = scope.fresh()
        params = []
        for j in range(draw(st.integers(0, 2))):
            domain = draw(st.sampled_from(["0..3", "(-2)..2", "E", "2", "5..7"]))
            params.append((f"q{k}_{j}", domain.replace("(-2)", "-2")))
            ascope.vars[f"q{k}_{j}"] = Var(f"q{k}_{j}", "int32", (), "param")
        legal: Frag = "true"
        if draw(st.integers(0, 2)):
            legal = ExprGen(draw, ascope.child(calls="let"), depth=2).expr("bool").frag
        gen = BlockGen(draw, players, outcomes=True, procs=scope.funcs, choices=chooses)
        effect = tuple(gen.block(ascope.child(), 0, draw(st.integers(1, 3)), 1))
        seeds = tuple(draw(st.integers(0, 2**32 - 1)) for _ in range(draw(st.integers(1, 2))))
        actions.append(ActionPlan(f"act{k}", tuple(params), legal, effect, seeds))

    obs_dtype = draw(st.sampled_from(["float32", "int32"]))
    oscope = scope.fresh(calls="let")
    oscope.vars["player"] = Var("player", "int32", (), "builtin")
    og = ExprGen(draw, oscope, depth=2)
    items: list[Frag] = []
    for f in fields:
        if f.visible == "owner":  # what the observer owns: row `player` (no guard: see the observer edge)
            row = f"{f.name}[player{', 0' if len(f.shape) > 1 else ''}]"
            items.append(og.cast(Ex(row, f.dtype), obs_dtype).frag)
    for _ in range(draw(st.integers(1, 3))):
        items.append((og.value(obs_dtype) if obs_dtype == "float32" else og.expr(obs_dtype)).frag)
    parts: list[Frag] = [f"{'float' if obs_dtype == 'float32' else 'int32'}(stack("]
    for k, item in enumerate(items):
        parts += [", " if k else "", item]
    observe = cat(*parts, "))")
    return Plan(
        players=players,
        fields=fields,
        constants="  K0: 3\n  K1: [0, -1, 7]\n  K2: [[0.5, -1.0, 2.0], [1.0e+30, -0.0, 3.0]]\n  K3: K0 * 2 - 7\n",
        enum=("E", ("red", "green", "blue")),
        table_csv="\n".join(csv) + "\n",
        procedures=procs,
        init=init,
        actions=tuple(actions),
        observe_type=f"{obs_dtype}[{len(items)}]",
        observe=observe,
        max_steps=draw(st.sampled_from([None, None, 2, 5])),
    )


def _block(lines: tuple[Frag, ...], avoid: frozenset[str], indent: int) -> str:
    text = "".join(render(x, avoid) for x in lines) or "pass\n"
    return "".join(" " * indent + line + "\n" for line in text.rstrip("\n").split("\n"))


def render_spec(plan: Plan, name: str, table_file: str, avoid: frozenset[str] = frozenset()) -> str:
    """The YAML text of a plan, with the guards of the avoided edge kinds applied."""
    out = [f"specc: 1\nname: {name}\nplayers: {plan.players}\n"]
    if plan.max_steps:
        out.append(f"max_steps: {plan.max_steps}\n")
    out.append("constants:\n" + plan.constants)
    out.append(f"enums:\n  {plan.enum[0]}: [{', '.join(plan.enum[1])}]\n")
    columns = ", ".join(f"{c}: {t}" for c, t in TABLE_COLUMNS.items())
    out.append(f"tables:\n  T: {{file: {table_file}, columns: {{{columns}}}}}\n")
    out.append("state:\n")
    for f in plan.fields:
        dims = f"[{','.join(map(str, f.shape))}]" if f.shape else ""
        tol = f", tolerance: {plan.tolerance}" if f.dtype == "float32" else ""
        out.append(f'  {f.name}: {{type: "{f.dtype}{dims}", init: {f.init}, visible: {f.visible}{tol}}}\n')
    if plan.init:
        out.append("init: |\n" + _block(plan.init, avoid, 2))
    head, out = out, []
    out.append("actions:\n")
    for a in plan.actions:
        out.append(f"  {a.name}:\n")
        if a.params:
            out.append(
                "    params: {" + ", ".join(f"{p}: {d if d.isdigit() else repr(d)}" for p, d in a.params) + "}\n"
            )
        out.append(f"    legal: '{render(a.legal, avoid)}'\n")
        out.append("    effect: |\n" + _block(a.effect, avoid, 6))
    out.append(f"observe:\n  type: \"{plan.observe_type}\"\n  value: '{render(plan.observe, avoid)}'\n")
    out.append(f"  tolerance: {plan.tolerance}\n")
    return "".join(head) + _procedures(plan, avoid, "".join(head + out)) + "".join(out)


def _procedures(plan: Plan, avoid: frozenset[str], rest: str) -> str:
    """The `procedures:` section, with only the procedures something calls (directly or
    through another procedure): an unused one adds nothing any backend runs, and a shrunk
    spec should show only what its divergence needs."""
    bodies = {p.name: _block(p.body, avoid, 6) for p in plan.procedures}
    called = lambda text: {n for n in bodies if re.search(rf"\b{n}\(", text)}  # noqa: E731
    used, todo = set(), called(rest)
    while todo:
        name = todo.pop()
        used.add(name)
        todo |= called(bodies[name]) - used
    out = []
    for proc in plan.procedures:
        if proc.name in used:
            out.append(f"  {proc.name}:\n    params: [{', '.join(proc.params)}]\n")
            if proc.returns:
                out.append(f'    returns: "{proc.returns}"\n')
            out.append("    body: |\n" + bodies[proc.name])
    return "procedures:\n" + "".join(out) if out else ""
