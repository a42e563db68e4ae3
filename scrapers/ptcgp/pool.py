"""Read the committed tables (data/ptcgp) back: the card pool and the decks, without the source data.

    from scrapers.ptcgp.pool import read_pool
    cards, decks = read_pool("data/ptcgp")
    check_deck(decks[0], cards)   # []

This is what a spec or the CLI uses to check a deck given as a parameter: `Deck(name, ids, types)`.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from specc.errors import SpecError

from .build import MAX_ATTACKS
from .cards import ENERGY, Attack, Card
from .decks import Deck


def _read(path: Path) -> list[dict[str, str]]:
    """A committed CSV table's rows; SpecError naming the file if it is missing."""
    if not path.is_file():
        raise SpecError("no such file (run `specc cards SOURCE -o DIR` first)", file=str(path))
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> int | None:
    """'70' -> 70, '' -> None."""
    return int(text) if text else None


def read_cards(path: str | Path) -> dict[str, Card]:
    """cards.csv as id -> Card (facts only: attacks without text)."""
    cards = {}
    for r in _read(Path(path)):
        attacks = []
        for k in range(1, MAX_ATTACKS + 1):
            if r[f"attack{k}_name"]:
                cost = Counter({e: int(r[f"attack{k}_{e}"]) for e in ENERGY if int(r[f"attack{k}_{e}"])})
                attacks.append(Attack(r[f"attack{k}_name"], cost, int(r[f"attack{k}_damage"]),
                                      r[f"attack{k}_damage_mod"]))  # fmt: skip
        cards[r["id"]] = Card(r["id"], r["name"], r["kind"], r["stage"], r["type"], _number(r["hp"]), r["weakness"],
                              _number(r["retreat"]), r["evolves_from"], attacks, r["ability"])  # fmt: skip
    return cards


def read_decks(folder: str | Path) -> list[Deck]:
    """decks.csv and deck_lists.csv as Decks, in the pool's order."""
    folder = Path(folder)
    lists: dict[str, list[str]] = {}
    for r in _read(folder / "deck_lists.csv"):
        lists.setdefault(r["deck"], []).extend([r["id"]] * int(r["copies"]))
    return [Deck(r["name"], lists.get(r["name"], []), r["energy"].split(), int(r["source_row"]))
            for r in _read(folder / "decks.csv")]  # fmt: skip


def read_pool(folder: str | Path) -> tuple[dict[str, Card], list[Deck]]:
    """(cards by id, decks) of a folder written by `specc cards`."""
    return read_cards(Path(folder) / "cards.csv"), read_decks(folder)
