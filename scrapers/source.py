"""Read a SOURCE (URL or local file) into text and decide how to convert it: html, markdown, text or json."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from bs4 import UnicodeDammit

from specc.errors import SpecError

from .fetching import fetch

KINDS_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".json": "json",
}
KINDS_BY_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/plain": "text",
    "application/json": "json",
    "text/json": "json",
}
_HTML_TAG = r"<\s*(!doctype|html|head|body|main|article|div|p|h[1-6]|ul|ol|table|section|span|a)\b"
_TAG = re.compile(_HTML_TAG, re.IGNORECASE)


@dataclass(frozen=True)
class Loaded:
    source: str  # as the person wrote it: it names the source in messages and file headers
    kind: str  # "html", "markdown", "text" or "json"
    text: str
    raw: bytes


def is_url(source: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))


def _binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB: an image, a PDF, an archive."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) // 100 + 2


def decode(data: bytes, source: str, charset: str | None = None) -> str:
    """Bytes to text: the declared charset, else UTF-8, else what bs4's detector finds."""
    if not data.strip():
        raise SpecError("the file is empty" if not is_url(source) else "the page is empty", file=source)
    if _binary(data):
        raise SpecError("not a text file: it holds binary data (an image, PDF or archive?)", file=source)
    known = [charset] if charset else []
    dammit = UnicodeDammit(data, known_definite_encodings=[*known, "utf-8"], is_html=True)
    if dammit.unicode_markup is None:
        raise SpecError("cannot decode the text (unknown character encoding)", file=source)
    text = dammit.unicode_markup.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise SpecError("the file is empty", file=source)
    return text


def _check_html(text: str, source: str) -> None:
    if not _TAG.search(text):
        raise SpecError("not HTML: no HTML markup found (scrape a .txt or .md file as such)", file=source)


def load(
    source: str,
    *,
    cache_dir: Path | None = None,
    refresh: bool = False,
    use_cache: bool = True,
    transport: httpx.BaseTransport | None = None,
) -> Loaded:
    """Read and decode SOURCE; every problem is a SpecError naming it, raised before anything is written."""
    if is_url(source):
        fetched = fetch(source, cache_dir=cache_dir, refresh=refresh, use_cache=use_cache, transport=transport)
        kind = KINDS_BY_TYPE.get(fetched.content_type)
        if kind is None:
            suffix = Path(httpx.URL(fetched.url).path).suffix.lower()
            kind = KINDS_BY_SUFFIX.get(suffix) if not fetched.content_type else None
        if kind is None:
            got = fetched.content_type or "unknown"
            raise SpecError(f"not an HTML, Markdown, text or JSON page (content type {got})", file=source)
        text = decode(fetched.content, source, fetched.charset)
        if kind == "html":
            _check_html(text, source)
        return Loaded(source, kind, text, fetched.content)
    path = Path(source)
    kind = KINDS_BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(KINDS_BY_SUFFIX))
        what = f"'{path.suffix}'" if path.suffix else "(none)"
        raise SpecError(f"unsupported file type {what}: expected one of {known} or an http(s) URL", file=source)
    if not path.exists():
        raise SpecError("no such file", file=source)
    if path.is_dir():
        raise SpecError("is a folder, not a file", file=source)
    data = path.read_bytes()
    text = decode(data, source)
    if kind == "html":
        _check_html(text, source)
    return Loaded(source, kind, text, data)
