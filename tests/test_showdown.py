"""Pokémon Showdown through our node bridge (showdown/bridge.js) and the committed Gen 1 tables.

These need node and `npm ci --prefix showdown`, which both README commands and CI run: without
them every test here fails with the SpecError saying what to install (no silent skip).

Damage is checked against the Gen 1 formula worked by hand (`gen1_damage`, the steps
Showdown's Gen 1 mod takes: level term, power, attack over defense, both quartered when
either is 256 or more, /50 + 2, STAB x1.5, type factors one at a time, then x roll/255 for
rolls 217..255), with every random draw given by the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scrapers.showdown import gen1_tables, run_export, to_csv
from specc.cli import main
from specc.verify.showdown import ShowdownBridge, ShowdownError, random_battles, require_showdown

DATA = Path(__file__).resolve().parents[1] / "data" / "gen1"
TAUROS = [{"species": "Tauros", "moves": ["bodyslam", "thunderbolt"]}]
SNORLAX_CHANSEY = [{"species": "Snorlax", "moves": ["bodyslam"]}, {"species": "Chansey", "moves": ["softboiled"]}]
HIT, NO_CRIT, MISS_100 = 0, 255, 255  # chance draws: a hit (0 < 255), no crit (255 >= 55), the 1/256 miss


@pytest.fixture(scope="module")
def bridge() -> Iterator[ShowdownBridge]:
    require_showdown()  # fails (not skips) with the command to run when the package is missing
    with ShowdownBridge() as sd:
        yield sd


def gen1_damage(level: int, power: int, attack: int, defense: int, stab: bool, factors: list[int], roll: int,
                crit: bool = False) -> int:  # fmt: skip
    """Gen 1 damage by hand; `factors`: per defending type, 20 super effective, 5 resisted, 10 neutral."""
    if crit:
        level *= 2
    if attack >= 256 or defense >= 256:
        attack, defense = max(attack // 4, 1), max(defense // 4, 1)
    damage = min((level * 2 // 5 + 2) * power * attack // defense // 50, 997) + 2
    if stab:
        damage += damage // 2
    for f in factors:
        damage = damage * f // 10
    return damage * roll // 255 if damage > 1 else damage


def test_stats_from_the_set(bridge: ShowdownBridge) -> None:
    snap = bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    tauros = snap.sides[0].pokemon[0]
    # Gen 1: ((base + DV 15) * 2 + 63) * level / 100 + 5, and + level + 10 for HP; base 75/100/95/70/110
    assert (tauros.maxhp, tauros.hp) == (353, 353)
    assert tauros.stats == {"atk": 298, "def": 288, "spa": 238, "spd": 238, "spe": 318}
    assert snap.draws == [] and snap.turn == 1 and snap.winner is None  # different speeds: no draw at the start
    assert snap.sides[0].request == ["move 1", "move 2"] and snap.sides[1].request == ["move 1", "switch 2"]


def test_damage_roll_and_the_1_in_256_miss(bridge: ShowdownBridge) -> None:
    bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    snap = bridge.choose("move 1", "move 1", draws=[HIT, NO_CRIT, 217, MISS_100])
    tauros, snorlax = snap.sides[0].pokemon[0], snap.sides[1].pokemon[0]
    # Tauros is faster: accuracy, critical hit (base Speed 110 / 2 = 55 in 256), the roll; then Snorlax's
    # accuracy, 255 in 256 for a 100% move: the given 255 misses. No paralysis draw: Normal can't be by Body Slam.
    assert [(d.kind, d.num, d.lo, d.hi) for d in snap.draws] == [
        ("chance", 255, 0, 256), ("chance", 55, 0, 256), ("random", None, 217, 256), ("chance", 255, 0, 256)
    ]  # fmt: skip
    assert [d.result for d in snap.draws] == [True, False, None, False] and snap.unused == 0
    expected = gen1_damage(100, 85, tauros.stats["atk"], snorlax.stats["def"], True, [10], 217)
    assert expected == 119 and snorlax.hp == snorlax.maxhp - 119
    assert tauros.hp == tauros.maxhp  # missed
    assert [m.pp for m in tauros.moves] == [23, 24] and snorlax.moves[0].pp == 23


def test_critical_hit_doubles_the_level(bridge: ShowdownBridge) -> None:
    bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    snap = bridge.choose("move 1", "move 1", draws=[HIT, 54, 255, MISS_100])  # 54 < 55: a critical hit
    tauros, snorlax = snap.sides[0].pokemon[0], snap.sides[1].pokemon[0]
    assert snap.draws[1].result is True
    expected = gen1_damage(100, 85, tauros.stats["atk"], snorlax.stats["def"], True, [10], 255, crit=True)
    assert snorlax.maxhp - snorlax.hp == expected == 273  # (82 * 85 * 74 // 57 // 50 + 2) * 1.5


def test_secondary_paralysis_then_full_paralysis(bridge: ShowdownBridge) -> None:
    bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    # Thunderbolt: 10% secondary = ceil(10 * 256 / 100) = 26 in 256; 25 paralyses. Snorlax, now paralysed,
    # draws 63 in 256 for full paralysis before its move (255: it moves, then misses).
    snap = bridge.choose("move 2", "move 1", draws=[HIT, NO_CRIT, 217, 25, 255, MISS_100])
    snorlax = snap.sides[1].pokemon[0]
    assert [(d.kind, d.num) for d in snap.draws][3:] == [("chance", 26), ("chance", 63), ("chance", 255)]
    assert snorlax.status == "par"
    assert snorlax.modified_stats["spe"] == snorlax.stats["spe"] // 4 == 39  # Gen 1 paralysis quarters Speed
    tauros = snap.sides[0].pokemon[0]
    expected = gen1_damage(100, 95, tauros.stats["spa"], snorlax.stats["spd"], False, [10], 217)
    assert snorlax.maxhp - snorlax.hp == expected == 72
    snap = bridge.choose("move 1", "move 1", draws=[HIT, NO_CRIT, 240, 62])  # 62 < 63: fully paralysed
    assert len(snap.draws) == 4 and snap.draws[3].result is True  # no paralysis draw on a paralysed target
    assert snap.sides[0].pokemon[0].hp == 353
    assert snap.sides[1].pokemon[0].hp == 451 - gen1_damage(100, 85, 298, 228, True, [10], 240) == 319


def test_switch_goes_first_and_keeps_slots(bridge: ShowdownBridge) -> None:
    snap = bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    assert snap.sides[1].switch(1) == "switch 2"
    snap = bridge.choose("move 1", snap.sides[1].switch(1), draws=[HIT, NO_CRIT, 255])
    p2 = snap.sides[1]
    assert p2.active == 1 and [(m.slot, m.position, m.active) for m in p2.pokemon] == [(0, 2, False), (1, 1, True)]
    chansey = p2.pokemon[1]
    expected = gen1_damage(100, 85, 298, chansey.stats["def"], True, [10], 255)
    assert chansey.maxhp - chansey.hp == expected and p2.pokemon[0].hp == p2.pokemon[0].maxhp
    assert p2.switch(0) == "switch 2"  # Snorlax now sits second in Showdown's order


def test_draw_errors_name_the_draw(bridge: ShowdownBridge) -> None:
    bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    with pytest.raises(ShowdownError, match=r"asked for draw #2 of this step \(chance over 0..255, succeeds below 55\) "
                                            r"and none was supplied") as err:  # fmt: skip
        bridge.choose("move 1", "move 1", draws=[HIT])
    assert [d.value for d in err.value.draws] == [HIT]
    bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    with pytest.raises(ShowdownError, match=r"draw #3 of this step \(random over 217..255\) was given 300"):
        bridge.choose("move 1", "move 1", draws=[HIT, NO_CRIT, 300])
    bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    with pytest.raises(ShowdownError, match=r"choose: p2 must choose \(move 1, switch 2\)"):
        bridge.choose("move 1", "")


def test_booleans_for_chances_and_leftovers(bridge: ShowdownBridge) -> None:
    bridge.start(TAUROS, SNORLAX_CHANSEY, strict=True)
    snap = bridge.choose("move 1", "move 1", draws=[True, False, 230, False, 1, 2])
    assert [d.value for d in snap.draws] == [0, 255, 230, 255] and snap.unused == 2
    assert snap.sides[0].pokemon[0].hp == 353  # Snorlax missed


def test_showdowns_own_draws_and_the_end(bridge: ShowdownBridge) -> None:
    result = random_battles(3, seed=5, bridge=bridge)
    assert result["battles"] == 3 and result["turns"] >= 3 * 6  # the loser's six faint one a turn at most
    team = bridge.random_team("3,1,4,1")
    assert len(team) == 6 and all(1 <= len(s["moves"]) <= 4 and 1 <= s["level"] <= 100 for s in team)
    snap = bridge.start(team, bridge.random_team("2,7,1,8"), seed="1,2,3,4", trace=True, log=True)
    for _ in range(1000):  # a fixed battle: the first legal choice each time
        snap = bridge.choose(*[s.request[0] if s.request else "" for s in snap.sides])
        assert all(not d.given and d.at for d in snap.draws)
        if snap.ended:
            break
    assert snap.ended and snap.turn > 6
    loser = next(i for i, s in enumerate(snap.sides) if s.pokemon_left == 0)
    assert snap.winner == ("p2" if loser == 0 else "p1")
    assert all(m.fainted and m.hp == 0 for m in snap.sides[loser].pokemon)
    assert any(line.startswith("|win|") for line in snap.log)


def test_without_given_draws_it_is_showdowns_own_battle(bridge: ShowdownBridge) -> None:
    """The bridge's PRNG, given nothing, draws what Showdown's own PRNG would: the same battles, log for log."""
    ours, plain = bridge.bench_in_node(4, seed=9), bridge.bench_in_node(4, seed=9, plain=True)
    assert ours["turns"] == plain["turns"] > 4 * 6 and ours["digest"] == plain["digest"]


def test_listed_choices_are_the_ones_showdown_accepts(bridge: ShowdownBridge) -> None:
    """Over random battles, each request's `move N` / `switch N` list equals what Showdown accepts when
    every candidate is tried (sleep, freeze and partial trapping's single 'Fight', recharge, locks, faints)."""
    result = bridge.bench_in_node(4, seed=21, check=True)
    assert result["checked"] > 200 and result["mismatches"] == []


def test_scrape_command_writes_the_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scrape", "showdown:gen1", "-o", str(tmp_path), "--teams", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"showdown:gen1: wrote {tmp_path / 'species.csv'} (151 rows)"
    assert lines[-1] == f"showdown:gen1: wrote {tmp_path / 'teams.csv'} (12 rows)"
    for name in ("species", "moves", "typechart", "types", "randbats"):
        assert (tmp_path / f"{name}.csv").read_text() == (DATA / f"{name}.csv").read_text()
    teams = (tmp_path / "teams.csv").read_text().splitlines()
    assert teams == (DATA / "teams.csv").read_text().splitlines()[:13]  # seeds 1.. come first


def test_export_matches_the_committed_tables() -> None:
    raw = run_export(teams=200)
    assert raw["source"] == "pokemon-showdown 0.11.11"
    tables = gen1_tables(raw)
    assert {k: len(v) for k, v in tables.items()} == {
        "species": 151, "moves": 165, "typechart": 15, "types": 15, "randbats": 146, "teams": 1200
    }  # fmt: skip
    for name, rows in tables.items():
        committed = (DATA / f"{name}.csv").read_text(encoding="utf-8")
        assert to_csv(rows) == committed, f"data/gen1/{name}.csv is stale: run specc scrape showdown:gen1 -o data/gen1"
    species = {r["name"]: r for r in tables["species"]}
    assert species["mewtwo"] == {"num": 150, "name": "mewtwo", "title": "Mewtwo", "type1": "psychic",
                                 "type2": "", "hp": 106, "atk": 110, "def": 90, "spc": 154, "spe": 130}  # fmt: skip
    moves = {r["name"]: r for r in tables["moves"]}
    assert (moves["thunderbolt"]["power"], moves["thunderbolt"]["sec_chance"], moves["thunderbolt"]["sec_status"]) == (
        95, 10, "par")  # fmt: skip
    assert (moves["psychic"]["sec_chance"], moves["psychic"]["sec_boost_spc"]) == (33, -1)
    assert (moves["wrap"]["kind"], moves["hyperbeam"]["kind"], moves["counter"]["priority"]) == (
        "partial_trap", "recharge", -1)  # fmt: skip
    chart = {r["name"]: r for r in tables["typechart"]}
    assert chart["ghost"]["psychic"] == 0  # Showdown keeps Gen 1's Ghost-on-Psychic immunity
    assert chart["ice"]["fire"] == 10  # and Ice hits Fire neutrally in Gen 1
