"""Type statements: `BlockChecker` types a block, inlining procedure calls and lowering
`repeat up to N while` into a bounded loop; `choice` picks are typed here and lowered into
resumable effects by specc.choices.
"""

from __future__ import annotations

import dataclasses

from . import ir
from .builtins import CHANCE, FUNCTIONS, OUTCOMES
from .check_expr import (
    _KIND_WORDS,
    RESERVED,
    Binding,
    Context,
    ExprChecker,
    Scope,
    _check_operands,
    _did_you_mean,
    check_range,
    fold,
    literal_leaves,
)
from .errors import SpecError
from .ir import BOOL, INT32, Pos, Type
from .types import assignable, binary_type, strong


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
        """A number literal stored into `name` must fit its dtype and declared range, alone
        (`x = 300`), as an array literal's item (`row = [1, 300]`) or in a literal-only value
        (`x = 300 if c else 0`): it would wrap."""
        f = self.ctx.fields.get(name)
        for item in literal_leaves(value):
            v = fold(item)
            if v is not None and not isinstance(v, bool):
                check_range(v, b.type, f.range if f else None, item.pos, name)

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
    if name.startswith("_"):  # a loop variable too: the generated functions' own locals (_carry ...)
        raise SpecError(f"{name!r}: names starting with _ are reserved for the generated code", pos)
