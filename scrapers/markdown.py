"""HTML content as Markdown: headings with stable ids, paragraphs, lists, tables, code.

Headings are written `## Retreat {#retreat}` (the attribute syntax of Pandoc and kramdown),
so `rules/tcg.md#retreat` names one section whatever renders the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import Comment, PageElement, Tag

from .ids import Slugger, slugify
from .tables import Table, table_from_html, table_to_markdown
from .text import collapse, inline_nodes, inline_text

HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"p", "ul", "ol", "dl", "table", "pre", "blockquote", "hr", "figure", "figcaption", *HEADINGS}
_CONTAINERS = {"div", "section", "article", "main", "header", "footer", "body", "html", "details", "summary", "center"}


@dataclass
class Section:
    id: str
    title: str
    level: int


@dataclass
class Converted:
    """The Markdown body, its sections in order, and the tables (already named for export)."""

    markdown: str
    sections: list[Section] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def heading_line(level: int, title: str, ident: str) -> str:
    return f"{'#' * level} {title} {{#{ident}}}"


class _Converter:
    def __init__(self) -> None:
        self.ids = Slugger()
        self.table_names = Slugger()
        self.sections: list[Section] = []
        self.tables: list[Table] = []

    def blocks(self, parent: Tag) -> list[str]:
        return [text for _, text in self.kinded_blocks(parent)]

    # a block-level walk: consecutive inline nodes gather into one paragraph
    def kinded_blocks(self, parent: Tag) -> list[tuple[str, str]]:
        """Blocks as (kind, markdown): kind 'list' lets a list item keep a nested list tight."""
        out: list[tuple[str, str]] = []
        run: list[PageElement] = []

        def flush() -> None:
            text = inline_nodes(run)
            run.clear()
            if text:
                out.append(("text", text))

        for child in parent.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, Tag) and self._is_block(child):
                flush()
                kind = "list" if child.name in ("ul", "ol") else "text"
                out.extend((kind, text) for text in self.block(child))
            else:
                run.append(child)
        flush()
        return out

    def _is_block(self, tag: Tag) -> bool:
        if tag.name in _BLOCKS or tag.name in _CONTAINERS or tag.name in ("li", "dt", "dd"):
            return True
        return tag.find(list(_BLOCKS)) is not None  # an unknown element wrapping block content

    def block(self, tag: Tag) -> list[str]:
        name = tag.name
        if name in HEADINGS:
            return self.heading(inline_text(tag, markup=False), HEADINGS[name])
        if name == "p" or name == "figcaption":
            text = inline_text(tag)
            return [text] if text else []
        if name in ("ul", "ol"):
            text = self.bullet_list(tag)
            return [text] if text else []
        if name == "dl":
            return self.definitions(tag)
        if name == "table":
            return self.table(tag)
        if name == "pre":
            code = tag.get_text().strip("\n")
            return [f"```\n{code}\n```"] if code.strip() else []
        if name == "blockquote":
            inner = "\n\n".join(self.blocks(tag))
            return ["\n".join(f"> {line}".rstrip() for line in inner.split("\n"))] if inner else []
        if name == "hr":
            return ["---"]
        return self.blocks(tag)  # containers and unknown wrappers

    def heading(self, title: str, level: int) -> list[str]:
        if not title:
            return []
        ident = self.ids(title)
        self.sections.append(Section(ident, title, level))
        return [heading_line(level, title, ident)]

    def bullet_list(self, tag: Tag) -> str:
        ordered = tag.name == "ol"
        try:
            number = int(str(tag.get("start", "1")))
        except ValueError:
            number = 1
        items: list[str] = []
        for li in tag.find_all("li", recursive=False):
            marker = f"{number}." if ordered else "-"
            number += 1
            parts = self.kinded_blocks(li)
            if not parts:
                continue
            body = parts[0][1]
            for kind, part in parts[1:]:  # a nested list stays tight under its item
                body += ("\n" if kind == "list" else "\n\n") + part
            pad = " " * (len(marker) + 1)
            lines = body.split("\n")
            items.append(f"{marker} {lines[0]}" + "".join(f"\n{pad}{line}" if line else "\n" for line in lines[1:]))
        return "\n".join(items)

    def definitions(self, tag: Tag) -> list[str]:
        """<dl> as a list of `**term**: definition` items (a column key reads well this way)."""
        items: list[str] = []
        term = ""
        for child in tag.find_all(["dt", "dd"]):
            if child.name == "dt":
                term = inline_text(child)
            else:
                text = inline_text(child)
                items.append(f"- **{term}**: {text}" if term else f"- {text}")
        return ["\n".join(items)] if items else []

    def table(self, tag: Tag) -> list[str]:
        table = table_from_html(tag)
        if table is None:
            return []
        table.section = self.sections[-1].id if self.sections else ""
        table.name = self.table_names.reserve(slugify(table.caption or table.section or "table", sep="_"))
        self.tables.append(table)
        caption = ["*" + collapse(table.caption).replace("*", "\\*") + "*"] if table.caption else []
        return [*caption, table_to_markdown(table)]


def to_markdown(content: Tag, title: str = "") -> Converted:
    """Convert cleaned main content; `title` (the page's <title>) heads it if it has no <h1>."""
    conv = _Converter()
    blocks: list[str] = []
    if title and content.find("h1") is None:
        blocks += conv.heading(title, 1)
    blocks += conv.blocks(content)
    return Converted("\n\n".join(blocks) + "\n", conv.sections, conv.tables)
