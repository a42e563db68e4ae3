"""Stable section ids: slugs of the heading text, deduplicated in document order.

Ids come from the text, never from the page's own `id` attributes, so a spec's citation
(`rules/tcg.md#retreat`) survives a site redesign and reads the same for HTML, Markdown and
text sources.
"""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, sep: str = "-", fallback: str = "section") -> str:
    """'Pokémon ex: Knock Outs' -> 'pokemon-ex-knock-outs' (ASCII, lower case, `sep`-joined)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub(sep, ascii_text.lower()).strip(sep)
    return slug or fallback


class Slugger:
    """Hands out unique ids: the second 'Setup' becomes 'setup-2', the third 'setup-3'."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def reserve(self, ident: str) -> str:
        """Take `ident` as is if free (an id the author wrote), else its first free -N form."""
        candidate, n = ident, 1
        while candidate in self._used:
            n += 1
            candidate = f"{ident}-{n}"
        self._used.add(candidate)
        return candidate

    def __call__(self, text: str, fallback: str = "section") -> str:
        return self.reserve(slugify(text, fallback=fallback))
