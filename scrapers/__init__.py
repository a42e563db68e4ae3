"""Scrapers: rules pages and documents (URL, .html, .md, .txt) to Markdown with section ids, plus tables.

    from scrapers import scrape
    result = scrape("scrapers/fixtures/pocket_rules.html", "rules/tcg.md", tables_dir="rules/tables")
    result.document.section_ids   # ['how-to-play-pokemon-tcg-pocket', 'deck', ..., 'retreat', ...]
    result.written                # [Path('rules/tcg.md'), Path('rules/tables/...csv'), ...]

Command line: `specc scrape SOURCE -o rules/NAME.md [--tables DIR] [--format csv|yaml|both]`;
`specc scrape showdown:gen1 -o data/gen1` exports Pokémon Showdown's Gen 1 data (scrapers/showdown.py).
"""

from __future__ import annotations

from .export import FORMATS, infer_type, to_csv, to_yaml
from .fetching import USER_AGENT, Fetched, default_cache_dir, fetch
from .ids import Slugger, slugify
from .markdown import Section
from .pipeline import Document, ScrapeResult, convert, scrape
from .tables import Table

__all__ = [
    "FORMATS",
    "USER_AGENT",
    "Document",
    "Fetched",
    "ScrapeResult",
    "Section",
    "Slugger",
    "Table",
    "convert",
    "default_cache_dir",
    "fetch",
    "infer_type",
    "scrape",
    "slugify",
    "to_csv",
    "to_yaml",
]
