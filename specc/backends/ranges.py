"""Value ranges of an effect's integer locals, so that backends can skip index guards.

A flow-insensitive interval analysis per action (and for init): a scalar integer local's range
is the union of the ranges of every value assigned to it anywhere in the effect, solved as a
least fixed point and widened to unknown when it keeps growing (a counter in a loop). A local
is never read before it is assigned (the checker requires it), so its every value is one of
those. What an assigned value reads of the state, `current_player` included, is unknown: the
result holds for every state, also one made by hand (docs/language.md: every input).

Backends use it through common.int_range (locals keyed "local NAME"): an index whose range is
proven never negative needs no negative-index step, and the clamp or drop that follows is then
the meaning itself (docs/language.md, Semantics: a[i]).
"""

from __future__ import annotations

from .. import ir
from .common import Bounds, constant_bounds, int_range

WIDEN = 8  # a range that grew this many times is taken as unknown


def _reads(e: object, out: set[str]) -> set[str]:
    """The keys ("local NAME") of the locals an expression reads."""
    todo = [e]
    while todo:
        n = todo.pop()
        if isinstance(n, ir.Name) and n.kind == "local":
            out.add(f"local {n.name}")
        elif isinstance(n, tuple):
            todo.extend(n)
        elif isinstance(n, ir.Expr):
            todo.extend(getattr(n, f) for f in n.__dataclass_fields__ if f not in ("pos", "type"))
    return out


def _assignments(block: ir.Block, ctx: Bounds) -> list[tuple[str, ir.Expr | None, Bounds, ir.Type]]:
    """(key, value or None when unknown, the loop variables' bounds there, the local's type) for
    each assignment to a local."""
    out = []
    todo = [(block, ctx)]
    while todo:
        stmts, bounds = todo.pop()
        for s in stmts:
            if isinstance(s, ir.Assign) and s.kind == "local":
                whole = not s.indices and s.type.is_int and s.type.is_scalar
                out.append((f"local {s.name}", s.value if whole else None, bounds, s.type))
            elif isinstance(s, ir.If):
                todo += [(s.then, bounds), (s.orelse, bounds)]
            elif isinstance(s, ir.For):
                todo.append((s.body, {**bounds, s.var: (s.lo.value, s.hi.value - 1)}))
    return out


def local_bounds(block: ir.Block, known: Bounds) -> Bounds:
    """`known` plus the proven ranges of the block's scalar integer locals ("local NAME")."""
    items = _assignments(block, known)
    assigned = {key for key, *_ in items}  # a local never assigned here (a Let's) stays unknown
    found: dict[str, tuple[int, int] | None] = {}  # absent: no value yet; None: unknown
    grown: dict[str, int] = {}
    for _ in range(64):
        changed = False
        for key, value, ctx, t in items:
            if found.get(key, ()) is None:
                continue
            r = None
            if value is not None:
                if any(k in assigned and k not in found for k in _reads(value, set())):
                    continue  # reads a local with no value yet
                r = int_range(value, {**ctx, **{k: v for k, v in found.items() if v is not None}})
                lo, hi = ir.INT_BOUNDS[t.dtype]
                if r is not None and not (lo <= r[0] and r[1] <= hi):
                    r = None
            old = found.get(key, ())
            new = None if r is None else (r if old == () else (min(old[0], r[0]), max(old[1], r[1])))
            if new != old:
                grown[key] = grown.get(key, 0) + 1
                found[key] = None if grown[key] > WIDEN else new
                changed = True
        if not changed:
            break
    else:  # no fixed point within the budget: nothing proven
        return dict(known)
    return {**known, **{k: v for k, v in found.items() if v is not None}}


def effect_bounds(program: ir.Program, action: ir.Action) -> Bounds:
    """The known ranges in an action's effect: constants, its parameters and its locals."""
    known = {**constant_bounds(program), **{p.name: (p.lo, p.hi - 1) for p in action.params}}
    return local_bounds(action.effect, known)
