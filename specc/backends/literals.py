"""Long literal data in generated code (tables, constant arrays, action labels), laid out to read.

ruff's formatter puts one element per line on anything too long for a line: a 395-row table of
20 columns became 7,900 lines. Here a table is written one row per line under a comment naming
its columns, and other long arrays are packed into lines of at most WIDTH characters, both
between `# fmt: off` and `# fmt: on` so that the formatter leaves them as they are. The C
backend uses the same layout with C's brackets.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import ir
from .c_expr import mangle

WIDTH = 100  # the formatter's line length (common.RUFF_FORMAT)
INDENT = "    "


def table_groups(constants: tuple[ir.Constant, ...]) -> list[tuple[str, list[ir.Constant]]]:
    """The constants in order, each table's columns together: (table name, its columns) for a
    table, ("", [constant]) for any other constant."""
    groups: list[tuple[str, list[ir.Constant]]] = []
    for c in constants:
        if c.table and groups and groups[-1][0] == c.table:
            groups[-1][1].append(c)
        else:
            groups.append((c.table, [c]))
    return groups


def packed(items: list[str], indent: str, width: int = WIDTH) -> list[str]:
    """Items (each ending with its comma) filled into lines of at most `width` characters;
    an item longer than a line gets a line of its own."""
    lines: list[str] = []
    line = ""
    for item in items:
        if line and len(indent) + len(line) + 1 + len(item) > width:
            lines.append(indent + line)
            line = ""
        line = f"{line} {item}" if line else item
    if line:
        lines.append(indent + line)
    return lines


def nested_lines(value: tuple, indent: str, scalar: Callable[[object], str]) -> list[str]:
    """The entries of a nested tuple as lines at `indent`, each entry ending with a comma and
    packed with its neighbours while they fit a line; a row too long for a line is bracketed
    on lines of its own, recursively."""
    lines: list[str] = []
    run: list[str] = []  # entries that fit a line, waiting to be packed
    for v in value:
        one = flat_text(v, scalar) + ","
        if len(indent) + len(one) <= WIDTH or not isinstance(v, tuple):
            run.append(one)
            continue
        lines += packed(run, indent)
        run = []
        lines += [indent + "[", *nested_lines(v, indent + INDENT, scalar), indent + "],"]
    return lines + packed(run, indent)


def flat_text(value: object, scalar: Callable[[object], str]) -> str:
    """A nested tuple on one line: `[[0, 1], [2, 3]]`."""
    if isinstance(value, tuple):
        return "[" + ", ".join(flat_text(v, scalar) for v in value) + "]"
    return scalar(value)


def column_comment(title: str, columns: list[str]) -> list[str]:
    """`title` and the column names, wrapped into comment lines."""
    return [f"# {title}", *packed([c + "," for c in columns[:-1]] + [columns[-1]], "#   ")]


def py_scalar(value: object) -> str:
    """An array entry as Python text: strings in double quotes where they can be (as the
    formatter would write them)."""
    text = repr(value)
    if isinstance(value, str) and text[0] == "'" and '"' not in text and "\\" not in text:
        text = '"' + text[1:-1] + '"'
    return text


def py_statement(head: str, value: object, tail: str) -> str:
    """`head` + the nested literal + `tail` (such as `X = jnp.array(` ... `, dtype=jnp.int8)`),
    one line when it fits, else laid out as nested_lines between fmt: off and fmt: on."""
    one = head + flat_text(value, py_scalar) + tail
    if len(one) <= WIDTH:
        return one
    return "\n".join(["# fmt: off", head + "[", *nested_lines(value, INDENT, py_scalar), "]" + tail, "# fmt: on"])


def py_constants(constants: tuple[ir.Constant, ...], array: str, dtypes: dict[str, str]) -> str:
    """The Python definitions of a program's constants: `array` makes one (`jnp.array`,
    `np.array`) from a list and a dtype in `dtypes`. A table is one NumPy array of its rows,
    `_TABLE_T`, one row per line, each column then `T__c = array(_TABLE_T[:, k], dtype=...)`."""
    out: list[str] = []
    for table, group in table_groups(constants):
        if not table:
            c = group[0]
            out.append(py_statement(f"{c.name} = {array}(", c.value, f", dtype={dtypes[c.type.dtype]})"))
            continue
        # a row's bools as 0/1 (their column's dtype converts them back): short rows
        rows = [", ".join(py_scalar(int(v) if isinstance(v := c.value[r], bool) else v) for c in group)
                for r in range(len(group[0].value))]  # fmt: skip
        out += ["# fmt: off", *column_comment(f"table {table}, one row per line; columns:", [c.column for c in group])]
        out.append(f"_TABLE_{table} = np.array([")
        out += [f"{INDENT}[{row}]," for row in rows]
        out += ["])", "# fmt: on"]
        for k, c in enumerate(group):
            out.append(f"{c.name} = {array}(_TABLE_{table}[:, {k}], dtype={dtypes[c.type.dtype]})")
    return "\n".join(out)


def py_list(name: str, items: list[str]) -> str:
    """`name = [items]` (items as Python text), packed into lines when it is long."""
    one = f"{name} = [{', '.join(items)}]"
    if len(one) <= WIDTH:
        return one
    return "\n".join(["# fmt: off", f"{name} = [", *packed([i + "," for i in items], INDENT), "]", "# fmt: on"])


def c_array(head: str, rows: list[str]) -> str:
    """A C array definition `head = {rows};`, the rows packed into lines when it is long."""
    one = f"{head} = {{{', '.join(rows)}}};"
    if len(one) <= WIDTH:
        return one
    return "\n".join([head + " = {", *packed([r + "," for r in rows], INDENT), "};"])


def c_table_name(table: str) -> str:
    """The C array of a table's rows (`CARDS__rows[c].hp`): `__` as in its columns' names."""
    return f"{table}__rows"


def c_column(c: ir.Constant, index: str) -> str:
    """Entry `index` of a table's column in C."""
    return f"{c_table_name(c.table)}[{index}].{mangle(c.column)}"


def c_constants(
    constants: tuple[ir.Constant, ...], ctypes: dict[str, str], scalar: Callable[[object, str], str]
) -> str:
    """The C definitions of a program's constants: a table as one array of row structs, one
    row per line (its columns read `T__rows[r].c`), any other constant as a flat array packed
    into lines, one innermost row of a matrix never split across lines when it fits one."""
    out: list[str] = []
    for table, group in table_groups(constants):
        if not table:
            c = group[0]
            width = c.type.shape[-1] if len(c.type.shape) > 1 else 1
            flat = [scalar(v, c.type.dtype) for v in flatten(c.value)]
            rows = [", ".join(flat[i : i + width]) for i in range(0, len(flat), width)]
            out.append(c_array(f"static const {ctypes[c.type.dtype]} {c.name}[{len(flat)}]", rows))
            continue
        out.append(f"/* table {table}: one row per line, its columns as this struct's fields */")
        out.append("static const struct {")
        out += [f"{INDENT}{ctypes[c.type.dtype]} {mangle(c.column)};" for c in group]
        out.append(f"}} {c_table_name(table)}[{len(group[0].value)}] = {{")
        for r in range(len(group[0].value)):
            out.append(INDENT + "{" + ", ".join(scalar(c.value[r], c.type.dtype) for c in group) + "},")
        out.append("};")
    return "\n".join(out)


def flatten(value: object) -> list:
    """A constant's nested tuple as a flat list (row-major)."""
    if isinstance(value, tuple):
        return [x for v in value for x in flatten(v)]
    return [value]
