"""specc's standard library: built-in functions, reductions, chance and outcomes.

Each entry gives the typing rule; the backends give the lowering. This table is
also the source of the language reference.
"""

from __future__ import annotations

from collections.abc import Callable

from . import ir
from .errors import SpecError
from .ir import BOOL, FLOAT32, INT32, Pos, Type
from .types import binary_type, broadcast


def _arity(name: str, args, n: int | tuple[int, ...], pos: Pos) -> None:
    ns = (n,) if isinstance(n, int) else n
    if len(args) not in ns:
        want = " or ".join(map(str, ns))
        raise SpecError(f"{name}() takes {want} argument(s), got {len(args)}", pos)


def _numeric(name: str, a: ir.Expr) -> None:
    if a.type.is_bool:
        raise SpecError(f"{name}() needs a number, not {a.type}", a.pos)


def _math(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, 1, pos)
        _numeric(name, args[0])
        return Type("float32", args[0].type.shape, args[0].type.weak)

    return rule


def _abs(args, pos):
    _arity("abs", args, 1, pos)
    _numeric("abs", args[0])
    return args[0].type


def _minmax(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, (1, 2), pos)
        if len(args) == 1:  # reduce a whole array
            _numeric(name, args[0])
            return Type(args[0].type.dtype)
        _numeric(name, args[0])
        _numeric(name, args[1])
        return binary_type("+", args[0].type, args[1].type, pos)

    return rule


def _clip(args, pos):
    _arity("clip", args, 3, pos)
    t = binary_type("+", args[0].type, args[1].type, pos)
    return binary_type("+", t, args[2].type, pos)


def _where(args, pos):
    _arity("where", args, 3, pos)
    if not args[0].type.is_bool:
        raise SpecError(f"where() needs a bool condition, not {args[0].type}", args[0].pos)
    a, b = args[1].type, args[2].type
    t = BOOL if a.is_bool and b.is_bool else binary_type("+", a, b, pos)
    shape = broadcast(broadcast(a.shape, b.shape, pos), args[0].type.shape, pos)
    return Type(t.dtype, shape)


def _cast(dtype: str) -> Callable:
    def rule(args, pos):
        _arity(dtype, args, 1, pos)
        return Type(dtype, args[0].type.shape)

    return rule


def _array_reduce(name: str, result: Callable[[Type], Type]) -> Callable:
    def rule(args, pos):
        _arity(name, args, 1, pos)
        if args[0].type.is_scalar:
            raise SpecError(f"{name}() of a single value: use {name}(i in a..b: ...) or pass an array", pos)
        return result(args[0].type)

    return rule


def _needs_bool(name: str) -> Callable[[Type], Type]:
    def result(t: Type) -> Type:
        if not t.is_bool:
            raise SpecError(f"{name}() needs bools, not {t}", None)
        return BOOL if name in ("any", "all") else INT32

    return result


def _sum_type(t: Type) -> Type:
    return FLOAT32 if t.is_float else INT32


def _stack(args, pos):
    if len(args) < 1:
        raise SpecError("stack() needs at least one argument", pos)
    t = args[0].type
    for a in args[1:]:
        if a.type.shape != t.shape:
            raise SpecError(f"stack() needs one shape, not {t} and {a.type}", a.pos)
        t = t if (t.is_bool and a.type.is_bool) else binary_type("+", t, a.type, pos)
    return Type(t.dtype, t.shape + (len(args),))


def _reshape(args, pos):
    if len(args) < 2:
        raise SpecError("reshape(x, d1, d2, ...) needs an array and its new dimensions", pos)
    dims = []
    for a in args[1:]:
        if not isinstance(a, ir.Literal) or isinstance(a.value, bool) or not isinstance(a.value, int) or a.value < 1:
            raise SpecError("reshape() dimensions must be positive constant integers", a.pos)
        dims.append(a.value)
    size = 1
    for d in args[0].type.shape:
        size *= d
    want = 1
    for d in dims:
        want *= d
    if size != want:
        raise SpecError(f"cannot reshape {args[0].type} ({size} values) to {dims} ({want} values)", pos)
    return Type(args[0].type.dtype, tuple(dims))


def _size(args, pos):
    _arity("size", args, 1, pos)
    _zone("size", args[0])
    return INT32


def _push(args, pos):
    _arity("push", args, 2, pos)
    _zone("push", args[0])
    if not (args[1].type.is_int and args[1].type.is_scalar):
        raise SpecError(f"push(zone, card) needs a card id, not {args[1].type}", args[1].pos)
    return Type(args[0].type.dtype, args[0].type.shape)


def _remove(args, pos):
    _arity("remove", args, 2, pos)
    _zone("remove", args[0])
    if not (args[1].type.is_int and args[1].type.is_scalar):
        raise SpecError(f"remove(zone, index) needs an index, not {args[1].type}", args[1].pos)
    return Type(args[0].type.dtype, args[0].type.shape)


# Zones: fixed-capacity card arrays, cards packed at the front, -1 marking empty slots.
ZONES = {"size": _size, "push": _push, "remove": _remove}

FUNCTIONS: dict[str, Callable] = {
    **ZONES,
    "reshape": _reshape,
    "abs": _abs,
    "sqrt": _math("sqrt"),
    "sin": _math("sin"),
    "cos": _math("cos"),
    "tan": _math("tan"),
    "exp": _math("exp"),
    "log": _math("log"),
    "floor": _math("floor"),
    "min": _minmax("min"),
    "max": _minmax("max"),
    "clip": _clip,
    "where": _where,
    "int": _cast("int32"),
    "int8": _cast("int8"),
    "int16": _cast("int16"),
    "int32": _cast("int32"),
    "float": _cast("float32"),
    "any": _array_reduce("any", _needs_bool("any")),
    "all": _array_reduce("all", _needs_bool("all")),
    "count": _array_reduce("count", _needs_bool("count")),
    "sum": _array_reduce("sum", _sum_type),
    "argmax": _array_reduce("argmax", lambda t: INT32),
    "argmin": _array_reduce("argmin", lambda t: INT32),
    "stack": _stack,
}


def _flip(args, pos):
    _arity("flip", args, 0, pos)
    return BOOL


def _roll(args, pos):
    _arity("roll", args, 1, pos)
    if not (args[0].type.is_int and args[0].type.is_scalar):
        raise SpecError(f"roll(n) needs an integer n, not {args[0].type}", args[0].pos)
    if isinstance(args[0], ir.Literal) and args[0].value < 1:
        raise SpecError("roll(n) needs n >= 1", args[0].pos)
    return INT32


def _uniform(args, pos):
    _arity("uniform", args, 2, pos)
    for a in args:
        if not (a.type.is_scalar and not a.type.is_bool):
            raise SpecError(f"uniform(low, high) needs numbers, not {a.type}", a.pos)
    return FLOAT32


# Chance: each call site draws from fold_in(key, site) (DESIGN.md), on both backends.
def _zone(name: str, z: ir.Expr) -> None:
    if not (z.type.is_int and len(z.type.shape) == 1):
        raise SpecError(f"{name}() needs a zone: a 1-D integer array (card ids, -1 for empty), not {z.type}", z.pos)


def _shuffle(args, pos):
    _arity("shuffle", args, 1, pos)
    _zone("shuffle", args[0])
    return Type(args[0].type.dtype, args[0].type.shape)


def _choose(args, pos):
    _arity("choose", args, 1, pos)
    if not (args[0].type.is_bool and len(args[0].type.shape) == 1):
        raise SpecError(f"choose(mask) needs a 1-D bool array, not {args[0].type}", args[0].pos)
    return INT32


# Chance: each call site draws from the step's key (DESIGN.md), the same on both backends.
# shuffle(zone): a uniform permutation of the zone's cards (its non-negative prefix);
# choose(mask): a uniform index among the True entries (-1 if there is none).
CHANCE: dict[str, Callable] = {
    "flip": _flip,
    "roll": _roll,
    "uniform": _uniform,
    "shuffle": _shuffle,
    "choose": _choose,
}


def call_type(func: str, args: tuple[ir.Expr, ...], pos: Pos) -> Type:
    rule = FUNCTIONS.get(func) or CHANCE[func]
    try:
        return rule(args, pos)
    except SpecError as err:
        if err.pos is None:
            raise SpecError(err.message, pos) from None
        raise


def _reduction(name: str) -> Callable[[Type, Pos], Type]:
    def rule(body: Type, pos: Pos) -> Type:
        if name in ("any", "all", "count"):
            if not body.is_bool:
                raise SpecError(f"{name}(...) needs a bool body, not {body}", pos)
            return Type("bool" if name != "count" else "int32", body.shape)
        if body.is_bool:
            raise SpecError(f"{name}(...) needs a number, not {body}", pos)
        if name == "sum":
            return Type(_sum_type(body).dtype, body.shape)
        if name in ("argmax", "argmin"):
            return Type("int32", body.shape)
        return Type(body.dtype, body.shape)  # min, max

    return rule


REDUCTIONS: dict[str, Callable[[Type, Pos], Type]] = {
    name: _reduction(name) for name in ("any", "all", "sum", "count", "min", "max", "argmax", "argmin")
}


def _player_arg(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, 1, pos)
        if not (args[0].type.is_int and args[0].type.is_scalar):
            raise SpecError(f"{name}(player) needs a player number, not {args[0].type}", args[0].pos)

    return rule


def _no_args(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, 0, pos)

    return rule


def _reward(args, pos):
    _arity("reward", args, (1, 2), pos)
    if len(args) == 2 and not (args[0].type.is_int and args[0].type.is_scalar):
        raise SpecError(f"reward(player, value) needs a player number, not {args[0].type}", args[0].pos)
    value = args[-1]
    if value.type.is_bool or not value.type.is_scalar:
        raise SpecError(f"reward() needs a number, not {value.type}", value.pos)


# Statements that end the game or pay rewards. win/lose pay +1/-1 (the rest the opposite).
OUTCOMES: dict[str, Callable] = {
    "win": _player_arg("win"),
    "lose": _player_arg("lose"),
    "draw": _no_args("draw"),
    "terminate": _no_args("terminate"),
    "truncate": _no_args("truncate"),
    "reward": _reward,
}
