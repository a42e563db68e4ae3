"""Inline HTML (text, emphasis, code, links, line breaks) as one line of Markdown or plain text."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bs4 import Comment, NavigableString, PageElement, Tag

_SPACE = re.compile(r"\s+")
_ESCAPE = re.compile(r"([\\*`])")  # the only characters that would change meaning inline
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*"}
_PERMALINK_TEXT = {"¶", "#", "§", "🔗", "link"}  # "copy link" anchors next to headings


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _is_permalink(tag: Tag) -> bool:
    return tag.name == "a" and collapse(tag.get_text()) in _PERMALINK_TEXT


def _inline(node: Tag | NavigableString, markup: bool) -> str:
    if isinstance(node, Comment):
        return ""
    if isinstance(node, NavigableString):
        text = _SPACE.sub(" ", str(node))
        return _ESCAPE.sub(r"\\\1", text) if markup else text
    if node.name == "br":
        return "\n"
    if node.name in ("script", "style", "template", "noscript") or _is_permalink(node):
        return ""
    if node.name in ("code", "kbd", "samp", "tt"):
        code = collapse(node.get_text())
        if not markup or not code:
            return code
        fence = "``" if "`" in code else "`"
        return f"{fence}{code}{fence}"
    inner = "".join(_inline(child, markup) for child in node.children)
    if not markup:
        return inner
    mark = _EMPHASIS.get(node.name)
    if mark and inner.strip():
        # keep the spaces outside the markers: "** bold**" would not render as bold
        lead, core, trail = _split_space(inner)
        return f"{lead}{mark}{core}{mark}{trail}"
    href = node.get("href") if node.name == "a" else None
    if isinstance(href, str) and href.startswith(("http://", "https://")) and inner.strip():
        lead, core, trail = _split_space(inner)
        return f"{lead}[{core}]({href}){trail}"
    return inner


def _split_space(text: str) -> tuple[str, str, str]:
    core = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return (" " if lead else ""), core, (" " if trail else "")


def inline_nodes(nodes: Iterable[PageElement], markup: bool = True) -> str:
    """Loose inline nodes on one line (a <br> becomes a Markdown hard break when `markup`)."""
    raw = "".join(_inline(node, markup) for node in nodes if isinstance(node, (Tag, NavigableString)))
    lines = [collapse(line) for line in raw.split("\n")]
    lines = [line for line in lines if line]
    return ("  \n" if markup else " ").join(lines)


def inline_text(tag: Tag, markup: bool = True) -> str:
    """The text of `tag` on one line, as Markdown (`markup`) or plain text."""
    return inline_nodes(tag.children, markup)
