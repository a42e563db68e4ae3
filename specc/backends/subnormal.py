"""Which float fields the JAX step flushes as it reads them (docs/language.md, Semantics:
subnormal floats).

A subnormal float counts as zero. XLA on CPU computes with denormals-are-zero and
flush-to-zero: arithmetic and comparisons read a subnormal operand as zero and never give
one. Other operations pass one through: copies, selects, negation, abs, sin and tan give it
back, pow computes with it (0.0 ** 1e-40 gives 0, not 1), and XLA's simplifier turns
`x + 0.0` or `x * 1.0` into a copy. The reference and the C backend flush every float field
as step reads it. Flushing a field in JAX costs a compare and a select in every kernel that
reads it (XLA repeats them in each), so the JAX step flushes only the fields where a missing
flush would show. It tracks which raw fields a value may carry the subnormal bits of: a read
of an unflushed field carries that field; an operation that flushes (`+ - * /` against
anything but an identity literal, a comparison, an integer cast, cos, exp, log, sqrt, floor,
`**` by an integer literal, which XLA computes by products, and every value that is not a
float) carries none; any other operation carries what its operands carry, and a local what
is assigned to it. A field is flushed when what it carries would reach:

- the new state (an assignment to a state field or to rewards, or an outcome's argument);
- a pow whose exponent is not an integer literal;
- or when some effect does not assign the field at its top level (the step copies it).

Every value the step stores is then free of subnormals. A finished episode's or an illegal
action's state is the old one, flushed (the template does it on that path only).
"""

from __future__ import annotations

from .. import ir
from .common import _child_fields

Carried = frozenset[str]
NONE: Carried = frozenset()

# float operations that read a subnormal operand as zero and never give one, under XLA:CPU's
# modes (comparisons and integer casts too, but a value that is not a float carries nothing)
_FLUSHING_BINARY = {"+", "-", "*", "/", "**"}  # `**` here: by an integer literal (see _combine)
_FLUSHING_CALLS = {"cos", "exp", "log", "sqrt", "floor"}


def _is_copy(e: ir.Binary) -> bool:
    """Whether XLA's simplifier may make `e` a copy or a negation of an operand:
    x + 0, 0 + x, x - 0, 0 - x, x * 1, 1 * x, x * -1, -1 * x, x / 1, x / -1."""

    def lit(x: ir.Expr, values: tuple[float, ...]) -> bool:
        return isinstance(x, ir.Literal) and not isinstance(x.value, bool) and x.value in values

    if e.op == "+":
        return lit(e.left, (0,)) or lit(e.right, (0,))
    if e.op == "-":
        return lit(e.left, (0,)) or lit(e.right, (0,))
    if e.op == "*":
        return lit(e.left, (1, -1)) or lit(e.right, (1, -1))
    return e.op == "/" and lit(e.right, (1, -1))


def _int_power(e: ir.Binary) -> bool:
    v = e.right.value if isinstance(e.right, ir.Literal) else None
    return isinstance(v, int) and not isinstance(v, bool) and v >= 2


class _Flow:
    """The raw fields each value of one action's effect may carry (see the module doc)."""

    def __init__(self, raw: set[str]):
        self.raw = raw  # float fields not flushed
        self.locals: dict[str, Carried] = {}
        self.reach: set[str] = set()  # raw fields whose bits would reach a place they must not
        self.grew = False  # whether a local's set grew in this pass

    def carried(self, root: ir.Expr) -> Carried:
        """What `root` may carry, by an explicit post-order walk (chains of `+` may be deep)."""
        done: dict[int, Carried] = {}
        stack: list[tuple[ir.Expr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            kids = self._children(node)
            if not ready and kids:
                stack.append((node, True))
                stack.extend((k, False) for k in kids)
                continue
            done[id(node)] = self._combine(node, [done.get(id(k), NONE) for k in kids])
        return done[id(root)]

    @staticmethod
    def _children(node: ir.Expr) -> list[ir.Expr]:
        out: list[ir.Expr] = []
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            out.extend(v for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, ir.Expr))
        return out

    def _combine(self, node: ir.Expr, kids: list[Carried]) -> Carried:
        if isinstance(node, ir.Let):  # names are unique in the spec: the local holds its value
            value, body = kids[0], kids[-1]
            self._bind(node.name, value)
            return body
        if isinstance(node, ir.Binary) and node.op == "**" and not _int_power(node):
            self.reach.update(*kids)  # pow computes with a subnormal (see the module doc)
            return NONE
        if getattr(node, "type", None) is None or not node.type.is_float:
            return NONE  # ints and bools: read through comparisons, casts and conversions
        if isinstance(node, ir.Name):
            if node.kind == "state" and node.name in self.raw:
                return frozenset((node.name,))
            return self.locals.get(node.name, NONE) if node.kind == "local" else NONE
        if isinstance(node, ir.Binary) and node.op in _FLUSHING_BINARY and not _is_copy(node):
            return NONE
        if isinstance(node, ir.Call) and node.func in _FLUSHING_CALLS:
            return NONE
        return frozenset().union(*kids)

    def _bind(self, name: str, value: Carried) -> None:
        old = self.locals.get(name, NONE)
        self.locals[name] = old | value
        self.grew |= not value <= old

    def block(self, block: ir.Block) -> bool:
        """One pass over the statements (flow-insensitive); whether a local grew."""
        self.grew = False
        stack: list[object] = list(block)
        while stack:  # a work list: an elif chain may be a thousand deep
            s = stack.pop()
            if isinstance(s, ir.Assign):
                for i in s.indices:
                    self.carried(i)
                value = self.carried(s.value)
                if s.kind == "local":
                    self._bind(s.name, value)
                else:
                    self.reach |= value  # into the new state (a field, rewards)
            elif isinstance(s, ir.CallStmt):
                for a in s.args:
                    self.reach |= self.carried(a)  # an outcome's or reward's value
            elif isinstance(s, ir.Stmt):
                for name in _child_fields(type(s)):
                    value = getattr(s, name)
                    for v in value if isinstance(value, tuple) else (value,):
                        if isinstance(v, ir.Stmt):
                            stack.append(v)
                        elif isinstance(v, ir.Expr):
                            self.carried(v)
        return self.grew


def fields_flushed_by_step(program: ir.Program) -> list[str]:
    """The float fields the JAX step flushes as it starts (in declaration order): those whose
    subnormal bits would otherwise reach the new state or a pow (see the module doc)."""
    floats = {f.name for f in program.fields if f.type.is_float}
    flushed: set[str] = set()
    for action in program.actions:
        top = {s.name for s in action.effect if isinstance(s, ir.Assign) and s.kind == "state" and not s.indices}
        flushed |= floats - top
    while True:  # flushing a field can only remove what values carry: this ends
        reach: set[str] = set()
        for action in program.actions:
            flow = _Flow(floats - flushed)
            while flow.block(action.effect):
                pass
            reach |= flow.reach
        if reach <= flushed:
            return [f.name for f in program.fields if f.name in flushed]
        flushed |= reach
