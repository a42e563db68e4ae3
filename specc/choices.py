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
- an effect with choice points becomes ONE resumable body, compiled once: it starts with
  `resume` = choice__pending (0 for a fresh start, else the choice point to go on after),
  restores current_player and the saved locals and parameters when resuming, and runs
  each statement only when `resume` is at or before the last choice point preceding it
  (and nothing is pending). An `if` holding choice points is entered fresh by its test
  (kept in a local), or when resuming at a choice point inside it, into the branch that
  holds it. A choice point stops (saves what the rest reads, the mask, the player) or,
  resumed, binds the pick. A `for` holding choice points (a `repeat` is one) runs its
  iterations from the saved loop variable when resuming inside it (else from its start):
  the iterations before are skipped, and once the pick is bound `resume` is reset to 0, so
  the later iterations run as fresh ones (inside a loop every guard also needs nothing
  pending, since an iteration that stopped is followed by others);
- a synthetic action `choice` with one parameter (the pick, 0..K-1), legal only while a
  choice is pending and for the true options, has no effect of its own: its `routes` send
  `choice(k)` to the effect of the action that owns the pending choice point, which reads k
  as its `pick` argument. Every ordinary action is illegal while a choice is pending.

So the rest of an effect after a choice point is compiled once, not once per earlier
choice point, and the synthetic action adds no code: under vmap (every branch computed)
the step's cost is what the effects cost without choices, plus the saves and restores. A
resumed effect is a step of its own: its chance draws come from that step's key, the same
on every backend. A loop's bounds stay constant (its iterations before the resumed one are
skipped by a test, not by a new start), so every backend lowers it as any other loop.
"""

from __future__ import annotations

import dataclasses

from . import ir
from .errors import SpecError
from .ir import BOOL, INT32, Type
from .types import literal_type

PENDING, PLAYER, MASK, MOVER = "choice__pending", "choice__player", "choice__mask", "choice__mover"
OPTION = "choice__option"  # the synthetic action's parameter, and the resumed effect's `pick` argument
RESUME = "choice__resume"  # the resumable body's local: 0 fresh, else the choice point it goes on after
ACTION = "choice"
ARG = "__arg"  # an action parameter's local copy in a resumable effect: NAME__arg


def has_choice(node: object) -> bool:
    """Whether a statement or block holds a choice point."""
    return bool(_choices(node))


def _choices(node: object) -> list[ir.Choice]:
    """The choice points of a statement or block, in program order."""
    found, todo = [], [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ir.Choice):
            found.append(n)
        elif isinstance(n, tuple):
            todo.extend(reversed(n))
        elif isinstance(n, ir.If):
            todo += [n.orelse, n.then]
        elif isinstance(n, ir.For):
            todo.append(n.body)
    return found


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


def _params_as_locals(node: object, renamed: dict[str, str]) -> object:
    """The IR with each action parameter read as its local copy (restored when resuming)."""
    if isinstance(node, ir.Name) and node.kind == "param" and node.name in renamed:
        return dataclasses.replace(node, name=renamed[node.name], kind="local")
    if isinstance(node, tuple):
        return tuple(_params_as_locals(n, renamed) for n in node)
    if isinstance(node, (ir.Expr, ir.Stmt)):
        changes = {}
        for f in dataclasses.fields(node):
            if f.name in ("pos", "type"):
                continue
            v = getattr(node, f.name)
            if isinstance(v, (tuple, ir.Expr, ir.Stmt)):
                changes[f.name] = _params_as_locals(v, renamed)
        return dataclasses.replace(node, **changes)
    return node


def _locals_assigned(block: ir.Block, out: dict[str, Type]) -> dict[str, Type]:
    """The locals a block assigns outside loops without choice points (the ones the resumable
    body declares first: the JAX backend keeps a local past an `if` only if it was defined
    before it, and a loop carries only what was defined before it)."""
    for s in block:
        if isinstance(s, (ir.Assign, ir.Choice)) and s.kind == "local":
            out.setdefault(s.name, s.type)
        elif isinstance(s, ir.If):
            _locals_assigned(s.then, out)
            _locals_assigned(s.orelse, out)
        elif isinstance(s, ir.For) and has_choice(s):
            _locals_assigned(s.body, out)
    return out


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


def _zero(pos: ir.Pos, t: Type) -> ir.Literal:
    value = False if t.is_bool else (0.0 if t.is_float else 0)
    return ir.Literal(pos, value=value, type=literal_type(value))


def _compare(pos: ir.Pos, op: str, left: ir.Expr, right: ir.Expr) -> ir.Binary:
    return ir.Binary(pos, op=op, left=left, right=right, type=BOOL)


def _and(pos: ir.Pos, left: ir.Expr, right: ir.Expr) -> ir.Expr:
    return ir.Binary(pos, op="and", left=left, right=right, type=BOOL)


def _or(pos: ir.Pos, left: ir.Expr, right: ir.Expr) -> ir.Expr:
    return ir.Binary(pos, op="or", left=left, right=right, type=BOOL)


class _Lowering:
    """Lowers the choice points of every action; collects the hidden fields."""

    def __init__(self, width: int):
        self.width = width  # the widest choice's number of options
        self.saved: dict[tuple[str, Type], str] = {}  # (local, type) -> its hidden field
        self.owner: dict[int, int] = {}  # choice index -> the index of the action whose effect it is in
        self.tests: dict[str, Type] = {}  # the locals holding tests of ifs with choice points (this action's)
        self.leaves: list[set[str]] = []  # the names each guarded run or choice point mentions (this action's)
        self.loops: list[tuple[str, str]] = []  # the loops around the current statement: (variable, its field)

    def field_for(self, name: str, t: Type) -> str:
        if (name, t) not in self.saved:
            taken = {*self.saved.values(), PENDING, PLAYER, MASK}
            field = f"choice__{name.removesuffix(ARG)}"  # a parameter's copy: named as the parameter
            while field in taken:
                field += "_"
            self.saved[(name, t)] = field
        return self.saved[(name, t)]

    def action(self, a: ir.Action) -> ir.Block:
        """The resumable body of an action whose effect makes choices."""
        pos = a.pos
        args = {p.name: p.name + ARG for p in a.params}
        start = _assign(pos, MOVER, "local", INT32, _name(pos, "current_player", "builtin", INT32))
        effect = _params_as_locals((start, *_pays_mover(a.effect)), args)
        self.tests, self.leaves = {}, []
        env = {v: INT32 for v in args.values()}
        body, _ = self.block(effect, env, (), 0)
        resume = _name(pos, RESUME, "local", INT32)
        resuming = _compare(pos, "!=", resume, _int(pos, 0))
        # a pick (k >= 0) resumes what is pending; the action itself (pick -1) starts afresh, even
        # in a hand-made state whose legal_action_mask allowed it while a choice was pending
        picked = _compare(pos, ">=", _name(pos, OPTION, "param", INT32), _int(pos, 0))
        pending = ir.Cond(pos, test=picked, then=_name(pos, PENDING, "state", INT32), orelse=_int(pos, 0), type=INT32)
        head: list[ir.Stmt] = [
            _assign(pos, RESUME, "local", INT32, pending),
            _assign(pos, PENDING, "state", INT32, _int(pos, 0)),
            _assign(pos, "current_player", "builtin", INT32,
                    ir.Cond(pos, test=resuming, then=_name(pos, PLAYER, "state", INT32),
                            orelse=_name(pos, "current_player", "builtin", INT32), type=INT32)),
        ]  # fmt: skip
        for p in a.params:  # a parameter: the action's when fresh, its saved copy when resuming
            local = args[p.name]
            value: ir.Expr = _name(pos, p.name, "param", INT32)
            if (local, INT32) in self.saved:
                field = _name(pos, self.saved[(local, INT32)], "state", INT32)
                value = ir.Cond(pos, test=resuming, then=field, orelse=value, type=INT32)
            head.append(_assign(pos, local, "local", INT32, value))
        declared = _locals_assigned(effect, {})
        declared.update(self.tests)
        shared = {n for n in declared if sum(n in leaf for leaf in self.leaves) > 1} | set(self.tests)
        # first every local that one guarded part assigns and another reads (the JAX backend
        # keeps a local past an `if` only if defined before it): a saved one restored (only a
        # resumed effect reads it before assigning it), any other zero
        for n, t in declared.items():
            if n not in shared or n in args.values():
                continue
            field = self.saved.get((n, t))
            head.append(_assign(pos, n, "local", t, _name(pos, field, "state", t) if field else _zero(pos, t)))
        return (*head, *body)

    def guard(self, pos: ir.Pos, after: int) -> ir.Expr:
        """Whether a statement after choice point `after` (0: none) runs: a fresh start
        reaching it, or a resumed one at or past `after`, with nothing pending (a fresh start
        has nothing pending before its first choice point, unless a loop's earlier iteration
        stopped)."""
        resume = _name(pos, RESUME, "local", INT32)
        if after == 0 and not self.loops:
            return _compare(pos, "==", resume, _int(pos, 0))
        idle = _compare(pos, "==", _name(pos, PENDING, "state", INT32), _int(pos, 0))
        return _and(pos, idle, _compare(pos, "<=", resume, _int(pos, after)))

    def resuming_in(self, pos: ir.Pos, points: list[ir.Choice]) -> ir.Expr:
        """Whether the effect resumes at one of these choice points (numbered in program order)."""
        resume = _name(pos, RESUME, "local", INT32)
        lo, hi = points[0].index, points[-1].index
        assert [c.index for c in points] == list(range(lo, hi + 1)), "choice points are numbered in order"
        if lo == hi:
            return _compare(pos, "==", resume, _int(pos, lo))
        return _and(pos, _compare(pos, ">=", resume, _int(pos, lo)), _compare(pos, "<=", resume, _int(pos, hi)))

    def block(self, stmts: ir.Block, env: dict[str, Type], tail: ir.Block, after: int) -> tuple[ir.Block, int]:
        """`stmts` as resumable statements, and the last choice point they pass. `env`: the
        locals defined here; `tail`: what follows `stmts` in program order (what a choice
        point must save for); `after`: the last choice point before `stmts` (0: none)."""
        env = dict(env)
        out: list[ir.Stmt] = []
        run: list[ir.Stmt] = []  # statements without choice points, run under one guard

        def flush() -> None:
            if run:
                self.leaves.append(_names_read(tuple(run), set()))
                out.append(ir.If(run[0].pos, test=self.guard(run[0].pos, after), then=tuple(run), origin="specc"))
                run.clear()

        for i, s in enumerate(stmts):
            if not has_choice(s):
                run.append(s)
                if isinstance(s, ir.Assign) and s.kind == "local":
                    env[s.name] = s.type
                continue
            rest = tuple(stmts[i + 1 :])
            if isinstance(s, ir.For):
                flush()
                out.extend(self.loop(s, env, rest + tail, after))
                after = _choices(s)[-1].index
                continue
            if isinstance(s, ir.Choice):
                flush()
                out.append(self.choice(s, env, rest + tail, after))
                if s.kind == "local":
                    env[s.name] = s.type
                after = s.index
                continue
            assert isinstance(s, ir.If)  # an if whose branches hold choices
            test = f"choice__test_{_choices(s)[0].index}"
            self.tests[test] = BOOL
            run.append(_assign(s.pos, test, "local", BOOL, s.test))  # evaluated when reached fresh
            flush()
            then, _ = self.block(s.then, env, rest + tail, after)
            orelse, _ = self.block(s.orelse, env, rest + tail, after)
            inside, in_then = _choices(s), _choices(s.then)
            taken = _name(s.pos, test, "local", BOOL)
            if in_then:  # resumed inside the then branch, or reached fresh with the test true
                taken = _or(s.pos, self.resuming_in(s.pos, in_then), taken)
            # the spec's own if (a coverage point), entered only when reached fresh or resumed inside
            spec_if = dataclasses.replace(s, test=taken, then=then, orelse=orelse)
            enter = _or(s.pos, self.guard(s.pos, after), self.resuming_in(s.pos, inside))
            out.append(ir.If(s.pos, test=enter, then=(spec_if,), origin="specc"))
            after = inside[-1].index
        flush()
        return tuple(out), after

    def loop(self, s: ir.For, env: dict[str, Type], tail: ir.Block, after: int) -> list[ir.Stmt]:
        """A loop holding choice points: from the saved loop variable when resuming inside it,
        the iterations before skipped; its body resumable as any block (what follows a choice
        point in it: the rest of the body, the later iterations, then `tail`)."""
        pos, inside = s.pos, _choices(s)
        field = self.field_for(s.var, INT32)
        start = f"choice__from_{inside[0].index}"
        first = ir.Cond(pos, test=self.resuming_in(pos, inside), then=_name(pos, field, "state", INT32),
                        orelse=s.lo, type=INT32)  # fmt: skip
        self.loops.append((s.var, field))
        body, _ = self.block(s.body, env, (s, *tail), after)
        self.loops.pop()
        due = _compare(pos, ">=", _name(pos, s.var, "loop", INT32), _name(pos, start, "local", INT32))
        return [
            _assign(pos, start, "local", INT32, first),
            dataclasses.replace(s, body=(ir.If(pos, test=due, then=body, origin="specc"),)),
        ]

    def choice(self, c: ir.Choice, env: dict[str, Type], tail: ir.Block, after: int) -> ir.Stmt:
        """One choice point: resumed here, bind the pick; reached fresh, stop or go on with -1."""
        pos = c.pos
        live = _names_read(tail, set())
        saved = [(n, t) for n, t in env.items() if n in live]
        k = c.options.type.shape[0]
        opts = f"choice__options_{c.index}"
        opts_t = c.options.type
        opts_name = _name(pos, opts, "local", opts_t)
        mask: ir.Expr = opts_name
        if k < self.width:  # padded with false to the widest choice
            pad = tuple(ir.Literal(pos, value=False, type=BOOL) for _ in range(self.width - k))
            mask = ir.Call(pos, func="concat", args=(opts_name, *pad), type=Type("bool", (self.width,)))
        stop = (
            *(_assign(pos, self.field_for(n, t), "state", t, _name(pos, n, "local", t)) for n, t in saved),
            *(_assign(pos, field, "state", INT32, _name(pos, var, "loop", INT32)) for var, field in self.loops),
            _assign(pos, MASK, "state", Type("bool", (self.width,)), mask),
            _assign(pos, PLAYER, "state", INT32, _name(pos, "current_player", "builtin", INT32)),
            _assign(pos, "current_player", "builtin", INT32, c.who),
            _assign(pos, PENDING, "state", INT32, _int(pos, c.index)),
        )
        none = _assign(pos, c.name, c.kind, c.type, _int(pos, -1))  # the pick when no option is true
        any_ = ir.Call(pos, func="any", args=(opts_name,), type=BOOL)
        fresh = (
            _assign(pos, opts, "local", opts_t, c.options),
            ir.If(pos, test=any_, then=stop, orelse=(none,), origin="specc"),
        )
        self.leaves.append(_names_read((c.who, c.options), {c.name, *(n for n, _ in saved)}))
        picked: tuple[ir.Stmt, ...] = (_assign(pos, c.name, c.kind, c.type, _name(pos, OPTION, "param", INT32)),)
        if self.loops:  # the later iterations run as fresh ones
            picked += (_assign(pos, RESUME, "local", INT32, _int(pos, 0)),)
        here = _compare(pos, "==", _name(pos, RESUME, "local", INT32), _int(pos, c.index))
        reached = ir.If(pos, test=self.guard(pos, after), then=fresh, origin="specc")
        return ir.If(pos, test=here, then=picked, orelse=(reached,), origin="specc")


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
    for index, a in enumerate(actions):
        effect, pick = a.effect, ""
        if has_choice(a.effect):
            effect, pick = low.action(a), OPTION
            low.owner.update((c.index, index) for c in _choices(a.effect))
        idle = _compare(a.pos, "==", _name(a.pos, PENDING, "state", INT32), _int(a.pos, 0))
        legal = idle if _is_true(a.legal) else _and(a.legal.pos, idle, a.legal)
        out.append(dataclasses.replace(a, legal=legal, effect=effect, pick=pick))
    pos = points[0].pos
    pending = _compare(pos, "!=", _name(pos, PENDING, "state", INT32), _int(pos, 0))
    option = ir.Index(pos, base=_name(pos, MASK, "state", Type("bool", (width,))),
                      indices=(_name(pos, OPTION, "param", INT32),), type=BOOL)  # fmt: skip
    last = out[-1]
    own = len(out)  # choice__pending 0 (nothing pending: the pick is illegal) routes to itself
    routes = tuple(low.owner.get(i, own) for i in range(len(points) + 1))
    action = ir.Action(ACTION, own, (ir.Param(OPTION, 0, width),), _and(pos, pending, option),
                       (), last.offset + last.size, width, pos, routes=routes)  # fmt: skip
    hidden = [
        ir.StateField(PENDING, INT32, _int(pos, 0), (0, len(points)), pos, "none"),
        ir.StateField(PLAYER, INT32, _int(pos, 0), None, pos, "none"),
        ir.StateField(MASK, Type("bool", (width,)), ir.Literal(pos, value=False, type=BOOL), None, pos, "none"),
    ]
    for (_, t), field in low.saved.items():
        hidden.append(ir.StateField(field, t, _zero(pos, t), None, pos, "none"))
    return [*out, action], hidden


def _is_true(e: ir.Expr) -> bool:
    return isinstance(e, ir.Literal) and e.value is True
