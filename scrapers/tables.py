"""Tables as plain grids of text: read from HTML or Markdown, written as Markdown tables.

One model serves both the Markdown output and the CSV/YAML export, so the two never
disagree about what a cell holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import Tag

from .text import inline_text


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    section: str = ""  # id of the nearest heading above the table
    name: str = ""  # export file stem, unique within a document (set by the converter)

    @property
    def width(self) -> int:
        return len(self.header)


def _span(cell: Tag, attr: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attr, "1"))), 1000))
    except ValueError:  # colspan="two": treat as 1 rather than reject the page
        return 1


def _own_rows(table: Tag) -> list[Tag]:
    """Rows of this table only, not of a table nested in one of its cells."""
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _fill_rowspans(row: list[str], pending: dict[int, tuple[str, int]]) -> None:
    """Put the text of cells spanning down from earlier rows into `row` at their columns."""
    while len(row) in pending:
        text, left = pending.pop(len(row))
        if left > 1:
            pending[len(row)] = (text, left - 1)
        row.append(text)


def table_from_html(table: Tag) -> Table | None:
    """A grid with spans filled in (a cell spanning two columns repeats its text), or None if empty."""
    grid: list[list[str]] = []
    header_rows = 0
    pending: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill) from rowspans
    for tr in _own_rows(table):
        cells = [c for c in tr.find_all(["td", "th"], recursive=False)]
        row: list[str] = []
        for cell in cells:
            _fill_rowspans(row, pending)
            text = inline_text(cell, markup=False)
            rowspan = _span(cell, "rowspan")
            for _ in range(_span(cell, "colspan")):
                if rowspan > 1:
                    pending[len(row)] = (text, rowspan - 1)
                row.append(text)
        _fill_rowspans(row, pending)
        if not any(row):
            continue
        in_head = tr.find_parent("thead") is not None
        all_th = bool(cells) and all(c.name == "th" for c in cells)
        if len(grid) == header_rows and (in_head or all_th):
            header_rows += 1
        grid.append(row)
    if not grid:
        return None
    width = max(len(r) for r in grid)
    grid = [r + [""] * (width - len(r)) for r in grid]
    if header_rows == 0:  # no marked header: the first row is the best guess
        header_rows = 1
    # several header rows ("Attack" over "cost | damage") merge into one name per column
    header = [" ".join(dict.fromkeys(h for h in col if h)) for col in zip(*grid[:header_rows])]
    header = [h or f"column {i + 1}" for i, h in enumerate(header)]
    caption_tag = table.find("caption")
    caption = inline_text(caption_tag, markup=False) if caption_tag else ""
    return Table(header=header, rows=grid[header_rows:], caption=caption)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def table_to_markdown(table: Table) -> str:
    """A GitHub-style pipe table (pipes inside cells escaped)."""
    lines = ["| " + " | ".join(_md_cell(h) for h in table.header) + " |"]
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    return "\n".join(lines)


_DELIM = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def split_pipe_row(line: str) -> list[str]:
    """'| a | b \\| c |' -> ['a', 'b | c'] (escaped pipes stay inside their cell)."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = re.split(r"(?<!\\)\|", body)
    return [c.strip().replace("\\|", "|") for c in cells]


def is_delimiter_row(line: str) -> bool:
    return bool(_DELIM.match(line)) and "-" in line


def table_from_pipe_lines(lines: list[str]) -> Table:
    """A Markdown pipe table (header, delimiter, rows) as a Table; short rows are padded."""
    header = split_pipe_row(lines[0])
    rows = [split_pipe_row(line) for line in lines[2:]]
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in rows]
    return Table(header=header, rows=rows)
