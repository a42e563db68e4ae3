"""Type expressions: the names a spec can see (Scope, Binding, Context) and `ExprChecker`,
which returns a typed copy of an expression tree with names resolved and constants folded.

Statements are typed by specc.check_block, the spec's sections by specc.check.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from . import ir
from .builtins import CHANCE, FUNCTIONS, OUTCOMES, REDUCTIONS, call_type
from .errors import SpecError
from .ir import INT32, Pos, Type
from .source import Source
from .types import binary_type, broadcast, common_type, literal_type, promote, strong

BUILTIN_STATE = {"current_player": INT32, "step_count": INT32}
RESERVED = {
    "current_player", "step_count", "player", "observation", "legal_action_mask", "rewards",
    "terminated", "truncated", "key", "state", "action", "s", "jnp", "jax", "np", "lax",
    "true", "false", "PLAYERS", "repeat", "choice",
}  # fmt: skip
# what the generated modules define or import, and Python's keywords: a spec name equal to one
# would shadow it in the generated code, or not parse (names starting with _ are theirs too)
RESERVED |= {
    "ID", "NUM_PLAYERS", "NUM_ACTIONS", "OBSERVATION_SHAPE", "OBSERVATION_DTYPE", "ACTION_KINDS", "ACTION_LABELS",
    "MAX_STEPS", "REWARD_RANGE", "STEP_USES_CHANCE", "ZERO_SUM", "FIELDS", "VISIBILITY", "TOLERANCES",
    "INVARIANTS", "COVERAGE_POINTS", "ACTIONS", "State", "observe", "invariants", "refresh", "init", "step",
    "replace", "dataclasses",
} | set(keyword.kwlist)  # fmt: skip


@dataclass
class Binding:
    kind: str  # state, builtin, const, param, local, loop
    type: Type
    value: Any = None  # for folded scalar constants
    ident: str | None = None  # the name in the IR, when it differs (a procedure's hidden locals)


@dataclass
class Context:
    """What the whole spec shares while checking: names, procedures, chance sites."""

    source: Source
    constants: dict[str, ir.Constant] = field(default_factory=dict)
    const_bindings: dict[str, Binding] = field(default_factory=dict)  # constants and PLAYERS
    enums: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, dict[str, ir.Constant]] = field(default_factory=dict)  # table -> column -> constant
    fields: dict[str, ir.StateField] = field(default_factory=dict)
    procedures: dict[str, Any] = field(default_factory=dict)  # name -> specc.procedures.Procedure
    proc_scope: Scope | None = None  # what a procedure's body sees: constants and the state
    call_stack: list[str] = field(default_factory=list)  # procedures being inlined, outermost first
    hidden: int = 0  # hidden names handed out so far (see fresh)
    kernels: dict[str, Any] = field(default_factory=dict)  # name -> specc.kernels.Kernel
    param_actions: dict[str, str] = field(default_factory=dict)  # parameter name -> its first action
    next_site: int = 0
    chance_sites: list[str] = field(default_factory=list)  # section of each site
    choices: int = 0  # choice points handed out so far (ir.Choice.index)

    def fresh(self, proc: str, name: str) -> str:
        """A hidden name for a procedure's local: unique in the spec, and no user's name
        (user names never hold '__')."""
        self.hidden += 1
        return f"{proc}__{name}_{self.hidden}"

    def new_site(self, section: str) -> int:
        self.next_site += 1
        self.chance_sites.append(section)
        return self.next_site


class Scope:
    """Nested name scopes: a block's locals vanish when it ends."""

    def __init__(self, frames: list[dict[str, Binding]]):
        self.frames = frames

    def lookup(self, name: str) -> Binding | None:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        return None

    def child(self, extra: dict[str, Binding] | None = None) -> Scope:
        return Scope(self.frames + [dict(extra or {})])

    def define(self, name: str, binding: Binding) -> None:
        self.frames[-1][name] = binding


def fold(expr: ir.Expr) -> Any:
    """The Python value of a constant expression, or None."""
    if isinstance(expr, ir.Literal):
        return expr.value
    return None


class ExprChecker:
    """Types one expression tree; returns a typed copy with names resolved.

    `hoist` collects statements that must run before the statement holding the
    expression (procedure calls, see specc.procedures); None where there is no statement.
    `proc` names the procedure whose body this is: its loop variables get hidden names.
    """

    def __init__(self, ctx: Context, scope: Scope, section: str, allow_chance: bool, loop_vars=(),
                 hoist: list[ir.Stmt] | None = None, proc: str | None = None):  # fmt: skip
        self.ctx, self.scope, self.section = ctx, scope, section
        self.allow_chance = allow_chance
        self.loop_vars = tuple(loop_vars)
        self.hoist, self.proc = hoist, proc
        self.in_reduction = False

    def check(self, e: ir.Expr) -> ir.Expr:
        return getattr(self, f"visit_{type(e).__name__}")(e)

    def with_loop_var(self, var: str, t: Type) -> tuple[ExprChecker, str]:
        """A checker for a reduction's body (no statements can run there), and the var's IR name."""
        ident = self.ctx.fresh(self.proc, var) if self.proc else var
        scope = self.scope.child({var: Binding("loop", t, ident=ident)})
        loop_vars = self.loop_vars + (ident,)
        inner = ExprChecker(self.ctx, scope, self.section, self.allow_chance, loop_vars, None, self.proc)
        inner.in_reduction = True
        return inner, ident

    def visit__Bound(self, e: _Bound) -> ir.Expr:
        return e.expr  # a kernel argument, typed at the call site

    def visit_Literal(self, e: ir.Literal) -> ir.Expr:
        _fit_literals("int32", e)
        value = ir.flush_subnormal(e.value) if isinstance(e.value, float) else e.value
        return dataclasses.replace(e, value=value, type=literal_type(e.value))

    def visit_Name(self, e: ir.Name) -> ir.Expr:
        b = self.scope.lookup(e.name)
        if b is None:
            raise SpecError(f"unknown name {e.name!r}{self._hint(e.name)}", e.pos)
        if b.kind == "const" and b.value is not None:
            return ir.Literal(e.pos, value=b.value, type=b.type)
        if b.kind == "table":
            raise SpecError(f"{e.name!r} is a table, not a value: use {e.name}.COLUMN", e.pos)
        if b.kind == "kernel":
            raise SpecError(f"{e.name!r} is a kernel, not a value: call it, {e.name}(...)", e.pos)
        return dataclasses.replace(e, name=b.ident or e.name, kind=b.kind, type=b.type)

    def _visible_names(self) -> list[str]:
        return [n for frame in self.scope.frames for n in frame]

    def _hint(self, name: str) -> str:
        """Why `name` is unknown here, or the visible name it is most likely a typo of."""
        if name in self.ctx.param_actions:
            return f" (a parameter of action {self.ctx.param_actions[name]!r}, not usable here)"
        if self.section in ("a constant", "a domain"):
            return _did_you_mean(name, self._visible_names()) or f" ({self.section} may use only numbers and constants)"
        if name in self.ctx.fields:
            return " (a field's init may use only constants: set it from other fields in the init block)"
        if name in ("True", "False"):
            return f" (specc's bools are {name.lower()} and {'false' if name == 'True' else 'true'})"
        return _did_you_mean(name, self._visible_names())

    def visit_EnumRef(self, e: ir.EnumRef) -> ir.Expr:
        table = self.ctx.tables.get(e.enum)
        if table is not None:  # T.column: a constant array, one entry per row; T.rows: their number
            if e.member in table:
                c = table[e.member]
                return ir.Name(e.pos, name=c.name, kind="const", type=c.type)
            if e.member == "rows":
                return ir.Literal(e.pos, value=len(c.value) if (c := next(iter(table.values()))) else 0,
                                  type=Type("int32", (), weak=True))  # fmt: skip
            raise SpecError(f"table {e.enum} has no column {e.member!r} (it has {', '.join(table)})", e.pos)
        members = self.ctx.enums.get(e.enum)
        if members is None:
            if self.scope.lookup(e.enum) is not None:  # a value: it has no members (z.size is size(z))
                raise SpecError(f"{e.enum!r} is a value, not an enum or a table: {e.enum}.{e.member} means nothing"
                                " (NAME.member reads an enum's member or a table's column)", e.pos)  # fmt: skip
            known = list(self.ctx.enums) + list(self.ctx.tables)
            raise SpecError(f"unknown enum or table {e.enum!r}{_did_you_mean(e.enum, known)}", e.pos)
        if e.member not in members:
            raise SpecError(f"enum {e.enum} has no member {e.member!r} (it has {', '.join(members)})", e.pos)
        return ir.Literal(e.pos, value=members.index(e.member), type=Type("int32", (), weak=True))

    def visit_Index(self, e: ir.Index) -> ir.Expr:
        base = self.check(e.base)
        indices = tuple(self.check(i) for i in e.indices)
        bt = base.type
        if len(indices) > len(bt.shape):
            raise SpecError(f"too many indices: {_describe(base)} has type {bt}", e.pos)
        shape: tuple[int, ...] = ()
        for axis, idx in enumerate(indices):
            if not idx.type.is_int:
                raise SpecError(f"an index must be an integer, not {idx.type}", idx.pos)
            if not idx.type.is_scalar and len(indices) > 1:
                raise SpecError("an array index must be the only index", idx.pos)
            shape = shape + idx.type.shape
            value = fold(idx)
            if value is not None and not 0 <= value < bt.shape[axis]:
                raise SpecError(f"index {value} is out of range for axis {axis} of size {bt.shape[axis]}", idx.pos)
        t = Type(bt.dtype, shape + bt.shape[len(indices) :])
        return dataclasses.replace(e, base=base, indices=indices, type=t)

    def visit_Unary(self, e: ir.Unary) -> ir.Expr:
        if e.op == "neg" and isinstance(e.operand, ir.Literal) and not isinstance(e.operand.value, bool):
            # a signed number literal is one literal: -2147483648 fits int32, its 2147483648 alone does not
            return self.visit_Literal(dataclasses.replace(e.operand, pos=e.pos, value=-e.operand.value))
        x = self.check(e.operand)
        if e.op == "not":
            if not x.type.is_bool:
                raise SpecError(f"'not' needs a bool, not {x.type}", e.pos)
            if isinstance(x, ir.Literal):
                return ir.Literal(e.pos, value=not x.value, type=x.type)
            return dataclasses.replace(e, operand=x, type=x.type)
        if x.type.is_bool:
            raise SpecError("cannot negate a bool", e.pos)
        if isinstance(x, ir.Literal):
            return ir.Literal(e.pos, value=-x.value, type=x.type)
        return dataclasses.replace(e, operand=x, type=x.type)

    def visit_Binary(self, e: ir.Binary) -> ir.Expr:
        spine = [e]  # a left-associative chain a + b + c ...: checked bottom up, without recursing
        while isinstance(spine[-1].left, ir.Binary):
            spine.append(spine[-1].left)
        left = self.check(spine[-1].left)
        for node in reversed(spine):
            left = self._binary(node, left, self.check(node.right))
        return left

    def _binary(self, e: ir.Binary, left: ir.Expr, right: ir.Expr) -> ir.Expr:
        t = binary_type(e.op, left.type, right.type, e.pos)
        _check_operands(e.op, left, right)
        if isinstance(left, ir.Literal) and isinstance(right, ir.Literal):
            folded = _fold_binary(e.op, left.value, right.value, e.pos)
            if folded is not None:
                if isinstance(folded, float):
                    folded = ir.flush_subnormal(folded)
                result = ir.Literal(e.pos, value=folded, type=t)
                _fit_literals("int32", result)
                return result
        return dataclasses.replace(e, left=left, right=right, type=t)

    def visit_Cond(self, e: ir.Cond) -> ir.Expr:
        test, then, orelse = self.check(e.test), self.check(e.then), self.check(e.orelse)
        if not test.type.is_bool:
            raise SpecError(f"a condition must be a bool, not {test.type}", test.pos)
        if then.type.is_bool != orelse.type.is_bool:
            raise SpecError(f"both branches must have one type, not {then.type} and {orelse.type}", e.pos)
        t = binary_type("+", then.type, orelse.type, e.pos) if not then.type.is_bool else Type("bool")
        if not t.weak:
            _fit_literals(t.dtype, then, orelse)
        shape = broadcast(broadcast(then.type.shape, orelse.type.shape, e.pos), test.type.shape, e.pos)
        return dataclasses.replace(e, test=test, then=then, orelse=orelse, type=Type(t.dtype, shape, t.weak))

    def visit_ArrayLit(self, e: ir.ArrayLit) -> ir.Expr:
        items = tuple(self.check(i) for i in e.items)
        t = items[0].type
        for item in items[1:]:
            if item.type.shape != t.shape:
                raise SpecError(f"array items must have one shape, not {t} and {item.type}", item.pos)
            t = common_type("an array literal", t, item.type, item.pos)
        _fit_literals(t.dtype, *items)
        return dataclasses.replace(e, items=items, type=Type(strong(t).dtype, (len(items),) + t.shape))

    def visit_Reduce(self, e: ir.Reduce) -> ir.Expr:
        if e.op not in REDUCTIONS:
            raise SpecError(f"{e.op!r} is not a reduction (use one of {', '.join(REDUCTIONS)})", e.pos)
        lo, hi = self._bound(e.lo), self._bound(e.hi)
        if hi.value <= lo.value:
            raise SpecError(f"empty range {lo.value}..{hi.value}", e.lo.pos)
        if self.scope.lookup(e.var) is not None and self.scope.lookup(e.var).kind != "loop":
            raise SpecError(f"{e.var!r} already names something else", e.pos)
        inner, var = self.with_loop_var(e.var, INT32)
        body = inner.check(e.body)
        t = REDUCTIONS[e.op](body.type, e.pos)
        return dataclasses.replace(e, var=var, lo=lo, hi=hi, body=body, type=t)

    def _bound(self, e: ir.Expr) -> ir.Literal:
        b = self.check(e)
        if not isinstance(b, ir.Literal) or not isinstance(b.value, int) or isinstance(b.value, bool):
            raise SpecError("a range bound must be a constant integer", e.pos)
        return b

    def visit_Call(self, e: ir.Call) -> ir.Expr:
        if e.func in self.ctx.kernels:
            from .kernels import inline_call

            return inline_call(self, e)
        if e.func in self.ctx.procedures:
            from .procedures import call

            return call(self, e)
        if e.func in OUTCOMES:
            raise SpecError(f"{e.func}() is a statement, not a value", e.pos)
        if e.func == "choice":
            raise SpecError(
                "choice() stands alone on the right of an assignment: pick = choice(player, options)", e.pos
            )
        if e.func not in FUNCTIONS and e.func not in CHANCE:
            hint = _did_you_mean(e.func, list(FUNCTIONS) + list(CHANCE))
            raise SpecError(f"unknown function {e.func!r}{hint}", e.pos)
        args = tuple(self.check(a) for a in e.args)
        t = call_type(e.func, args, e.pos)
        folded = _fold_call(e.func, args)
        if folded is not None:  # computed when checked, as a + b of literals: a result must fit where it is used
            result = ir.Literal(e.pos, value=folded, type=t)
            _fit_literals("int32", result)
            return result
        if e.func in ("min", "max", "clip", "where", "concat") and not t.weak:
            _fit_literals(t.dtype, *args)
        if e.func == "push":  # the card meets the zone's dtype (a computed one wraps into it)
            _fit_literals(t.dtype, args[1])
        if e.func in CHANCE:
            if not self.allow_chance:
                raise SpecError(f"chance ({e.func}) is not allowed in {self.section}", e.pos)
            site = self.ctx.new_site(self.section)
            return dataclasses.replace(e, args=args, type=t, site=site, loop_vars=self.loop_vars)
        return dataclasses.replace(e, args=args, type=t)


def _substitute(node: Any, bound: dict[str, ir.Expr]) -> Any:
    """Replace kernel argument names by the (typed) argument expressions."""
    if isinstance(node, ir.Name) and node.name in bound:
        return _Bound(node.pos, expr=bound[node.name])
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            if isinstance(v, tuple):
                changes[f.name] = tuple(_substitute(x, bound) for x in v)
            elif dataclasses.is_dataclass(v):
                changes[f.name] = _substitute(v, bound)
        return dataclasses.replace(node, **changes) if changes else node
    return node


@dataclass(frozen=True)
class _Bound(ir.Expr):
    """An already-typed argument expression spliced into a kernel's body."""

    expr: ir.Expr = None  # type: ignore[assignment]


_KIND_WORDS = {"const": "a constant", "param": "an action parameter", "loop": "a loop variable", "kernel": "a kernel"}


def check_range(v: Any, t: Type, declared: tuple[float, float] | None, pos: Pos, name: str) -> None:
    from .ir import INT_BOUNDS

    if t.is_int:
        lo, hi = INT_BOUNDS[t.dtype]
        if not lo <= v <= hi:
            raise SpecError(f"{v} is out of range for {name!r} of type {t.dtype} ({lo}..{hi})", pos)
    if declared is not None and not declared[0] <= v <= declared[1]:
        low, high = (_num(d) for d in declared)
        raise SpecError(f"{_num(v)} is out of the declared range [{low}, {high}] of {name!r}", pos)


def _num(v: Any) -> str:
    """A number as a person wrote it: 100 rather than 100.0, true rather than True."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def _fit_literals(dtype: str, *exprs: ir.Expr) -> None:
    """A bare integer takes the dtype of what it meets (as in JAX, which would wrap it
    silently, while NumPy raises): it must fit in that dtype."""
    if dtype not in ir.INT_BOUNDS:
        return
    lo, hi = ir.INT_BOUNDS[dtype]
    for x in (leaf for e in exprs for leaf in literal_leaves(e)):
        v = x.value
        if isinstance(v, int) and not isinstance(v, bool) and not lo <= v <= hi:
            raise SpecError(f"{v} does not fit in {dtype} ({lo}..{hi}), the type it is used as here", x.pos)


# built-ins whose value is one of their (weak) arguments' values: a weak result is made of them
_WEAK_THROUGH = {"where": slice(1, 3), "min": slice(0, 2), "max": slice(0, 2), "clip": slice(0, 3)}


def literal_leaves(e: ir.Expr) -> list[ir.Literal]:
    """The number literals whose values a value is made of, where they take the dtype the value
    meets: the literal itself, an array literal's items, and through a weak (literal-only) value
    both branches of `a if c else b` or where(), and the arguments of min, max and clip."""
    if isinstance(e, ir.Literal):
        return [e]
    if isinstance(e, ir.ArrayLit):
        return [leaf for item in e.items for leaf in literal_leaves(item)]
    if e.type is None or not e.type.weak:
        return []
    if isinstance(e, ir.Cond):
        return literal_leaves(e.then) + literal_leaves(e.orelse)
    if isinstance(e, ir.Call) and e.func in _WEAK_THROUGH:
        return [leaf for a in e.args[_WEAK_THROUGH[e.func]] for leaf in literal_leaves(a)]
    return []


def _fold_call(func: str, args: tuple[ir.Expr, ...]) -> Any:
    """The value of abs, min, max or clip of number literals (exact in any precision), or None."""
    values = [a.value for a in args if isinstance(a, ir.Literal) and not isinstance(a.value, bool)]
    if len(values) != len(args) or func not in ("abs", "min", "max", "clip"):
        return None
    if func == "abs" and len(values) == 1:
        return abs(values[0])
    if func in ("min", "max") and len(values) == 2:
        return min(values) if func == "min" else max(values)
    if func == "clip" and len(values) == 3:
        return min(max(values[0], values[1]), values[2])
    return None


def _check_operands(op: str, left: ir.Expr, right: ir.Expr) -> None:
    """What binary_type cannot see: literal operands that do not fit, or cannot work."""
    if left.type.is_bool or right.type.is_bool or op in ("and", "or"):
        return
    dtype, weak = promote(left.type, right.type)
    if not weak:
        _fit_literals(dtype, left, right)
    zero = isinstance(right, ir.Literal) and right.value == 0
    if op in ("/", "//", "%") and zero and not isinstance(left, ir.Literal):
        raise SpecError(f"division by zero ('{op}' by a literal 0)", right.pos)
    if op == "**" and left.type.is_int and right.type.is_int and isinstance(right, ir.Literal) and right.value < 0:
        raise SpecError("an integer cannot be raised to a negative power (use a float: 2.0 ** -1)", right.pos)


def _fold_binary(op: str, a: Any, b: Any, pos: Pos) -> Any:
    try:
        if op in ("and", "or"):
            return (a and b) if op == "and" else (a or b)
        if op in ("==", "!=", "<", "<=", ">", ">="):  # as the arithmetic: exactly, in Python's double
            return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op == "/":
            return a / b
        if op == "//":
            return a // b
        if op == "%":
            return a % b
        if op == "**":
            if isinstance(a, int) and isinstance(b, int) and abs(a) > 1 and b > 64:
                raise OverflowError
            result = a**b
            if isinstance(result, complex):
                raise SpecError("a constant power with no real value", pos)
            return result
        return {"+": a + b, "-": a - b, "*": a * b}[op]
    except ZeroDivisionError:
        raise SpecError("division by zero in a constant expression", pos) from None
    except OverflowError:
        raise SpecError("a constant expression overflows", pos) from None


def _did_you_mean(name: str, candidates: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def user_name(ident: str) -> str:
    """The name a person wrote for an identifier: a procedure's local `proc__name_N` (see
    Context.fresh) is shown as `name`; every other name is its own."""
    hidden = re.fullmatch(r"[A-Za-z0-9_]+?__(\w+)_\d+", ident)
    return hidden.group(1) if hidden else ident


def _describe(e: ir.Expr) -> str:
    return repr(user_name(e.name)) if isinstance(e, ir.Name) else "this value"
