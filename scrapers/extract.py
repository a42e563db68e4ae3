"""Find a page's main content and drop the furniture around it (menus, banners, sidebars, scripts)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from specc.errors import SpecError

# never content, wherever they appear (a <nav> table of contents inside <main> included)
NOISE_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "nav", "aside")
# page furniture: dropped outside the chosen main element (an <article> may have its own <header>)
CHROME_TAGS = ("header", "footer")
NOISE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alert"}
_CONTENT_TAGS = ("p", "li", "td", "th", "dd", "dt", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")
_TAG_DEBRIS = re.compile(r"<[!/?]?[A-Za-z-][^<>]*>?|[<>]")  # markup the parser gave up on and kept as text
_WORD = re.compile(r"[^\W\d_]{2,}")  # a real word: two letters or more


def readable(text: str) -> bool:
    """True when `text` holds at least one word once stray markup is removed."""
    return bool(_WORD.search(_TAG_DEBRIS.sub(" ", text)))


def parse_html(html: str) -> BeautifulSoup:
    # lxml repairs real-world markup (unclosed <li>, <p>) the way browsers do, and fast
    return BeautifulSoup(html, "lxml")


def _drop(tags: list[Tag]) -> None:
    for tag in tags:
        if not tag.decomposed:
            tag.decompose()


def _drop_noise(root: Tag, chrome: bool) -> None:
    _drop(root.find_all(NOISE_TAGS))
    _drop([t for t in root.find_all(True) if str(t.get("role", "")).lower() in NOISE_ROLES])
    _drop([t for t in root.find_all(True) if t.has_attr("hidden") or str(t.get("aria-hidden")) == "true"])
    if chrome:
        _drop(root.find_all(CHROME_TAGS))


def _content_length(tag: Tag) -> int:
    """Text in paragraphs, list items, cells and headings: what a reader would call content."""
    outermost = [t for t in tag.find_all(_CONTENT_TAGS) if not t.find_parent(_CONTENT_TAGS)]
    return sum(len(t.get_text(" ", strip=True)) for t in outermost)


def _largest_block(body: Tag) -> Tag:
    """Descend from <body> while one child holds nearly all the content (drops stray banners)."""
    node = body
    while True:
        total = _content_length(node) or len(node.get_text(strip=True))
        children = [c for c in node.find_all(True, recursive=False)]
        best = max(children, key=_content_length, default=None)
        if best is None or total == 0 or _content_length(best) < 0.8 * total:
            return node
        node = best


def _explicit_main(soup: BeautifulSoup) -> Tag | None:
    """<main>, then role=main, then the biggest <article>: what the page says its content is."""
    for found in (soup.find("main"), soup.find(attrs={"role": "main"})):
        if isinstance(found, Tag) and readable(found.get_text(" ")):
            return found
    articles = [a for a in soup.find_all("article") if readable(a.get_text(" "))]
    return max(articles, key=_content_length) if articles else None


def main_content(html: str, source: str) -> tuple[Tag, str]:
    """The element holding the page's content, cleaned of noise, and the page <title>.

    Raises SpecError naming `source` when there is nothing a reader would call content.
    """
    soup = parse_html(html)
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if title_tag else ""
    body = soup.body or soup
    if not readable(body.get_text(" ")):
        if _TAG_DEBRIS.search(body.get_text(" ")) or html.count("<") != html.count(">"):
            raise SpecError("malformed markup: no readable text could be extracted", file=source)
        if body.find(["script", "noscript"]):
            raise SpecError("no main content: only scripts (a page built by JavaScript cannot be scraped)", file=source)
        if readable(title):
            raise SpecError("no main content: the page has a title but no body text", file=source)
        raise SpecError("the page has no text", file=source)
    main = _explicit_main(soup)
    if main is not None:
        _drop_noise(main, chrome=False)
    else:
        _drop_noise(body, chrome=True)
        main = _largest_block(body)
    if not readable(main.get_text(" ")):
        raise SpecError("no main content: only navigation, header, footer, sidebar or script text", file=source)
    return main, title
