"""JSON card databases as tables with ids: records become rows, nested record lists child tables.

A card database such as the Pokémon TCG Pocket one (`[{"#": "A1 001", "card_name": ..., "moves":
[{"name": ..., "energy": [...], ...}], "ability": [...]}, ...]`) becomes

* one table named after the file (`cards`), one row per record, its first column `id`: the
  record's own id (a key `id`, `ID` or `#` whose values are unique) or else its position 1..n;
* one child table per key holding lists of records (`cards_moves`, `cards_ability`), each row
  with its own `id` (`PARENT.N`), the parent's id (`card_id`) and its position `index` (1..);
* scalars as text (numbers as written, booleans true/false, null empty), whitespace collapsed
  (a newline inside a value becomes ` / `); lists of scalars one cell joined by `, `; nested
  objects flattened into `key_subkey` columns.

A top-level object whose values are record lists gives one table per key instead. The tables go
through the same Markdown/CSV/YAML export as the tables of an HTML page.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any

import httpx

from specc.errors import SpecError

from .ids import Slugger, slugify
from .markdown import Converted, Section, heading_line
from .tables import Table, table_to_markdown

ID_KEYS = ("id", "ID", "Id", "#")
MAX_DEPTH = 4  # child tables of child tables ...: a card database needs two levels
_SPACE = re.compile(r"[ \t\f\v]+")


def cell(value: Any) -> str:
    """One scalar as table text: 'a\\nb ' -> 'a / b', True -> 'true', None -> '', 1.5 -> '1.5'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    lines = [_SPACE.sub(" ", line).strip() for line in str(value).splitlines()]
    return " / ".join(line for line in lines if line)


def _is_records(value: Any) -> bool:
    """A non-empty list of JSON objects (a child table)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _singular(name: str) -> str:
    """'cards' -> 'card': the parent-id column of a child table is `card_id`."""
    return name[:-1] if name.endswith("s") and len(name) > 1 else name


class _Flattener:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tables: list[Table] = []
        self.names = Slugger()
        self.record_keys: set[str] = set()

    def table(self, name: str, records: list[dict[str, Any]], parent: str = "", parent_ids: list[str] | None = None,
              depth: int = 0) -> None:  # fmt: skip
        """Append the table of `records` (then its child tables); parent_ids[i] owns records[i]."""
        if depth > MAX_DEPTH:
            raise SpecError(f"JSON records nested deeper than {MAX_DEPTH} levels ({name})", file=self.source)
        name = self.names.reserve(slugify(name, sep="_", fallback="table"))
        self.record_keys = {key for r in records for key, v in r.items() if _is_records(v)}
        rows: list[dict[str, str]] = []
        children: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
        ids = self._ids(records, parent_ids)
        for record, ident in zip(records, ids):
            row: dict[str, str] = {"id": ident}
            if parent_ids is not None:
                row[f"{parent}_id"] = parent_ids[len(rows)]
                row["index"] = ident.rsplit(".", 1)[1]
            self._fields(record, "", row, children, ident)
            rows.append(row)
        header = list(dict.fromkeys(key for row in rows for key in row))
        table = Table(header=header, rows=[[row.get(h, "") for h in header] for row in rows], name=name)
        table.section = slugify(name)
        table.caption = f"{name}: {len(rows)} records"
        self.tables.append(table)
        for key, (child_records, owners) in children.items():
            self.table(f"{name}_{key}", child_records, _singular(name), owners, depth + 1)

    def _ids(self, records: list[dict[str, Any]], parent_ids: list[str] | None) -> list[str]:
        """Row ids: PARENT.N for child rows, else the records' own unique id key, else 1..n."""
        if parent_ids is not None:
            seen: dict[str, int] = {}
            out = []
            for owner in parent_ids:
                seen[owner] = seen.get(owner, 0) + 1
                out.append(f"{owner}.{seen[owner]}")
            return out
        for key in ID_KEYS:
            values = [cell(r.get(key)) for r in records]
            if all(values) and len(set(values)) == len(values) and all(key in r for r in records):
                return values
        return [str(i + 1) for i in range(len(records))]

    def _fields(self, record: dict[str, Any], prefix: str, row: dict[str, str],
                children: dict[str, tuple[list[dict[str, Any]], list[str]]], ident: str) -> None:  # fmt: skip
        """Put a record's scalar fields into `row`; collect its record lists into `children` (owner `ident`)."""
        for key, value in record.items():
            if not prefix and key in ID_KEYS and row["id"] == cell(value):
                continue  # it is the row's id
            column = slugify(f"{prefix}{key}", sep="_", fallback="column")
            if isinstance(value, dict):
                self._fields(value, f"{prefix}{key}_", row, children, ident)
            elif _is_records(value) or (value == [] and not prefix and key in self.record_keys):
                records, owners = children.setdefault(column, ([], []))
                records += value
                owners += [ident] * len(value)
            elif isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
                raise SpecError(f"JSON record {ident}: {key} holds lists, not records or values", file=self.source)
            elif isinstance(value, list):
                if any(isinstance(v, (dict, list)) for v in value):
                    raise SpecError(f"JSON record {ident}: {key} mixes records and values", file=self.source)
                row[column] = ", ".join(cell(v) for v in value)
            else:
                row[column] = cell(value)


def _stem(source: str) -> str:
    """The table name a source gives: its file name without suffix ('.../cards.json?x' -> 'cards')."""
    path = httpx.URL(source).path if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source) else source
    return slugify(PurePosixPath(path.replace("\\", "/")).stem, sep="_", fallback="records")


def json_tables(text: str, source: str) -> list[Table]:
    """The tables of a JSON document (see the module docstring); SpecError if it holds no records."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}", file=source) from None
    flat = _Flattener(source)
    if _is_records(data):
        flat.table(_stem(source), data)
    elif isinstance(data, dict) and data and any(_is_records(v) for v in data.values()):
        for key, value in data.items():
            if _is_records(value):
                flat.table(slugify(key, sep="_", fallback="records"), value)
    else:
        raise SpecError("no records: expected a JSON list of objects (or an object of such lists)", file=source)
    return flat.tables


def json_document(text: str, source: str) -> Converted:
    """A JSON card database as a Markdown document: one section and one pipe table per table."""
    tables = json_tables(text, source)
    title = f"{_stem(source)} database"
    sections = [Section(slugify(title), title, 1)]
    parts = [heading_line(1, title, slugify(title)), f"Records of `{source}`, one table per record kind."]
    for table in tables:
        sections.append(Section(table.section, table.name, 2))
        parts.append(heading_line(2, table.name, table.section))
        parts.append(f"{len(table.rows)} rows; columns: {', '.join(table.header)}.")
        parts.append(table_to_markdown(table))
    return Converted("\n\n".join(parts) + "\n", sections, tables)
