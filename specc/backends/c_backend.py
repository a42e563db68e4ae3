"""The C backend: IR -> generated/NAME/native.c, scalar C like the Python reference.

One State struct per environment (fixed-size arrays of the declared dtypes), plain
branches and loops, chance from a threefry-2x32 of its own (bit-identical to
jax.random), and batched entry points spread over the cores with OpenMP.
specc.native builds it with the system C compiler and loads it through cffi.
"""

from __future__ import annotations

import math

from .. import __version__, ir
from ..errors import SpecError
from .c_expr import CTYPE, CExpr, Temps, cast, literal, local_key, mangle, reads, unravel
from .common import (
    Emitter,
    action_table,
    chance_sites,
    float_fields,
    illegal_rewards,
    max_params,
    player_always_valid,
    router,
)
from .hoist import hoist_guard
from .literals import c_array, c_column, c_constants, flatten

MOD_TABLE_MAX = 1024  # the bench harness divides by a table's multiplications up to this many legal actions
RESET_SITE = 0x7E5E7  # specc.api.RESET_SITE: the next episode's key is fold_in(key, RESET_SITE)


def _entry(value: bool | int | float, dtype: str) -> str:
    """A constant's entry in an initializer: bools as 0/1, integers bare."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int) and value != -(2**31):
        return str(value)
    return literal(value, ir.Type(dtype))


class CBlock:
    """Statements -> C lines mutating the state `s`."""

    def __init__(self, out: Emitter, names: dict[str, str], words: dict[int, str], temps: Temps,
                 bounds: dict[str, tuple[int, int]] | None = None):  # fmt: skip
        self.out = out
        self.names = names
        self.words = words
        self.temps = temps
        self.bounds = bounds if bounds is not None else {}

    def expr(self) -> CExpr:
        return CExpr(self.names, self.words, self.temps, bounds=self.bounds)

    def block(self, stmts: ir.Block) -> None:
        for s in stmts:
            getattr(self, f"visit_{type(s).__name__}")(s)

    def visit_Pass(self, s: ir.Pass) -> None:
        pass

    def visit_Assign(self, s: ir.Assign) -> None:
        ex = self.expr()
        base = ex.name(s.name, s.type if s.kind == "local" else None)
        if any(i.type.shape for i in s.indices):
            self.scatter(s, ex, base)
            return
        region = ir.Type(s.type.dtype, s.type.shape[len(s.indices) :])
        if not s.type.shape:  # a scalar variable
            self.out.line(f"{base} = {cast(ex.gen(s.value), s.value.type, region)};")
            return
        # a write out of range (after a negative index counts from the end) is dropped
        checks, offset = [], []
        for k, (i, n) in enumerate(zip(s.indices, s.type.shape)):
            stride = math.prod(s.type.shape[k + 1 :])
            if ex.in_range(i, n):
                part = ex.gen(i)
            else:
                part = self.temps("w")
                self.out.line(f"int32_t {part} = _wx({ex.gen(i)}, {n});")
                checks.append(f"{part} >= 0")
            offset.append(part if stride == 1 else f"{part} * {stride}")
        where = " + ".join(offset) or "0"
        if checks:
            self.out.line(f"if ({' && '.join(checks)}) {{")
            self.out.indent += 1
        if not region.shape:
            self.out.line(f"{base}[{where}] = {cast(ex.gen(s.value), s.value.type, region)};")
        else:
            self.store(s, ex, f"{base} + {where}" if where != "0" else base, region)
        if checks:
            self.out.indent -= 1
            self.out.line("}")

    def scatter(self, s: ir.Assign, ex: CExpr, base: str) -> None:
        """`a[idx] = v` with an index array (the only index): element k of v goes to row
        idx[k], in order (the last write wins); rows out of range are dropped."""
        index = s.indices[0]
        inner = math.prod(s.type.shape[1:])
        region = ir.Type(s.type.dtype, index.type.shape + s.type.shape[1:])
        tmp, k, w = self.temps("t"), self.temps("k"), self.temps("w")
        self.out.line("{")
        self.out.indent += 1
        self.out.line(f"{CTYPE[region.dtype]} {tmp}[{math.prod(region.shape)}];")
        for line in ex.fill(s.value, tmp, region):
            self.out.line(line)
        rows = math.prod(index.type.shape)
        row = ex.at(index, unravel(k, index.type.shape))
        self.out.line(f"for (int32_t {k} = 0; {k} < {rows}; {k}++) {{")
        self.out.line(f"    int32_t {w} = _wx({row}, {s.type.shape[0]});")
        self.out.line(f"    if ({w} >= 0)")
        self.out.line(f"        memcpy({base} + {w} * {inner}, {tmp} + {k} * {inner}, sizeof {tmp}[0] * {inner});")
        self.out.line("}")
        self.out.indent -= 1
        self.out.line("}")

    def store(self, s: ir.Assign, ex: CExpr, dest: str, region: ir.Type) -> None:
        """An array value into the region `dest`: straight in, through a temporary when the
        value reads the variable it is assigned to, in place for push(z, ...) into z."""
        v = s.value
        if isinstance(v, ir.Call) and v.func in ("push", "remove") and same_region(v.args[0], s):
            if not reads(v.args[1], s.name):
                self.out.line(f"_{v.func}_{region.dtype}({dest}, {region.shape[0]}, {ex.gen(v.args[1])});")
                return
        if not reads(v, s.name):
            simple = dest.replace("s->", "", 1).isidentifier()
            if not simple:  # a part of the variable: a pointer to it
                self.out.line("{")
                self.out.indent += 1
                self.out.line(f"{CTYPE[region.dtype]} *_d = {dest};")
            for line in ex.fill(v, dest if simple else "_d", region):
                self.out.line(line)
            if not simple:
                self.out.indent -= 1
                self.out.line("}")
            return
        tmp = self.temps("t")
        self.out.line("{")
        self.out.indent += 1
        self.out.line(f"{CTYPE[region.dtype]} {tmp}[{math.prod(region.shape)}];")
        for line in ex.fill(v, tmp, region):
            self.out.line(line)
        self.out.line(f"memcpy({dest}, {tmp}, sizeof {tmp});")
        self.out.indent -= 1
        self.out.line("}")

    def visit_If(self, s: ir.If) -> None:
        keyword = "if"
        while True:  # elif chains in a loop, not recursion (a thousand elifs)
            self.out.line(f"{keyword} ({self.expr().gen(s.test)}) {{")
            self.out.indent += 1
            self.block(s.then)
            self.out.indent -= 1
            if len(s.orelse) == 1 and isinstance(s.orelse[0], ir.If):
                s, keyword = s.orelse[0], "} else if"
                continue
            break
        if s.orelse:
            self.out.line("} else {")
            self.out.indent += 1
            self.block(s.orelse)
            self.out.indent -= 1
        self.out.line("}")

    def visit_For(self, s: ir.For) -> None:
        ex = self.expr()
        var, end = mangle(s.var), self.temps("end")
        self.out.line(f"for (int32_t {var} = {ex.gen(s.lo)}, {end} = {ex.gen(s.hi)}; {var} < {end}; {var}++) {{")
        outer = ex.bound(s.var, s.lo, s.hi)
        self.out.indent += 1
        self.block(s.body)
        self.out.indent -= 1
        ex.unbound(s.var, outer)
        self.out.line("}")

    def visit_CallStmt(self, s: ir.CallStmt) -> None:
        ex = self.expr()
        args = [ex.gen(a) for a in s.args]
        if s.func in ("win", "lose"):
            self.out.line(f"_{s.func}(s, {args[0]});")
        elif s.func == "draw":
            self.out.line("memset(s->rewards, 0, sizeof s->rewards);")
        elif s.func == "reward":
            who = args[0] if len(args) == 2 else "_mover"  # reward(x): the player who began the step
            self.out.line(f"_reward(s, {who}, {cast(args[-1], s.args[-1].type, ir.FLOAT32)});")
        if s.func in ("win", "lose", "draw", "terminate"):
            self.out.line("s->terminated = true;")
        elif s.func == "truncate":
            self.out.line("s->truncated = true;")


def same_region(zone: ir.Expr, s: ir.Assign) -> bool:
    """Whether `zone` reads exactly the part of the variable that `s` assigns."""
    if isinstance(zone, ir.Name):
        return zone.name == s.name and not s.indices and zone.kind != "const"
    if isinstance(zone, ir.Index) and isinstance(zone.base, ir.Name):
        return zone.base.name == s.name and zone.base.kind != "const" and zone.indices == s.indices
    return False


def local_decls(names: dict[str, str], *blocks: ir.Block) -> list[str]:
    """C declarations of the locals the blocks assign (zero-initialised). A name that holds
    values of two types (a procedure inlined twice) gets one C variable per type; `names`
    receives the mapping ("name:type" -> C name)."""
    found: dict[tuple[str, ir.Type], str] = {}

    def walk(stmts: ir.Block) -> None:
        for s in stmts:
            if isinstance(s, ir.Assign) and s.kind == "local" and (s.name, s.type) not in found:
                taken = any(n == s.name for n, _ in found)
                found[(s.name, s.type)] = mangle(s.name) + (f"_{s.type.dtype}{len(found)}" if taken else "")
            for f in ("then", "orelse", "body"):
                walk(getattr(s, f, ()))

    for b in blocks:
        walk(b)
    decls = []
    for (name, t), cname in found.items():
        names[local_key(name, t)] = cname
        if t.shape:
            decls.append(f"{CTYPE[t.dtype]} {cname}[{math.prod(t.shape)}] = {{0}};")
        else:
            decls.append(f"{CTYPE[t.dtype]} {cname} = 0;")
    return decls


def const_bounds(program: ir.Program) -> dict[str, tuple[int, int]]:
    """The value range of each integer constant table ("const NAME" -> (min, max + 1)): its
    entries index arrays unclamped where they all fit."""
    out = {}
    for c in program.constants:
        values = flatten(c.value)
        if c.type.is_int and values:
            out[f"const {c.name}"] = (int(min(values)), int(max(values)) + 1)
    return out


def param_bounds(program: ir.Program, action: ir.Action | None = None) -> dict[str, tuple[int, int]]:
    """The known value ranges: an action's parameters take only the values of their
    declared ranges, the constant tables theirs."""
    params = {p.name: (p.lo, p.hi) for p in action.params} if action else {}
    return {**const_bounds(program), **params}


def pays_mover(node: object) -> bool:
    """Whether a block has a reward(x) statement (paid to the mover)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ir.CallStmt) and n.func == "reward" and len(n.args) == 1:
            return True
        if isinstance(n, tuple):
            stack.extend(n)
        elif isinstance(n, ir.If):
            stack.extend((n.then, n.orelse))
        elif isinstance(n, ir.For):
            stack.append(n.body)
    return False


def uses_key(node: object) -> bool:
    """Whether the IR draws chance (so its function reads `key`)."""
    import dataclasses

    if isinstance(node, ir.Call) and node.site >= 0:
        return True
    if isinstance(node, tuple):
        return any(uses_key(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(uses_key(getattr(node, f.name)) for f in dataclasses.fields(node))
    return False


def draw_words(out: Emitter, *nodes: object) -> dict[int, str]:
    """The function's random words, as the other backends draw them (word k of
    bits(key, (n,)) for its k-th chance site), each computed only where it is used."""
    return {site: f"random_word_at(key, {i})" for i, site in enumerate(chance_sites(*nodes))}


def state_names(program: ir.Program) -> dict[str, str]:
    """IR names of the state (and the observer) -> their C lvalues."""
    names = {f.name: f"s->{f.name}" for f in program.fields}
    names.update(current_player="s->current_player", step_count="s->step_count", player="player")
    for c in program.constants:  # a table's column: a field of its rows' structs (see c_constants)
        if c.table:
            names[f"const {c.name}"] = c_column(c, "{}")
    return names


def effect_body(program: ir.Program, action: ir.Action) -> str:
    """The body of `effect_NAME(s, params, key)`."""
    out = Emitter(1)
    names = dict(state_names(program), **{p.name: mangle(p.name) for p in action.params})
    if action.pick:
        names[action.pick] = mangle(action.pick)
    if not uses_key(action.effect):
        out.line("(void)key;  /* no chance here */")
    words = draw_words(out, action.effect)
    if pays_mover(action.effect):
        out.line("const int32_t _mover = s->current_player;  /* reward(x) pays the player who began the step */")
    for d in local_decls(names, action.effect):
        out.line(d)
    CBlock(out, names, words, Temps(), param_bounds(program, action)).block(action.effect)
    return out.text()


def mask_body(program: ir.Program, action: ir.Action) -> str:
    """The body of `legal_mask_NAME(s, mask)` for an action with parameters: nested loops over
    them (row-major, as the flat actions), each part of the guard computed in the outermost
    loop where its value is known, and a false gate skipping what is inside it
    (specc.backends.hoist)."""
    out = Emitter(1)
    params = action.params
    names = dict(state_names(program), **{p.name: mangle(p.name) for p in params})
    bounds, temps = param_bounds(program, action), Temps()
    guard = hoist_guard(action.legal, [p.name for p in params])
    lets = [tuple(ir.Assign(e.pos, name=n, value=e, kind="local", type=e.type) for n, e in level)
            for level in guard.lets]  # fmt: skip
    for d in local_decls(names, *lets):
        out.line(d)
    block = CBlock(out, names, {}, temps, bounds)
    for depth, p in enumerate(params):
        stride = math.prod(q.size for q in params[depth:])  # the flat actions inside this depth
        at = f"{action.offset}" if depth == 0 else f"_at{depth}"
        if guard.gates[depth] is not None:
            out.line(f"if (!({block.expr().gen(guard.gates[depth])})) {{")
            out.line(f"    memset(mask + {at}, 0, {stride});")
            out.line("    return;" if depth == 0 else "    continue;")
            out.line("}")
        block.block(lets[depth])
        var = mangle(p.name)
        out.line(f"for (int32_t {var} = {p.lo}; {var} < {p.hi}; {var}++) {{")
        out.indent += 1
        out.line(f"const int32_t _at{depth + 1} = {at} + ({var} - {p.lo}) * {stride // p.size};")
    rest = "true" if guard.rest is None else block.expr().gen(guard.rest)
    out.line(f"mask[_at{len(params)}] = {rest};")
    for _ in params:
        out.indent -= 1
        out.line("}")
    return out.text()


def init_body(program: ir.Program) -> str:
    """The body of `init(s, key)`: the fields' declared values, then the spec's init rules."""
    out = Emitter(1)
    names = state_names(program)
    if not uses_key((tuple(f.init for f in program.fields), program.init)):
        out.line("(void)key;  /* no chance here */")
    words = draw_words(out, tuple(f.init for f in program.fields), program.init)
    for d in local_decls(names, program.init):
        out.line(d)
    temps = Temps()
    gen = CBlock(out, names, words, temps, param_bounds(program))
    for f in program.fields:  # the declared initial values, then the spec's init rules
        target = ir.Assign(f.pos, name=f.name, value=f.init, kind="state", type=f.type)
        gen.visit_Assign(target)
    gen.block(program.init)
    return out.text()


def observe_body(program: ir.Program) -> str:
    """The body of `observe(s, player, out)` for a player in range (observe and refresh check it)."""
    out = Emitter(1)
    bounds = dict(param_bounds(program), player=(0, program.players))
    ex = CExpr(state_names(program), {}, Temps(), bounds=bounds)
    t = program.observation_type
    for line in ex.fill(program.observe, "out", t):
        out.line(line)
    return out.text()


def generate(program: ir.Program) -> str:
    """The whole native.c for `program`. Expressions are generated recursively, so a long
    chain (`a + b + ...` a thousand deep) runs in a thread with a deep stack; one deeper
    still raises SpecError, and the compiler writes a native.c that says why (#error)."""
    import sys
    import threading

    result: list[object] = []

    def run() -> None:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 200_000))
        try:
            result.append(_generate(program))
        except RecursionError:
            result.append(SpecError("the C backend: an expression nested too deeply to lower"))
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            result.append(err)
        finally:
            sys.setrecursionlimit(limit)

    size = threading.stack_size()
    threading.stack_size(512 * 1024 * 1024)
    try:
        worker = threading.Thread(target=run, name="specc-c-backend")
        worker.start()
    finally:
        threading.stack_size(size)
    worker.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]  # type: ignore[return-value]


def mod_magic(n: int) -> str:
    """The bench harness's table of multipliers for w % d, d = 1..n: ceil(2**64 / d), modulo 2**64."""
    magic = [f"{((2**64 - 1) // d + 1) % 2**64}ull" for d in range(1, n + 1)]
    return c_array("static const uint64_t MOD_MAGIC[MOD_TABLE]", magic)


def _generate(program: ir.Program) -> str:
    """The whole native.c for `program` (see generate)."""
    from .common import render_text

    names = state_names(program)
    fields = []
    for f in program.fields:
        dims = f"[{math.prod(f.type.shape)}]" if f.type.shape else ""
        fields.append({"name": f.name, "decl": f"{CTYPE[f.type.dtype]} {f.name}{dims}"})
    table = action_table(program)
    floats = float_fields(program)
    width = max_params(program)
    rows = ["{" + ", ".join(map(str, list(v) + [0] * (width - len(v)))) + "}" for _, v in table]
    actions = []
    for a in program.actions:
        guard_names = dict(names, **{p.name: mangle(p.name) for p in a.params})
        actions.append(
            {
                "name": a.name,
                "params": [mangle(p.name) for p in a.params],
                "offset": a.offset,
                "size": a.size,
                # a guard with parameters is generated by mask_body alone
                "guard": "" if a.params else CExpr(guard_names, {}, Temps(), bounds=param_bounds(program)).gen(a.legal),
                "mask": mask_body(program, a) if a.params else "",
                "effect": effect_body(program, a),
                "pick": mangle(a.pick) if a.pick else "",
            }
        )
    invariants = [CExpr(names, {}, Temps(), bounds=param_bounds(program)).gen(inv) for inv in program.invariants]
    return render_text(
        "c_env.c.j2",
        program=program,
        version=__version__,
        obs_size=math.prod(program.observation_type.shape),
        obs_ctype=CTYPE[program.observation_type.dtype],
        reset_site=RESET_SITE,
        player_proven=player_always_valid(program),
        illegal=[literal(float(v), ir.FLOAT32) for v in illegal_rewards(program)],
        fields=fields,
        # (name, entries; 0 for a scalar) of each float field, flushed as step and observe read them
        float_fields=[(f.name, math.prod(f.type.shape) if f.type.shape else 0) for f in floats],
        constants=c_constants(program.constants, CTYPE, _entry),
        kinds=c_array("static const int32_t ACTION_KIND[NUM_ACTIONS]", [str(k) for k, _ in table]),
        params=c_array(f"static const int32_t ACTION_PARAMS[NUM_ACTIONS][{width}]", rows),
        zone_types=[("int8", "int8_t"), ("int16", "int16_t"), ("int32", "int32_t")],
        actions=actions,
        invariants=invariants,
        observe_body=observe_body(program),
        init_body=init_body(program),
        router=router(program),
        width=width,
        mod_table=min(program.num_actions, MOD_TABLE_MAX),
        mod_magic=mod_magic(min(program.num_actions, MOD_TABLE_MAX)),
    )
