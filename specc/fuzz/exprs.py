"""Random well-typed expressions of specc's language, drawn with hypothesis.

`ExprGen.expr(dtype, shape)` returns an `Ex`: a fragment (see frag.py) of exactly
that type. Floats come in two tiers so that comparing backends stays exact where it
must be: *exact* expressions use only operations that IEEE rounds the same way on
every backend (+, -, floor, sqrt, min, max, comparisons, casts ...); *approximate*
ones (*, /, **, sin, exp, float sums, uniform) may differ in the last bits (XLA fuses
a*b+c into one FMA, divides by a constant through its reciprocal, and has its own
sin and exp), so they only ever become the whole value of a float field or local, or
an item of the observation, which are compared within a tolerance. Conditions,
indexes, integers and bools are built from exact expressions only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .frag import Frag, Guard, cat

INTS = ("int8", "int16", "int32")
DTYPES = ("bool",) + INTS + ("float32",)
BOUNDS = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-(2**31), 2**31 - 1)}
RANK = {"bool": 0, "int8": 1, "int16": 2, "int32": 3, "float32": 4}
FLOAT_LITERALS = ("0.0", "1.0", "-1.0", "0.5", "2.5", "-3.75", "100.0", "1e30", "-1e30", "3.4e38", "1e-40", "0.1")


@dataclass(frozen=True)
class Ex:
    """A typed expression: its fragment, dtype, shape, float tier, and whether it is a
    compile-time literal (the checker folds those: they must not meet each other)."""

    frag: Frag
    dtype: str
    shape: tuple[int, ...] = ()
    approx: bool = False
    literal: bool = False


@dataclass
class Var:
    name: str
    dtype: str
    shape: tuple[int, ...]
    kind: str  # state, local, param, loop, const, builtin
    approx: bool = False  # holds an approximate float: never an operand of arithmetic


@dataclass(frozen=True)
class Param:
    """A procedure parameter. Parameters are untyped names: a call binds each to its
    argument's type. A `loose` one is cast on entry (`NAMEc = DTYPE(NAME)`), so the body
    only sees the cast and a call may pass any dtype; another one takes `dtype`/`shape`."""

    name: str
    dtype: str
    shape: tuple[int, ...] = ()
    loose: bool = False


@dataclass(frozen=True)
class Sig:
    """What a caller needs of a procedure. `kind`: "let" (a function whose body only
    assigns whole locals before its return: callable anywhere), "func" (a function with
    statements: callable inside effect expressions, not in guards, observe or reductions),
    "proc" (changes the state or calls outcomes: only a statement or a whole right side)."""

    name: str
    params: tuple[Param, ...]
    returns: tuple[str, tuple[int, ...]] | None  # dtype, shape; None: no `returns:`
    kind: str


CALLABLE = {"none": (), "let": ("let",), "all": ("let", "func")}  # Scope.calls -> Sig kinds callable in expressions


@dataclass
class Scope:
    """What an expression may use: variables, whether chance is allowed, the players,
    the functions declared so far and which of them an expression here may call."""

    vars: dict[str, Var]
    players: int
    tables: dict[str, tuple[str, int]] = field(default_factory=dict)  # "T.col" -> (dtype, rows)
    enum: tuple[str, list[str]] | None = None
    loops: list[int] = field(default_factory=lambda: [0])  # loop variables named so far (shared)
    funcs: tuple[Sig, ...] = ()
    calls: str = "all"  # a key of CALLABLE: "let" in guards, observe, reductions, let bodies

    def child(self, calls: str | None = None) -> Scope:
        """A nested block's scope: its new names vanish with it; float tiers are shared."""
        return Scope(dict(self.vars), self.players, self.tables, self.enum, self.loops, self.funcs,
                     calls or self.calls)  # fmt: skip

    def fresh(self, calls: str = "all") -> Scope:
        """A new function's scope: copies of the variables (tiers start exact again)."""
        vs = {k: dataclasses.replace(v) for k, v in self.vars.items()}
        return Scope(vs, self.players, self.tables, self.enum, self.loops, self.funcs, calls)

    def callable(self, shape: tuple[int, ...]) -> list[Sig]:
        """The functions an expression of this shape may call here."""
        kinds = CALLABLE[self.calls]
        return [f for f in self.funcs if f.kind in kinds and f.returns is not None and f.returns[1] == shape]


def int_literal(draw: Callable, dtype: str) -> str:
    """An integer literal that fits `dtype`, biased toward 0, 1, -1 and the limits."""
    lo, hi = BOUNDS[dtype]
    v = draw(st.sampled_from([0, 1, -1, 2, 3, 7, lo, hi, lo + 1, hi - 1, None]))
    if v is None:
        v = draw(st.integers(lo, hi))
    if v == -(2**31):
        return "(-2147483647 - 1)"  # 2147483648 alone does not fit int32
    return str(v) if v >= 0 else f"({v})"


def literal(draw: Callable, dtype: str) -> Ex:
    if dtype == "bool":
        return Ex(draw(st.sampled_from(["true", "false"])), "bool", literal=True)
    if dtype == "float32":
        text = draw(st.sampled_from(FLOAT_LITERALS))
        if text == "1e-40":  # XLA on CPU flushes subnormals to zero
            return Ex(Guard("subnormal", "literal", text, "1e-30"), "float32", literal=True)
        return Ex(f"({text})" if text.startswith("-") else text, "float32", literal=True)
    return Ex(int_literal(draw, dtype), dtype, literal=True)


def clip_guard(kind: str, op: str, index: Ex, n: int) -> Frag:
    """An index into an axis of size n, clipped when `kind` is avoided."""
    if index.literal:
        return index.frag
    return Guard(kind, op, index.frag, f"clip({{x}}, 0, {n - 1})")


def nan_guard(e: Ex, op: str) -> Frag:
    if e.dtype != "float32" or e.literal:
        return e.frag
    return Guard("nan-minmax", op, e.frag, "where({x} == {x}, {x}, 0.0)")


class ExprGen:
    """Draws expressions over a scope; `depth` bounds the nesting."""

    def __init__(self, draw: Callable, scope: Scope, depth: int = 3):
        self.draw = draw
        self.scope = scope
        self.depth = depth

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def chance(self, p: float = 0.5) -> bool:
        return self.draw(st.integers(0, 99)) < p * 100

    def sub(self, depth: int | None = None) -> ExprGen:
        return ExprGen(self.draw, self.scope, self.depth - 1 if depth is None else depth)

    def with_loop_var(self, reduction: bool = False) -> tuple[ExprGen, str]:
        """A generator for a loop body over a new loop variable. Inside a reduction only a
        straight-line function may be called (another one needs a statement to run before)."""
        self.scope.loops[0] += 1
        name = f"i{self.scope.loops[0]}"
        scope = self.scope.child("let" if reduction and self.scope.calls == "all" else None)
        scope.vars[name] = Var(name, "int32", (), "loop")
        return ExprGen(self.draw, scope, self.depth - 1), name

    def vars_of(self, dtypes: tuple[str, ...], shape: tuple[int, ...] | None, exact: bool = True) -> list[Var]:
        return [
            v
            for v in self.scope.vars.values()
            if v.dtype in dtypes and (shape is None or v.shape == shape) and not (exact and v.approx)
        ]

    # ---------------------------------------------------------------- entry points

    def expr(self, dtype: str, shape: tuple[int, ...] = ()) -> Ex:
        """An exact expression of exactly this dtype and shape."""
        if self.depth <= 0 or self.chance(0.25):
            return self.leaf(dtype, shape)
        if self.chance(0.12) and self.scope.callable(shape):
            return self.call(dtype, shape)
        if shape:
            return self.array(dtype, shape)
        return {"bool": self.boolean, "float32": self.floating}.get(dtype, self.integer)(dtype)

    def value(self, dtype: str, shape: tuple[int, ...] = ()) -> Ex:
        """A value to store: for floats, sometimes an approximate one."""
        if dtype != "float32" or not self.chance(0.4):
            return self.expr(dtype, shape)
        approx = self.vars_of(("float32",), shape, exact=False)
        approx = [v for v in approx if v.approx]
        if approx and self.chance(0.2):
            return Ex(self.pick(approx).name, "float32", shape, approx=True)
        a, b = self.sub().expr("float32", shape), self.sub().expr(self.pick(["float32", "int32"]), shape)
        kind = self.pick(["*", "/", "**", "sin", "cos", "tan", "exp", "log", "sum"])
        if kind in ("*", "/", "**"):
            if a.literal and b.literal:
                a = self.leaf("float32", shape, literal=False)
            if b.literal:  # the checker rejects a literal zero divisor
                b = Ex("2.5", "float32", literal=True)
            return Ex(cat("(", a.frag, f" {kind} ", b.frag, ")"), "float32", shape, approx=True)
        if kind == "sum" and not shape:
            n = self.pick([2, 3])
            return Ex(cat("sum(", self.leaf("float32", (n,)).frag, ")"), "float32", approx=True)
        if kind == "sum":
            kind = "exp"
        return Ex(cat(f"{kind}(", a.frag, ")"), "float32", shape, approx=True)

    def cast(self, e: Ex, dtype: str) -> Ex:
        """`e` converted to `dtype` (same shape), by a cast or a comparison."""
        if e.dtype == dtype:
            return e
        if dtype == "bool":
            zero = "0.0" if e.dtype == "float32" else "0"
            return Ex(cat("(", e.frag, f" != {zero})"), "bool", e.shape)
        if dtype == "float32":
            return Ex(cat("float(", e.frag, ")"), "float32", e.shape)
        fn = dtype if self.chance(0.7) or dtype != "int32" else "int"
        if e.dtype == "float32":
            lo, hi = BOUNDS[dtype]
            wrap = f"where({{x}} == {{x}}, clip({{x}}, {float(lo)}, {float(hi) if dtype != 'int32' else 2.1e9}), 0.0)"
            return Ex(cat(f"{fn}(", Guard("float-to-int", fn, e.frag, wrap), ")"), dtype, e.shape)
        return Ex(cat(f"{fn}(", e.frag, ")"), dtype, e.shape)

    def call(self, dtype: str, shape: tuple[int, ...]) -> Ex:
        """A call of a function callable here, its value cast to `dtype`."""
        sig = self.pick(self.scope.callable(shape))
        assert sig.returns is not None
        return self.cast(Ex(self.sub().call_frag(sig), sig.returns[0], shape), dtype)

    def call_frag(self, sig: Sig) -> Frag:
        """`NAME(args)`: a loose parameter gets an argument of any dtype, another its own."""
        parts: list[Frag] = [f"{sig.name}("]
        for k, p in enumerate(sig.params):
            if p.loose:
                # float(true) is fine; a bool where an int is cast meets the float-to-int guard's clip
                arg = self.expr(self.pick(list(DTYPES) if p.dtype == "float32" else [d for d in DTYPES if d != "bool"]))
            else:
                arg = self.expr(p.dtype, p.shape)
                if arg.literal and p.dtype != "bool":  # a literal argument binds as a constant, which the
                    fn = {"float32": "float"}.get(p.dtype, p.dtype)  # body's indexes and divisors would fold
                    arg = Ex(cat(f"{fn}(", arg.frag, ")"), p.dtype)
            parts += [", " if k else "", arg.frag]
        return cat(*parts, ")")

    # ----------------------------------------------------------------------- leaves

    def leaf(self, dtype: str, shape: tuple[int, ...], literal: bool | None = None) -> Ex:
        """A literal, a variable, an element or row of an array, a constant or table entry."""
        options: list[Callable[[], Ex]] = []
        if not shape and literal is not False:
            options.append(lambda: self.literal(dtype))
        same = self.vars_of((dtype,), shape)
        if same:
            options += [lambda: self.var(same)] * 3
        others = self.vars_of(DTYPES, shape)
        if others:
            options.append(lambda: self.cast(self.var(others), dtype))
        bigger = [
            v for v in self.vars_of(DTYPES, None) if len(v.shape) > len(shape) and v.shape[-len(shape) or 99 :] == shape
        ]
        if bigger:
            options += [lambda: self.cast(self.element(self.pick(bigger), len(shape)), dtype)] * 2
        if not shape and self.scope.tables and dtype != "bool":
            options.append(lambda: self.cast(self.table_entry(), dtype))
        if self.depth >= 0 and self.scope.callable(shape):  # a call is a leaf too (its arguments are shallower)
            options.append(lambda: self.call(dtype, shape))
        if not options:
            return self.array(dtype, shape) if shape else self.literal(dtype)
        return self.pick(options)()

    def literal(self, dtype: str) -> Ex:
        return literal(self.draw, dtype)

    def var(self, vs: list[Var]) -> Ex:
        v = self.pick(vs)
        return Ex(v.name, v.dtype, v.shape, literal=v.kind == "const" and not v.shape)

    def index(self, n: int, kind: str, op: str) -> Frag:
        """An index into an axis of size n: a literal in range, or computed (maybe out of range)."""
        if self.chance(0.3):
            return str(self.draw(st.integers(0, n - 1)))
        i = self.sub(min(self.depth - 1, 1)).expr(self.pick(list(INTS)))
        if i.literal:  # the checker rejects a constant index out of range
            return str(self.draw(st.integers(0, n - 1)))
        return clip_guard(kind, op, i, n)

    def element(self, v: Var, keep: int) -> Ex:
        """`v[i]`, `v[i, j]`: index the leading axes of `v` until `keep` axes remain."""
        axes = v.shape[: len(v.shape) - keep]
        parts: list[Frag] = [v.name, "["]
        for k, n in enumerate(axes):
            parts += [", " if k else "", self.index(n, "index-read", "[]")]
        parts.append("]")
        return Ex(cat(*parts), v.dtype, v.shape[len(axes) :])

    def table_entry(self) -> Ex:
        col = self.pick(sorted(self.scope.tables))
        dtype, rows = self.scope.tables[col]
        return Ex(cat(col, "[", self.index(rows, "index-read", "table"), "]"), dtype)

    # -------------------------------------------------------------------- scalars

    def integer(self, dtype: str) -> Ex:
        kind = self.pick(["arith", "arith", "div", "pow", "unary", "minmax", "cond", "reduce", "misc", "cast"])
        g = self.sub()
        if kind == "arith" or kind == "div":
            op = self.pick(["+", "-", "*"] if kind == "arith" else ["//", "%"])
            a = g.nonliteral(dtype)
            b = g.expr(self.pick([d for d in INTS if RANK[d] <= RANK[dtype]]))
            if kind == "div":
                b_frag = self.pick(["3", "(-1)", "2", "(-7)"]) if b.literal else b.frag
                b_frag = Guard("division-overflow", op, b_frag, "where({x} == -1, 1, {x})")
                if not b.literal:
                    b_frag = Guard("zero-divisor", op, b_frag, "where({x} == 0, 1, {x})")
                return Ex(cat("(", a.frag, f" {op} ", b_frag, ")"), dtype)
            return Ex(cat("(", a.frag, f" {op} ", b.frag, ")"), dtype)
        if kind == "pow":
            a = g.nonliteral(dtype)
            if self.chance(0.4):
                return Ex(cat("(", a.frag, f" ** {self.pick([0, 1, 2, 3])})"), dtype)
            e = g.nonliteral(dtype)
            return Ex(cat("(", a.frag, " ** ", Guard("negative-exponent", "**", e.frag, "clip({x}, 0, 7)"), ")"), dtype)
        if kind == "unary":
            a = g.nonliteral(dtype)
            return Ex(cat(self.pick(["(-", "abs("]), a.frag, ")"), dtype)
        if kind == "minmax":
            a, b = g.nonliteral(dtype), g.expr(dtype)
            if self.chance(0.3):
                return Ex(cat("clip(", a.frag, ", ", b.frag, ", ", g.expr(dtype).frag, ")"), dtype)
            return Ex(cat(self.pick(["min(", "max("]), a.frag, ", ", b.frag, ")"), dtype)
        if kind == "cond":
            return self.conditional(dtype, ())
        if kind == "reduce":
            return self.cast(self.reduction(dtype), dtype)
        if kind == "cast":
            src = self.pick([d for d in DTYPES if d != dtype])
            return self.cast(g.expr(src), dtype)
        return self.cast(self.misc_int(), dtype)

    def nonliteral(self, dtype: str, shape: tuple[int, ...] = ()) -> Ex:
        e = self.expr(dtype, shape)
        return self.leaf(dtype, shape, literal=False) if e.literal else e

    def misc_int(self) -> Ex:
        """Names and built-ins that are int32: parameters, loop variables, sizes, enums."""
        options = [Ex("current_player", "int32"), Ex("step_count", "int32"), Ex("PLAYERS", "int32", literal=True)]
        zones = self.vars_of(INTS, None)
        zones = [v for v in zones if len(v.shape) == 1 and v.kind in ("state", "local")]
        if zones:
            options.append(Ex(f"size({self.pick(zones).name})", "int32"))
        if self.scope.enum:
            name, members = self.scope.enum
            options.append(Ex(f"{name}.{self.pick(members)}", "int32", literal=True))
        if self.scope.tables:
            options.append(Ex(f"{sorted(self.scope.tables)[0].split('.')[0]}.rows", "int32", literal=True))
        return self.pick(options)

    def floating(self, dtype: str = "float32") -> Ex:
        kind = self.pick(["arith", "arith", "div", "unary", "math", "minmax", "cond", "reduce", "cast"])
        g = self.sub()
        if kind == "arith":
            a, b = g.nonliteral("float32"), g.expr(self.pick(["float32", "float32", "int8", "int32"]))
            return Ex(cat("(", a.frag, f" {self.pick(['+', '-'])} ", b.frag, ")"), "float32")
        if kind == "div":  # floor division and remainder of floats are exact in IEEE arithmetic
            op = self.pick(["//", "%"])
            a, b = g.nonliteral("float32"), g.nonliteral("float32")
            return Ex(
                cat("(", a.frag, f" {op} ", Guard("zero-divisor", op, b.frag, "where({x} == 0.0, 1.0, {x})"), ")"),
                "float32",
            )
        if kind == "unary":
            return Ex(cat(self.pick(["(-", "abs("]), g.nonliteral("float32").frag, ")"), "float32")
        if kind == "math":
            arg = g.nonliteral(self.pick(["float32", "float32", "int16"]))
            return Ex(cat(self.pick(["floor(", "sqrt("]), arg.frag, ")"), "float32")
        if kind == "minmax":
            a, b = g.nonliteral("float32"), g.expr("float32")
            if self.chance(0.3):
                c = g.expr("float32")
                return Ex(
                    cat("clip(", nan_guard(a, "clip"), ", ", nan_guard(b, "clip"), ", ", nan_guard(c, "clip"), ")"),
                    "float32",
                )
            f = self.pick(["min", "max"])
            return Ex(cat(f"{f}(", nan_guard(a, f), ", ", nan_guard(b, f), ")"), "float32")
        if kind == "cond":
            return self.conditional("float32", ())
        if kind == "reduce":
            return self.cast(self.reduction("float32"), "float32")
        return self.cast(g.expr(self.pick(list(INTS) + ["bool"])), "float32")

    def boolean(self, dtype: str = "bool") -> Ex:
        kind = self.pick(["compare", "compare", "compare", "logic", "not", "reduce", "cond"])
        g = self.sub()
        if kind == "compare":
            src = self.pick(list(INTS) + ["float32", "bool"])
            a, b = g.nonliteral(src), g.expr(src)
            ops = ["==", "!="] if src == "bool" else ["==", "!=", "<", "<=", ">", ">="]
            return Ex(cat("(", a.frag, f" {self.pick(ops)} ", b.frag, ")"), "bool")
        if kind == "logic":
            return Ex(cat("(", g.expr("bool").frag, f" {self.pick(['and', 'or'])} ", g.expr("bool").frag, ")"), "bool")
        if kind == "not":
            return Ex(cat("(not ", g.expr("bool").frag, ")"), "bool")
        if kind == "cond":
            return self.conditional("bool", ())
        return self.cast(self.reduction("bool"), "bool")

    def conditional(self, dtype: str, shape: tuple[int, ...]) -> Ex:
        g = self.sub()
        test = g.expr("bool", shape if shape and self.chance(0.5) else ())
        a, b = g.nonliteral(dtype, shape), g.expr(dtype, shape)
        if test.shape or shape or self.chance(0.5):
            return Ex(cat("where(", test.frag, ", ", a.frag, ", ", b.frag, ")"), dtype, shape)
        return Ex(cat("(", a.frag, " if ", test.frag, " else ", b.frag, ")"), dtype, shape)

    def reduction(self, want: str) -> Ex:
        """A comprehension `op(i in lo..hi: body)` or a reduction of a whole array."""
        if want == "bool":
            op = self.pick(["any", "all", "count"])
        elif want == "float32":
            op = self.pick(["min", "max", "argmax", "argmin"])
        else:
            op = self.pick(["sum", "count", "min", "max", "argmax", "argmin"])
        body_dtype = (
            "bool" if op in ("any", "all", "count") else ("float32" if want == "float32" else self.pick(list(INTS)))
        )
        if op in ("argmax", "argmin") and self.chance(0.5):
            body_dtype = self.pick(["float32", "int8", "int32"])
        result = {"any": "bool", "all": "bool", "count": "int32", "sum": "int32", "argmax": "int32", "argmin": "int32"}
        dtype = result.get(op, body_dtype)
        if self.chance(0.5):  # a whole array: a variable, or an array expression (concat, one_hot ...)
            arrays = [v for v in self.vars_of((body_dtype,), None) if v.shape]
            if arrays or self.chance(0.4):
                whole = arrays and self.chance(0.6)
                arr = self.var(arrays) if whole else self.sub().array(body_dtype, (self.pick([2, 3, 4]),))
                return Ex(cat(f"{op}(", nan_guard(arr, op) if op not in ("sum",) else arr.frag, ")"), dtype)
        g, var = self.with_loop_var(reduction=True)
        lo = self.draw(st.integers(-2, 2))
        hi = lo + self.draw(st.integers(1, 4))
        body = g.expr(body_dtype)
        bound = f"({lo})" if lo < 0 else str(lo)
        return Ex(cat(f"{op}({var} in {bound}..{hi}: ", nan_guard(body, op), ")"), dtype)

    # ---------------------------------------------------------------------- arrays

    def array(self, dtype: str, shape: tuple[int, ...]) -> Ex:
        kind = self.pick(["leaf", "binary", "binary", "where", "literal", "unary", "gather", "reshape", "stack",
                          "concat", "one_hot"])  # fmt: skip
        g = self.sub()
        if kind == "one_hot" and len(shape) <= 2:
            return self.one_hot(dtype, shape)
        if kind == "concat":
            return self.concat(dtype, shape)
        if kind == "binary" and dtype != "bool":
            ops = ["+", "-"] + (["*"] if dtype != "float32" else [])
            a = g.nonliteral(dtype, shape)
            b = g.expr(dtype, shape if self.chance(0.6) else ())
            return Ex(cat("(", a.frag, f" {self.pick(ops)} ", b.frag, ")"), dtype, shape)
        if kind == "binary":  # bool arrays: compare or combine
            src = self.pick(list(INTS) + ["float32"])
            a, b = g.nonliteral(src, shape), g.expr(src, shape if self.chance(0.6) else ())
            return Ex(cat("(", a.frag, f" {self.pick(['==', '<', '>='])} ", b.frag, ")"), "bool", shape)
        if kind == "where":
            return self.conditional(dtype, shape)
        if kind == "literal" and len(shape) == 1:
            items = [g.expr(dtype).frag for _ in range(shape[0])]
            parts: list[Frag] = ["["]
            for k, item in enumerate(items):
                parts += [", " if k else "", item]
            return self.cast(Ex(cat(*parts, "]"), "int32" if dtype in INTS else dtype, shape), dtype)
        if kind == "unary" and dtype != "bool":
            f = self.pick(["(-", "abs("] + (["floor("] if dtype == "float32" else []))
            return Ex(cat(f, g.nonliteral(dtype, shape).frag, ")"), dtype, shape)
        if kind == "gather" and len(shape) == 1:
            sources = [v for v in self.vars_of((dtype,), None) if len(v.shape) == 1]
            if sources:
                src = self.pick(sources)
                idx = g.nonliteral(self.pick(list(INTS)), shape)
                guarded = Guard("index-read", "gather", idx.frag, f"clip({{x}}, 0, {src.shape[0] - 1})")
                return Ex(cat(src.name, "[", guarded, "]"), dtype, shape)
        size = 1
        for d in shape:
            size *= d
        if kind == "reshape":
            others = [
                v for v in self.vars_of((dtype,), None) if v.shape and v.shape != shape and _size(v.shape) == size
            ]
            if others:
                dims = ", ".join(map(str, shape))
                return Ex(cat("reshape(", self.pick(others).name, f", {dims})"), dtype, shape)
        if kind == "stack" and shape[-1] <= 4:
            items = [g.expr(dtype, shape[:-1]).frag for _ in range(shape[-1])]
            parts = ["stack("]
            for k, item in enumerate(items):
                parts += [", " if k else "", item]
            fn = {"bool": "", "float32": "float"}.get(dtype, dtype)  # all-literal items would be int32
            return Ex(cat(fn, "(", *parts, "))"), dtype, shape)
        same = self.vars_of((dtype,), shape)
        if same:
            return self.var(same)
        if dtype == "bool":
            return Ex(cat("(", self.array("int32", shape).frag, " > 0)"), "bool", shape)
        fill = self.expr(dtype)
        base = "0.0" if dtype == "float32" else "0"
        zeros = self.vars_of(DTYPES, shape)
        if zeros:  # broadcast a scalar over an array of the right shape
            return Ex(
                cat("where(", self.cast(self.var(zeros), "bool").frag, ", ", fill.frag, f", {base})"), dtype, shape
            )
        zero = cat("reshape([", ", ".join([base] * size), f"], {', '.join(map(str, shape))}) + ", fill.frag)
        return self.cast(Ex(zero, "float32" if dtype == "float32" else "int32", shape), dtype)

    def one_hot(self, dtype: str, shape: tuple[int, ...]) -> Ex:
        """`one_hot(i, n)` (an index array adds its axis first), cast to `dtype`. Any index
        is fine: one outside 0..n-1 gives all false."""
        idx = self.sub().expr(self.pick(list(INTS)), shape[:-1])
        return self.cast(Ex(cat("one_hot(", idx.frag, f", {shape[-1]})"), "bool", shape), dtype)

    def concat(self, dtype: str, shape: tuple[int, ...]) -> Ex:
        """`concat(a, b, ...)` of scalars (1-D only) and arrays of the same trailing shape,
        whose lengths add up to shape[0]. Parts of narrower dtypes are mixed in and literal
        parts are cast (so none is weak); the whole is cast when the common dtype is not `dtype`."""
        g = self.sub()
        left, sizes = shape[0], []
        while left and len(sizes) < 4:
            k = left if len(sizes) == 3 else self.draw(st.integers(1, left))
            sizes.append(k)
            left -= k
        if dtype == "bool":
            kinds = ["bool"]
        elif dtype == "float32":
            kinds = ["float32", "float32", "int8", "int32"]
        else:
            kinds = [dtype, dtype] + [d for d in INTS if RANK[d] < RANK[dtype]]
        parts: list[Frag] = ["concat("]
        common = "bool" if dtype == "bool" else "int8"
        for n, k in enumerate(sizes):
            part_shape = () if not shape[1:] and k == 1 and self.chance(0.6) else (k,) + shape[1:]
            part = g.expr(self.pick(kinds), part_shape)
            if part.literal and part.dtype != "bool":
                part = Ex(cat({"float32": "float"}.get(part.dtype, part.dtype), "(", part.frag, ")"), part.dtype)
            if RANK[part.dtype] > RANK[common]:
                common = part.dtype
            parts += [", " if n else "", part.frag]
        return self.cast(Ex(cat(*parts, ")"), common, shape), dtype)


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
