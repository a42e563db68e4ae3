"""The data step: Pocket card database in, our committed tables out (`specc cards SOURCE -o data/ptcgp`).

Reads SOURCE/cards.json (through `specc scrape`'s JSON reader), applies SOURCE/corrections.csv and
the facts of TRAINERS.md (restated in cards.py and effects.py), classifies every effect, names and
checks the decks of SOURCE/decks.csv, and writes:

* `cards.csv`: one row per printing, facts and our encoding only (no card text);
* `corrections_log.csv`: every correction listed (applied or not, and why) and every derived fix;
* `effects.csv`: one row per step of every attack effect, ability and Trainer;
* `mechanics.csv`: the mechanics vocabulary with counts, level and needed language features;
* `decks.csv` and `deck_lists.csv`: the valid decks (name, energy) and their cards;
* `spec_*.csv`: the tables specs/ptcgp.yaml loads (the decks there: the real ones, then the
  coverage decks of coverage.py, which hold every printing the real decks leave out).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from specc.errors import SpecError

from ..output import write_atomic
from .cards import ENERGY, LOG_HEADER, Card, LogRow, apply_corrections, load_cards
from .coverage import coverage_decks
from .decks import Deck, check_deck, load_decks
from .effects import ABILITIES, EFFECTS, TRAINER_EFFECTS, UNCERTAIN, Step, attack_key, parse_steps
from .mechanics import MECHANICS, level, needs
from .spec_table import coverage, spec_tables

MAX_ATTACKS = 2
EFFECT_HEADER = ["id", "name", "source", "index", "effect", "when", "step", "mechanic", "params", "level", "needs",
                 "uncertain"]  # fmt: skip


@dataclass
class Built:
    """Everything the data step made, before writing: the files' texts and what to report."""

    cards: list[Card]
    log: list[LogRow]
    effects: list[list[str]]
    decks: list[Deck]
    dropped: dict[str, list[str]] = field(default_factory=dict)  # deck name -> its errors
    files: dict[str, str] = field(default_factory=dict)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    """A CSV file's text: the header, then the rows (quoted where needed, \\n line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def card_rows(cards: list[Card], with_effect: set[tuple[str, int]]) -> tuple[list[str], list[list[str]]]:
    """cards.csv: facts per printing; attack costs one column per energy symbol."""
    header = ["id", "set", "number", "name", "kind", "stage", "type", "hp", "weakness", "retreat", "evolves_from",
              "ex", "ability", "attacks"]  # fmt: skip
    for k in range(1, MAX_ATTACKS + 1):
        header += [f"attack{k}_name", *(f"attack{k}_{e}" for e in ENERGY), f"attack{k}_damage",
                   f"attack{k}_damage_mod", f"attack{k}_effect"]  # fmt: skip
    rows = []
    for c in cards:
        if len(c.attacks) > MAX_ATTACKS:
            raise SpecError(f"{c.id} {c.name} has {len(c.attacks)} attacks; cards.csv holds {MAX_ATTACKS}")
        row = [c.id, c.set, c.id.rsplit(" ", 1)[1], c.name, c.kind, c.stage, c.type, "" if c.hp is None else str(c.hp),
               c.weakness, "" if c.retreat is None else str(c.retreat), c.evolves_from,
               "true" if c.ex else "false", c.ability, str(len(c.attacks))]  # fmt: skip
        for k in range(MAX_ATTACKS):
            if k < len(c.attacks):
                a = c.attacks[k]
                row += [a.name, *(str(a.cost.get(e, 0)) for e in ENERGY), str(a.damage), a.damage_mod,
                        "true" if (c.id, k + 1) in with_effect else "false"]  # fmt: skip
            else:
                row += [""] * (len(ENERGY) + 4)
        rows.append(row)
    return header, rows


def check_numbers(steps: list[Step], text: str, where: str) -> None:
    """Every number of the card's text (other than 1) appears among the encoding's coefficients."""
    values = {n for s in steps for v in s.params.values() for n in re.findall(r"\d+", v)}
    missing = [n for n in re.findall(r"\d+", text) if n != "1" and n not in values]
    if missing:
        raise SpecError(f"{where}: the encoding has no {', '.join(missing)} (a number of the card's text)")


def effect_rows(cards: list[Card]) -> list[list[str]]:
    """effects.csv: one row per step; every attack with text, every ability and Trainer is encoded."""
    rows: list[list[str]] = []

    def add(card: Card, source: str, index: int, effect: str, when: str, encoded: str, note: str) -> None:
        steps = parse_steps(encoded)
        for n, step in enumerate(steps, start=1):
            if step.mechanic not in MECHANICS:
                raise SpecError(f"{card.id} {effect}: mechanic {step.mechanic!r} is not in the vocabulary")
            rows.append([card.id, card.name, source, str(index), effect, when, str(n), step.mechanic, step.text(),
                         level(step, steps, when), " ".join(needs(step, when)), note])  # fmt: skip

    for card in cards:
        for k, attack in enumerate(card.attacks, start=1):
            if not attack.text.strip():
                continue
            key = attack_key(attack.name, card.id, card.name)
            if key is None:
                raise SpecError(f"{card.id} {card.name}: attack {attack.name} has an effect but no encoding")
            check_numbers(parse_steps(EFFECTS[key]), attack.text, f"{card.id} {attack.name}")
            add(card, "attack", k, attack.name, "attack", EFFECTS[key], UNCERTAIN.get(key, ""))
        if card.ability:
            if card.ability not in ABILITIES:
                raise SpecError(f"{card.id} {card.name}: ability {card.ability} has no encoding")
            when, encoded = ABILITIES[card.ability]
            check_numbers(parse_steps(encoded), card.ability_text, f"{card.id} {card.ability}")
            add(card, "ability", 1, card.ability, when, encoded, UNCERTAIN.get(card.ability, ""))
        if card.kind in ("item", "supporter", "fossil"):
            if card.name not in TRAINER_EFFECTS:
                raise SpecError(f"{card.id} {card.name}: Trainer without an encoding")
            when = "play" if card.kind != "fossil" else "play_as_pokemon"
            add(card, card.kind, 1, card.name, when, TRAINER_EFFECTS[card.name], UNCERTAIN.get(card.name, ""))
    return rows


def mechanic_rows(effects: list[list[str]]) -> list[list[str]]:
    """mechanics.csv: per mechanic its meaning, printings and distinct encodings using it, levels, needs."""
    out = []
    for mechanic, meaning in MECHANICS.items():
        uses = [r for r in effects if r[7] == mechanic]
        levels = sorted({r[9] for r in uses}, key=["today", "spec", "language"].index)
        feature = sorted({f for r in uses for f in r[10].split()})
        out.append([mechanic, meaning, str(len({r[0] for r in uses})), str(len({(r[7], r[8]) for r in uses})),
                    " ".join(levels), " ".join(feature)])  # fmt: skip
    return out


def deck_tables(decks: list[Deck], cards: dict[str, Card]) -> tuple[str, str]:
    """decks.csv (name, energy, cards, source row) and deck_lists.csv (deck, id, name, copies)."""
    info = [[d.name, " ".join(d.energy), str(len(d.cards)), str(d.row)] for d in decks]
    lists = []
    for d in decks:
        for ident, copies in Counter(d.cards).items():
            lists.append([d.name, ident, cards[ident].name, str(copies)])
    return (_csv(["name", "energy", "cards", "source_row"], info),
            _csv(["deck", "id", "name", "copies"], lists))  # fmt: skip


def build(source: Path, cards_source: str | None = None) -> Built:
    """Run the data step on SOURCE (a folder with cards.json, corrections.csv, decks.csv); write nothing."""
    for name in ("corrections.csv", "decks.csv"):
        if not (source / name).is_file():
            raise SpecError(f"no {name} in the source folder", file=str(source))
    cards = load_cards(cards_source or str(source / "cards.json"))
    log = apply_corrections(cards, source / "corrections.csv")
    by_id = {c.id: c for c in cards}
    effects = effect_rows(cards)
    with_effect = {(r[0], int(r[3])) for r in effects if r[2] == "attack"}
    decks, dropped = [], {}
    for deck in load_decks(source / "decks.csv", by_id):
        errors = check_deck(deck, by_id)
        if errors:
            dropped[deck.name] = errors
        else:
            decks.append(deck)
    built = Built(cards, log, effects, decks, dropped)
    header, rows = card_rows(cards, with_effect)
    deck_info, deck_lists = deck_tables(decks, by_id)
    built.files = {
        "cards.csv": _csv(header, rows),
        "corrections_log.csv": _csv(LOG_HEADER, [r.row() for r in log]),
        "effects.csv": _csv(EFFECT_HEADER, effects),
        "mechanics.csv": _csv(["mechanic", "meaning", "printings", "encodings", "levels", "needs"],
                              mechanic_rows(effects)),  # fmt: skip
        "decks.csv": deck_info,
        "deck_lists.csv": deck_lists,
    }
    # the spec's deck tables: the real decks, then ours that hold every other printing (coverage.py)
    for name, table in spec_tables(cards, effects, decks + coverage_decks(cards, decks)).items():
        built.files[name] = _csv(table[0], table[1:])
    return built


LEVELS = ("today", "spec", "language")


def _worst(levels: list[str]) -> str:
    """The hardest of some levels (today < spec < language)."""
    return max(levels, key=LEVELS.index)


def effect_counts(effects: list[list[str]]) -> dict[str, Counter[str]]:
    """Counts for the report: effects (printings) and distinct encodings by their hardest step's level,
    and by each language feature they need; mechanics by the easiest level of their uses."""
    steps: dict[tuple[str, str, str], list[list[str]]] = {}
    for r in effects:
        steps.setdefault((r[0], r[2], r[3]), []).append(r)
    encodings = {(v[0][5], " ; ".join(f"{r[7]} {r[8]}" for r in v)): v for v in steps.values()}
    mechanics: dict[str, list[str]] = {}
    for r in effects:
        mechanics.setdefault(r[7], []).append(r[9])
    return {
        "effects": Counter(_worst([r[9] for r in v]) for v in steps.values()),
        "encodings": Counter(_worst([r[9] for r in v]) for v in encodings.values()),
        "features": Counter(f for v in encodings.values() for f in sorted({f for r in v for f in r[10].split()})),
        "mechanics": Counter(min(levels, key=LEVELS.index) for levels in mechanics.values()),
    }


def summary(built: Built) -> list[str]:
    """The report lines `specc cards` prints: counts of cards, corrections, effects, mechanics, decks."""
    kinds = Counter(c.kind for c in built.cards)
    applied = sum(r.applied for r in built.log if r.verdict != "derived")
    derived = sum(r.verdict == "derived" for r in built.log)
    counts = effect_counts(built.effects)

    def levels(c: Counter[str]) -> str:
        return f"{sum(c.values())} ({', '.join(f'{c[k]} {k}' for k in LEVELS)})"

    lines = [
        f"{len(built.cards)} printings: {kinds['pokemon']} Pokémon, {kinds['item'] + kinds['supporter']} Trainers "
        f"({kinds['supporter']} Supporters, {kinds['item']} Items) and {kinds['fossil']} Fossils",
        f"corrections: {applied} of {len(built.log) - derived} listed facts applied, {derived} derived fixes",
        f"effects: {levels(counts['effects'])} in {len(built.effects)} steps; distinct encodings: "
        f"{levels(counts['encodings'])}",
        f"mechanics: {levels(counts['mechanics'])} by their easiest use",
        "language features (distinct encodings needing each): "
        + ", ".join(f"{f} {n}" for f, n in counts["features"].most_common()),
        f"decks: {len(built.decks)} valid, {len(built.dropped)} dropped",
    ]
    cover = coverage(built.effects)
    lines.append(f"specs/ptcgp.yaml encodes (spec_cards.csv): effects whole {cover['effects']['whole']}, part "
                 f"{cover['effects']['part']}, none {cover['effects']['none']}; steps {sum(cover['done'].values())} "
                 f"of {len(built.effects)}; mechanics with an encoded step {len(cover['done'])} of {len(MECHANICS)}")
    for errors in built.dropped.values():
        lines += [f"  dropped {e}" for e in errors]
    return lines


def write(built: Built, out: Path) -> list[Path]:
    """Write the tables into `out` (atomically, each file)."""
    paths = []
    for name, text in built.files.items():
        write_atomic(out / name, text.encode("utf-8"))
        paths.append(out / name)
    return paths


def stale(built: Built, out: Path) -> list[str]:
    """The files in `out` that differ from what the data step makes now."""
    return [n for n, t in built.files.items() if not (out / n).is_file() or (out / n).read_text("utf-8") != t]
