"""Static tables loaded from data files (a card list) and lowered to constant arrays.

A spec declares, under `tables:`, a file (CSV, or the YAML that `specc scrape`
writes) and the columns it uses, each with a dtype, an enum name (text mapped to
the member's number) or `row` (a name mapped to the index of the row with that
`name`). Column c of table T is then the constant array `T.c`, one entry per row.
Empty cells become -1 (integers, enums, rows), false or 0.0.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .ir import INT_BOUNDS, Pos, flush_subnormal

NUMERIC = ("bool", "int8", "int16", "int32", "float32")


def read_rows(path: Path, pos: Pos) -> list[dict[str, Any]]:
    """Rows of a CSV file or of a `specc scrape` YAML table (a `rows:` list)."""
    if not path.exists():
        raise SpecError(f"table file {path} does not exist", pos)
    try:
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as f:
                return list(csv.DictReader(f))
        if path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            rows = data.get("rows") if isinstance(data, dict) else data
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise SpecError(f"{path}: expected a list of rows (mappings)", pos)
            return rows
    except (OSError, UnicodeDecodeError, yaml.YAMLError, csv.Error) as err:
        raise SpecError(f"cannot read table file {path}: {err}", pos) from None
    raise SpecError(f"table file {path} must be .csv or .yaml", pos)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def convert(value: Any, kind: str, enums: dict[str, list[str]], names: dict[str, int], where: str, pos: Pos) -> Any:
    """One cell as the column's type."""
    if kind == "row":
        if _empty(value):
            return -1
        if str(value) not in names:
            raise SpecError(f"{where}: no row is named {value!r}", pos)
        return names[str(value)]
    if kind in enums:
        if _empty(value):
            return -1
        members = enums[kind]
        if str(value) not in members:
            raise SpecError(f"{where}: {value!r} is not a member of enum {kind} ({', '.join(members)})", pos)
        return members.index(str(value))
    if kind == "bool":
        if _empty(value):
            return False
        text = str(value).strip().lower()
        if text not in ("true", "false", "yes", "no", "1", "0"):
            raise SpecError(f"{where}: {value!r} is not a bool", pos)
        return text in ("true", "yes", "1")
    if kind == "float32":
        try:
            return 0.0 if _empty(value) else flush_subnormal(float(value))
        except ValueError:
            raise SpecError(f"{where}: {value!r} is not a number", pos) from None
    if _empty(value):
        return -1
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SpecError(f"{where}: {value!r} is not a whole number", pos) from None
    lo, hi = INT_BOUNDS[kind]
    if not lo <= number <= hi:
        raise SpecError(f"{where}: {number} does not fit {kind}", pos)
    return number


def load_table(
    name: str, file: str, columns: dict[str, str], base_dir: Path, enums: dict[str, list[str]], pos: Pos
) -> dict[str, tuple[str, list[Any]]]:
    """column -> (dtype, values) for the declared columns of one table."""
    rows = read_rows(base_dir / file, pos)
    if not rows:
        raise SpecError(f"table {name}: {file} has no rows", pos)
    names = {str(r.get("name")): i for i, r in enumerate(rows) if not _empty(r.get("name"))}
    out = {}
    for column, kind in columns.items():
        if kind not in NUMERIC and kind != "row" and kind not in enums:
            raise SpecError(f"table {name}: column {column} has type {kind!r}: use a dtype, an enum or row", pos)
        if column not in rows[0]:
            raise SpecError(f"table {name}: {file} has no column {column!r} (it has {', '.join(rows[0])})", pos)
        dtype = kind if kind in NUMERIC else ("int8" if len(rows) < 128 else "int16")
        values = [convert(r.get(column), kind, enums, names, f"{file} row {i + 2} column {column}", pos)
                  for i, r in enumerate(rows)]  # fmt: skip
        out[column] = (dtype, values)
    return out
