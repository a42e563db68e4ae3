"""Decks: read decks.csv rows into named decks, and check that a deck is legal.

decks.csv (no header) has 31 fields a row: 20 card ids, then 11 0/1 flags for the energy types
the deck's Energy Zone makes, in the order of FLAG_TYPES (the simulator's EnergyType enum; the
data confirm it: each deck's set flag is the type of its attackers, e.g. the Pikachu ex deck sets
position 24, Lightning). Our own deck tables give the types as a space-separated `energy` column.

`check_deck(deck, cards)` returns every broken rule as one line naming the deck and the rule; a
spec or the CLI can call it on any deck given as a `Deck`.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from specc.errors import SpecError

from .cards import Attack, Card

DECK_SIZE = 20
MAX_COPIES = 2
FLAG_TYPES = ("grass", "fire", "water", "lightning", "psychic", "fighting", "darkness", "metal", "fairy", "dragon",
              "colorless")  # fmt: skip
ZONE_TYPES = FLAG_TYPES[:8]  # the types an Energy Zone can make
STAGE_RANK = {"basic": 0, "stage1": 1, "stage2": 2}


@dataclass
class Deck:
    """A named deck: its 20 card ids (in list order) and its Energy Zone types."""

    name: str
    cards: list[str]
    energy: list[str]
    row: int = 0  # 1-based row in the source decks.csv, 0 for a deck made elsewhere


def read_rows(path: Path) -> list[tuple[list[str], list[str]]]:
    """(card ids, energy types) of each decks.csv row; a row without 31 fields is an error naming it."""
    out = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, fields in enumerate(csv.reader(handle), start=1):
            if not fields:
                continue
            fields = [f.strip() for f in fields]
            if len(fields) != DECK_SIZE + len(FLAG_TYPES):
                raise SpecError(f"row {number} has {len(fields)} fields, expected {DECK_SIZE + len(FLAG_TYPES)}",
                                file=str(path))  # fmt: skip
            flags = fields[DECK_SIZE:]
            if any(f not in ("0", "1") for f in flags):
                raise SpecError(f"row {number}: the energy flags must be 0 or 1", file=str(path))
            out.append((fields[:DECK_SIZE], [t for t, f in zip(FLAG_TYPES, flags) if f == "1"]))
    return out


def payable(attack: Attack, energy: list[str]) -> bool:
    """Whether a deck making `energy` can pay the attack's typed (non-Colorless) symbols."""
    return all(t == "colorless" or t in energy for t in attack.cost)


def _attacker(card: Card, energy: list[str]) -> bool:
    """A Pokémon with a payable attack that needs at least one typed energy: the deck's own attacker."""
    return any(payable(a, energy) and any(t != "colorless" for t in a.cost) for a in card.attacks)


def deck_name(ids: list[str], cards: dict[str, Card], energy: list[str]) -> str:
    """A short name from the deck's main Pokémon: among its attackers (typed attacks its energy pays;
    all its Pokémon if none), its ex (two ex: both), else the highest stage, most copies, first listed."""
    pokemon = [cards[i] for i in ids if i in cards and cards[i].kind == "pokemon"]
    copies = Counter(c.name for c in pokemon)
    by_name = {c.name: c for c in pokemon}
    main = [n for n in copies if _attacker(by_name[n], energy)] or list(copies)
    if not main:
        return "Trainers"
    ranked = sorted(main, key=lambda n: (by_name[n].ex, STAGE_RANK[by_name[n].stage], copies[n]), reverse=True)
    exes = [n for n in ranked if by_name[n].ex]
    return " & ".join(exes[:2]) if exes else ranked[0]


def load_decks(path: Path, cards: dict[str, Card]) -> list[Deck]:
    """Every row of decks.csv as a Deck named after its main Pokémon (a repeated name gets ' 2', ...)."""
    decks: list[Deck] = []
    seen: Counter[str] = Counter()
    for row, (ids, energy) in enumerate(read_rows(path), start=1):
        name = deck_name(ids, cards, energy)
        seen[name] += 1
        decks.append(Deck(name if seen[name] == 1 else f"{name} {seen[name]}", ids, energy, row))
    return decks


def check_deck(deck: Deck, cards: dict[str, Card], strict: bool = False) -> list[str]:
    """Each rule the deck breaks, as 'deck NAME: RULE: detail'; [] for a legal deck.

    The game's rules: 20 cards, all known; at most 2 cards of one name (printings of a name count
    together); at least one Basic Pokémon (a Fossil is not one). Ours: the Energy Zone makes 1 to 3
    of the 8 zone types, and its energy covers the deck's attacks: every Pokémon of the deck has an
    attack whose typed (non-Colorless) symbols the deck makes, or an ability, or evolves into a card
    of the deck (real decks carry such cards: Mew ex for its all-Colorless attack, Druddigon and
    Weezing for their abilities). `strict=True` asks instead that every attack of every Pokémon be
    payable.
    """
    errors = []

    def bad(rule: str, detail: str) -> None:
        errors.append(f"deck {deck.name}: {rule}: {detail}")

    if len(deck.cards) != DECK_SIZE:
        bad("20 cards", f"it has {len(deck.cards)}")
    unknown = sorted({i for i in deck.cards if i not in cards})
    if unknown:
        bad("known cards", f"no card {', '.join(unknown)}")
    known = [cards[i] for i in deck.cards if i in cards]
    for name, n in sorted(Counter(c.name for c in known).items()):
        if n > MAX_COPIES:
            ids = sorted({c.id for c in known if c.name == name})
            bad("at most 2 of a name", f"{n} x {name} ({', '.join(ids)})")
    if not any(c.kind == "pokemon" and c.stage == "basic" for c in known):
        bad("a Basic Pokémon", "it has none")
    if not 1 <= len(deck.energy) <= 3:
        bad("energy types", f"it has {len(deck.energy)}, expected 1 to 3")
    for t in deck.energy:
        if t not in ZONE_TYPES:
            bad("energy types", f"{t} is not a type an Energy Zone makes ({', '.join(ZONE_TYPES)})")
    for card in {c.id: c for c in known if c.kind == "pokemon"}.values():
        unpaid = [a for a in card.attacks if not payable(a, deck.energy)]
        if strict:
            for attack in unpaid:
                need = ", ".join(sorted(t for t in attack.cost if t != "colorless" and t not in deck.energy))
                bad("energy covers attacks", f"{card.name} ({card.id}) {attack.name} needs {need}")
            continue
        evolves = any(c.evolves_from == card.name for c in known)
        if card.attacks and len(unpaid) == len(card.attacks) and not card.ability and not evolves:
            need = sorted({t for a in unpaid for t in a.cost if t != "colorless" and t not in deck.energy})
            bad("energy covers attacks", f"{card.name} ({card.id}) can use no attack without {', '.join(need)}")
    return errors


def unpaid_attacks(deck: Deck, cards: dict[str, Card]) -> list[str]:
    """'CARD (ID) ATTACK: TYPES' for each attack in the deck its energy cannot pay (a note, not an error)."""
    out = []
    for card in {i: cards[i] for i in deck.cards if i in cards and cards[i].kind == "pokemon"}.values():
        for attack in card.attacks:
            if not payable(attack, deck.energy):
                need = ", ".join(sorted(t for t in attack.cost if t != "colorless" and t not in deck.energy))
                out.append(f"{card.name} ({card.id}) {attack.name}: {need}")
    return out
