"""Check a spec and build its typed IR (specc.ir.Program).

Every name, type, shape, range and action domain is checked here, once; backends
never re-check. Expressions and statements are typed by `ExprChecker` and
`BlockChecker`; `build_program` walks the spec's sections in order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import ir
from .builtins import CHANCE, FUNCTIONS, OUTCOMES, REDUCTIONS, call_type
from .errors import SpecError
from .ir import BOOL, INT32, Pos, Type
from .procedures import define as define_procedure
from .schema import ConstantSpec, Spec
from .source import Source
from .syntax import parse_block, parse_expr
from .tables import load_table
from .types import assignable, binary_type, broadcast, literal_type, parse_type, promote, strong

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
            raise SpecError(f"unknown enum {e.enum!r}", e.pos)
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
            t = t if t.is_bool and item.type.is_bool else binary_type("+", t, item.type, item.pos)
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


class BlockChecker:
    """Types a block of statements, inlining procedures. `proc`: the procedure whose
    body this is (its new locals and loop variables get hidden names), or None."""

    def __init__(self, ctx: Context, section: str, allow_chance: bool, proc: str | None = None):
        self.ctx, self.section, self.allow_chance = ctx, section, allow_chance
        self.proc = proc

    def block(self, stmts: ir.Block, scope: Scope, loop_vars=()) -> ir.Block:
        out: list[ir.Stmt] = []
        for s in stmts:
            out.extend(self.stmt(s, scope, loop_vars))
        return tuple(out)

    def exprs(self, scope: Scope, loop_vars) -> ExprChecker:
        return ExprChecker(self.ctx, scope, self.section, self.allow_chance, loop_vars, [], self.proc)

    def stmt(self, s: ir.Stmt, scope: Scope, loop_vars) -> list[ir.Stmt]:
        """The typed statement, after what its expressions' procedure calls run first."""
        ec = self.exprs(scope, loop_vars)
        out = self._stmt(s, scope, loop_vars, ec)
        return ec.hoist + out if ec.hoist else out

    def _stmt(self, s: ir.Stmt, scope: Scope, loop_vars, ec: ExprChecker) -> list[ir.Stmt]:
        if isinstance(s, ir.Pass):
            return []
        if isinstance(s, ir.Assign):
            return [self.assign(s, scope, ec)]
        if isinstance(s, ir.If):
            return [self.if_chain(s, scope, loop_vars, ec)]
        if isinstance(s, ir.For):
            lo, hi = ec._bound(s.lo), ec._bound(s.hi)
            if hi.value <= lo.value:
                raise SpecError(f"empty range {lo.value}..{hi.value}", s.lo.pos)
            if scope.lookup(s.var) is not None:
                raise SpecError(f"loop variable {s.var!r} already names something else", s.pos)
            _check_local_name(s.var, s.pos)
            var = self.ctx.fresh(self.proc, s.var) if self.proc else s.var
            body = self.block(s.body, scope.child({s.var: Binding("loop", INT32, ident=var)}), loop_vars + (var,))
            return [dataclasses.replace(s, var=var, lo=lo, hi=hi, body=body)]
        if isinstance(s, ir.Repeat):
            return self.repeat(s, scope, loop_vars, ec)
        if isinstance(s, ir.CallStmt):
            return self.call(s, scope, ec, loop_vars)
        if isinstance(s, ir.Return):
            raise SpecError("`return` belongs at the end of a procedure's body (one that declares `returns:`)", s.pos)
        raise SpecError(f"unsupported statement {type(s).__name__}", s.pos)

    def if_chain(self, s: ir.If, scope: Scope, loop_vars, ec: ExprChecker) -> ir.If:
        """An `if` and its `elif`s (Ifs nested in `orelse`), checked in a loop: a chain of a
        thousand elifs is no deeper than one. What an elif's test runs first goes before it."""
        links = []
        node, hoisted = s, []
        while True:
            test = ec.check(node.test)
            if not (test.type.is_bool and test.type.is_scalar):
                raise SpecError(f"an if condition must be a single bool, not {test.type}", test.pos)
            links.append((node, test, hoisted, self.block(node.then, scope.child(), loop_vars)))
            if not (len(node.orelse) == 1 and isinstance(node.orelse[0], ir.If)):
                break
            node, ec = node.orelse[0], self.exprs(scope.child(), loop_vars)
            hoisted = ec.hoist
        orelse = self.block(node.orelse, scope.child(), loop_vars)
        for node, test, hoisted, then in reversed(links):
            built = dataclasses.replace(node, test=test, then=then, orelse=orelse)
            orelse = (*hoisted, built)
        return built

    def repeat(self, s: ir.Repeat, scope: Scope, loop_vars, ec: ExprChecker) -> list[ir.Stmt]:
        """`repeat up to N while c: body` lowered to what every backend already runs:

            going = true                # a hidden local
            for i in 0..N:              # a hidden loop variable: chance draws per iteration
                if going:
                    going = c           # checked once before each iteration, the failing one too
                    if going:
                        body

        so it means exactly that, on every backend (docs/language.md, Semantics: repeat)."""
        count = ec.check(s.count)
        if not isinstance(count, ir.Literal) or isinstance(count.value, bool) or not isinstance(count.value, int):
            raise SpecError(
                "`repeat up to N`: N must be a constant integer (the most times the block runs)", s.count.pos
            )
        if count.value < 1:
            raise SpecError(f"`repeat up to N`: N must be at least 1, not {count.value}", s.count.pos)
        owner = self.proc or "repeat"
        going, var = self.ctx.fresh(owner, "going"), self.ctx.fresh(owner, "i")
        inner_vars = loop_vars + (var,)
        body_scope = scope.child({var: Binding("loop", INT32, ident=var)})
        tec = self.exprs(body_scope, inner_vars)
        test = tec.check(s.test)
        if not (test.type.is_bool and test.type.is_scalar):
            raise SpecError(f"a repeat condition must be a single bool, not {test.type}", test.pos)
        body = self.block(s.body, body_scope.child(), inner_vars)
        flag = ir.Name(s.pos, name=going, kind="local", type=BOOL)
        loop_body = (
            *tec.hoist,  # what the condition's procedure calls run first
            ir.Assign(s.test.pos, name=going, value=test, kind="local", type=BOOL),
            ir.If(s.pos, test=flag, then=body, origin="specc"),
        )
        lo = ir.Literal(s.pos, value=0, type=Type("int32", (), weak=True))
        return [
            ir.Assign(s.pos, name=going, value=ir.Literal(s.pos, value=True, type=BOOL), kind="local", type=BOOL),
            ir.For(s.pos, var=var, lo=lo, hi=count, body=(ir.If(s.pos, test=flag, then=loop_body, origin="specc"),)),
        ]

    def new_local(self, scope: Scope, name: str, t: Type, pos: Pos) -> Binding:
        """Define a local first assigned here (its own identifier inside a procedure)."""
        if name in RESERVED or name in self.ctx.procedures or name.startswith("_"):
            raise SpecError(f"{name!r} is reserved", pos)
        _check_local_name(name, pos)
        b = Binding("local", t, ident=self.ctx.fresh(self.proc, name) if self.proc else None)
        scope.define(name, b)
        return b

    def choice(self, s: ir.Assign, scope: Scope, ec: ExprChecker) -> ir.Stmt:
        """`x = choice(who, options)` (see specc.choices): checked here, lowered into steps later."""
        call = s.value
        assert isinstance(call, ir.Call)
        if not self.section.startswith("action "):
            raise SpecError(
                f"choice() is allowed only in an action's effect (or a procedure it calls), not in {self.section}",
                call.pos,
            )
        if ec.loop_vars:
            raise SpecError(
                "a choice inside a loop (for or repeat) is not supported yet: make the choice before or after the loop",
                call.pos,
            )
        if s.op != "=" or s.indices:
            raise SpecError("the pick of a choice goes to a plain name: x = choice(player, options)", s.pos)
        if len(call.args) != 2:
            raise SpecError(
                f"choice() takes 2 arguments (the player who chooses, a bool[K] of options), got {len(call.args)}",
                call.pos,
            )
        options, who = ec.check(call.args[1]), ec.check(call.args[0])
        if not (who.type.is_int and who.type.is_scalar):
            raise SpecError(f"the player who chooses must be an integer, not {who.type}", who.pos)
        if not (options.type.is_bool and len(options.type.shape) == 1):
            raise SpecError(
                f"the options of a choice must be a bool[K] array (K options), not {options.type}", options.pos
            )
        b = scope.lookup(s.name)
        if b is None:
            b = self.new_local(scope, s.name, INT32, s.pos)
        elif b.kind not in ("local", "state", "builtin") or s.name == "step_count":
            raise SpecError(f"cannot assign to {s.name!r} ({_KIND_WORDS.get(b.kind, b.kind)})", s.pos)
        elif not (b.type.is_int and b.type.is_scalar and b.type.dtype == "int32"):
            raise SpecError(f"the pick of a choice is an int32, so it cannot go to {s.name!r} of type {b.type}", s.pos)
        self.ctx.choices += 1
        return ir.Choice(s.pos, name=b.ident or s.name, kind=b.kind, type=b.type, who=who, options=options,
                         index=self.ctx.choices)  # fmt: skip

    def assign(self, s: ir.Assign, scope: Scope, ec: ExprChecker) -> ir.Stmt:
        if isinstance(s.value, ir.Call) and s.value.func == "choice":
            return self.choice(s, scope, ec)
        if isinstance(s.value, ir.Call) and s.value.func in self.ctx.procedures:
            from .procedures import call  # the whole right side: a procedure that changes the state may run

            value = call(ec, s.value, effects_ok=s.op == "=")
        else:
            value = ec.check(s.value)
        b = scope.lookup(s.name)
        if s.op != "=":  # x += v  is  x = x + v
            if b is None:
                raise SpecError(f"unknown name {s.name!r}", s.pos)
            current = (
                ec.check(ir.Index(s.pos, base=ir.Name(s.pos, name=s.name), indices=s.indices))
                if s.indices
                else ec.check(ir.Name(s.pos, name=s.name))
            )
            op = s.op[:-1]
            t = binary_type(op, current.type, value.type, s.pos)
            _check_operands(op, current, value)
            value = ir.Binary(s.pos, op=op, left=current, right=value, type=t)
        if b is None:
            if s.indices:
                raise SpecError(f"unknown name {s.name!r}", s.pos)
            b = self.new_local(scope, s.name, strong(value.type), s.pos)
            return dataclasses.replace(s, name=b.ident or s.name, value=value, op="=", kind="local", type=b.type)
        if s.name == "step_count":
            raise SpecError("cannot assign to 'step_count' (the environment counts the steps)", s.pos)
        if b.kind in ("const", "param", "loop", "kernel"):
            raise SpecError(f"cannot assign to {s.name!r} ({_KIND_WORDS[b.kind]})", s.pos)
        target = b.type
        indices = tuple(ec.check(i) for i in s.indices)
        if indices:
            typed = ec.check(ir.Index(s.pos, base=ir.Name(s.pos, name=s.name), indices=s.indices))
            target_part = typed.type
            if not indices[0].type.is_scalar and not value.type.is_scalar:
                # with a repeated index, which value lands would differ between backends
                raise SpecError("writing through an index array takes one value for all its elements", s.value.pos)
        else:
            target_part = target
        if not assignable(value.type, target_part):
            raise SpecError(f"cannot assign {value.type} to {s.name!r} of type {target_part}", s.value.pos)
        self._check_literal_range(s.name, value, b)
        name = b.ident or s.name
        return dataclasses.replace(s, name=name, indices=indices, value=value, op="=", kind=b.kind, type=target)

    def _check_literal_range(self, name: str, value: ir.Expr, b: Binding) -> None:
        v = fold(value)
        if v is None or isinstance(v, bool):
            return
        f = self.ctx.fields.get(name)
        check_range(v, b.type, f.range if f else None, value.pos, name)

    def call(self, s: ir.CallStmt, scope: Scope, ec: ExprChecker, loop_vars) -> list[ir.Stmt]:
        if s.func in self.ctx.procedures:
            from .procedures import inline

            stmts, _ = inline(ec, self.ctx.procedures[s.func], s.pos, s.args)
            return stmts
        if s.func not in OUTCOMES:
            if s.func in FUNCTIONS or s.func in CHANCE or s.func in self.ctx.kernels or s.func == "choice":
                raise SpecError(f"{s.func}() gives a value; assign it (x = {s.func}(...))", s.pos)
            hint = _did_you_mean(s.func, list(OUTCOMES) + list(self.ctx.procedures))
            raise SpecError(f"unknown statement {s.func!r}{hint}", s.pos)
        if self.section == "init":
            raise SpecError(f"{s.func}() is not allowed in init", s.pos)
        args = tuple(ec.check(a) for a in s.args)
        OUTCOMES[s.func](args, s.pos)
        return [dataclasses.replace(s, args=args)]


def _check_local_name(name: str, pos: Pos) -> None:
    if "__" in name:
        raise SpecError(f"{name!r}: names holding '__' are kept for specc's own hidden names", pos)


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
    for x in exprs:
        v = x.value if isinstance(x, ir.Literal) else None
        if isinstance(v, int) and not isinstance(v, bool) and not lo <= v <= hi:
            raise SpecError(f"{v} does not fit in {dtype} ({lo}..{hi}), the type it is used as here", x.pos)


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


def _describe(e: ir.Expr) -> str:
    return repr(e.name) if isinstance(e, ir.Name) else "this value"


# ------------------------------------------------------------------- program


def build_program(spec: Spec, source: Source, kernel_bodies: dict | None = None) -> ir.Program:
    """`kernel_bodies`: name -> specc.kernels.KernelBody; by default the spec's kernel cache."""
    ctx = Context(source)
    file = source.file
    ctx.enums = dict(spec.enums)
    base: dict[str, Binding] = {"PLAYERS": Binding("const", Type("int32", (), True), spec.players)}
    for enum, members in spec.enums.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(enum)):
            raise SpecError(f"{enum!r} is not a valid enum name", source.key_pos(("enums", enum)))
        if not members:
            raise SpecError(f"enum {enum} has no members", source.pos(("enums", enum)))
        for i, member in enumerate(members):
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", member):
                raise SpecError(f"{member!r} is not a valid enum member name", source.pos(("enums", enum, i)))
            if member in members[:i]:
                raise SpecError(f"enum {enum} repeats the member {member!r}", source.pos(("enums", enum, i)))
    scope = Scope([base])

    for name, table in spec.tables.items():
        path = ("tables", name)
        _check_new_name(name, scope, source.key_pos(path))
        base_dir = Path(source.file).resolve().parent
        columns = load_table(name, table.file, table.columns, base_dir, ctx.enums, source.pos(path + ("file",)))
        ctx.tables[name] = {}
        for column, (dtype, values) in columns.items():
            const = ir.Constant(f"{name}__{column}", Type(dtype, (len(values),)), tuple(values), source.pos(path),
                                table=name, column=column)  # fmt: skip
            ctx.constants[const.name] = const
            ctx.tables[name][column] = const
        scope.define(name, Binding("table", Type("int32")))

    for name, raw in spec.constants.items():
        path = ("constants", name)
        _check_new_name(name, scope, source.key_pos(path))
        declared = raw.type if isinstance(raw, ConstantSpec) else None
        value = raw.value if isinstance(raw, ConstantSpec) else raw
        vpath = path + ("value",) if isinstance(raw, ConstantSpec) else path
        binding = _constant(ctx, scope, name, value, declared, vpath)
        scope.define(name, binding)
    ctx.const_bindings = dict(scope.frames[0])

    if spec.kernels:
        from .kernels import check_kernels

        check_kernels(ctx, scope, spec, kernel_bodies)

    for name, f in spec.state.items():
        path = ("state", name)
        _check_new_name(name, scope, source.key_pos(path))
        t = _parse_type(f.type, source, path + ("type",))
        if f.range is not None and t.is_bool:
            raise SpecError("a bool field has no range", source.pos(path + ("range",)))
        if f.range is not None and f.range[0] > f.range[1]:
            raise SpecError("a range is [low, high], low first", source.pos(path + ("range",)))
        init = _field_init(ctx, scope, name, t, f, path)
        if f.visible == "owner" and (not t.shape or t.shape[0] != spec.players):
            raise SpecError(
                f"visible: owner needs a first axis of size {spec.players} (one row per player)",
                source.pos(path + ("visible",)),
            )
        field_ = ir.StateField(name, t, init, f.range, source.key_pos(path), f.visible, f.tolerance)
        ctx.fields[name] = field_
    state_scope = scope.child({n: Binding("state", f.type) for n, f in ctx.fields.items()})
    state_scope.define("current_player", Binding("builtin", INT32))
    state_scope.define("step_count", Binding("builtin", INT32))

    ctx.proc_scope = state_scope
    for name, p in spec.procedures.items():
        path = ("procedures", name)
        _check_new_name(name, state_scope, source.key_pos(path))
        ctx.procedures[name] = define_procedure(name, p, source, path)

    init_block: ir.Block = ()
    if spec.init:
        parsed = parse_block(spec.init, source.locator(("init",)))
        init_block = BlockChecker(ctx, "init", True).block(parsed, state_scope.child())

    actions = []
    offset = 0
    step_sites_before = ctx.next_site
    for index, (name, a) in enumerate(spec.actions.items()):
        path = ("actions", name)
        params = []
        pscope = state_scope.child()
        for pname, domain in a.params.items():
            ppath = path + ("params", pname)
            _check_new_name(pname, pscope, source.key_pos(ppath))
            lo, hi = _domain(ctx, domain, source, ppath)
            params.append(ir.Param(pname, lo, hi))
            ctx.param_actions.setdefault(pname, name)
            pscope.define(pname, Binding("param", INT32))
        size = 1
        for p in params:
            size *= p.size
        if isinstance(a.legal, bool):
            legal: ir.Expr = ir.Literal(source.pos(path + ("legal",)), value=a.legal, type=BOOL)
        else:
            raw_legal = parse_expr(a.legal, source.locator(path + ("legal",)))
            legal = ExprChecker(ctx, pscope, f"the guard of {name}", False).check(raw_legal)
        if not (legal.type.is_bool and legal.type.is_scalar):
            raise SpecError(f"a guard must be a single bool, not {legal.type}", legal.pos)
        parsed = parse_block(a.effect, source.locator(path + ("effect",)))
        effect = BlockChecker(ctx, f"action {name}", True).block(parsed, pscope.child())
        actions.append(ir.Action(name, index, tuple(params), legal, effect, offset, size, source.key_pos(path)))
        offset += size
    step_uses_chance = ctx.next_site > step_sites_before
    if ctx.choices:  # choice points become steps: a `choice` action and hidden fields (specc.choices)
        from .choices import lower

        actions, hidden = lower(actions)
        ctx.fields.update({f.name: f for f in hidden})
        offset = actions[-1].offset + actions[-1].size

    obs_scope = state_scope.child({"player": Binding("builtin", INT32)})
    obs_type = _parse_type(spec.observe.type, source, ("observe", "type"))
    raw_obs = parse_expr(spec.observe.value, source.locator(("observe", "value")))
    observe = ExprChecker(ctx, obs_scope, "observe", False).check(raw_obs)
    if observe.type.shape != obs_type.shape:
        raise SpecError(f"the observation has shape {observe.type} but observe.type says {obs_type}", observe.pos)
    if observe.type.dtype != obs_type.dtype and obs_type.is_bool:
        raise SpecError(f"the observation is {observe.type.dtype}, observe.type says bool", observe.pos)

    invariants = []
    for i, text in enumerate(spec.invariants):
        raw = parse_expr(text, source.locator(("invariants", i)))
        inv = ExprChecker(ctx, state_scope, "an invariant", False).check(raw)
        if not (inv.type.is_bool and inv.type.is_scalar):
            raise SpecError(f"an invariant must be a single bool, not {inv.type}", inv.pos)
        invariants.append(inv)

    lo, hi = spec.rewards.range
    if lo > hi:
        raise SpecError("rewards.range must be [low, high]", source.pos(("rewards", "range")))
    if spec.rewards.zero_sum:  # the illegal-action penalty must be able to balance (specc.builtins.SEMANTICS)
        share = -lo / (spec.players - 1) if spec.players > 1 else 0.0
        if not (lo <= share <= hi and lo <= 0.0 <= hi):
            raise SpecError(
                f"zero_sum with rewards.range [{_num(lo)}, {_num(hi)}]: an illegal action's {_num(lo)} for the "
                f"mover cannot be balanced by {_num(share)} for each other player within the range",
                source.pos(("rewards", "range")),
            )
    return ir.Program(
        name=spec.name,
        players=spec.players,
        constants=tuple(ctx.constants.values()),
        fields=tuple(ctx.fields.values()),
        init=init_block,
        actions=tuple(actions),
        observe=observe,
        observation_type=obs_type,
        num_actions=offset,
        max_steps=spec.max_steps,
        reward_range=(float(lo), float(hi)),
        zero_sum=spec.rewards.zero_sum,
        invariants=tuple(invariants),
        invariant_texts=tuple(spec.invariants),
        observation_tolerance=spec.observe.tolerance,
        step_uses_chance=step_uses_chance,
        spec_hash=hashlib.sha256(source.text.encode()).hexdigest(),
        source_file=file,
    )


def _check_new_name(name: str, scope: Scope, pos: Pos) -> None:
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(name)):
        raise SpecError(f"{name!r} is not a valid name", pos)
    if name in RESERVED or name in FUNCTIONS or name in CHANCE or name in OUTCOMES or name in REDUCTIONS:
        raise SpecError(f"{name!r} is reserved", pos)
    _check_local_name(name, pos)
    if name.startswith("_"):
        raise SpecError(f"{name!r}: names starting with _ are reserved for the generated code", pos)
    if scope.lookup(name) is not None:
        raise SpecError(f"{name!r} is already defined", pos)


def _parse_type(text: str, source: Source, path) -> Type:
    try:
        return parse_type(text)
    except ValueError as err:
        raise SpecError(str(err), source.pos(path)) from None


def _constant(ctx: Context, scope: Scope, name: str, value: Any, declared: str | None, path) -> Binding:
    source = ctx.source
    pos = source.pos(path)
    if isinstance(value, str):
        expr = ExprChecker(ctx, scope, "a constant", False).check(parse_expr(value, source.locator(path)))
        if not isinstance(expr, ir.Literal):
            raise SpecError("a constant formula must use only numbers and other scalar constants", pos)
        value = expr.value
    if isinstance(value, list):
        shape, leaves = _nested_shape(value, source, path)
        t = _parse_type(declared, source, path[:-1] + ("type",)) if declared else _infer_dtype(leaves, shape)
        if declared and t.shape and t.shape != shape:
            raise SpecError(f"the value has shape {list(shape)} but the type says {t}", pos)
        t = Type(t.dtype, shape)
        for leaf, lpath in leaves:
            _check_leaf(leaf, t, source.pos(lpath), name)
        const = ir.Constant(name, t, _to_tuple(value, t), pos)
        ctx.constants[name] = const
        return Binding("const", t)
    if not isinstance(value, (bool, int, float)):
        raise SpecError(f"constant {name!r} must be a number, a bool, a list or a formula", pos)
    t = _parse_type(declared, source, path[:-1] + ("type",)) if declared else literal_type(value)
    _check_leaf(value, t, pos, name)
    if declared:
        t = Type(t.dtype, (), weak=True)
        value = float(value) if t.is_float else value
    return Binding("const", t, value)


def _check_leaf(v: Any, t: Type, pos: Pos, name: str) -> None:
    if t.is_bool and not isinstance(v, bool):
        raise SpecError(f"{_num(v)} is not a bool ({name} is {t})", pos)
    if t.is_int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise SpecError(f"{_num(v)} is not an integer ({name} is {t})", pos)
        check_range(v, t, None, pos, name)
    if t.is_float and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise SpecError(f"{_num(v)} is not a number ({name} is {t})", pos)


def _nested_shape(value: Any, source: Source, path) -> tuple[tuple[int, ...], list]:
    if not isinstance(value, list):
        return (), [(value, path)]
    if not value:
        raise SpecError("an empty list has no shape", source.pos(path))
    shapes, leaves = [], []
    for i, v in enumerate(value):
        s, l_ = _nested_shape(v, source, path + (i,))
        shapes.append(s)
        leaves.extend(l_)
    if any(s != shapes[0] for s in shapes):
        raise SpecError("rows of a table must all have the same length", source.pos(path))
    return (len(value),) + shapes[0], leaves


def _infer_dtype(leaves, shape) -> Type:
    values = [v for v, _ in leaves]
    if all(isinstance(v, bool) for v in values):
        return Type("bool", shape)
    if any(isinstance(v, float) for v in values):
        return Type("float32", shape)
    return Type("int32", shape)


def _to_tuple(value: Any, t: Type) -> Any:
    if isinstance(value, list):
        return tuple(_to_tuple(v, t) for v in value)
    return float(value) if t.is_float else value


def _field_init(ctx: Context, scope: Scope, name: str, t: Type, f, path) -> ir.Expr:
    source = ctx.source
    ipath = path + ("init",)
    pos = source.pos(ipath)
    if isinstance(f.init, str):
        expr = ExprChecker(ctx, scope, "init", True).check(parse_expr(f.init, source.locator(ipath)))
    elif isinstance(f.init, list):
        shape, leaves = _nested_shape(f.init, source, ipath)
        if shape != t.shape:
            raise SpecError(f"init has shape {list(shape)} but {name!r} is {t}", pos)
        for leaf, lpath in leaves:
            _check_leaf(leaf, Type(t.dtype), source.pos(lpath), name)
            if not isinstance(leaf, bool):
                check_range(leaf, t, f.range, source.pos(lpath), name)
        const = ir.Constant(f"_INIT_{name.upper()}", t, _to_tuple(f.init, t), pos)
        ctx.constants[const.name] = const
        return ir.Name(pos, name=const.name, kind="const", type=t)
    else:
        expr = ir.Literal(pos, value=f.init, type=literal_type(f.init))
        _check_leaf(f.init, Type(t.dtype), pos, name)
    if not assignable(expr.type, t):
        raise SpecError(f"cannot initialise {name!r} of type {t} with {expr.type}", pos)
    v = fold(expr)
    if v is not None and not isinstance(v, bool):
        check_range(v, t, f.range, pos, name)
    return expr


def _domain(ctx: Context, domain: Any, source: Source, path) -> tuple[int, int]:
    """A parameter domain: "lo..hi" (half-open), a count n (0..n) or an enum name."""
    pos = source.pos(path)
    if isinstance(domain, bool):
        raise SpecError("a parameter domain is 'lo..hi', a count or an enum name", pos)
    if isinstance(domain, int):
        lo, hi = 0, domain
    elif domain in ctx.enums:
        lo, hi = 0, len(ctx.enums[domain])
    else:
        text = str(domain)
        if ".." not in text:
            hint = _did_you_mean(text, list(ctx.enums))
            message = f"bad parameter domain {text!r}: expected 'lo..hi' (half-open), a count or an enum name{hint}"
            raise SpecError(message, pos)
        locate = source.locator(path)
        left, _, right = text.partition("..")
        bounds = []
        for offset, part in ((0, left), (len(left) + 2, right)):
            expr = parse_expr(part, lambda line, col, o=offset: locate(line, col + o))
            value = ExprChecker(ctx, _const_scope(ctx), "a domain", False).check(expr)
            if not isinstance(value, ir.Literal) or not isinstance(value.value, int) or isinstance(value.value, bool):
                raise SpecError("a domain bound must be a constant integer", value.pos)
            bounds.append(value.value)
        lo, hi = bounds
    if hi <= lo:
        raise SpecError(f"empty parameter domain {lo}..{hi}", pos)
    return lo, hi


def _const_scope(ctx: Context) -> Scope:
    return Scope([dict(ctx.const_bindings)])
