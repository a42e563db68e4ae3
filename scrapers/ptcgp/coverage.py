"""Coverage decks: legal decks that hold every printing the real decks leave out (or hold
where random play cannot use it: a Golem without its Graveler, an attack the energy cannot pay).

The 14 real decks carry about a fifth of the pool's effects, so random games between them never
play most cards. These decks are ours, made so that random games can reach every card: each
printing outside the real decks appears in at least one of them. They follow the game's rules
(`check_deck`): 20 cards, at most 2 of a name, a Basic Pokémon, 1 to 3 energy types that pay the
deck's attacks. The spec appends them after the real decks and draws only among the real ones
unless told otherwise (its constant DRAWN_DECKS).

How a deck is made (deterministic, in card-id order): a printing's *line* is the printing with
the cards it evolves from (a Basic, or a Fossil for the fossil Pokémon); lines are grouped by
the energy types their attacks need and packed into decks, two copies of each card where the
2-of-a-name rule allows, up to POKEMON_SLOTS Pokémon; then up to NEW_TRAINERS Trainers no deck
holds yet that the deck can play (a type filter its energy, a name filter one of its Pokémon;
a Trainer with a name filter no deck meets gets a deck around those Pokémon), Basics the
deck's energy pays for (to 16 cards) and other Trainers, to 20.
"""

from __future__ import annotations

import re
from collections import Counter

from .cards import Card
from .decks import DECK_SIZE, MAX_COPIES, ZONE_TYPES, Deck, check_deck, payable
from .effects import TRAINER_EFFECTS

POKEMON_SLOTS = 14  # room for Trainers: at least 6 of the 20 cards
NEW_TRAINERS = 4  # Trainers no deck holds yet, per deck (spread over the decks)


def _needs(card: Card) -> frozenset[str]:
    """The energy types (of those a Zone makes) the card's attacks name, or its own type."""
    typed = {t for a in card.attacks for t in a.cost if t != "colorless"}
    typed &= set(ZONE_TYPES)
    if not typed and card.type in ZONE_TYPES:
        typed = {card.type}
    return frozenset(typed)


def _wants(trainer: Card) -> tuple[str, list[str]]:
    """What a Trainer needs in play to be played at all: ("type", [t]) for a type filter,
    ("names", [...]) for a name filter (Brock: Golem or Onix), ("", []) for nothing."""
    found = re.search(r"filter=(type|name):(.+?)(?= \w+=| ;|$)", TRAINER_EFFECTS.get(trainer.name, ""))
    if not found:
        return "", []
    return ("type", [found[2]]) if found[1] == "type" else ("names", found[2].split("|"))


def _line(card: Card, by_name: dict[str, list[Card]]) -> list[Card] | None:
    """The card and what it evolves from, Basic (or Fossil) first; None if a link is missing."""
    line = [card]
    while line[0].evolves_from:
        parents = by_name.get(line[0].evolves_from)
        if not parents:
            return None
        line.insert(0, parents[0])  # the first printing of the name
    return line


def _usable(card: Card, deck: Deck, by_id: dict[str, Card]) -> bool:
    """Whether random play with `deck` can use all of the card's effects: a Pokémon comes into
    play (the deck holds what it evolves from, all the way down) and the energy pays all its
    attacks; a Trainer finds what it needs in play (a type the energy makes, a named Pokémon
    that can come into play). A real deck's card that is not usable goes in a coverage deck."""
    names = {by_id[i].name: by_id[i] for i in deck.cards}
    if card.kind == "pokemon":
        c = card
        while c.evolves_from:
            if c.evolves_from not in names:
                return False
            c = names[c.evolves_from]
        return all(payable(a, deck.energy) for a in card.attacks)
    kind, wanted = _wants(card)
    if kind == "type":
        return wanted[0] in deck.energy
    if kind == "names":
        return any(n in names and _usable(names[n], deck, by_id) for n in wanted)
    return True


def coverage_decks(cards: list[Card], real: list[Deck]) -> list[Deck]:
    """Legal decks holding every printing that no real deck holds (see the module docstring);
    a deck that cannot be made legal (too few names in the pool) is left out."""
    by_id = {c.id: c for c in cards}
    by_name: dict[str, list[Card]] = {}
    for c in cards:
        by_name.setdefault(c.name, []).append(c)
    covered = {i for d in real for i in d.cards if _usable(by_id[i], d, by_id)}
    pokemon = [c for c in cards if c.kind == "pokemon" and c.id not in covered]
    trainers = [c for c in cards if c.kind in ("item", "supporter", "fossil") and c.id not in covered]
    lines = [ln for c in pokemon if (ln := _line(c, by_name)) is not None]
    # group by the energy the line's attacks need: one deck type (or a few) per group
    lines.sort(key=lambda ln: (sorted(frozenset().union(*map(_needs, ln))), ln[-1].id))
    decks: list[Deck] = []
    current: list[str] = []
    energy: set[str] = set()
    done: set[str] = set()

    def room(ids: list[str]) -> bool:
        names = Counter(by_id[i].name for i in current + ids)
        return len(current) + len(ids) <= POKEMON_SLOTS and max(names.values()) <= MAX_COPIES

    def close() -> None:
        nonlocal current, energy
        if current:
            decks.append(_finish(current, sorted(energy) or ["colorless"], trainers, done, by_id, len(decks) + 1))
        current, energy = [], set()

    for ln in lines:
        if ln[-1].id in done:
            continue
        need = set().union(*map(_needs, ln))
        ids = []
        for c in ln:  # two of each card of the line where the name allows
            copies = MAX_COPIES - Counter(by_id[i].name for i in current + ids)[c.name]
            ids += [c.id] * max(0, min(2, copies))
        if not ids or len(energy | need) > 3 or not room(ids):
            close()
            ids = [c.id for c in ln for _ in range(2)]
        current += ids
        energy |= need
        done.update(c.id for c in ln)
    close()
    for t in trainers:  # a Trainer that needs named Pokémon in play: a deck around them (Brock: Golem, Onix)
        kind, names = _wants(t)
        if t.id in done or kind != "names":
            continue
        for name in names:
            for c in (_line(by_name[name][0], by_name) or []) if name in by_name else []:
                if room([c.id, c.id]):
                    current += [c.id, c.id]
                    energy |= _needs(c)
        close()
    while any(t.id not in done for t in trainers):  # Trainers left over: decks around a Basic
        basic = next(c for c in cards if c.kind == "pokemon" and c.stage == "basic" and not c.evolves_from)
        current, energy = [basic.id, basic.id], set(_needs(basic))
        close()
    # a deck the rules refuse is left out (a pool too small for 20 cards at 2 of a name: the test
    # fixtures); the committed tables' test checks that the real pool's decks hold every printing
    return [d for d in decks if not check_deck(d, by_id)]


def _finish(pokemon: list[str], energy: list[str], trainers: list[Card], done: set[str],
            by_id: dict[str, Card], number: int) -> Deck:  # fmt: skip
    """The deck: its Pokémon, then Trainers no deck holds yet, then fillers, to 20 cards."""
    ids = list(pokemon)
    names = Counter(by_id[i].name for i in ids)

    def add(card: Card, copies: int) -> None:
        for _ in range(copies):
            if len(ids) < DECK_SIZE and names[card.name] < MAX_COPIES:
                ids.append(card.id)
                names[card.name] += 1

    types = [t for t in energy if t in ZONE_TYPES][:3] or ["grass"]
    basics = [c for c in by_id.values() if c.kind == "pokemon" and c.stage == "basic" and _needs(c) <= set(types)]
    if not any(by_id[i].kind == "pokemon" and by_id[i].stage == "basic" for i in ids):
        add(basics[0], MAX_COPIES)  # a deck needs a Basic (a Fossil is not one)
    held = set(names)

    def playable(t: Card) -> bool:  # the deck holds what the Trainer needs in play
        kind, wanted = _wants(t)
        return not kind or (kind == "type" and wanted[0] in energy) or (kind == "names" and bool(held & set(wanted)))

    for t in [t for t in trainers if t.id not in done and playable(t)][:NEW_TRAINERS]:
        add(t, 1)
        done.add(t.id)
    # fillers: Basics the deck's energy pays for (to 16 cards), then Items and Supporters, then Basics
    trainer_fill = [c for c in by_id.values() if c.kind == "item"]
    trainer_fill += [c for c in by_id.values() if c.kind == "supporter"]
    for c in basics:
        if len(ids) < DECK_SIZE - 4:
            add(c, MAX_COPIES)
    for c in trainer_fill + basics:
        add(c, MAX_COPIES)
    return Deck(f"Coverage {number}", ids, types, 0)
