"""Check a spec and build its typed IR (specc.ir.Program).

Every name, type, shape, range and action domain is checked here, once; backends
never re-check. Expressions are typed by `ExprChecker` (specc.check_expr), statements by
`BlockChecker` (specc.check_block); `build_program`, here, walks the spec's sections in order.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from . import ir
from .builtins import CHANCE, FUNCTIONS, OUTCOMES, REDUCTIONS
from .check_block import BlockChecker, _check_local_name
from .check_expr import (
    RESERVED,
    Binding,
    Context,
    ExprChecker,
    Scope,
    _did_you_mean,
    _num,
    check_range,
    fold,
)
from .errors import SpecError
from .ir import BOOL, INT32, Pos, Type
from .procedures import define as define_procedure
from .schema import ConstantSpec, Spec
from .source import Source
from .syntax import parse_block, parse_expr
from .tables import load_table
from .types import assignable, literal_type, parse_type

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
