"""The Python backend: IR -> generated/NAME/reference.py, one environment at a time.

Plain branches and loops over NumPy values, easy to read and to step through. It
computes in the same dtypes as the JAX backend (explicit casts where NumPy's
promotion differs from JAX's) and draws chance from the same keys.
"""

from __future__ import annotations

import dataclasses
import math

from .. import __version__, ir
from .common import (
    OUTCOME_TARGETS,
    Bounds,
    Emitter,
    ExprGen,
    action_labels,
    action_table,
    chance_sites,
    constant_bounds,
    fits,
    float_fields,
    illegal_rewards,
    int_range,
    player_always_valid,
    render,
    router,
)
from .hoist import hoist_guard
from .literals import py_constants, py_list, py_scalar

NP_DTYPE = {"bool": "np.bool_", "int8": "np.int8", "int16": "np.int16", "int32": "np.int32", "float32": "np.float32"}
MATH = {"sqrt", "sin", "cos", "tan", "exp", "log", "floor"}
LIBM = {"sin", "cos", "tan", "exp", "log"}  # NumPy's own float32 routines differ from the C library's
CASTS = {"int": "int32", "int8": "int8", "int16": "int16", "int32": "int32", "float": "float32"}


class PyExpr(ExprGen):
    """Expression -> NumPy/Python source text."""

    def __init__(self, names: dict[str, str], words: dict[int, str] | None = None, known: Bounds | None = None):
        self.names = names
        self.words = words or {}
        self.known = known or {}  # ranges of params, loop variables and constants (see common.int_range)

    def as_float(self, e: ir.Expr) -> str:
        """`e` as float32 (NumPy would promote int or Python-float operands to float64)."""
        x = self.gen(e)
        return x if (e.type.is_float and not e.type.weak) else f"np.float32({x})"

    def cast(self, text: str, t: ir.Type) -> str:
        return text if t.weak else f"_cast({text}, {NP_DTYPE[t.dtype]})"

    def visit_Literal(self, e: ir.Literal) -> str:
        return repr(e.value)

    def visit_Name(self, e: ir.Name) -> str:
        if e.kind == "const":
            return e.name
        return self.names.get(e.name, e.name)

    def visit_Index(self, e: ir.Index) -> str:
        base, idx = self.gen(e.base), [self.gen(i) for i in e.indices]
        if all(i.type.is_scalar and fits(i, n, self.known) for i, n in zip(e.indices, e.base.type.shape)):
            return f"{base}[{', '.join(idx)}]"
        return f"_at({base}, {', '.join(idx)})"  # JAX's reads: negative from the end, then clamped

    def visit_Unary(self, e: ir.Unary) -> str:
        x = self.gen(e.operand)
        if e.op == "not":
            return f"(not {x})" if e.type.is_scalar else f"np.logical_not({x})"
        return self.weak_int(f"(-{x})", e.type)

    def visit_Binary(self, e: ir.Binary) -> str:
        if e.op in ("and", "or"):
            left, right = self.gen(e.left), self.gen(e.right)
            if e.type.is_scalar:
                return f"({left} {e.op} {right})"
            return f"np.logical_{e.op}({left}, {right})"
        if e.op == "**" and e.type.is_int:
            r = int_range(e.right, self.known)
            if r is None or r[0] < 0 or r[1] > 63:  # a negative exponent, or too big for JAX's own **
                return f"_ipow({self.gen(e.left)}, {self.gen(e.right)}, {NP_DTYPE[e.type.dtype]})"
        if e.op == "**" and e.type.is_float:  # as the C backend: see _powi and _libm
            if isinstance(e.right, ir.Literal) and isinstance(e.right.value, int):
                return f"_powi({self.as_float(e.left)}, {e.right.value})"
            return f"_ftz(_libm('pow', {self.as_float(e.left)}, {self.as_float(e.right)}))"
        if e.type.is_float and e.op not in ("==", "!=", "<", "<=", ">", ">="):  # subnormal results are 0
            return f"_ftz({self.as_float(e.left)} {e.op} {self.as_float(e.right)})"
        if e.op in ("==", "!=", "<", "<=", ">", ">=") and (e.left.type.is_float or e.right.type.is_float):
            return f"({self.as_float(e.left)} {e.op} {self.as_float(e.right)})"
        left = self.gen(e.left)
        if e.op == "**" and left.startswith("-"):  # (-2) ** n, not -(2 ** n)
            left = f"({left})"
        return self.weak_int(f"({left} {e.op} {self.gen(e.right)})", e.type)

    @staticmethod
    def weak_int(text: str, t: ir.Type) -> str:
        """Arithmetic on weak integers (literals, and what only literals feed: `2000000000 if c
        else 0`) is int32 arithmetic, wrapping, as in JAX; Python's ints would not wrap."""
        return f"_wrap32({text})" if t.is_int and t.weak else text

    def visit_Cond(self, e: ir.Cond) -> str:
        test, then, orelse = self.gen(e.test), self.gen(e.then), self.gen(e.orelse)
        if e.test.type.is_scalar:
            return self.cast(f"({then} if {test} else {orelse})", e.type)
        return self.cast(f"np.where({test}, {then}, {orelse})", e.type)

    def visit_Let(self, e: ir.Let) -> str:  # a procedure's argument or local, evaluated once
        return f"(lambda {e.name}: {self.gen(e.body)})({self.gen(e.value)})"

    def visit_ArrayLit(self, e: ir.ArrayLit) -> str:
        return f"np.array([{', '.join(self.gen(i) for i in e.items)}], dtype={NP_DTYPE[e.type.dtype]})"

    def visit_Reduce(self, e: ir.Reduce) -> str:
        inner = PyExpr(self.names, self.words, {**self.known, e.var: (e.lo.value, e.hi.value - 1)})
        body, var = inner.gen(e.body), e.var
        loop = f"for {var} in _range({self.gen(e.lo)}, {self.gen(e.hi)})"
        if not e.type.is_scalar:
            stacked = f"np.stack([{body} {loop}])"
            if e.op == "count":
                return f"np.sum({stacked}, axis=0, dtype=np.int32)"
            if e.op in ("argmax", "argmin"):
                return f"(np.{e.op}({stacked}, axis=0).astype(np.int32) + {self.gen(e.lo)})"
            return self.cast(f"np.{e.op}({stacked}, axis=0)", e.type)
        if e.op in ("any", "all"):
            return f"{e.op}({body} {loop})"
        if e.op == "count":
            return f"np.int32(sum(1 {loop} if {body}))"
        if e.op == "sum":
            if e.type.is_float:
                return f"_ftz(np.sum(np.array([{body} {loop}], dtype=np.float32)))"
            return f"_cast(sum(int({body}) {loop}), np.int32)"  # wraps, as int32 sums do
        if e.op in ("min", "max") and e.type.is_float:  # NaN wins, as in JAX (Python's min would skip it)
            return f"np.{e.op}(np.array([{body} {loop}], dtype=np.float32))"
        if e.op in ("min", "max"):
            return self.cast(f"{e.op}({body} {loop})", e.type)
        return f"np.int32({self.gen(e.lo)} + np.{e.op}([{body} {loop}]))"

    def visit_Call(self, e: ir.Call) -> str:
        f = e.func
        args = [self.gen(a) for a in e.args]
        if f in LIBM:  # the C library's, as C and XLA on CPU call it (see _libm)
            return f"_ftz(_libm({f!r}, {self.as_float(e.args[0])}))"
        if f in MATH:
            return f"_ftz(np.{f}({self.as_float(e.args[0])}))"
        if f == "abs":
            return f"np.abs({args[0]})"
        if f in ("min", "max"):
            if len(args) == 1:
                return f"np.{f}({args[0]})"
            return self.cast(f"np.{'minimum' if f == 'min' else 'maximum'}({args[0]}, {args[1]})", e.type)
        if f == "clip":
            return self.cast(f"np.clip({args[0]}, {args[1]}, {args[2]})", e.type)
        if f == "where":
            return self.cast(f"np.where({args[0]}, {args[1]}, {args[2]})", e.type)
        if f in CASTS:
            return f"_cast({args[0]}, {NP_DTYPE[CASTS[f]]})"
        if f in ("any", "all"):
            return f"bool(np.{f}({args[0]}))"
        if f in ("sum", "count"):
            total = f"np.sum({args[0]}, dtype={NP_DTYPE[e.type.dtype]})"
            return f"_ftz({total})" if e.type.is_float else total
        if f in ("argmax", "argmin"):
            return f"np.int32(np.{f}(np.ravel({args[0]})))"
        if f == "stack":
            return f"np.stack([{', '.join(args)}], axis=-1)"
        if f == "reshape":
            return f"np.reshape({args[0]}, ({', '.join(args[1:])},))"
        if f == "concat":
            dtype = NP_DTYPE[e.type.dtype]
            return f"np.concatenate([{', '.join(f'np.atleast_1d(_cast({a}, {dtype}))' for a in args)}])"
        if f == "one_hot":  # an index outside 0..n-1 matches no slot
            return f"(np.asarray({args[0]})[..., None] == np.arange({args[1]}))"
        if f in ("size", "push", "remove"):
            return f"_{f}({', '.join(args)})"
        path = "".join(f", {v}" for v in e.loop_vars)
        if f == "shuffle":  # many words: a key of its own
            return f"_shuffle({args[0]}, _site_key(key, {e.site}{path}))"
        word = self.words.get(e.site)
        if word is None:  # inside a loop: a key per site and iteration
            word = f"_word(_site_key(key, {e.site}{path}))"
        if f == "uniform":  # NumPy would take int32 with float32 to float64; JAX to float32
            args = [f"np.float32({x})" if a.type.is_int and not a.type.weak else x for a, x in zip(e.args, args)]
        return f"_{f}({', '.join([word] + args)})"


class PyBlock:
    """Statements -> plain Python lines mutating the state object `s`."""

    def __init__(
        self,
        out: Emitter,
        names: dict[str, str],
        words: dict[int, str],
        cover: list[str] | None = None,
        known: Bounds | None = None,
    ):
        self.out = out
        self.names = names
        self.words = words
        self.known = dict(known or {})
        self.cover = cover  # coverage labels, when generating the instrumented variant
        self.section = ""  # the action whose effect is being generated, for labels

    def hit(self, label: str) -> None:
        """Count a visit of this rule branch (only in the coverage-instrumented variant)."""
        if self.cover is not None:
            if label not in self.cover:  # a procedure inlined twice counts into one point per rule
                self.cover.append(label)
            self.out.line(f"_COVER[{self.cover.index(label)}] += 1  # {label}")

    def expr(self, e: ir.Expr) -> str:
        return PyExpr(self.names, self.words, self.known).gen(e)

    def block(self, stmts: ir.Block) -> None:
        if not stmts:
            self.out.line("pass")
        for s in stmts:
            getattr(self, f"visit_{type(s).__name__}")(s)

    def visit_Assign(self, s: ir.Assign) -> None:
        value = self.expr(s.value)
        target = self.names.get(s.name, s.name)
        dtype = NP_DTYPE[s.type.dtype]
        if (s.indices or s.type.shape) and s.value.type.dtype != s.type.dtype:
            value = f"_cast({value}, {dtype})"  # wrap as JAX does (NumPy refuses an int32 300 in int8)
        if s.indices:
            idx = ", ".join(self.expr(i) for i in s.indices)
            if all(i.type.is_scalar and fits(i, n, self.known) for i, n in zip(s.indices, s.type.shape)):
                self.out.line(f"{target}[{idx}] = {value}")
            else:  # JAX's writes: negative from the end, a write outside dropped
                self.out.line(f"_put({target}, ({idx},), {value})")
        elif s.type.shape and s.kind == "local":  # a fresh copy: never a view of a state array
            self.out.line(f"{target} = np.broadcast_to(np.asarray({value}), {s.type.shape}).astype({dtype})")
        elif s.type.shape:
            self.out.line(f"{target}[...] = {value}")
        elif s.value.type == s.type and not isinstance(s.value, ir.Cond):  # already that dtype
            self.out.line(f"{target} = {value}")
        else:
            self.out.line(f"{target} = _cast({value}, {NP_DTYPE[s.type.dtype]})")

    def visit_If(self, s: ir.If) -> None:
        keyword = "if"
        while True:  # elif chains in a loop, not recursion (a thousand elifs)
            counted = not s.origin  # the spec's own if: a coverage point (see ir.If.origin)
            where = f"{self.section}: if at line {s.test.pos.line}"
            self.out.line(f"{keyword} {self.expr(s.test)}:")
            self.out.indent += 1
            if counted:
                self.hit(f"{where}: true")
            self.block(s.then)
            self.out.indent -= 1
            if not (len(s.orelse) == 1 and isinstance(s.orelse[0], ir.If)):
                break
            s, keyword = s.orelse[0], "elif"
        if s.orelse or (self.cover is not None and counted):
            self.out.line("else:")
            self.out.indent += 1
            if counted:
                self.hit(f"{where}: false")
            if s.orelse or self.cover is None:
                self.block(s.orelse)
            self.out.indent -= 1

    def visit_For(self, s: ir.For) -> None:
        self.out.line(f"for {s.var} in _range({self.expr(s.lo)}, {self.expr(s.hi)}):")
        self.out.indent += 1
        outer = self.known
        self.known = {**outer, s.var: (s.lo.value, s.hi.value - 1)}
        self.block(s.body)
        self.known = outer
        self.out.indent -= 1

    def visit_CallStmt(self, s: ir.CallStmt) -> None:
        args = [self.expr(a) for a in s.args]
        if s.func in ("win", "lose"):
            self.out.line(f"_{s.func}(s, {args[0]})")
        elif s.func == "draw":
            self.out.line("s.rewards[:] = 0.0")
        elif s.func == "reward":  # reward(x) pays the mover: current_player when the step began
            who = args[0] if len(args) == 2 else "_mover__"
            self.out.line(f"_pay(s, {who}, {args[-1]})")
        for target in OUTCOME_TARGETS[s.func]:
            if target != "rewards":
                self.out.line(f"s.{target} = True")


def draw_words(out: Emitter, *nodes: object) -> dict[int, str]:
    """The same one draw of random words per function as the JAX backend's."""
    sites = chance_sites(*nodes)
    if sites:
        out.line(f"_words = _bits(key, {len(sites)})")
    return {site: f"_words[{i}]" for i, site in enumerate(sites)}


def effect_body(action: ir.Action, names: dict[str, str], known: Bounds, cover: list[str] | None = None) -> str:
    out = Emitter(1)
    words = draw_words(out, action.effect)
    known = {**known, **{p.name: (p.lo, p.hi - 1) for p in action.params}}
    if _pays_mover(action.effect):
        out.line("_mover__ = s.current_player  # reward(x) pays the player who began the step")
    gen = PyBlock(out, names, words, cover, known)
    gen.section = action.name
    if not action.routes:  # the choice action runs other actions' effects (ir.Action.routes)
        gen.hit(f"action {action.name}")
    gen.block(action.effect)
    return out.text()


def _pays_mover(block: ir.Block) -> bool:
    """Whether a block has a reward(x) statement (paid to the mover)."""
    todo = list(block)  # a work list, not recursion: elif chains may be 1,000 deep
    while todo:
        s = todo.pop()
        if isinstance(s, ir.CallStmt) and s.func == "reward" and len(s.args) == 1:
            return True
        if isinstance(s, ir.If):
            todo += [*s.then, *s.orelse]
        elif isinstance(s, ir.For):
            todo += s.body
    return False


def mask_body(action: ir.Action, names: dict[str, str], known: Bounds) -> str:
    """The body of `_legal_mask_NAME(s, _mask)` for an action with parameters: loops over them
    (row-major, as the flat actions), each part of the guard computed in the outermost loop
    that knows its value (specc.backends.hoist, as the C backend does)."""
    out = Emitter(1)
    params = action.params
    guard = hoist_guard(action.legal, [p.name for p in params])
    block = PyBlock(out, dict(names), {}, known={**known, **{p.name: (p.lo, p.hi - 1) for p in params}})
    for depth, p in enumerate(params):
        stride = math.prod(q.size for q in params[depth + 1 :])
        if guard.gates[depth] is not None:
            out.line(f"if not ({block.expr(guard.gates[depth])}):")
            out.line("    return" if depth == 0 else "    continue")
        for name, value in guard.lets[depth]:
            block.visit_Assign(ir.Assign(value.pos, name=name, value=value, kind="local", type=value.type))
        at = f"{action.offset}" if depth == 0 else f"_at{depth}"
        # the raw counter as name__i: no spec name holds "__", so it meets none (nor _mask, _atN)
        out.line(f"for {p.name}__i in range({p.lo}, {p.hi}):")
        out.indent += 1
        out.line(f"_at{depth + 1} = {at} + ({p.name}__i - {p.lo}) * {stride}")
        out.line(f"{p.name} = np.int32({p.name}__i)")
    rest = "True" if guard.rest is None else block.expr(guard.rest)
    out.line(f"_mask[_at{len(params)}] = bool({rest})")
    return out.text()


def init_body(program: ir.Program, names: dict[str, str]) -> str:
    out = Emitter(1)
    words = draw_words(out, tuple(f.init for f in program.fields), program.init)
    known = constant_bounds(program)
    out.line("s = State(")
    out.line("    current_player=np.int32(0),")
    out.line("    observation=np.zeros(OBSERVATION_SHAPE, OBSERVATION_DTYPE),")
    out.line("    legal_action_mask=np.zeros(NUM_ACTIONS, np.bool_),")
    out.line("    rewards=np.zeros(NUM_PLAYERS, np.float32),")
    out.line("    terminated=False,")
    out.line("    truncated=False,")
    out.line("    step_count=np.int32(0),")
    for f in program.fields:
        value = PyExpr(names, words, known).gen(f.init)
        dtype = NP_DTYPE[f.type.dtype]
        if f.type.shape:
            out.line(f"    {f.name}=np.broadcast_to(np.asarray({value}).astype({dtype}), {f.type.shape}).copy(),")
        else:
            out.line(f"    {f.name}=_cast({value}, {dtype}),")
    out.line(")")
    if program.init:
        PyBlock(out, names, words, known=known).block(program.init)
    out.line("return refresh(s)")
    return out.text()


def uses_float_math(program: ir.Program) -> bool:
    """Whether the program calls a C library function or raises a float to a power: its
    reference then carries _libm and _powi."""
    stack: list[object] = [program]
    while stack:  # a loop, not recursion: long chains of operators are fine
        node = stack.pop()
        if isinstance(node, ir.Call) and node.func in LIBM:
            return True
        if isinstance(node, ir.Binary) and node.op == "**" and node.type.is_float:
            return True
        if isinstance(node, (tuple, list)):
            stack.extend(node)
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            stack.extend(getattr(node, f.name) for f in dataclasses.fields(node) if f.name not in ("pos", "type"))
    return False


def generate(program: ir.Program, coverage: bool = False) -> str:
    """reference.py; with `coverage`, a variant counting each action and if-branch taken
    (`_COVER`, labelled by `COVERAGE_POINTS`), used by `specc verify` and never written."""
    cover: list[str] | None = [] if coverage else None
    names = {f.name: f"s.{f.name}" for f in program.fields}
    names.update(current_player="s.current_player", step_count="s.step_count")
    known = constant_bounds(program)
    actions = []
    for a in program.actions:
        guard_known = {**known, **{p.name: (p.lo, p.hi - 1) for p in a.params}}
        actions.append(
            {
                "name": a.name,
                "params": a.params,
                "guard": "" if a.params else PyExpr(names, known=guard_known).gen(a.legal),  # else mask_body's
                "mask": mask_body(a, names, known) if a.params else "",
                "offset": a.offset,
                "effect": effect_body(a, names, known, cover),
                "pick": a.pick,
            }
        )
    table = action_table(program)
    return render(
        "python_env.py.j2",
        program=program,
        version=__version__,
        labels_code=py_list("ACTION_LABELS", [py_scalar(label) for label in action_labels(program)]),
        np_dtype=NP_DTYPE,
        constants_code=py_constants(program.constants, "np.array", NP_DTYPE),
        actions_code=py_list("ACTIONS", [repr(row) for row in table]),
        actions=actions,
        init_body=init_body(program, names),
        observe=PyExpr(names, known=known).gen(program.observe),
        player_proven=player_always_valid(program),
        invariants=[PyExpr(names, known=known).gen(inv) for inv in program.invariants],
        illegal_rewards=illegal_rewards(program),
        router=router(program),
        cover=cover,
        float_fields=[f.name for f in float_fields(program)],
        float_math=uses_float_math(program),
    )
