"""Procedures: named blocks that the checker inlines with the meaning of real procedures.

A call `p(a, b)`:

- evaluates its arguments once, at the call, left to right, and binds each to a fresh
  hidden local: arguments are passed by value (an array argument is a copy; a literal
  argument is bound as that constant, which is the same thing);
- runs the body in a scope of its own: its parameters, the state fields, the built-in
  state (current_player, step_count) and the constants; never the caller's locals or
  action parameters. Names the body assigns, and its loop and reduction variables, are
  its own locals, renamed to hidden names (`PROC__NAME_N`), so they never change the
  caller's; state fields and current_player are written through;
- with `returns: TYPE`, ends with `return EXPR` (the last statement of the body, at its
  top level) and gives that value, cast to TYPE, evaluated when the body ends.

Where a call may stand:

- as a statement: any procedure (a returned value is dropped);
- as the whole right side of `x = p(...)` or `x[i] = p(...)`: any procedure with
  `returns:`; the body runs, then x is assigned (Python's order: the value first);
- inside any other expression: only a *function*, a procedure that changes no state
  field, no current_player and calls no outcome. Its call has no effect but its value, so
  it means the same whether or not it is evaluated: in `a if c else f(x)`, `c and f(x)`
  both backends give f's value (a chance call in it draws from its own site, as every
  chance call does). A function whose body is straight-line (whole locals assigned, then
  `return`) becomes an expression (ir.Let) and may be called anywhere an expression may
  stand: guards, observations, invariants, reductions. Any other function body (with
  `if`, `for` or element stores) runs just before the statement holding the call, so it
  is refused where there is no statement (guards, observe, invariants) and inside a
  reduction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import ir
from .errors import SpecError
from .ir import Pos, Type
from .syntax import parse_block
from .types import assignable, parse_type, strong

if TYPE_CHECKING:
    from .check_expr import ExprChecker
    from .schema import ProcedureSpec
    from .source import Source

CASTS = {"int8": "int8", "int16": "int16", "int32": "int32", "float32": "float"}  # dtype -> cast function


@dataclass(frozen=True)
class Procedure:
    """A procedure as declared: its body as parsed, its final `return` apart."""

    name: str
    params: tuple[str, ...]
    body: ir.Block
    result: ir.Expr | None
    returns: Type | None
    pos: Pos


def define(name: str, spec: ProcedureSpec, source: Source, path: tuple) -> Procedure:
    """Parse a procedure and check its shape: parameter names, `returns:` and `return`."""
    for i, p in enumerate(spec.params):
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", p) or "__" in p:
            raise SpecError(f"{p!r} is not a valid parameter name", source.pos(path + ("params", i)))
        if p in spec.params[:i]:
            raise SpecError(f"parameter {p!r} is repeated", source.pos(path + ("params", i)))
    returns = None
    if spec.returns is not None:
        try:
            returns = parse_type(spec.returns)
        except ValueError as err:
            raise SpecError(str(err), source.pos(path + ("returns",))) from None
    body = parse_block(spec.body, source.locator(path + ("body",)))
    result = None
    if body and isinstance(body[-1], ir.Return):
        last = body[-1]
        if returns is None:
            raise SpecError(f"{name}() declares no `returns: TYPE`, so it cannot return a value", last.pos)
        result, body = last.value, body[:-1]
    stray = _first_return(body)
    if stray is not None:
        raise SpecError("`return` must be the last statement of a procedure's body (at its top level)", stray.pos)
    if returns is not None and result is None:
        message = f"{name}() declares `returns: {returns}`: end its body with `return EXPR`"
        raise SpecError(message, source.pos(path + ("body",)))
    return Procedure(name, tuple(spec.params), body, result, returns, source.key_pos(path))


def statements(block: ir.Block):
    """Every statement of a block and of the blocks inside it, in order (without recursing)."""
    stack = [iter(block)]
    while stack:
        s = next(stack[-1], None)
        if s is None:
            stack.pop()
            continue
        yield s
        inner = [b for b in (getattr(s, "orelse", ()), getattr(s, "then", ()), getattr(s, "body", ())) if b]
        stack.extend(iter(b) for b in inner if isinstance(b, tuple))


def _first_return(stmts: ir.Block) -> ir.Return | None:
    return next((s for s in statements(stmts) if isinstance(s, ir.Return)), None)


def _assigned_names(stmts: ir.Block) -> set[str]:
    return {s.name for s in statements(stmts) if isinstance(s, ir.Assign)}


def inline(checker: ExprChecker, proc: Procedure, pos: Pos, raw_args: tuple[ir.Expr, ...]):
    """Check the call `proc(raw_args)` made where `checker` stands.

    Returns (statements, value): the typed statements that bind the arguments and run
    the body, and the typed value (cast to `returns:`), or None without `returns:`.
    Statements the arguments need first go to `checker.hoist`, as for any expression.
    """
    from .check_block import BlockChecker
    from .check_expr import Binding

    ctx = checker.ctx
    if proc.name in ctx.call_stack:
        chain = " -> ".join(ctx.call_stack[ctx.call_stack.index(proc.name) :] + [proc.name])
        raise SpecError(f"procedure {proc.name!r} calls itself ({chain}): recursion is not allowed", pos)
    if len(raw_args) != len(proc.params):
        raise SpecError(f"{proc.name}() takes {len(proc.params)} argument(s), got {len(raw_args)}", pos)
    args = []
    for p, a in zip(proc.params, raw_args):
        try:
            args.append(checker.check(a))
        except SpecError as err:
            raise SpecError(f"{err.message} (in argument {p!r} of {proc.name}())", err.pos) from None
    scope = ctx.proc_scope.child()
    assigned = _assigned_names(proc.body)
    stmts: list[ir.Stmt] = []
    for p, a in zip(proc.params, args):
        if isinstance(a, ir.Literal) and p not in assigned:
            scope.define(p, Binding("const", a.type, a.value))  # a literal is its own value: keeps folding
        else:
            ident, t = ctx.fresh(proc.name, p), strong(a.type)
            scope.define(p, Binding("local", t, ident=ident))
            stmts.append(ir.Assign(a.pos, name=ident, value=a, kind="local", type=t))
    inner = BlockChecker(ctx, checker.section, checker.allow_chance, proc=proc.name)
    ctx.call_stack.append(proc.name)
    try:
        stmts.extend(inner.block(proc.body, scope, checker.loop_vars))
        value = None
        if proc.result is not None:
            ec = inner.exprs(scope, checker.loop_vars)
            value = _result(ec.check(proc.result), proc)
            stmts.extend(ec.hoist)
    except SpecError as err:
        if " called at " in err.message:
            raise
        where = ", ".join(f"{p}: {a.type}" for p, a in zip(proc.params, args))
        raise SpecError(f"{err.message} (in {proc.name}({where}), called at {pos})", err.pos) from None
    finally:
        ctx.call_stack.pop()
    return stmts, value


def _result(value: ir.Expr, proc: Procedure) -> ir.Expr:
    t = proc.returns
    assert t is not None
    if value.type.shape != t.shape or not assignable(value.type, t):
        raise SpecError(f"{proc.name}() returns {t}, not {value.type}", value.pos)
    return cast(value, t)


def cast(e: ir.Expr, t: Type) -> ir.Expr:
    """`e` (of t's shape) as exactly type `t`, through a cast function where it differs."""
    if e.type == t or t.is_bool:
        return e
    return ir.Call(e.pos, func=CASTS[t.dtype], args=(e,), type=Type(t.dtype, e.type.shape))


def effects(stmts: ir.Block) -> str:
    """What these statements change besides locals, in words; "" for nothing."""
    for s in statements(stmts):
        if isinstance(s, ir.Assign) and s.kind in ("state", "builtin"):
            return f"{s.name!r}"
        if isinstance(s, ir.CallStmt):
            return f"the outcome ({s.func}())"
        if isinstance(s, ir.Choice):
            return "'current_player' (a choice)"
    return ""


def as_let(stmts: list[ir.Stmt], value: ir.Expr) -> ir.Expr | None:
    """Straight-line statements (whole locals assigned) and a value as one expression."""
    for s in stmts:
        if not (isinstance(s, ir.Assign) and s.kind == "local" and not s.indices):
            return None
        if s.value.type.shape != s.type.shape:  # a broadcast: only a statement does it
            return None
    expr = value
    for s in reversed(stmts):
        expr = ir.Let(s.pos, name=s.name, value=cast(s.value, s.type), body=expr, type=expr.type)
    return expr


def call(checker: ExprChecker, e: ir.Call, effects_ok: bool = False) -> ir.Expr:
    """A procedure called for its value. `effects_ok`: the call is the whole right side of
    an assignment, where a procedure that changes the state may run."""
    proc: Procedure = checker.ctx.procedures[e.func]
    if proc.returns is None:
        raise SpecError(f"{e.func}() gives no value (it declares no `returns:`): call it as a statement", e.pos)
    stmts, value = inline(checker, proc, e.pos, e.args)
    assert value is not None
    changed = effects(tuple(stmts))
    if changed and not effects_ok:
        message = (
            f"{e.func}() changes {changed}, so it may be called only as a statement or as the whole "
            f"right side of an assignment (x = {e.func}(...)), not inside an expression"
        )
        raise SpecError(message, e.pos)
    if not changed:
        expr = as_let(stmts, value)
        if expr is not None:
            return expr
    if checker.hoist is None:
        where = "a reduction" if checker.in_reduction else checker.section
        message = (
            f"{e.func}() runs statements (if, for or element stores), so it cannot be called in {where}: "
            "only a procedure whose body is assignments to locals and a return can"
        )
        raise SpecError(message, e.pos)
    ident = checker.ctx.fresh(proc.name, "result")
    assert proc.returns is not None
    t = proc.returns
    checker.hoist.extend(stmts)
    checker.hoist.append(ir.Assign(e.pos, name=ident, value=value, kind="local", type=t))
    return ir.Name(e.pos, name=ident, kind="local", type=t)
