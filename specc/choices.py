"""Choice points: `pick = choice(who, options)` in an effect, lowered into steps.

The meaning (docs/language.md, Choices): the effect stops at the choice; the step ends
with `current_player` = who and only the true entries of `options` (a bool[K]) legal, as
the flat actions `choice(0)` .. `choice(K-1)`. The next step's action is the pick: the
effect goes on right after the choice with `pick` bound, every local and action parameter
as it was, and `current_player` back to its value before the choice. A choice with no true
option does not stop: the pick is -1 and the effect goes on at once.

The checker makes `ir.Choice` statements; `lower` turns a program's actions into plain IR
that every backend already runs:

- hidden state fields (visible to nobody): `choice__pending` (the choice point waiting
  for its pick, 0 for none), `choice__player` (current_player before the choice),
  `choice__mask` (the options, padded with false to the widest choice) and one field per
  saved local (`choice__NAME`);
- each choice point becomes: evaluate the options; if any is true, save the locals the
  rest of the effect reads, store the mask, set current_player and choice__pending; else
  pick = -1. What follows a statement that may have stopped runs only if nothing is pending;
- a synthetic action `choice` with one parameter (the pick, 0..K-1) is legal only while a
  choice is pending and for the true options; its effect dispatches on choice__pending to
  the *segment* of that choice point: restore the saved locals, bind the pick, run the rest
  of the effect (in program order, out of the enclosing `if`s). Every ordinary action is
  illegal while a choice is pending.

So the step's cost grows with the number of choice points (one segment each), not with
the number of actions or cards. A segment is a step of its own: its chance draws come
from that step's key, the same on every backend. Choices inside loops are refused by the
checker.
"""

from __future__ import annotations

import dataclasses

from . import ir
from .errors import SpecError
from .ir import BOOL, INT32, Type
from .types import literal_type

PENDING, PLAYER, MASK, MOVER = "choice__pending", "choice__player", "choice__mask", "choice__mover"
OPTION = "choice__option"  # the synthetic action's parameter: the pick
ACTION = "choice"


def has_choice(node: object) -> bool:
    """Whether a statement or block holds a choice point (loops never do: the checker refuses)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ir.Choice):
            return True
        if isinstance(n, tuple):
            todo.extend(n)
        elif isinstance(n, ir.If):
            todo += [n.then, n.orelse]
    return False


def _names_read(node: object, out: set[str]) -> set[str]:
    """Every local or parameter name a piece of IR reads or assigns (without recursing)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, tuple):
            todo.extend(n)
        elif isinstance(n, ir.Name) and n.kind in ("local", "param"):
            out.add(n.name)
        elif isinstance(n, (ir.Assign, ir.Choice)):
            out.add(n.name)
        if isinstance(n, (ir.Expr, ir.Stmt)):
            todo.extend(getattr(n, f.name) for f in dataclasses.fields(n) if f.name not in ("pos", "type"))
    return out


def _to_local(node: object) -> object:
    """The IR with every action parameter read as a local (in a segment, parameters are
    restored locals)."""
    if isinstance(node, ir.Name) and node.kind == "param":
        return dataclasses.replace(node, kind="local")
    if isinstance(node, tuple):
        return tuple(_to_local(n) for n in node)
    if isinstance(node, (ir.Expr, ir.Stmt)):
        changes = {}
        for f in dataclasses.fields(node):
            if f.name in ("pos", "type"):
                continue
            v = getattr(node, f.name)
            if isinstance(v, (tuple, ir.Expr, ir.Stmt)):
                changes[f.name] = _to_local(v)
        return dataclasses.replace(node, **changes)
    return node


def _pays_mover(node: object) -> object:
    """reward(x) (which pays the player who began the step) as reward(mover, x), mover the
    player who began the action's first step: after a choice, the step is the chooser's."""
    if isinstance(node, ir.CallStmt) and node.func == "reward" and len(node.args) == 1:
        return dataclasses.replace(node, args=(_name(node.pos, MOVER, "local", INT32), node.args[0]))
    if isinstance(node, tuple):
        return tuple(_pays_mover(n) for n in node)
    if isinstance(node, ir.If):
        return dataclasses.replace(node, then=_pays_mover(node.then), orelse=_pays_mover(node.orelse))
    if isinstance(node, ir.For):
        return dataclasses.replace(node, body=_pays_mover(node.body))
    return node


def _name(pos: ir.Pos, name: str, kind: str, t: Type) -> ir.Name:
    return ir.Name(pos, name=name, kind=kind, type=t)


def _assign(pos: ir.Pos, name: str, kind: str, t: Type, value: ir.Expr) -> ir.Assign:
    return ir.Assign(pos, name=name, value=value, kind=kind, type=t)


def _int(pos: ir.Pos, value: int) -> ir.Literal:
    return ir.Literal(pos, value=value, type=Type("int32", (), weak=True))


class _Lowering:
    """Lowers the choice points of every action; collects the hidden fields and segments."""

    def __init__(self, width: int):
        self.width = width  # the widest choice's number of options
        self.saved: dict[tuple[str, Type], str] = {}  # (local, type) -> its hidden field
        self.segments: dict[int, ir.Block] = {}  # choice index -> its segment
        self.owner: dict[int, str] = {}  # choice index -> the action whose effect it is in
        self.action = ""  # the action being lowered

    def field_for(self, name: str, t: Type) -> str:
        if (name, t) not in self.saved:
            taken = {*self.saved.values(), PENDING, PLAYER, MASK}
            field = f"choice__{name}"
            while field in taken:
                field += "_"
            self.saved[(name, t)] = field
        return self.saved[(name, t)]

    def block(self, stmts: ir.Block, env: dict[str, Type], tail: ir.Block) -> ir.Block:
        """`stmts` ready to run in one step; `env`: the locals and parameters defined here;
        `tail`: what follows `stmts` in program order once they end (for segments)."""
        env = dict(env)
        out: list[ir.Stmt] = []
        for i, s in enumerate(stmts):
            if not has_choice(s):
                out.append(s)
                if isinstance(s, ir.Assign) and s.kind == "local":
                    env[s.name] = s.type
                continue
            rest = tuple(stmts[i + 1 :])
            if isinstance(s, ir.Choice):
                out += self.choice(s, env, rest + tail)
                if s.kind == "local":
                    env[s.name] = s.type
            else:  # an if whose branches hold choices: each branch goes on with the rest
                assert isinstance(s, ir.If)
                then = self.block(s.then, env, rest + tail)
                orelse = self.block(s.orelse, env, rest + tail)
                out.append(dataclasses.replace(s, then=then, orelse=orelse))
            if rest:  # the rest runs now only if nothing stopped for a pick
                idle = ir.Binary(s.pos, op="==", left=_name(s.pos, PENDING, "state", INT32), right=_int(s.pos, 0),
                                 type=BOOL)  # fmt: skip
                out.append(ir.If(s.pos, test=idle, then=self.block(rest, env, tail), origin="specc"))
            break
        return tuple(out)

    def choice(self, c: ir.Choice, env: dict[str, Type], tail: ir.Block) -> list[ir.Stmt]:
        """The statements of one choice point (and its segment, made once)."""
        pos = c.pos
        live = _names_read(tail, set())
        saved = [(n, t) for n, t in env.items() if n in live]
        if c.index not in self.segments:
            restore = [_assign(pos, n, "local", t, _name(pos, self.field_for(n, t), "state", t)) for n, t in saved]
            pick = _assign(pos, c.name, c.kind, c.type, _name(pos, OPTION, "param", INT32))
            inner = dict(saved)
            if c.kind == "local":
                inner[c.name] = c.type
            self.segments[c.index] = (*restore, pick, *self.block(tail, inner, ()))
            self.owner[c.index] = self.action
        k = c.options.type.shape[0]
        opts = f"choice__options_{c.index}"
        opts_t = c.options.type
        opts_name = _name(pos, opts, "local", opts_t)
        mask: ir.Expr = opts_name
        if k < self.width:  # padded with false to the widest choice
            pad = tuple(ir.Literal(pos, value=False, type=BOOL) for _ in range(self.width - k))
            mask = ir.Call(pos, func="concat", args=(opts_name, *pad), type=Type("bool", (self.width,)))
        stop = [
            *(_assign(pos, self.field_for(n, t), "state", t, _name(pos, n, "local", t)) for n, t in saved),
            _assign(pos, MASK, "state", Type("bool", (self.width,)), mask),
            _assign(pos, PLAYER, "state", INT32, _name(pos, "current_player", "builtin", INT32)),
            _assign(pos, "current_player", "builtin", INT32, c.who),
            _assign(pos, PENDING, "state", INT32, _int(pos, c.index)),
        ]
        none = _assign(pos, c.name, c.kind, c.type, _int(pos, -1))  # the pick when no option is true
        any_ = ir.Call(pos, func="any", args=(opts_name,), type=BOOL)
        first = [_assign(pos, opts, "local", opts_t, c.options)]
        if c.kind == "local":  # a local is defined on both paths (the JAX backend merges only those)
            return [*first, none, ir.If(pos, test=any_, then=tuple(stop), origin="specc")]
        return [*first, ir.If(pos, test=any_, then=tuple(stop), orelse=(none,), origin="specc")]


def _choices(node: object) -> list[ir.Choice]:
    found, todo = [], [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ir.Choice):
            found.append(n)
        elif isinstance(n, tuple):
            todo.extend(n)
        elif isinstance(n, ir.If):
            todo += [n.then, n.orelse]
    return found


def lower(actions: list[ir.Action]) -> tuple[list[ir.Action], list[ir.StateField]]:
    """The actions with their choice points lowered, plus the synthetic `choice` action, and
    the hidden fields to add; unchanged (and no fields) when no effect makes a choice."""
    points = [c for a in actions for c in _choices(a.effect)]
    if not points:
        return actions, []
    for a in actions:
        if a.name == ACTION:
            raise SpecError(f"an action may not be named {ACTION!r} in a spec that makes choices: specc adds it", a.pos)
    width = max(c.options.type.shape[0] for c in points)
    low = _Lowering(width)
    out = []
    for a in actions:
        if not has_choice(a.effect):
            effect = a.effect
        else:
            env = {p.name: INT32 for p in a.params}
            low.action = a.name
            start = _assign(a.pos, MOVER, "local", INT32, _name(a.pos, "current_player", "builtin", INT32))
            effect = low.block((start, *_pays_mover(a.effect)), env, ())
        idle = ir.Binary(a.pos, op="==", left=_name(a.pos, PENDING, "state", INT32), right=_int(a.pos, 0), type=BOOL)
        legal = idle if _is_true(a.legal) else ir.Binary(a.legal.pos, op="and", left=idle, right=a.legal, type=BOOL)
        out.append(dataclasses.replace(a, legal=legal, effect=effect))
    pos = points[0].pos
    resume = "choice__resume"
    chain: ir.Block = ()
    for index in sorted(low.segments, reverse=True):
        test = ir.Binary(pos, op="==", left=_name(pos, resume, "local", INT32), right=_int(pos, index), type=BOOL)
        segment = _to_local(low.segments[index])
        chain = (ir.If(pos, test=test, then=segment, orelse=chain, origin=f"segment:{low.owner[index]}"),)
    effect = (
        _assign(pos, resume, "local", INT32, _name(pos, PENDING, "state", INT32)),
        _assign(pos, PENDING, "state", INT32, _int(pos, 0)),
        _assign(pos, "current_player", "builtin", INT32, _name(pos, PLAYER, "state", INT32)),
        *chain,
    )
    pending = ir.Binary(pos, op="!=", left=_name(pos, PENDING, "state", INT32), right=_int(pos, 0), type=BOOL)
    option = ir.Index(pos, base=_name(pos, MASK, "state", Type("bool", (width,))),
                      indices=(_name(pos, OPTION, "param", INT32),), type=BOOL)  # fmt: skip
    last = out[-1]
    action = ir.Action(ACTION, len(out), (ir.Param(OPTION, 0, width),),
                       ir.Binary(pos, op="and", left=pending, right=option, type=BOOL),
                       effect, last.offset + last.size, width, pos)  # fmt: skip
    hidden = [
        ir.StateField(PENDING, INT32, _int(pos, 0), (0, len(points)), pos, "none"),
        ir.StateField(PLAYER, INT32, _int(pos, 0), None, pos, "none"),
        ir.StateField(MASK, Type("bool", (width,)), ir.Literal(pos, value=False, type=BOOL), None, pos, "none"),
    ]
    for (_, t), field in low.saved.items():
        value = False if t.is_bool else (0.0 if t.is_float else 0)
        zero = ir.Literal(pos, value=value, type=literal_type(value))
        hidden.append(ir.StateField(field, t, zero, None, pos, "none"))
    return [*out, action], hidden


def _is_true(e: ir.Expr) -> bool:
    return isinstance(e, ir.Literal) and e.value is True
