"""Tables as files a spec can load: CSV and/or YAML, with each column's type inferred.

Column types, narrowest first: bool (yes/no, true/false), int, float, str. A column takes
the narrowest type every non-empty cell fits; empty cells of a bool/int/float column are
null in YAML and empty in CSV (a str column keeps ""). Column names become identifiers
('Retreat cost' -> retreat_cost) so a spec can refer to them.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import yaml

from .ids import Slugger, slugify
from .tables import Table

FORMATS = ("csv", "yaml")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_BOOLS = {"true": True, "false": False, "yes": True, "no": False}
Value = bool | int | float | str | None


def column_names(header: list[str]) -> list[str]:
    """Unique snake_case identifiers; a name starting with a digit gets a 'c' in front."""
    ids = Slugger()
    names = []
    for h in header:
        base = slugify(h, sep="_", fallback="column")
        names.append(ids.reserve(f"c{base}" if base[0].isdigit() else base))
    return names


def _fits(kind: str, cell: str) -> bool:
    if kind == "bool":
        return cell.lower() in _BOOLS
    if kind == "int":
        return bool(_INT.match(cell))
    if kind == "float":
        return bool(_FLOAT.match(cell))
    return True


def infer_type(cells: list[str]) -> str:
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return "str"
    return next(kind for kind in ("bool", "int", "float", "str") if all(_fits(kind, c) for c in filled))


def typed_value(cell: str, kind: str) -> Value:
    cell = cell.strip()
    if kind == "str":
        return cell
    if not cell:
        return None
    if kind == "bool":
        return _BOOLS[cell.lower()]
    if kind == "int":
        return int(cell)
    return float(cell)


def typed_rows(table: Table) -> tuple[list[str], list[str], list[list[Value]]]:
    """(column names, column types, rows of typed values)."""
    names = column_names(table.header)
    types = [infer_type([row[i] for row in table.rows]) for i in range(table.width)]
    rows = [[typed_value(row[i], types[i]) for i in range(table.width)] for row in table.rows]
    return names, types, rows


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(table: Table) -> str:
    names, _, rows = typed_rows(table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def _flow(value: Any) -> str:
    """A YAML value on one line in flow style, quoted where YAML would misread it ('yes', '1.0', 'a, b')."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1_000_000, allow_unicode=True)
    return text.strip().removesuffix("...").strip()


def to_yaml(table: Table, source: str, generator: str) -> str:
    """A header (source, caption, section, column types) then one flow mapping per row."""
    names, types, rows = typed_rows(table)
    lines = [
        f"# {generator}; edit the source page, not this file",
        f"source: {_flow(source)}",
        f"table: {_flow(table.name)}",
    ]
    if table.caption:
        lines.append(f"caption: {_flow(table.caption)}")
    if table.section:
        lines.append(f"section: {_flow(table.section)}")
    lines.append("columns:")
    lines += [f"  {name}: {kind}" for name, kind in zip(names, types)]
    lines.append(f"rows:  # {len(rows)}" if rows else "rows: []")
    for row in rows:
        lines.append(f"  - {_flow(dict(zip(names, row)))}")
    return "\n".join(lines) + "\n"


def export_files(table: Table, formats: list[str], source: str, generator: str) -> dict[str, str]:
    """File name -> contents for one table in the requested formats."""
    files: dict[str, str] = {}
    if "csv" in formats:
        files[f"{table.name}.csv"] = to_csv(table)
    if "yaml" in formats:
        files[f"{table.name}.yaml"] = to_yaml(table, source, generator)
    return files
