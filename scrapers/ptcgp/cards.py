"""The card list of the Pocket database: read through `specc scrape`'s JSON tables, corrected, encoded.

`load_cards(source)` reads cards.json (a path or URL) as the scraper's `cards`, `cards_moves` and
`cards_ability` tables; `apply_corrections` applies corrections.csv (its `likely_right` verdict)
and returns one log row per listed fact; `LOST_ATTACKS` and the fossil facts restate TRAINERS.md.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from specc.errors import SpecError

from ..pipeline import convert
from ..tables import Table

ENERGY = ("grass", "fire", "water", "lightning", "psychic", "fighting", "darkness", "metal", "colorless")
TYPES = ("grass", "fire", "water", "lightning", "psychic", "fighting", "darkness", "metal", "dragon", "colorless")
STAGES = {"Basic": "basic", "Stage 1": "stage1", "Stage 2": "stage2"}
FOSSIL_HP = 40  # TRAINERS.md: a Fossil is played as a 40-HP Basic Colorless Pokémon


@dataclass
class Attack:
    """One attack: its cost as energy type -> count, base damage and the damage's suffix."""

    name: str
    cost: Counter[str]
    damage: int
    damage_mod: str = ""  # "plus" ("30+"), "times" ("50x") or ""
    text: str = ""  # the description, read to classify it; never written out


@dataclass
class Card:
    """One printing, with our encoding of its facts (types and stages lower case)."""

    id: str
    name: str
    kind: str  # pokemon, item, supporter, fossil
    stage: str = ""
    type: str = ""
    hp: int | None = None
    weakness: str = ""  # an energy type, "none", or "" for Trainers
    retreat: int | None = None  # None: cannot retreat (Fossils) or a Trainer
    evolves_from: str = ""
    attacks: list[Attack] = field(default_factory=list)
    ability: str = ""
    ability_text: str = ""

    @property
    def set(self) -> str:
        """The set code: 'A1' of 'A1 001', 'P-A' of 'P-A 007'."""
        return self.id.rsplit(" ", 1)[0]

    @property
    def ex(self) -> bool:
        """A Pokémon ex (2 points when knocked out): its name ends in ' ex'."""
        return self.kind == "pokemon" and self.name.endswith(" ex")


# TRAINERS.md: the attacks cards.json lost (a hyphen in the name), as facts
LOST_ATTACKS: dict[str, Attack] = {
    "Will-O-Wisp": Attack("Will-O-Wisp", Counter(psychic=1), 30),
    "Mud-Slap": Attack("Mud-Slap", Counter(fighting=1), 20),
    "Double-Edge": Attack("Double-Edge", Counter(fighting=1, colorless=3), 150, text="recoil 50 (TRAINERS.md)"),
}


def _records(table: Table) -> list[dict[str, str]]:
    """A table's rows as header -> cell dicts."""
    return [dict(zip(table.header, row)) for row in table.rows]


def parse_cost(text: str) -> Counter[str]:
    """'Grass, Colorless, Colorless' -> {grass: 1, colorless: 2}."""
    cost: Counter[str] = Counter()
    for symbol in (s.strip().lower() for s in text.split(",") if s.strip()):
        symbol = "lightning" if symbol == "electric" else symbol
        if symbol not in ENERGY:
            raise SpecError(f"unknown energy symbol {symbol!r}")
        cost[symbol] += 1
    return cost


def parse_damage(text: str) -> tuple[int, str]:
    """'30+' -> (30, 'plus'), '50x' -> (50, 'times'), '' -> (0, '')."""
    match = re.fullmatch(r"(\d*)\s*([+x×]?)", text.strip())
    if not match:
        raise SpecError(f"unreadable damage {text!r}")
    number, suffix = match.groups()
    return int(number or 0), {"+": "plus", "x": "times", "×": "times"}.get(suffix, "")


def load_cards(source: str) -> list[Card]:
    """The printings of a cards.json (path or URL) in file order, through the scraper's JSON tables."""
    tables = {t.name: t for t in convert(source, formats=("csv",)).tables}
    missing = {"cards", "cards_moves"} - set(tables)
    if missing:
        raise SpecError(f"not a Pocket card database: no {', '.join(sorted(missing))} table", file=source)
    moves: dict[str, list[Attack]] = {}
    for m in _records(tables["cards_moves"]):
        damage, mod = parse_damage(m["damage"])
        moves.setdefault(m["card_id"], []).append(Attack(m["name"], parse_cost(m["energy"]), damage, mod,
                                                         m.get("description", "")))  # fmt: skip
    abilities = {a["card_id"]: a for a in _records(tables["cards_ability"])} if "cards_ability" in tables else {}
    cards = []
    for r in _records(tables["cards"]):
        kind = {"Item": "item", "Supporter": "supporter"}.get(r["type"], "pokemon")
        card = Card(r["id"], r["card_name"], kind)
        if kind == "pokemon":
            card.stage = STAGES[r["stage"]]
            card.type = r["type"].lower()
            card.hp = int(r["hp"])
            card.weakness = r["weakness"].lower() or "none"
            card.retreat = int(r["retreat_cost"])
            card.evolves_from = r["evolves_from"]
            card.attacks = moves.get(card.id, [])
            if card.id in abilities:
                card.ability = abilities[card.id]["name"]
                card.ability_text = abilities[card.id].get("description", "")
        cards.append(card)
    return cards


def _fold(name: str) -> str:
    """A name without accents, lower case: 'Flabébé' -> 'flabebe'."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()


@dataclass
class LogRow:
    """One line of the corrections log: what the data step did with one listed or derived fact."""

    id: str
    name: str
    field: str
    before: str
    after: str
    verdict: str  # corrections.csv's likely_right, or "derived"
    reason: str
    applied: bool

    def row(self) -> list[str]:
        """The log row's CSV cells, in LOG_HEADER order."""
        return [self.id, self.name, self.field, self.before, self.after, self.verdict, self.reason,
                "yes" if self.applied else "no"]  # fmt: skip


LOG_HEADER = ["id", "name", "field", "before", "after", "verdict", "reason", "applied"]


def _shown(value: object) -> str:
    """A value as the log shows it: a cost as 'colorless x2 + grass', empty as '(none)'."""
    if isinstance(value, Counter):
        return " + ".join(f"{t} x{n}" if n > 1 else t for t, n in sorted(value.items())) or "(none)"
    return "(none)" if value in ("", None) else str(value)


def _attack(card: Card, field_name: str) -> Attack:
    """The attack a corrections.csv field such as 'attack2.energy' names (1-based)."""
    index = int(field_name.split(".")[0].removeprefix("attack")) - 1
    if index >= len(card.attacks):
        raise SpecError(f"correction {card.id} {field_name}: the card has {len(card.attacks)} attacks")
    return card.attacks[index]


def _apply(card: Card, field_name: str, value: str) -> tuple[str, str]:
    """Set one field from corrections.csv's `other_value`; returns (before, after) as shown in the log."""
    if field_name == "attack_count":
        name = value.split(":", 1)[1].strip()
        before = str(len(card.attacks))
        card.attacks.append(replace(LOST_ATTACKS[name], cost=Counter(LOST_ATTACKS[name].cost)))
        return before, f"{len(card.attacks)}: {name}"
    if field_name.startswith("attack"):
        attack = _attack(card, field_name)
        part = field_name.split(".")[1]
        if part == "name":
            before, attack.name = attack.name, value
            return before, value
        if part == "damage":
            before_damage = attack.damage
            attack.damage = int(value)
            return str(before_damage), value
        if part == "energy":
            old, attack.cost = attack.cost, _energy(value)
            return _shown(old), _shown(attack.cost)
    if field_name in ("hp", "retreat_cost"):
        attr = "hp" if field_name == "hp" else "retreat"
        before_number = getattr(card, attr)
        setattr(card, attr, int(value))
        return str(before_number), value
    if field_name in ("weakness", "evolves_from", "name"):
        before_text = getattr(card, field_name)
        setattr(card, field_name, value.lower() if field_name == "weakness" else value)
        return _shown(before_text), value
    raise SpecError(f"correction field {field_name!r} is not known to the data step")


def _energy(text: str) -> Counter[str]:
    """'Colorless x2 + Grass' (corrections.csv's way of writing a cost) -> {colorless: 2, grass: 1}."""
    cost: Counter[str] = Counter()
    for chunk in text.split("+"):
        symbol, _, times = chunk.strip().partition(" x")
        if symbol.strip() and symbol.strip() != "(none)":
            cost[symbol.strip().lower()] += int(times or 1)
    return cost


def _matches(field_name: str, before: str, listed: str) -> bool:
    """Whether the value the card had is the `mit_value` corrections.csv lists (it read the same file)."""
    if field_name.endswith(".energy"):
        return _energy(before) == _energy(listed)
    if field_name.endswith(".damage"):
        listed = listed.rstrip("+x×")
    norm = {"(none)": ""}
    return norm.get(before, before).lower() == norm.get(listed, listed).lower()


def apply_corrections(cards: list[Card], path: Path) -> list[LogRow]:
    """Apply corrections.csv: `other` verdicts set the other value, `mit` and `unsure` keep ours.

    Every listed fact gets a log row; then names a correction changed are followed into
    `evolves_from`, and an `evolves_from` that matches a card name only without accents is set to
    that name (derived rows). Fossils become kind `fossil` (a finer kind than the printed Item).
    """
    by_id = {c.id: c for c in cards}
    log: list[LogRow] = []
    renamed: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for r in rows:
        card = by_id.get(r["id"])
        if card is None:
            raise SpecError(f"corrections.csv names {r['id']}, which is not in the card list", file=str(path))
        verdict, field_name = r["likely_right"], r["field"]
        if field_name == "trainer_type":  # the printed kind stays Item; `fossil` is our finer kind
            log.append(LogRow(card.id, card.name, "kind", r["mit_value"], "fossil", verdict, r["reason"], False))
            continue
        if verdict != "other":
            log.append(LogRow(card.id, card.name, field_name, r["mit_value"], r["mit_value"], verdict, r["reason"],
                              False))  # fmt: skip
            continue
        old_name = card.name
        before, after = _apply(card, field_name, r["other_value"])
        if not _matches(field_name, before, r["mit_value"]):
            raise SpecError(f"corrections.csv: {card.id} {field_name} lists {r['mit_value']!r} but the card has "
                            f"{before!r}: is it the same cards.json?", file=str(path))  # fmt: skip
        if field_name == "name":
            renamed[old_name] = card.name
        log.append(LogRow(card.id, old_name, field_name, before, after, verdict, r["reason"], True))
    names = {c.name for c in cards}
    folded = {_fold(n): n for n in names}
    for card in cards:
        target = renamed.get(card.evolves_from, card.evolves_from)
        if target and target not in names and _fold(target) in folded:
            target = folded[_fold(target)]
        if target != card.evolves_from:
            log.append(LogRow(card.id, card.name, "evolves_from", card.evolves_from, target, "derived",
                              "name", True))  # fmt: skip
            card.evolves_from = target
    for card in cards:
        if card.name in ("Helix Fossil", "Dome Fossil", "Old Amber"):
            card.kind, card.stage, card.type, card.hp, card.weakness = "fossil", "basic", "colorless", FOSSIL_HP, "none"
    return log
