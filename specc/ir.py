"""specc's IR: one tree of plain frozen dataclasses for expressions and statements.

The parser builds these nodes without types; the checker (specc.check) returns
typed copies with every name resolved. Backends dispatch on the node class
(`visit_<ClassName>`), so adding a node or a backend is a local change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DTYPES = ("bool", "int8", "int16", "int32", "float32")
SMALLEST_NORMAL = 2.0**-126  # float32's smallest normal magnitude: anything smaller counts as zero


def flush_subnormal(value: float) -> float:
    """A float constant as every backend computes with it: rounded to float32, and 0.0 (sign
    kept) if that is subnormal (docs/language.md, Semantics: subnormal floats)."""
    import math

    import numpy as np

    f = float(np.float32(value))
    return math.copysign(0.0, f) if 0.0 < abs(f) < SMALLEST_NORMAL else value


INT_BOUNDS = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
}


@dataclass(frozen=True)
class Pos:
    """A place in the spec file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Type:
    """A dtype and a fixed shape. `weak` marks a bare literal (adopts its partner's dtype)."""

    dtype: str
    shape: tuple[int, ...] = ()
    weak: bool = False

    @property
    def is_int(self) -> bool:
        return self.dtype.startswith("int")

    @property
    def is_float(self) -> bool:
        return self.dtype == "float32"

    @property
    def is_bool(self) -> bool:
        return self.dtype == "bool"

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    def __str__(self) -> str:
        dims = f"[{','.join(map(str, self.shape))}]" if self.shape else ""
        return f"{self.dtype}{dims}"


BOOL = Type("bool")
INT32 = Type("int32")
FLOAT32 = Type("float32")


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Expr:
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Literal(Expr):
    value: bool | int | float = 0
    type: Type | None = None


@dataclass(frozen=True)
class Name(Expr):
    """A name. `kind` is set by the checker: state, builtin, const, param, local, loop."""

    name: str = ""
    kind: str = ""
    type: Type | None = None


@dataclass(frozen=True)
class EnumRef(Expr):
    """`Enum.member`; the checker replaces it with a Literal."""

    enum: str = ""
    member: str = ""
    type: Type | None = None


@dataclass(frozen=True)
class Index(Expr):
    base: Expr = None  # type: ignore[assignment]
    indices: tuple[Expr, ...] = ()
    type: Type | None = None


@dataclass(frozen=True)
class Unary(Expr):
    op: str = ""  # "neg" | "not"
    operand: Expr = None  # type: ignore[assignment]
    type: Type | None = None


@dataclass(frozen=True)
class Binary(Expr):
    op: str = ""  # + - * / // % ** == != < <= > >= and or
    left: Expr = None  # type: ignore[assignment]
    right: Expr = None  # type: ignore[assignment]
    type: Type | None = None


@dataclass(frozen=True)
class Cond(Expr):
    test: Expr = None  # type: ignore[assignment]
    then: Expr = None  # type: ignore[assignment]
    orelse: Expr = None  # type: ignore[assignment]
    type: Type | None = None


@dataclass(frozen=True)
class Call(Expr):
    """A call of a built-in function (see specc.builtins).

    For chance functions the checker sets `site` (a static id, unique in the spec)
    and `loop_vars` (enclosing loop variables, folded into the key so each
    iteration draws fresh numbers).
    """

    func: str = ""
    args: tuple[Expr, ...] = ()
    site: int = -1
    loop_vars: tuple[str, ...] = ()
    type: Type | None = None


@dataclass(frozen=True)
class Reduce(Expr):
    """`op(var in lo..hi: body)`: a bounded comprehension folded by `op`."""

    op: str = ""  # any all sum count min max argmax argmin
    var: str = ""
    lo: Expr = None  # type: ignore[assignment]
    hi: Expr = None  # type: ignore[assignment]
    body: Expr = None  # type: ignore[assignment]
    type: Type | None = None


@dataclass(frozen=True)
class Let(Expr):
    """`body` with the local `name` bound to `value`, evaluated once: how a procedure
    called inside an expression passes an argument or keeps a local (see specc.procedures).
    `value` already has the local's type; `name` is a hidden name, unique in the spec."""

    name: str = ""
    value: Expr = None  # type: ignore[assignment]
    body: Expr = None  # type: ignore[assignment]
    type: Type | None = None


@dataclass(frozen=True)
class ArrayLit(Expr):
    """`[a, b, c]`: stacks its items along a new first axis."""

    items: tuple[Expr, ...] = ()
    type: Type | None = None


# ----------------------------------------------------------------- statements


@dataclass(frozen=True)
class Stmt:
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Assign(Stmt):
    """`name[indices] op value`; the checker turns `+=` and friends into `=`."""

    name: str = ""
    indices: tuple[Expr, ...] = ()
    value: Expr = None  # type: ignore[assignment]
    op: str = "="
    kind: str = ""  # set by the checker: state, builtin or local
    type: Type | None = None  # the target's whole type


@dataclass(frozen=True)
class If(Stmt):
    """`origin` says who wrote it, for rule coverage: "" the spec; "specc" the compiler (no
    coverage point)."""

    test: Expr = None  # type: ignore[assignment]
    then: tuple[Stmt, ...] = ()
    orelse: tuple[Stmt, ...] = ()
    origin: str = ""


@dataclass(frozen=True)
class For(Stmt):
    var: str = ""
    lo: Expr = None  # type: ignore[assignment]
    hi: Expr = None  # type: ignore[assignment]
    body: tuple[Stmt, ...] = ()


@dataclass(frozen=True)
class Repeat(Stmt):
    """`repeat up to count while test: body`, as parsed. The checker lowers it to a `For`
    over 0..count with a hidden "still going" local (see specc.check_block), so backends never
    see it."""

    count: Expr = None  # type: ignore[assignment]
    test: Expr = None  # type: ignore[assignment]
    body: tuple[Stmt, ...] = ()


@dataclass(frozen=True)
class Choice(Stmt):
    """`name = choice(who, options)`: the effect stops until player `who` picks one of the
    true entries of `options` (bool[K]); the pick (0..K-1, or -1 when none is true) goes to
    `name`. `index` numbers the choice points of the spec from 1. The checker makes it and
    specc.choices lowers it into steps (backends never see it)."""

    name: str = ""
    kind: str = ""  # local, state or builtin, as an Assign's
    type: Type | None = None  # the target's type (an int scalar)
    who: Expr = None  # type: ignore[assignment]
    options: Expr = None  # type: ignore[assignment]
    index: int = 0


@dataclass(frozen=True)
class CallStmt(Stmt):
    """A statement call: an outcome (win, lose, draw, terminate, truncate) or reward.
    Procedure calls never reach the IR: the checker inlines them (specc.procedures)."""

    func: str = ""
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Pass(Stmt):
    pass


@dataclass(frozen=True)
class Return(Stmt):
    """`return value`, the last statement of a procedure with `returns:`; the parser
    makes it, the checker consumes it (it never reaches a backend)."""

    value: Expr = None  # type: ignore[assignment]


Block = tuple[Stmt, ...]


# --------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Constant:
    """An array constant (scalars are folded into Literals). `value` is a nested tuple."""

    name: str
    type: Type
    value: object
    pos: Pos = field(compare=False)
    table: str = ""  # a table's column (`T.c`, named T__c): the table's name, else ""
    column: str = ""  # and the column's


@dataclass(frozen=True)
class StateField:
    name: str
    type: Type
    init: Expr
    range: tuple[float, float] | None
    pos: Pos = field(compare=False)
    visible: str = "all"  # all, none, owner (row p of the first axis: player p only)
    tolerance: float | None = None


@dataclass(frozen=True)
class Param:
    """An action parameter taking the values lo, lo+1, ..., hi-1."""

    name: str
    lo: int
    hi: int

    @property
    def size(self) -> int:
        return self.hi - self.lo


@dataclass(frozen=True)
class Action:
    """An action kind; its flat indices are offset .. offset + prod(param sizes) - 1,
    parameters in row-major order (the last parameter varies fastest)."""

    name: str
    index: int
    params: tuple[Param, ...]
    legal: Expr
    effect: Block
    offset: int
    size: int
    pos: Pos = field(compare=False)
    # choices (specc.choices): `pick` names the extra int32 argument the effect reads the pick of
    # a resumed choice from ("" for none): -1 when the action itself is stepped (a fresh start).
    # `routes`, on the synthetic choice action only: the index of the action whose effect runs
    # choice(k), for each value of choice__pending; that effect gets k as its pick and 0 for its
    # own parameters (it restores those itself)
    pick: str = ""
    routes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Program:
    """A whole checked spec: what every backend receives."""

    name: str
    players: int
    constants: tuple[Constant, ...]
    fields: tuple[StateField, ...]
    init: Block
    actions: tuple[Action, ...]
    observe: Expr
    observation_type: Type
    num_actions: int
    max_steps: int | None
    reward_range: tuple[float, float]
    zero_sum: bool
    invariants: tuple[Expr, ...]
    step_uses_chance: bool
    spec_hash: str
    source_file: str
    invariant_texts: tuple[str, ...] = ()
    observation_tolerance: float | None = None
