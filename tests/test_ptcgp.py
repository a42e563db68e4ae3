"""The Pocket data step (`specc cards`): corrections, effect encoding, decks and their check.

The step runs on our own invented source folder (tests/data/ptcgp: cards.json in the real
database's format, corrections.csv, decks.csv). The last tests read the committed tables in
data/ptcgp, and check them fresh when the shared source data is on this machine.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from scrapers.ptcgp.build import Built, build, check_numbers, stale
from scrapers.ptcgp.cards import parse_damage
from scrapers.ptcgp.decks import Deck, check_deck, read_rows, unpaid_attacks
from scrapers.ptcgp.effects import ABILITIES, EFFECTS, TRAINER_EFFECTS, Step, parse_steps
from scrapers.ptcgp.mechanics import MECHANICS
from scrapers.ptcgp.pool import read_pool
from scrapers.ptcgp.spec_table import ATTACK_TYPES
from specc.cli import main
from specc.errors import SpecError

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "data" / "ptcgp"
DATA = ROOT / "data" / "ptcgp"
SHARED = ROOT.parent / "shared" / "data" / "ptcgp"


@pytest.fixture(scope="module")
def built() -> Built:
    """The data step's output for the fixture folder (built once)."""
    return build(SOURCE)


def pick(row: dict[str, str], *columns: str) -> tuple[str, ...]:
    return tuple(row[c] for c in columns)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.splitlines()))


def test_cards_are_corrected_and_encoded(built: Built) -> None:
    cards = {r["id"]: r for r in _rows(built.files["cards.csv"])}
    assert len(cards) == 12
    sprout, bramble, volt, wyrm, mole = (cards[f"T1 00{n}"] for n in range(1, 6))
    assert sprout["hp"] == "70" and cards["T1 006"]["hp"] == "60"  # corrected on one printing only
    assert pick(bramble, "evolves_from", "attack1_name", "attack2_name") == ("Sproutle", "Mega Drain", "Stomp")
    assert pick(bramble, "attack2_grass", "attack2_colorless", "attack2_damage", "attack2_damage_mod",
                "attack2_effect") == ("1", "2", "30", "plus", "true")  # fmt: skip
    assert volt["retreat"] == "1"  # `unsure`: kept
    assert pick(volt, "ex", "ability", "attack1_lightning", "attack1_damage_mod") == ("true", "Volt Charge", "2",
                                                                                      "times")  # fmt: skip
    assert pick(wyrm, "type", "weakness", "attack1_water", "attack1_lightning") == ("dragon", "none", "1", "1")
    assert pick(mole, "attacks", "attack1_name", "attack1_fighting", "attack1_damage") == ("1", "Mud-Slap", "1", "20")
    assert pick(cards["T1 009"], "kind", "stage", "type", "hp", "retreat") == ("fossil", "basic", "colorless", "40", "")
    assert [cards[f"T1 0{n}"]["kind"] for n in ("07", "08", "10", "11")] == ["item", "supporter", "item", "supporter"]
    assert "description" not in built.files["cards.csv"] and "Toss a coin" not in built.files["cards.csv"]


def test_every_correction_is_logged(built: Built) -> None:
    log = [pick(r, "id", "field", "before", "after", "applied") for r in _rows(built.files["corrections_log.csv"])]
    assert log == [
        ("T1 001", "hp", "60", "70", "yes"),
        ("T1 002", "evolves_from", "(none)", "Sproutle", "yes"),
        ("T1 002", "attack2.energy", "grass", "colorless x2 + grass", "yes"),
        ("T1 002", "attack1.name", "Mega Drian", "Mega Drain", "yes"),
        ("T1 003", "retreat_cost", "1", "1", "no"),
        ("T1 005", "attack_count", "0", "1: Mud-Slap", "yes"),
        ("T1 009", "kind", "Item", "fossil", "no"),
    ]


def test_a_correction_of_another_file_is_refused(tmp_path: Path) -> None:
    for name in ("cards.json", "decks.csv"):
        (tmp_path / name).write_bytes((SOURCE / name).read_bytes())
    (tmp_path / "corrections.csv").write_text("id,name,field,mit_value,other_value,likely_right,reason\n"
                                              "T1 001,Sproutle,hp,50,70,other,corroborated\n")  # fmt: skip
    with pytest.raises(SpecError, match="T1 001 hp lists '50' but the card has '60'"):
        build(tmp_path)


def test_effects_are_steps_with_coefficients(built: Built) -> None:
    rows = [(r["id"], r["source"], r["index"], r["step"], r["mechanic"], r["params"], r["level"], r["needs"])
            for r in _rows(built.files["effects.csv"])]  # fmt: skip
    assert rows[:4] == [
        ("T1 002", "attack", "1", "1", "heal", "target=self amount=30", "today", ""),
        ("T1 002", "attack", "2", "1", "flip", "coins=1", "today", ""),
        ("T1 002", "attack", "2", "2", "damage_bonus", "amount=30 if=heads", "today", ""),
        ("T1 003", "attack", "1", "1", "damage_per", "per=30 count=own_bench filter=type:lightning add=no", "spec", ""),
    ]
    assert ("T1 003", "ability", "1", "1", "attach_energy", "target=self n=1 type=lightning", "spec", "") in rows
    assert ("T1 011", "supporter", "1", "1", "switch", "target=defender chooser=opponent", "language", "choice") in rows
    assert [r[4] for r in rows if r[0] == "T1 009"] == ["fossil", "discard_self", "cant_retreat"]
    mechanics = {r["mechanic"]: r for r in _rows(built.files["mechanics.csv"])}
    assert mechanics["heal"]["printings"] == "2" and mechanics["heal"]["levels"] == "today language"


def test_the_encoding_tables_are_well_formed() -> None:
    encoded = list(EFFECTS.values()) + [e for _, e in ABILITIES.values()] + list(TRAINER_EFFECTS.values())
    for text in encoded:
        for step in parse_steps(text):
            assert step.mechanic in MECHANICS, text
    assert parse_steps("search_deck n=1 filter=name:Mew ex to=hand") == [
        Step("search_deck", {"n": "1", "filter": "name:Mew ex", "to": "hand"})]  # fmt: skip
    with pytest.raises(ValueError, match="'x' is not key=value"):
        parse_steps("heal x")
    check_numbers(parse_steps("flip coins=2 ; damage_bonus amount=80"), "Flip 2 coins; 80 more; 1 of", "here")
    with pytest.raises(SpecError, match="here: the encoding has no 40"):
        check_numbers(parse_steps("heal amount=30"), "Heal 40 damage.", "here")
    assert [parse_damage(t) for t in ("30+", "50x", "", "120")] == [(30, "plus"), (50, "times"), (0, ""), (120, "")]


def test_decks_are_named_and_checked(built: Built) -> None:
    assert _rows(built.files["decks.csv"]) == [
        {"name": "Voltmouse ex", "energy": "grass water lightning", "cards": "20", "source_row": "1"}]  # fmt: skip
    lists = _rows(built.files["deck_lists.csv"])
    assert sum(int(r["copies"]) for r in lists) == 20 and lists[0] == {"deck": "Voltmouse ex", "id": "T1 001",
                                                                       "name": "Sproutle", "copies": "1"}  # fmt: skip
    assert built.dropped == {"Bramble": [
        "deck Bramble: at most 2 of a name: 8 x Potion (T1 007)",
        "deck Bramble: a Basic Pokémon: it has none",
        "deck Bramble: energy covers attacks: Bramble (T1 002) can use no attack without grass",
    ]}  # fmt: skip


def test_deck_rules_one_by_one(built: Built) -> None:
    cards = {c.id: c for c in built.cards}
    good = ["T1 001", "T1 006"] + [f"T1 0{n:02d}" for n in (2, 3, 4, 7, 8, 9, 10, 11, 12) for _ in range(2)]
    assert check_deck(Deck("Good", good, ["grass", "water", "lightning"]), cards) == []
    # two printings of one name count together
    three = Deck("Three", ["T1 001", "T1 006", "T1 001"] + good[3:], ["grass", "water", "lightning"])
    assert check_deck(three, cards) == ["deck Three: at most 2 of a name: 3 x Sproutle (T1 001, T1 006)"]
    assert check_deck(Deck("Short", good[:19], ["grass", "water", "lightning"]), cards) == [
        "deck Short: 20 cards: it has 19"]  # fmt: skip
    assert check_deck(Deck("Odd", good[:19] + ["Z9 999"], ["metal", "fairy"]), cards) == [
        "deck Odd: known cards: no card Z9 999",
        "deck Odd: energy types: fairy is not a type an Energy Zone makes (grass, fire, water, lightning, psychic, "
        "fighting, darkness, metal)",
        "deck Odd: energy covers attacks: Bramble (T1 002) can use no attack without grass",
        "deck Odd: energy covers attacks: Wyrmling (T1 004) can use no attack without lightning, water",
    ]  # fmt: skip
    # without grass: Sproutle still evolves into Bramble and Voltmouse ex has an ability, but Bramble is dead
    light = Deck("Light", good, ["lightning", "water"])
    assert check_deck(light, cards) == [
        "deck Light: energy covers attacks: Bramble (T1 002) can use no attack without grass"]  # fmt: skip
    assert unpaid_attacks(light, cards) == [
        "Sproutle (T1 001) Vine Whip: grass", "Sproutle (T1 006) Vine Whip: grass",
        "Bramble (T1 002) Mega Drain: grass", "Bramble (T1 002) Stomp: grass",
    ]  # fmt: skip
    strict = check_deck(light, cards, strict=True)
    assert len(strict) == 4
    assert strict[0] == "deck Light: energy covers attacks: Sproutle (T1 001) Vine Whip needs grass"


def test_deck_rows_need_31_fields(tmp_path: Path) -> None:
    (tmp_path / "decks.csv").write_text("A1 001,1,0\n")
    with pytest.raises(SpecError, match="row 1 has 3 fields, expected 31"):
        read_rows(tmp_path / "decks.csv")
    assert read_rows(SOURCE / "decks.csv")[1][1] == ["water"]  # flag 23 of 31: Water


def test_cli_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cards", str(SOURCE), "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "12 printings: 6 Pokémon, 5 Trainers (2 Supporters, 3 Items) and 1 Fossils" in out
    assert "corrections: 5 of 7 listed facts applied, 0 derived fixes" in out
    assert "effects: 10 (3 today, 5 spec, 2 language) in 13 steps; distinct encodings: 10 (3 today" in out
    assert "mechanics: 12 (4 today, 7 spec, 1 language) by their easiest use" in out
    assert "decks: 1 valid, 1 dropped" in out and f"wrote {tmp_path / 'effects.csv'}" in out
    assert main(["cards", str(SOURCE), "-o", str(tmp_path), "--check"]) == 0
    (tmp_path / "cards.csv").write_text("stale\n")
    assert main(["cards", str(SOURCE), "-o", str(tmp_path), "--check"]) == 1
    assert "cards.csv: stale" in capsys.readouterr().err


# --- the committed tables ----------------------------------------------------------------------


def _committed(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_committed_tables_hold_the_whole_pool() -> None:
    cards = _committed("cards.csv")
    assert len(cards) == 395 and Counter(c["set"] for c in cards) == {"A1": 286, "A1a": 86, "P-A": 23}
    assert Counter(c["kind"] for c in cards) == {"pokemon": 360, "supporter": 23, "item": 8, "fossil": 4}
    assert sum(c["ex"] == "true" for c in cards) == 57 and sum(c["ability"] != "" for c in cards) == 28
    assert sum(c["attack1_name"] != "" for c in cards) + sum(c["attack2_name"] != "" for c in cards) == 385
    by_id = {c["id"]: c for c in cards}
    assert by_id["A1 149"]["attack1_name"] == "Double-Edge" and by_id["A1 149"]["attack1_damage"] == "150"
    assert by_id["A1 154"]["attack1_damage"] == "0" and by_id["A1 181"]["hp"] == "70"  # Meltan: unsure, kept
    assert by_id["A1 166"]["name"] == "Nidoran♀" and by_id["A1a 037"]["evolves_from"] == "Flabebe"
    log = _committed("corrections_log.csv")
    assert len(log) == 116 and sum(r["applied"] == "yes" and r["verdict"] == "other" for r in log) == 110
    effects = _committed("effects.csv")
    assert len({(r["id"], r["source"], r["index"]) for r in effects}) == 236
    assert len({r["mechanic"] for r in effects}) == 40
    decks = _committed("decks.csv")
    assert len(decks) == 14 and "15" not in {d["source_row"] for d in decks}


def test_committed_decks_pass_the_check() -> None:
    cards, decks = read_pool(DATA)
    assert len(cards) == 395 and [d.name for d in decks][:3] == ["Mewtwo ex", "Gyarados ex", "Pikachu ex & Zapdos ex"]
    assert all(len(d.cards) == 20 for d in decks)
    assert {d.name: check_deck(d, cards) for d in decks} == {d.name: [] for d in decks}
    dragonite = decks[13]
    assert (dragonite.name, dragonite.energy, dragonite.row) == ("Dragonite", ["water", "lightning"], 14)
    assert unpaid_attacks(dragonite, cards) == [
        "Koffing (A1a 049) Division: darkness",
        "Weezing (A1 177) Tackle: darkness",
        "Mew ex (A1a 032) Psyshot: psychic",
    ]
    golem = cards["A1 149"].attacks[0]
    assert (golem.name, golem.cost, golem.damage, cards["A1 149"].retreat) == ("Double-Edge", {"fighting": 1,
                                                                                            "colorless": 3}, 150, 4)
    # a deck given as a parameter: the Mewtwo ex deck with a third Mewtwo ex
    extra = Deck("Three Mewtwo", decks[0].cards[:19] + ["A1 262"], ["psychic"])
    assert check_deck(extra, cards) == ["deck Three Mewtwo: at most 2 of a name: 3 x Mewtwo ex (A1 129, A1 262)"]


def test_coverage_decks_are_legal_and_hold_every_printing() -> None:
    """The spec's deck table: the 14 real decks, then our coverage decks (scrapers/ptcgp/coverage.py),
    every one legal, together holding all 395 printings (random games can reach every card)."""
    cards, real = read_pool(DATA)
    rows = _committed("spec_decks.csv")
    ids = [c["id"] for c in _committed("spec_cards.csv")]
    dealt: dict[int, list[str]] = {}
    for r in _committed("spec_deck_cards.csv"):
        dealt.setdefault(int(r["deck"]), []).append(ids[int(r["card"])])
    assert [r["name"] for r in rows[: len(real)]] == [d.name for d in real]
    assert all(dealt[d] == real[d].cards for d in range(len(real)))
    coverage = [Deck(r["name"], dealt[d], [ATTACK_TYPES[int(r[f"type{k}"])] for k in range(3) if r[f"type{k}"] != "-1"])
                for d, r in enumerate(rows) if d >= len(real)]  # fmt: skip
    assert len(coverage) == 66 and all(d.name.startswith("Coverage ") for d in coverage)
    assert {d.name: check_deck(d, cards) for d in coverage} == {d.name: [] for d in coverage}
    assert {i for d in real + coverage for i in d.cards} == set(cards)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Pocket source data is not on this machine")
def test_committed_tables_are_fresh() -> None:
    """If not: `specc cards ../shared/data/ptcgp -o data/ptcgp`."""
    assert stale(build(SHARED), DATA) == []
