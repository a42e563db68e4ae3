"""Type rules of specc's language. They mirror JAX's promotion for the dtypes we
support, so both backends compute in the same dtypes (see DESIGN.md)."""

from __future__ import annotations

import re

from .errors import SpecError
from .ir import DTYPES, Pos, Type

_TYPE_RE = re.compile(r"^\s*(bool|int8|int16|int32|float32)\s*(?:\[\s*(\d+(?:\s*,\s*\d+)*)\s*\])?\s*$")
_INT_RANK = {"int8": 1, "int16": 2, "int32": 3}


def parse_type(text: str) -> Type:
    """`int8[3,3]` -> Type("int8", (3, 3))."""
    m = _TYPE_RE.match(str(text))
    if not m:
        raise ValueError(
            f"bad type {text!r}: expected one of {', '.join(DTYPES)}, optionally with a shape like int8[3,3]"
        )
    shape = tuple(int(d) for d in m.group(2).split(",")) if m.group(2) else ()
    if any(d == 0 for d in shape):
        raise ValueError(f"bad type {text!r}: dimensions must be positive")
    return Type(m.group(1), shape)


def literal_type(value: object) -> Type:
    if isinstance(value, bool):
        return Type("bool")
    if isinstance(value, int):
        return Type("int32", (), weak=True)
    return Type("float32", (), weak=True)


def strong(t: Type) -> Type:
    return Type(t.dtype, t.shape) if t.weak else t


def broadcast(a: tuple[int, ...], b: tuple[int, ...], pos: Pos) -> tuple[int, ...]:
    """NumPy broadcasting of two shapes."""
    out = []
    for x, y in zip(reversed((1,) * (len(b) - len(a)) + a), reversed((1,) * (len(a) - len(b)) + b)):
        if x != y and 1 not in (x, y):
            raise SpecError(f"shapes {list(a)} and {list(b)} do not match", pos)
        out.append(max(x, y))
    return tuple(reversed(out))


def promote(a: Type, b: Type) -> tuple[str, bool]:
    """The dtype (and weakness) of arithmetic on a and b, as JAX computes it."""
    if a.is_float or b.is_float:
        return "float32", a.weak and b.weak
    if a.weak and b.weak:
        return "int32", True
    if a.weak:
        return b.dtype, False
    if b.weak:
        return a.dtype, False
    return (a.dtype if _INT_RANK[a.dtype] >= _INT_RANK[b.dtype] else b.dtype), False


ARITH = {"+", "-", "*", "/", "//", "%", "**"}
COMPARE = {"==", "!=", "<", "<=", ">", ">="}


def binary_type(op: str, a: Type, b: Type, pos: Pos) -> Type:
    shape = broadcast(a.shape, b.shape, pos)
    if op in ("and", "or"):
        if not (a.is_bool and b.is_bool):
            raise SpecError(f"'{op}' needs bools, not {a} and {b}", pos)
        return Type("bool", shape)
    if op in COMPARE:
        if a.is_bool != b.is_bool or (a.is_bool and op not in ("==", "!=")):
            raise SpecError(f"cannot compare {a} with {b} using '{op}'", pos)
        return Type("bool", shape)
    if a.is_bool or b.is_bool:
        raise SpecError(f"arithmetic '{op}' on a bool ({a} {op} {b})", pos)
    if op == "/":
        return Type("float32", shape, a.weak and b.weak)
    dtype, weak = promote(a, b)
    return Type(dtype, shape, weak)


def common_type(what: str, a: Type, b: Type, pos: Pos) -> Type:
    """The type values of two kinds take together where no operator joins them (an array
    literal's items, where's branches, stack's parts): bools stay bool, numbers promote as
    arithmetic does; a bool with a number is an error naming `what`, not an arithmetic one."""
    if a.is_bool and b.is_bool:
        return Type("bool", broadcast(a.shape, b.shape, pos))
    if a.is_bool != b.is_bool:
        raise SpecError(f"{what} needs all bools or all numbers, not {a} and {b}", pos)
    return binary_type("+", a, b, pos)


def assignable(value: Type, target: Type) -> bool:
    """Whether a value of type `value` may be stored into `target` (dtype and shape)."""
    if value.is_bool != target.is_bool:
        return False
    if value.is_float and target.is_int:
        return False
    try:
        return broadcast(value.shape, target.shape, Pos("", 0, 0)) == target.shape
    except SpecError:
        return False
