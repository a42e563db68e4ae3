"""Table reads in generated JAX code: one gather of a whole row, shared by the columns read.

A table column `T.c` is the constant array `T__c`; reading `T.a[i]`, `T.b[i]`, ... column by
column costs one gather per column per environment under vmap, and real-card specs read dozens
of columns of a table at the same row. Here each table's integer-like columns (bool, ints,
enums) are also packed into one int32 array `_ROWS_T` (floats into `_ROWS_T_F`): a read of
`T.c[i]` with a scalar index becomes `_rowN[k].astype(dtype)`, where `_rowN = _ROWS_T[i]` is
gathered once per index expression and scope and shared by every column read there. The row
read clamps exactly as the column read did (docs/language.md, Semantics: a[i]): the same index
into an axis of the same length.

Where a row lives (its scope):
- in a statement block (an effect, init's rules, a loop body), `_rowN = ...` is a line of its
  own before the statement that first reads it, and is reused by later statements with the same
  index text until a name in that text is bound again (`bind`), or the block's function ends;
- in an expression, a row whose index reads a name bound by an enclosing `lambda` (a comprehension
  variable, a procedure's argument) is bound inside that lambda, as `(lambda _rowN: BODY)(ROWS[i])`;
  any other row goes to the outermost scope: the statement, or the whole expression where there
  is none (a guard, the observation, an invariant).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import ir

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifiers(text: str) -> set[str]:
    """Every identifier-like word of generated text (attribute names too: a superset is safe)."""
    return set(_IDENT.findall(text))


@dataclass(frozen=True)
class Column:
    """Where a table column lives in its table's packed rows."""

    rows: str  # the packed array: _ROWS_T (int32) or _ROWS_T_F (float32)
    position: int  # the column's index in a row of `rows`
    dtype: str  # the column's own dtype (bool, int8, ..., float32)


def packed_columns(constants: tuple[ir.Constant, ...]) -> dict[str, Column]:
    """Each table column constant's name -> its place in the packed rows of its table."""
    out: dict[str, Column] = {}
    counts: dict[str, int] = {}
    for c in constants:
        if not c.table or len(c.type.shape) != 1:
            continue
        rows = f"_ROWS_{c.table}_F" if c.type.is_float else f"_ROWS_{c.table}"
        out[c.name] = Column(rows, counts.get(rows, 0), c.type.dtype)
        counts[rows] = counts.get(rows, 0) + 1
    return out


def rows_code(constants: tuple[ir.Constant, ...]) -> str:
    """The definitions of the packed arrays, from each table's `_TABLE_T` (see literals.py)."""
    columns = packed_columns(constants)
    lines = []
    for rows in dict.fromkeys(col.rows for col in columns.values()):
        table = rows.removeprefix("_ROWS_").removesuffix("_F")
        group = [c for c in constants if c.table == table]
        picked = [k for k, c in enumerate(group) if c.name in columns and columns[c.name].rows == rows]
        dtype = "jnp.float32" if rows.endswith("_F") else "jnp.int32"
        part = f"_TABLE_{table}" if picked == list(range(len(group))) else f"_TABLE_{table}[:, {picked}]"
        lines.append(f"{rows} = jnp.array({part}, dtype={dtype})")
    if not lines:
        return ""
    head = "# each table's rows packed (ints and bools as int32, floats as float32): one gather per row read"
    return "\n".join([head, *lines])


@dataclass
class _Scope:
    """Rows bound by one lambda (or, with `emit` unset at the bottom, one whole expression)."""

    bound: set[str]  # the names the lambda binds, its rows' names among them
    rows: dict[str, str] = field(default_factory=dict)  # row expression text -> its name


class RowCache:
    """The rows read in one generated function (see the module's docstring).

    `emit(line)` writes a statement before the one being generated; without it (an expression
    with no statements around it) the outermost rows wrap the expression (see `wrap`)."""

    def __init__(self, columns: dict[str, Column], emit: Callable[[str], None] | None = None):
        self.columns = columns
        self.emit = emit
        self.scopes: list[_Scope] = [_Scope(set())]  # [0]: the statement's or expression's own
        self.counter = 0

    def read(self, column: Column, rows_expr: str) -> str:
        """The text of a column read from the row `rows_expr` (`_ROWS_T[i]`)."""
        row = self.row(rows_expr)
        value = f"{row}[{column.position}]"
        if column.dtype in ("int32", "float32"):
            return value
        return f"{value}.astype(jnp.{'bool_' if column.dtype == 'bool' else column.dtype})"

    def row(self, rows_expr: str) -> str:
        """The name of the row `rows_expr`, bound in the outermost scope that sees its names."""
        words = identifiers(rows_expr)
        target = next((s for s in reversed(self.scopes) if s.bound & words), self.scopes[0])
        name = target.rows.get(rows_expr)
        if name is None:
            self.counter += 1
            name = target.rows[rows_expr] = f"_row{self.counter}"
            target.bound.add(name)
            if target is self.scopes[0] and self.emit is not None:
                self.emit(f"{name} = {rows_expr}")
        return name

    def push(self, bound: set[str]) -> None:
        """Enter a lambda that binds `bound`."""
        self.scopes.append(_Scope(set(bound)))

    def pop(self, body: str) -> str:
        """Leave the innermost lambda: its body with the rows it binds."""
        return _wrapped(body, self.scopes.pop().rows)

    def wrap(self, text: str) -> str:
        """A whole expression with its outermost rows (nothing to add when they are statements)."""
        if self.emit is not None:
            return text
        outer = self.scopes[0]
        text, outer.rows = _wrapped(text, outer.rows), {}
        outer.bound.clear()
        return text

    def rebound(self, ident: str) -> None:
        """`ident` now names another value: forget the statement rows whose index reads it."""
        outer = self.scopes[0]
        outer.rows = {k: v for k, v in outer.rows.items() if ident not in identifiers(k)}

    def save(self) -> dict[str, str]:
        """The statement rows now known (to restore after a nested function's body)."""
        return dict(self.scopes[0].rows)

    def restore(self, rows: dict[str, str]) -> None:
        self.scopes[0].rows = rows


def _wrapped(body: str, rows: dict[str, str]) -> str:
    """`body` inside one lambda per row, the first outermost (a row's index may read an earlier row)."""
    for rows_expr, name in reversed(list(rows.items())):
        body = f"(lambda {name}: {body})({rows_expr})"
    return body
