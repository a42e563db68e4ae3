"""An action's guard over all its parameter values at once, each part computed in the
outermost loop where its value is known (loop-invariant code motion over the parameters).

The C backend fills `legal_action_mask` for a kind with parameters (`attack(k, src)`: 18
flat actions) by nested loops over the parameters, in the order of the flat actions
(row-major). A guard mostly reads no parameter (the phase, the Active's energy) or only the
first ones (the attack row from k, not the copy source src). This pass gives, for each
depth d (0: before the loops; d: inside the loops of the first d parameters):

- `gates[d]`: the guard's leading `and` operands that read no parameter past the d-th
  (false: every action below is illegal, and nothing else is computed for them);
- `lets[d]`: the largest parts of the rest that read no parameter past the d-th (nor a
  name bound inside the guard that does), computed there, in order, as locals;

and `rest`, what is left, reading those locals, computed per flat action.

Guards are pure and total (every construct has a value for every input: docs/language.md,
Semantics), so computing a part once, even where short-circuiting would have skipped it,
gives the same mask. JAX needs no such pass: it vmaps a guard over the parameter values,
and whatever reads none of them is computed once.

The same purity lets split_reduction reorder a reduction's tests: the C backend computes
an unrolled `all(k: bounds and a[i] == v)` as `all(k: bounds) and all(k: a[i] == v)`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import ir

INNER = 1 << 30  # the depth of a name bound inside the guard (a reduction's variable, a kept Let)


@dataclass
class HoistedGuard:
    gates: list[ir.Expr | None]  # per depth 0..n-1: the leading operands decided there (None: none)
    lets: list[list[tuple[str, ir.Expr]]]  # per depth 0..n-1: locals computed there, in order
    rest: ir.Expr | None  # per flat action (None: the gates decide alone)


def operands(e: ir.Expr, op: str) -> list[ir.Expr]:
    """The operands of a chain of scalar `op`s (and, or), left to right."""
    if isinstance(e, ir.Binary) and e.op == op and not e.type.shape:
        return operands(e.left, op) + operands(e.right, op)
    return [e]


def conjuncts(e: ir.Expr) -> list[ir.Expr]:
    """The operands of a chain of scalar `and`s, left to right."""
    return operands(e, "and")


def _join(parts: list[ir.Expr], op: str = "and") -> ir.Expr | None:
    """The chain `parts[0] op parts[1] op ...` (None for no parts)."""
    out = None
    for p in parts:
        out = p if out is None else ir.Binary(p.pos, op=op, left=out, right=p, type=ir.BOOL)
    return out


def array_free(e: object) -> bool:
    """Whether an expression reads no array element but a constant table's, and has no
    reduction, call or binding: a few register operations (an index's bounds, mostly)."""
    if isinstance(e, (ir.Literal, ir.EnumRef)):
        return True
    if isinstance(e, ir.Name):
        return not e.type.shape
    if isinstance(e, ir.Index):
        return isinstance(e.base, ir.Name) and e.base.kind == "const" and all(map(array_free, e.indices))
    if isinstance(e, (ir.Unary, ir.Binary, ir.Cond)):
        return all(array_free(v) for _, v in _children(e) if not isinstance(v, str))
    return False


def split_reduction(e: ir.Reduce) -> tuple[ir.Reduce, ir.Reduce] | None:
    """`all(k: a and b)` as `all(k: a) and all(k: b)` (`any(k: a or b)` likewise), `a` the
    leading operands that read no array (array_free), or None when there are none or
    nothing else. Connect four's `all(k: in range and board[r, c] == mark)` then tests the
    whole line's bounds before reading a cell: fewer unpredictable branches, same value,
    as expressions are pure and total (docs/language.md, Semantics)."""
    op = {"all": "and", "any": "or"}.get(e.op)
    if op is None:
        return None
    parts = operands(e.body, op)
    n = 0
    while n < len(parts) and array_free(parts[n]):
        n += 1
    if n in (0, len(parts)):
        return None
    first, rest = _join(parts[:n], op), _join(parts[n:], op)
    return dataclasses.replace(e, body=first), dataclasses.replace(e, body=rest)


def _children(e: ir.Expr) -> list[tuple[str, object]]:
    return [(f.name, getattr(e, f.name)) for f in dataclasses.fields(e) if f.name not in ("pos", "type")]


def depth(e: object, depths: dict[str, int]) -> int:
    """The loop depth where an expression's value is known: 1 + the position of the last
    parameter it reads (0: none), INNER if it reads a name bound inside the guard."""
    if isinstance(e, ir.Name):
        return depths.get(e.name, 0) if e.kind in ("param", "local", "loop") else 0
    if isinstance(e, tuple):
        return max((depth(x, depths) for x in e), default=0)
    if isinstance(e, ir.Expr):
        return max((depth(v, depths) for _, v in _children(e)), default=0)
    return 0


class _Hoister:
    def __init__(self, levels: int, depths: dict[str, int]) -> None:
        self.levels = levels  # the number of parameters: parts known at a smaller depth are hoisted
        self.depths = dict(depths)  # param -> its position + 1; hoisted locals -> their depth
        self.lets: list[list[tuple[str, ir.Expr]]] = [[] for _ in range(levels)]
        self.made: dict[tuple[int, ir.Expr], str] = {}  # (depth, part) -> its local: the same part once

    def local(self, e: ir.Expr, d: int) -> ir.Name:
        if (d, e) not in self.made:
            self.made[(d, e)] = name = f"guard__{len(self.made)}"
            self.lets[d].append((name, e))
            self.depths[name] = d
        return ir.Name(e.pos, name=self.made[(d, e)], kind="local", type=e.type)

    def visit(self, e: object) -> object:
        """`e` with its largest parts known above the innermost loop as locals."""
        if isinstance(e, tuple):
            return tuple(self.visit(x) for x in e)
        if not isinstance(e, ir.Expr) or isinstance(e, (ir.Literal, ir.Name, ir.EnumRef)):
            return e
        d = depth(e, self.depths)
        if d < self.levels:
            return self.local(e, d)
        if isinstance(e, ir.Let):
            value = self.visit(e.value)
            d = depth(value, self.depths)
            if d < self.levels:  # the binding itself is known outside: a local of its own (unique) name
                self.lets[d].append((e.name, value))
                self.depths[e.name] = d
            else:
                self.depths[e.name] = INNER
                return dataclasses.replace(e, value=value, body=self.visit(e.body))
            return self.visit(e.body)
        if isinstance(e, ir.Reduce):
            self.depths[e.var] = INNER
            return dataclasses.replace(e, lo=self.visit(e.lo), hi=self.visit(e.hi), body=self.visit(e.body))
        return dataclasses.replace(e, **{k: self.visit(v) for k, v in _children(e)})


def hoist_guard(guard: ir.Expr, params: list[str]) -> HoistedGuard:
    """The guard of an action with parameters `params` (in order), split by loop depth."""
    depths = {p: i + 1 for i, p in enumerate(params)}
    parts = conjuncts(guard)
    gates: list[ir.Expr | None] = []
    for d in range(len(params)):
        n = 0
        while n < len(parts) and depth(parts[n], depths) <= d:
            n += 1
        gates.append(_join(parts[:n]))
        parts = parts[n:]
    h = _Hoister(len(params), depths)
    rest = h.visit(_join(parts)) if parts else None
    return HoistedGuard(gates, h.lets, rest)
