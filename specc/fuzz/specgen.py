"""Random well-typed specs: declarations, statements and whole plans, drawn with hypothesis.

A `Plan` is one spec before rendering: declarations (players, state fields of every
dtype and shape, hidden ones included, constants, an enum, a CSV table, procedures),
an init block, and actions. Each action (its parameters, guard and effect block) is
one *program*: the fuzzer counts programs, and runs each from random states.
`render_spec(plan, avoid)` writes the YAML text with the guards of `avoid` applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from .exprs import BOUNDS, DTYPES, INTS, RANK, Ex, ExprGen, Scope, Var, int_literal
from .frag import Frag, Guard, cat, render

SHAPES = ((), (), (2,), (3,), (4,), (2, 3))


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
    procedures: tuple[tuple[str, tuple[str, ...], tuple[Frag, ...]], ...]
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
        for _, _, body in self.procedures:
            out |= labels(tuple(body))
        return out


TABLE_COLUMNS = {"hp": "int16", "w": "float32", "ok": "bool", "kind": "E", "prev": "row"}


class BlockGen:
    """Draws statement blocks over a scope; tracks locals and approximate floats."""

    def __init__(self, draw: Callable, players: int, *, outcomes: bool, procs: tuple = (), prefix: str = "v",
                 exact_only: bool = False):  # fmt: skip
        self.draw = draw
        self.players = players
        self.outcomes = outcomes
        self.procs = procs  # (name, param types) callable here
        self.prefix = prefix
        self.exact_only = exact_only
        self.counter = 0

    def pick(self, options: list):
        return self.draw(st.sampled_from(options))

    def block(self, scope: Scope, indent: int, size: int, depth: int) -> list[Frag]:
        lines: list[Frag] = []
        for _ in range(size):
            lines += self.stmt(scope, indent, depth)
        return lines or [" " * indent + "pass\n"]

    def line(self, indent: int, *parts: Frag) -> list[Frag]:
        return [cat(" " * indent, *parts, "\n")]

    def stmt(self, scope: Scope, indent: int, depth: int) -> list[Frag]:
        kinds = ["assign", "assign", "index", "aug", "local", "local", "chance", "zone"]
        if depth > 0:
            kinds += ["if", "if", "for"]
        if self.outcomes:
            kinds += ["outcome", "current"]
        if self.procs:
            kinds.append("call")
        kind = self.pick(kinds)
        g = ExprGen(self.draw, scope, depth=self.draw(st.integers(1, 2)))
        writable = [v for v in scope.vars.values() if v.kind in ("state", "local")]
        if kind in ("assign", "index", "aug") and writable:
            v = self.pick(writable)
            if kind == "index" and v.shape:
                return self.assign_index(g, v, indent)
            if kind == "aug" and v.dtype != "bool" and not v.approx:
                op = self.pick(["+=", "-=", "*=", "//=", "%="] if v.dtype != "float32" else ["+=", "-="])
                value = g.expr(
                    self.pick([d for d in INTS if RANK[d] <= RANK[v.dtype]] if v.dtype in INTS else ["float32", "int8"])
                )
                frag = value.frag
                if op in ("//=", "%="):
                    frag = Guard("division-overflow", op[:-1], frag, "where({x} == -1, 1, {x})")
                    frag = Guard("zero-divisor", op[:-1], frag, "where({x} == 0, 1, {x})")
                    if value.literal:
                        frag = self.pick(["3", "(-2)"])
                return self.line(indent, f"{v.name} {op} ", frag)
            return self.assign(g, v, indent)
        if kind == "local" or (kind in ("assign", "index", "aug") and not writable):
            self.counter += 1
            name = f"{self.prefix}{self.counter}"
            dtype, shape = self.pick(list(DTYPES)), self.pick(list(SHAPES))
            value = g.value(dtype, shape) if not self.exact_only else g.expr(dtype, shape)
            if value.literal and dtype in INTS:
                value = Ex(f"{dtype}({render(value.frag)})", dtype)  # a bare literal would be a weak int32
            scope.vars[name] = Var(name, value.dtype, shape, "local", approx=value.approx)
            return self.line(indent, f"{name} = ", value.frag)
        if kind == "if":
            return self.if_stmt(scope, g, indent, depth)
        if kind == "for":
            g2, var = g.with_loop_var()
            lo = self.draw(st.integers(-1, 1))
            hi = lo + self.draw(st.integers(1, 3))
            inner = BlockGen(self.draw, self.players, outcomes=self.outcomes, procs=self.procs,
                             prefix=f"{self.prefix}f", exact_only=True)  # fmt: skip
            inner.counter = self.counter
            body = inner.block(g2.scope, indent + 4, self.draw(st.integers(1, 2)), depth - 1)
            self.counter = inner.counter
            return self.line(indent, f"for {var} in {f'({lo})' if lo < 0 else lo}..{hi}:") + body
        if kind == "outcome":
            return self.outcome(g, indent)
        if kind == "current":
            p = g.expr(self.pick(list(INTS)))
            return self.line(
                indent, "current_player = ", Guard("current-player", "=", p.frag, f"clip({{x}}, 0, {self.players - 1})")
            )
        if kind == "call":
            name, types = self.pick(list(self.procs))
            args: list[Frag] = []
            for k, t in enumerate(types):
                args += [", " if k else "", g.expr(t).frag]
            return self.line(indent, f"{name}(", *args, ")")
        if kind == "zone":
            return self.zone(g, scope, indent)
        return self.chance_stmt(g, scope, indent)

    def assign(self, g: ExprGen, v: Var, indent: int) -> list[Frag]:
        dtype = (
            v.dtype
            if v.dtype in ("bool", "float32")
            else self.pick([d for d in INTS if RANK[d] <= RANK[v.dtype]] + [v.dtype])
        )
        if v.dtype == "float32" and self.draw(st.booleans()):
            dtype = self.pick(["int8", "int32"])  # an int stored into a float
        shape = v.shape if not v.shape or self.draw(st.integers(0, 3)) else ()
        value = g.value(dtype, shape) if not self.exact_only else g.expr(dtype, shape)
        if value.literal and v.dtype in INTS:
            value = Ex(int_literal(self.draw, v.dtype), v.dtype, literal=True)
        if value.approx:
            v.approx = True
        return self.line(indent, f"{v.name} = ", value.frag)

    def assign_index(self, g: ExprGen, v: Var, indent: int) -> list[Frag]:
        keep = self.draw(st.integers(0, len(v.shape) - 1))
        axes = v.shape[: len(v.shape) - keep]
        parts: list[Frag] = [f"{v.name}["]
        for k, n in enumerate(axes):
            i = g.sub(1).expr(self.pick(list(INTS)))
            idx = i.frag if i.literal else Guard("index-write", "[]=", i.frag, f"clip({{x}}, 0, {n - 1})")
            if i.literal:
                idx = str(self.draw(st.integers(0, n - 1)))
            parts += [", " if k else "", idx]
        dtype = v.dtype if v.dtype in ("bool", "float32") else self.pick([d for d in INTS if RANK[d] <= RANK[v.dtype]])
        value = g.expr(dtype, v.shape[len(axes) :] if self.draw(st.booleans()) else ())
        if value.literal and v.dtype in INTS:
            value = Ex(int_literal(self.draw, v.dtype), v.dtype, literal=True)
        return self.line(indent, *parts, "] = ", value.frag)

    def if_stmt(self, scope: Scope, g: ExprGen, indent: int, depth: int) -> list[Frag]:
        lines = self.line(indent, "if ", g.expr("bool").frag, ":")
        lines += self.block(scope.child(), indent + 4, self.draw(st.integers(1, 2)), depth - 1)
        for _ in range(self.draw(st.integers(0, 1))):
            lines += self.line(indent, "elif ", g.expr("bool").frag, ":")
            lines += self.block(scope.child(), indent + 4, 1, depth - 1)
        if self.draw(st.booleans()):
            lines += self.line(indent, "else:")
            lines += self.block(scope.child(), indent + 4, self.draw(st.integers(1, 2)), depth - 1)
        return lines

    def outcome(self, g: ExprGen, indent: int) -> list[Frag]:
        kind = self.pick(["win", "lose", "draw", "terminate", "truncate", "reward", "reward2"])
        player = Guard(
            "player", kind.rstrip("2"), g.expr(self.pick(list(INTS))).frag, f"clip({{x}}, 0, {self.players - 1})"
        )
        if kind in ("win", "lose"):
            return self.line(indent, f"{kind}(", player, ")")
        if kind == "reward":
            return self.line(indent, "reward(", g.expr(self.pick(["float32", "int16"])).frag, ")")
        if kind == "reward2":
            return self.line(indent, "reward(", player, ", ", g.expr(self.pick(["float32", "int8"])).frag, ")")
        return self.line(indent, f"{kind}()")

    def zone(self, g: ExprGen, scope: Scope, indent: int) -> list[Frag]:
        zones = [
            v for v in scope.vars.values() if v.kind in ("state", "local") and v.dtype in INTS and len(v.shape) == 1
        ]
        if not zones:
            return self.chance_stmt(g, scope, indent)
        z = self.pick(zones).name
        kind = self.pick(["push", "push", "remove", "shuffle"])
        if kind == "shuffle":
            return self.line(indent, f"{z} = shuffle({z})")
        arg = g.expr(self.pick(list(INTS)))
        return self.line(indent, f"{z} = {kind}({z}, ", arg.frag, ")")

    def chance_stmt(self, g: ExprGen, scope: Scope, indent: int) -> list[Frag]:
        self.counter += 1
        name = f"{self.prefix}{self.counter}"
        kind = self.pick(["roll", "flip", "choose"] + ([] if self.exact_only else ["uniform"]))
        if kind == "roll":
            n = g.expr(self.pick(list(INTS)))
            if n.literal:
                frag: Frag = str(self.draw(st.integers(1, 6)))
            else:
                frag = Guard("roll-range", "roll", n.frag, "max({x}, 1)")
            value, dtype = cat("roll(", frag, ")"), "int32"
        elif kind == "flip":
            value, dtype = "flip()", "bool"
        elif kind == "choose":
            value, dtype = cat("choose(", g.expr("bool", (self.pick([2, 3, 4]),)).frag, ")"), "int32"
        else:
            value, dtype = cat("uniform(", g.expr("float32").frag, ", ", g.expr("int8").frag, ")"), "float32"
        scope.vars[name] = Var(name, dtype, (), "local", approx=kind == "uniform")
        return self.line(indent, f"{name} = ", value)


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

    procs = []
    for p in range(draw(st.integers(0, 2))):
        types = tuple(
            draw(st.sampled_from(["int32", "int8", "bool", "float32"])) for _ in range(draw(st.integers(0, 2)))
        )
        pscope = scope.fresh()
        names = tuple(f"a{p}_{k}" for k in range(len(types)))
        for n, t in zip(names, types):
            pscope.vars[n] = Var(n, t, (), "param")
        earlier = tuple((n, t) for n, t, _, _ in procs)
        gen = BlockGen(draw, players, outcomes=True, procs=earlier, prefix=f"p{p}_", exact_only=True)
        body = tuple(gen.block(pscope, 0, draw(st.integers(1, 3)), 1))
        procs.append((f"proc{p}", types, names, body))

    init_gen = BlockGen(draw, players, outcomes=False, prefix="w")
    init = tuple(init_gen.block(scope.fresh(), 0, draw(st.integers(0, 2)), 1)) if draw(st.booleans()) else ()

    actions = []
    for k in range(draw(st.integers(1, max_actions))):
        ascope = scope.fresh()
        params = []
        for j in range(draw(st.integers(0, 2))):
            domain = draw(st.sampled_from(["0..3", "(-2)..2", "E", "2", "5..7"]))
            params.append((f"q{k}_{j}", domain.replace("(-2)", "-2")))
            ascope.vars[f"q{k}_{j}"] = Var(f"q{k}_{j}", "int32", (), "param")
        legal: Frag = "true"
        if draw(st.integers(0, 2)):
            legal = ExprGen(draw, ascope, depth=2).expr("bool").frag
        calls = tuple((name, types) for name, types, _, _ in procs)
        gen = BlockGen(draw, players, outcomes=True, procs=calls)
        effect = tuple(gen.block(ascope.child(), 0, draw(st.integers(1, 3)), 1))
        seeds = tuple(draw(st.integers(0, 2**32 - 1)) for _ in range(draw(st.integers(1, 2))))
        actions.append(ActionPlan(f"act{k}", tuple(params), legal, effect, seeds))

    obs_dtype = draw(st.sampled_from(["float32", "int32"]))
    oscope = scope.fresh()
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
        procedures=tuple((n, names, body) for n, _, names, body in procs),
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
    if plan.procedures:
        out.append("procedures:\n")
        for pname, params, body in plan.procedures:
            out.append(f"  {pname}:\n    params: [{', '.join(params)}]\n    body: |\n" + _block(body, avoid, 6))
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
    return "".join(out)
