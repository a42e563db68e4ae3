"""Expressions of the C backend: IR -> C expression text, one element at a time.

An array-valued expression is lowered element by element: `at(e, idx)` gives the C
text of the element of `e` at the C index expressions `idx` (one per axis; NumPy
broadcasting picks the operands' elements). Reductions, `choose` and zones nested in
expressions become GCC statement expressions `({ ...; value; })`, so every IR
expression stays one C expression, evaluated only where the reference evaluates it.
The edge meanings (wrapping, zero divisors, saturating casts, index clamping) live in
small helpers of templates/c_env.c.j2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from .. import ir
from ..errors import SpecError
from .common import Bounds, int_range
from .hoist import split_reduction

CTYPE = {"bool": "bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float"}
MATH = {"sqrt": "sqrtf", "sin": "sinf", "cos": "cosf", "tan": "tanf", "exp": "expf", "log": "logf", "floor": "floorf"}
CASTS = {"int": "int32", "int8": "int8", "int16": "int16", "int32": "int32", "float": "float32"}
ZONE_OPS = ("push", "remove", "shuffle")
# A reduction over a constant range of at most UNROLL_MAX indexes asks the C compiler to
# unroll it (`#pragma GCC unroll`), nested ones while the product of their lengths stays
# within UNROLL_PRODUCT: the loop variable then is a constant in each copy, so a constant
# table read at it (DR[d]) folds, index clamps and bound tests on it fold too, and the
# short-circuit exits become straight branches (connect four's four-in-a-line test: 64
# cells over three nested any/all, about 1.4x the whole step).
UNROLL_MAX = 8
UNROLL_PRODUCT = 64
C_RESERVED = set(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while "
    "bool true false s key k in out p mask words player mover legal main NAN INFINITY NULL EOF".split()
)


def ctype(t: ir.Type) -> str:
    """The C type of a value: a weak (literal-only) float computes in double, as Python does."""
    return "double" if t.is_float and t.weak else CTYPE[t.dtype]


def mangle(name: str) -> str:
    """A spec name as a C identifier (never a keyword or one of the generated code's own names)."""
    return name + "_" if name in C_RESERVED or name.startswith("_") else name


def local_key(name: str, t: ir.Type) -> str:
    """The key of a local of one type in a `names` map."""
    return f"{name}:{t.dtype}{list(t.shape)}"


def literal(value: bool | int | float, t: ir.Type | None = None) -> str:
    """A C literal: a bare float stays a double (Python's), a typed one is the float32 value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value == -(2**31):
            return "(-2147483647 - 1)"
        return f"({value})" if value < 0 else str(value)
    if t is not None and not t.weak:
        value = float(np.float32(value))
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    text = repr(value) if (t is None or t.weak) else str(np.float32(value))
    text = text if ("." in text or "e" in text) else text + ".0"
    text = text if (t is None or t.weak) else text + "f"
    return f"({text})" if value < 0 else text


def cast(text: str, src: ir.Type, dst: ir.Type) -> str:
    """`text` (a value of type src) as dst: integers wrap, floats saturate into integers."""
    if ctype(src) == ctype(dst):
        return text
    if dst.is_bool:
        return f"(({text}) != 0)"
    if dst.is_float:
        return f"(({ctype(dst)})({text}))"
    if src.is_float:
        lo, hi = ir.INT_BOUNDS[dst.dtype]
        limits = f"{literal(lo)}, {literal(hi)}"
        value = f"_f2i((float)({text}), {limits})"
        return value if dst.dtype == "int32" else f"(({CTYPE[dst.dtype]}){value})"
    return f"(({CTYPE[dst.dtype]})({text}))"


def flat_index(shape: tuple[int, ...], idx: list[str]) -> str:
    """Row-major flat offset of `idx` in an array of `shape`."""
    terms, stride = [], 1
    for dim, i in reversed(list(zip(shape, idx))):
        if i != "0":
            terms.append(i if stride == 1 else f"{i} * {stride}")
        stride *= dim
    return " + ".join(reversed(terms)) or "0"


def bcast(operand: tuple[int, ...], shape: tuple[int, ...], idx: list[str]) -> list[str]:
    """The indexes of an operand of shape `operand` broadcast to `shape` at `idx`."""
    tail = idx[len(idx) - len(operand) :] if operand else []
    lead = len(shape) - len(operand)
    return ["0" if d == 1 and shape[lead + k] != 1 else i for k, (d, i) in enumerate(zip(operand, tail))]


def reads(node: object, name: str) -> bool:
    """Whether an expression reads the variable `name`."""
    import dataclasses

    if isinstance(node, ir.Name):
        return node.name == name and node.kind != "const"
    if isinstance(node, tuple):
        return any(reads(n, name) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(reads(getattr(node, f.name), name) for f in dataclasses.fields(node))
    return False


class Temps:
    """Unique names for temporaries in one generated function."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, stem: str) -> str:
        self.n += 1
        return f"_{stem}{self.n}"


class CExpr:
    """Expression -> C text. `names` maps IR names to C lvalues (state fields: `s->f`)."""

    def __init__(self, names: dict[str, str], words: dict[int, str], temps: Temps, key: str = "key",
                 bounds: dict[str, tuple[int, int]] | None = None):  # fmt: skip
        self.names = names
        self.words = words
        self.temps = temps
        self.key = key
        self.bounds = bounds if bounds is not None else {}  # name -> (lo, hi): its values lie in lo..hi-1
        self.unrolled = 1  # the product of the lengths of the unrolled reductions around the expression
        # (indexes, shape) -> the flat counter of the loop that runs over that shape (see offset)
        self.flats: dict[tuple[tuple[str, ...], tuple[int, ...]], str] = {}
        self.array_loops = 0  # how many loops over an array's elements are around the expression (see narrow)

    def gen(self, e: ir.Expr) -> str:
        """A scalar expression."""
        return self.at(e, [])

    def at(self, e: ir.Expr, idx: list[str]) -> str:
        """The element of `e` at `idx` (one C index expression per axis of e.type.shape)."""
        return getattr(self, f"visit_{type(e).__name__}")(e, idx)

    def sub(self, operand: ir.Expr, e: ir.Expr, idx: list[str]) -> str:
        """The element of an operand of `e` at `idx`, broadcast to e's shape."""
        return self.at(operand, bcast(operand.type.shape, e.type.shape, idx))

    def offset(self, shape: tuple[int, ...], idx: list[str]) -> str:
        """The row-major offset of `idx` in an array of `shape`: the counter itself when `idx` are
        the indexes of a flat loop over that same shape (so `board[_f1]`, not `board[_f1 / 7 * 7
        + (_f1) % 7]`, and a plain loop the C compiler vectorises)."""
        return self.flats.get((tuple(idx), tuple(shape))) or flat_index(shape, idx)

    def known(self) -> Bounds:
        """The known ranges as common.int_range reads them (inclusive, constants by name; a
        parameter or loop variable of a constant's name hides it, as in the spec)."""
        inclusive = {k: (lo, hi - 1) for k, (lo, hi) in self.bounds.items()}
        consts = {k[len("const ") :]: r for k, r in inclusive.items() if k.startswith("const ")}
        return consts | {k: r for k, r in inclusive.items() if not k.startswith("const ")}

    def name(self, name: str, local: ir.Type | None = None) -> str:
        """The C name of a variable; a local's depends on its type (see c_backend.local_decls)."""
        if local is not None:
            return self.names.get(local_key(name, local), mangle(name))
        return self.names.get(name, mangle(name))

    # ------------------------------------------------------------------ leaves

    def visit_Literal(self, e: ir.Literal, idx: list[str]) -> str:
        return literal(e.value, e.type)

    def visit_Name(self, e: ir.Name, idx: list[str]) -> str:
        column = self.names.get(f"const {e.name}") if e.kind == "const" else None
        if column is not None:  # a table's column: a field of the row structs (see literals.c_constants)
            return column.format(self.offset(e.type.shape, idx))
        base = e.name if e.kind == "const" else self.name(e.name, e.type if e.kind == "local" else None)
        return f"{base}[{self.offset(e.type.shape, idx)}]" if e.type.shape else base

    def visit_Index(self, e: ir.Index, idx: list[str]) -> str:
        base_shape = e.base.type.shape
        if len(e.indices) == 1 and e.indices[0].type.shape:  # an index array: a gather
            index = e.indices[0]
            rank = len(index.type.shape)
            i = f"_ix({self.at(index, idx[:rank])}, {base_shape[0]})"
            return self.at(e.base, [i] + idx[rank:])
        picked = [self.read_index(i, n) for i, n in zip(e.indices, base_shape)]
        return self.at(e.base, picked + idx)

    def read_index(self, i: ir.Expr, n: int) -> str:
        """An index read, clamped unless it is known to lie in 0..n-1 (a constant, an action
        parameter or a loop variable whose range fits)."""
        if isinstance(i, ir.Literal) and 0 <= i.value < n:
            return str(i.value)
        if self.in_range(i, n):
            return self.gen(i)
        return f"_ix({self.gen(i)}, {n})"

    def in_range(self, i: ir.Expr, n: int) -> bool:
        """Whether the index `i` surely lies in 0..n-1: a constant, an action parameter or a
        loop variable whose range fits, or an entry of a constant table whose values all fit."""
        if isinstance(i, ir.Literal):
            return 0 <= i.value < n
        if isinstance(i, ir.Name) and i.kind in ("param", "loop", "const"):
            lo, hi = self.bounds.get(i.name if i.kind != "const" else f"const {i.name}", (-1, -1))
            return 0 <= lo and hi <= n
        if isinstance(i, ir.Index) and isinstance(i.base, ir.Name) and i.base.kind == "const":
            return self.in_range(i.base, n)
        return False

    # -------------------------------------------------------------- operators

    def visit_Unary(self, e: ir.Unary, idx: list[str]) -> str:
        x = self.at(e.operand, idx)
        if e.op == "not":
            return f"(!{x})"
        if e.type.is_float:
            return f"(-{x})"
        return cast(f"_wneg({x})", ir.INT32, e.type)

    def visit_Binary(self, e: ir.Binary, idx: list[str]) -> str:
        left, right = self.sub(e.left, e, idx), self.sub(e.right, e, idx)
        lt, rt = e.left.type, e.right.type
        if e.op in ("and", "or"):
            return f"({left} {'&&' if e.op == 'and' else '||'} {right})"
        if e.op in ("==", "!=", "<", "<=", ">", ">="):
            if lt.is_float or rt.is_float:  # both as float32, as the reference compares them
                left, right = cast(left, lt, ir.FLOAT32), cast(right, rt, ir.FLOAT32)
            elif lt.is_int and rt.is_int:
                left, right = self.narrow(e.left, left, rt), self.narrow(e.right, right, lt)
            return f"({left} {e.op} {right})"
        t = e.type
        if t.is_float:  # in float32, bare literals too (the reference's np.float32 operands)
            if e.op == "**" and isinstance(e.right, ir.Literal) and isinstance(e.right.value, int):
                return f"_powif({cast(left, lt, ir.FLOAT32)}, {e.right.value})"
            left, right = cast(left, lt, ir.FLOAT32), cast(right, rt, ir.FLOAT32)
            if e.op in ("+", "-", "*", "/"):
                return f"({left} {e.op} {right})"
            return {"//": "_floordivf", "%": "_fmod_py", "**": "powf"}[e.op] + f"({left}, {right})"
        helper = {"+": "_wadd", "-": "_wsub", "*": "_wmul", "//": "_floordiv", "%": "_pymod", "**": "_ipow"}[e.op]
        return cast(f"{helper}({left}, {right})", ir.INT32, t)

    def narrow(self, operand: ir.Expr, text: str, other: ir.Type) -> str:
        """An int32 operand compared with an int8 or int16 one in a loop over an array's
        elements, cast to that narrower type when its range provably fits it: the same
        comparison, which the C compiler can then vectorise in narrow lanes (`board ==
        player + 1` over an int8 board). Scalar code gains nothing from it and is left as is."""
        if not self.array_loops or isinstance(operand, ir.Literal):
            return text
        if other.dtype not in ("int8", "int16") or operand.type.dtype != "int32":
            return text
        r = int_range(operand, self.known())
        lo, hi = ir.INT_BOUNDS[other.dtype]
        return f"(({CTYPE[other.dtype]})({text}))" if r is not None and lo <= r[0] and r[1] <= hi else text

    def visit_Cond(self, e: ir.Cond, idx: list[str]) -> str:
        test = self.sub(e.test, e, idx)
        then = cast(self.sub(e.then, e, idx), e.then.type, e.type)
        orelse = cast(self.sub(e.orelse, e, idx), e.orelse.type, e.type)
        return f"({test} ? {then} : {orelse})"

    def visit_Let(self, e: ir.Let, idx: list[str]) -> str:
        """A procedure's argument or local inside an expression: a GCC statement expression
        binding the (hidden, unique) name once, then the body's element."""
        t = e.value.type
        name = self.name(e.name, t)
        # the value is computed under a new name first: `y = y * 2` rebinds y, and a C name is
        # already in scope in its own initializer (it would read itself, uninitialised)
        value = self.temps("let")
        if not t.shape:
            return (f"({{ {ctype(t)} {value} = {self.gen(e.value)}; {ctype(t)} {name} = {value}; "
                    f"{self.at(e.body, idx)}; }})")  # fmt: skip
        n = math.prod(t.shape)
        fill = " ".join(self.fill(e.value, value, t))
        return (f"({{ {CTYPE[t.dtype]} {value}[{n}]; {fill} {CTYPE[t.dtype]} {name}[{n}]; "
                f"memcpy({name}, {value}, sizeof {name}); {self.at(e.body, idx)}; }})")  # fmt: skip

    def visit_ArrayLit(self, e: ir.ArrayLit, idx: list[str]) -> str:
        inner = ir.Type(e.type.dtype, e.type.shape[1:])
        items = [cast(self.at(i, bcast(i.type.shape, inner.shape, idx[1:])), i.type, e.type) for i in e.items]
        return select(idx[0], items)

    # ------------------------------------------------------------- reductions

    def loop(self, var: str, lo: str, hi: str) -> str:
        end = self.temps("end")
        return f"for (int32_t {var} = {lo}, {end} = {hi}; {var} < {end}; {var}++)"

    def unroll(self, lo: ir.Expr, hi: ir.Expr) -> int:
        """How many copies the C compiler is asked to unroll a reduction over lo..hi into:
        its length if both ends are constants and it is short (see UNROLL_MAX), else 0."""
        if not (isinstance(lo, ir.Literal) and isinstance(hi, ir.Literal)):
            return 0
        n = int(hi.value) - int(lo.value)
        return n if 1 < n <= UNROLL_MAX and self.unrolled * n <= UNROLL_PRODUCT else 0

    def visit_Reduce(self, e: ir.Reduce, idx: list[str]) -> str:
        copies = self.unroll(e.lo, e.hi)
        halves = split_reduction(e) if copies else None
        if halves is not None:  # unrolled, the register-only half is a few compares per copy
            return f"({self.at(halves[0], idx)} {'&&' if e.op == 'all' else '||'} {self.at(halves[1], idx)})"
        var = mangle(e.var)
        start = self.temps("lo")
        head = f"int32_t {start} = {self.gen(e.lo)}; "
        loop = self.loop(var, start, self.gen(e.hi))
        if copies:
            loop = f'_Pragma("GCC unroll {copies}") {loop}'
        outer = self.bound(e.var, e.lo, e.hi)
        self.unrolled *= max(copies, 1)
        body = self.at(e.body, idx)
        self.unrolled //= max(copies, 1)
        self.unbound(e.var, outer)
        return "({ " + head + fold(e.op, e.body.type, e.type, loop, body, f"{var} == {start}", var, self.temps) + " })"

    def bound(self, var: str, lo: ir.Expr, hi: ir.Expr) -> tuple[int, int] | None:
        """Note a loop variable's range while its body is generated, when both ends are
        constants; returns what an outer variable of that name had, for unbound()."""
        outer = self.bounds.pop(var, None)
        if isinstance(lo, ir.Literal) and isinstance(hi, ir.Literal):
            self.bounds[var] = (int(lo.value), int(hi.value))
        return outer

    def unbound(self, var: str, outer: tuple[int, int] | None) -> None:
        self.bounds.pop(var, None)
        if outer is not None:
            self.bounds[var] = outer

    def whole(self, op: str, x: ir.Expr, result: ir.Type) -> str:
        """A reduction of a whole array (any(mask), sum(a), argmax(a), ...), flattened."""
        shape = x.type.shape
        flat = self.temps("j")
        idx = unravel(flat, shape)
        loop = f"for (int32_t {flat} = 0; {flat} < {math.prod(shape)}; {flat}++)"
        with self.array_loop(shape, idx, flat):
            body = self.at(x, idx)
        return "({ " + fold(op, x.type, result, loop, body, f"{flat} == 0", flat, self.temps) + " })"

    # ---------------------------------------------------------------- calls

    def visit_Call(self, e: ir.Call, idx: list[str]) -> str:
        f, args = e.func, e.args
        elementwise = self.elementwise(f) if not (f in ("min", "max") and len(args) == 1) else None
        if elementwise is not None:
            return elementwise(e, [self.sub(a, e, idx) for a in args])
        if f in ("any", "all", "sum", "count", "argmax", "argmin") or (f in ("min", "max") and len(args) == 1):
            return self.whole(f, args[0], e.type)
        if f == "stack":
            inner = e.type.shape[:-1]
            items = [cast(self.at(a, bcast(a.type.shape, inner, idx[:-1])), a.type, e.type) for a in args]
            return select(idx[-1], items)
        if f == "concat":  # along the first axis; a scalar counts as a length-1 array
            pieces, start = [], 0
            for a in args:
                n = a.type.shape[0] if a.type.shape else 1
                pieces.append((start, n, a))
                start += n
            i = idx[0]

            def piece(k: int) -> str:
                lo, n, a = pieces[k]
                if not a.type.shape:
                    return cast(self.gen(a), a.type, e.type)
                j = str(int(i) - lo) if i.isdigit() else (f"({i} - {lo})" if lo else i)
                sub = bcast(a.type.shape[1:], e.type.shape[1:], idx[1:])
                return cast(self.at(a, [j] + sub), a.type, e.type)

            if i.isdigit():
                return piece(next(k for k, (lo, n, _) in enumerate(pieces) if lo <= int(i) < lo + n))
            text = piece(len(pieces) - 1)
            for k in range(len(pieces) - 2, -1, -1):
                lo, n, _ = pieces[k]
                text = f"({i} < {lo + n} ? {piece(k)} : {text})"
            return text
        if f == "one_hot":  # an index outside 0..n-1 matches no slot
            return f"({self.at(args[0], idx[:-1])} == {idx[-1]})"
        if f == "reshape":
            x = args[0]
            flat = flat_index(e.type.shape, idx)
            if x.type.shape == e.type.shape:
                return self.at(x, idx)
            return self.at(x, unravel(f"({flat})", x.type.shape))
        if f == "size":
            zone = args[0]
            j = self.temps("j")
            n = self.temps("n")
            return (f"({{ int32_t {n} = 0; for (int32_t {j} = 0; {j} < {zone.type.shape[0]}; {j}++) "
                    f"{n} += {self.at(zone, [j])} >= 0; {n}; }})")  # fmt: skip
        if f in ZONE_OPS:  # a zone nested in an expression: built in a temporary
            buf = self.temps("z")
            fill = " ".join(self.fill(e, buf, e.type))
            return f"({{ {CTYPE[e.type.dtype]} {buf}[{e.type.shape[0]}]; {fill} {buf}[{idx[0]}]; }})"
        return self.chance(e)

    def elementwise(self, f: str) -> Callable[[ir.Call, list[str]], str] | None:
        def math_fn(e: ir.Call, a: list[str]) -> str:
            return f"{MATH[e.func]}({cast(a[0], e.args[0].type, ir.FLOAT32)})"

        def abs_fn(e: ir.Call, a: list[str]) -> str:
            if e.type.is_float:
                return f"fabsf({cast(a[0], e.args[0].type, ir.FLOAT32)})"
            return cast(f"_wabs({a[0]})", ir.INT32, e.type)

        def minmax(e: ir.Call, a: list[str]) -> str:
            x, y = (cast(v, arg.type, e.type) for v, arg in zip(a, e.args))
            fn = {"min": "_fminn", "max": "_fmaxn"} if e.type.is_float else {"min": "_imin", "max": "_imax"}
            return cast(f"{fn[e.func]}({x}, {y})", ir.FLOAT32 if e.type.is_float else ir.INT32, e.type)

        def clip(e: ir.Call, a: list[str]) -> str:
            x, lo, hi = (cast(v, arg.type, e.type) for v, arg in zip(a, e.args))
            if e.type.is_float:
                return f"_fminn(_fmaxn({x}, {lo}), {hi})"
            return cast(f"_imin(_imax({x}, {lo}), {hi})", ir.INT32, e.type)

        def where(e: ir.Call, a: list[str]) -> str:
            then, orelse = (cast(v, arg.type, e.type) for v, arg in zip(a[1:], e.args[1:]))
            return f"({a[0]} ? {then} : {orelse})"

        def to(e: ir.Call, a: list[str]) -> str:
            return cast(a[0], e.args[0].type, ir.Type(CASTS[e.func]))

        if f in MATH:
            return math_fn
        if f == "abs":
            return abs_fn
        if f in ("min", "max"):
            return minmax
        return {"clip": clip, "where": where, **{c: to for c in CASTS}}.get(f)

    def site_key(self, e: ir.Call) -> str:
        key = f"fold_in({self.key}, {e.site})"
        for v in e.loop_vars:
            key = f"fold_in({key}, (uint32_t){self.name(v)})"
        return key

    def chance(self, e: ir.Call) -> str:
        word = self.words.get(e.site) or f"random_word({self.site_key(e)})"
        if e.func == "flip":
            return f"_flip({word})"
        if e.func == "roll":
            return f"_roll({word}, {self.gen(e.args[0])})"
        if e.func == "uniform":
            lo, hi = e.args
            low, high = self.gen(lo), self.gen(hi)
            if lo.type.weak and hi.type.weak:  # Python subtracts bare literals in double
                span = f"(float)({high} - {low})"
            else:
                span = f"({cast(high, hi.type, ir.FLOAT32)} - {cast(low, lo.type, ir.FLOAT32)})"
            return f"_uniform({word}, {cast(low, lo.type, ir.FLOAT32)}, {span})"
        if e.func == "choose":
            mask = e.args[0]
            n = mask.type.shape[0]
            buf, j = self.temps("m"), self.temps("j")
            return (f"({{ bool {buf}[{n}]; for (int32_t {j} = 0; {j} < {n}; {j}++) {buf}[{j}] = {self.at(mask, [j])}; "
                    f"_choose({word}, {buf}, {n}); }})")  # fmt: skip
        raise SpecError(f"the C backend cannot lower {e.func}()", e.pos)

    # ------------------------------------------------------- whole arrays

    def fill(self, e: ir.Expr, buf: str, target: ir.Type, offset: int = 0) -> list[str]:
        """C statements storing `e`, broadcast to target's shape and cast to its dtype,
        into the contiguous buffer `buf` from `offset`."""
        shape = target.shape
        if isinstance(e, ir.Call) and e.func in ZONE_OPS and e.type.shape == shape:
            zone = e.args[0]
            lines = self.fill(zone, buf, target, offset)
            ptr = f"{buf} + {offset}" if offset else buf
            t = target.dtype
            if e.func == "shuffle":
                return lines + [f"_shuffle_{t}({ptr}, {shape[0]}, {self.site_key(e)});"]
            return lines + [f"_{e.func}_{t}({ptr}, {shape[0]}, {self.gen(e.args[1])});"]
        if isinstance(e, ir.Call) and e.func == "stack" and e.type.shape == shape:
            return self.fill_stack(e, buf, target, offset)
        if isinstance(e, ir.ArrayLit) and e.type.shape == shape:
            inner = ir.Type(target.dtype, shape[1:])
            size = math.prod(shape[1:])
            return [line for k, item in enumerate(e.items) for line in self.fill(item, buf, inner, offset + k * size)]
        if not shape:
            return [f"{buf}[{offset}] = {cast(self.gen(e), e.type, target)};"]

        def element(idx: list[str]) -> str:
            return cast(self.at(e, bcast(e.type.shape, shape, idx)), e.type, target)

        head, flat, values = self.each(shape, [element])
        where = f"{offset} + {flat}" if offset else flat
        return [f"{head} {buf}[{where}] = {values[0]};"]

    def fill_stack(self, e: ir.Call, buf: str, target: ir.Type, offset: int) -> list[str]:
        """stack(a, b, ...) along a new last axis: one loop over the other axes storing every
        argument's element (slots k * i + j), so each input is read in one pass."""
        inner, k = target.shape[:-1], len(e.args)

        def element(arg: ir.Expr) -> Callable[[list[str]], str]:
            return lambda idx: cast(self.at(arg, bcast(arg.type.shape, inner, idx)), arg.type, target)

        head, flat, values = self.each(inner, [element(a) for a in e.args])
        stores = []
        for j, value in enumerate(values):
            parts = [str(offset) if offset else "", f"({flat}) * {k}" if inner else "", str(j) if j else ""]
            stores.append(f"{buf}[{' + '.join(x for x in parts if x) or '0'}] = {value};")
        return [f"{head} {{ {' '.join(stores)} }}" if head else " ".join(stores)]

    def each(self, shape: tuple[int, ...], elements: list[Callable[[list[str]], str]]) -> tuple[str, str, list[str]]:
        """A loop over every index of `shape`: its head, the row-major offset of the index,
        and the text of each element (a function of the indexes). One flat loop when no
        element needs the separate indexes (every array read there at the loop's index has
        the loop's shape), else nested loops (a broadcast row: no division per element)."""
        if not shape:
            return "", "0", [f([]) for f in elements]
        if len(shape) > 1:
            flat = self.temps("f")
            idx = unravel(flat, shape)
            with self.array_loop(shape, idx, flat):
                values = [f(idx) for f in elements]
            if not any(i in v for i in idx for v in values):
                return f"for (int32_t {flat} = 0; {flat} < {math.prod(shape)}; {flat}++)", flat, values
        idx = [self.temps("i") for _ in shape]
        heads = [f"for (int32_t {i} = 0; {i} < {d}; {i}++)" for i, d in zip(idx, shape)]
        with self.array_loop(shape, idx):
            values = [f(idx) for f in elements]
        return " ".join(heads), flat_index(shape, idx), values

    @contextmanager
    def array_loop(self, shape: tuple[int, ...], idx: list[str], flat: str = "") -> Iterator[None]:
        """Code generated inside a loop over an array's elements (see narrow); with `flat`, one
        flat counter whose unravelled indexes are `idx` (see offset)."""
        key = (tuple(idx), tuple(shape))
        if flat:
            self.flats[key] = flat
        self.array_loops += 1
        try:
            yield
        finally:
            self.array_loops -= 1
            if flat:
                del self.flats[key]


def unravel(flat: str, shape: tuple[int, ...]) -> list[str]:
    """The row-major indexes in `shape` of the flat offset `flat`."""
    idx = []
    for k, d in enumerate(shape):
        stride = math.prod(shape[k + 1 :])
        i = flat if stride == 1 else f"{flat} / {stride}"
        idx.append(i if k == 0 else f"({i}) % {d}")
    return idx


def select(i: str, items: list[str]) -> str:
    """items[i] for a C index expression i: direct for a constant, else a chain of tests."""
    if i.isdigit():
        return items[int(i)]
    text = items[-1]
    for k in range(len(items) - 2, -1, -1):
        text = f"({i} == {k} ? {items[k]} : {text})"
    return text


def fold(op: str, body_t: ir.Type, result: ir.Type, loop: str, body: str, first: str, var: str, temps: Temps) -> str:
    """The statements of a reduction `op` of `body` over `loop`, ending with its value."""
    r, x = temps("r"), temps("x")
    if op == "any":
        return f"bool {r} = false; {loop} if ({body}) {{ {r} = true; break; }} {r};"
    if op == "all":
        return f"bool {r} = true; {loop} if (!({body})) {{ {r} = false; break; }} {r};"
    if op == "count":
        return f"int32_t {r} = 0; {loop} {r} += ({body}) ? 1 : 0; {r};"
    if op == "sum":
        if result.is_float:
            return f"float {r} = 0.0f; {loop} {r} += {cast(body, body_t, ir.FLOAT32)}; {r};"
        return f"int32_t {r} = 0; {loop} {r} = _wadd({r}, {body}); {r};"
    t = ctype(ir.Type(body_t.dtype))
    nan = f" || isnan({x})" if body_t.is_float else ""
    if op in ("min", "max"):
        better = "<" if op == "min" else ">"
        return f"{t} {r} = 0; {loop} {{ {t} {x} = {body}; if ({first} || {x} {better} {r}{nan}) {r} = {x}; }} {r};"
    better = ">" if op == "argmax" else "<"
    best = temps("best")
    nan = f" || (isnan({x}) && !isnan({best}))" if body_t.is_float else ""
    return (f"int32_t {r} = 0; {t} {best} = 0; {loop} {{ {t} {x} = {body}; "
            f"if ({first} || {x} {better} {best}{nan}) {{ {best} = {x}; {r} = {var}; }} }} {r};")  # fmt: skip
