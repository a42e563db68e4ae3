"""`specc scrape showdown:gen1`'s conversion, on a small export we wrote (no node needed).

The fixture (tests/data/showdown/gen1_export.json) has the shape of
showdown/export_gen1.js's output: three made-up species, six moves covering the columns
(multi-hit with a secondary status, a Special drop on both spa and spd, a self boost, fixed
damage, a move with custom hooks), four types and one random-battle team.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest

from scrapers.showdown import effect_kind, gen1_tables, to_csv, write_tables
from specc.cli import main
from specc.errors import SpecError
from specc.verify.showdown import require_showdown

FIXTURE = Path(__file__).resolve().parent / "data" / "showdown" / "gen1_export.json"


@pytest.fixture
def raw() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_species_rows(raw: dict) -> None:
    species = gen1_tables(raw)["species"]
    assert [r["name"] for r in species] == ["sproutle", "shadewisp", "stoutbull"]
    assert species[0] == {"num": 1, "name": "sproutle", "title": "Sproutle", "type1": "grass", "type2": "poison",
                          "hp": 45, "atk": 49, "def": 49, "spc": 65, "spe": 45}  # fmt: skip
    assert species[1]["type2"] == ""  # one type


def test_move_rows(raw: dict) -> None:
    moves = {m["name"]: m for m in gen1_tables(raw)["moves"]}
    volley = moves["needlevolley"]
    assert (volley["kind"], volley["hits_min"], volley["hits_max"]) == ("multi_hit", 2, 5)
    assert (volley["sec_chance"], volley["sec_status"], volley["accuracy"]) == (20, "psn", 85)
    assert volley["flag_protect"] is True and volley["flag_contact"] is False
    wave = moves["mindwave"]
    assert (wave["kind"], wave["crit_ratio"], wave["sec_chance"], wave["sec_boost_spc"]) == ("damage", 2, 33, -1)
    assert wave["category"] == "special" and wave["type"] == "ghost"
    focus = moves["focusup"]
    assert (focus["kind"], focus["boost_spc"], focus["boost_atk"]) == ("stat_stage", 2, 0)
    assert (focus["accuracy"], focus["always_hits"]) == (0, True)
    assert (moves["fixedzap"]["kind"], moves["fixedzap"]["fixed_damage"]) == ("fixed_damage", 20)
    assert (moves["reflect"]["kind"], moves["reflect"]["hooks"]) == ("reflect", "onTryHit condition.onStart")
    assert moves["jab"]["kind"] == "damage" and moves["jab"]["recoil_den"] == 1


def test_type_tables(raw: dict) -> None:
    tables = gen1_tables(raw)
    chart = {r["name"]: r for r in tables["typechart"]}
    assert chart["normal"]["ghost"] == 0  # immune
    assert chart["ghost"]["ghost"] == 20  # super effective
    assert chart["poison"]["grass"] == 20 and chart["grass"]["poison"] == 5
    assert chart["normal"]["normal"] == 10
    types = {r["name"]: r for r in tables["types"]}
    assert types["poison"] == {"name": "poison", "immune_psn": True, "immune_tox": True}  # sandstorm is no Gen 1 status
    assert types["grass"]["immune_psn"] is False


def test_random_battle_tables(raw: dict) -> None:
    tables = gen1_tables(raw)
    pool = tables["randbats"]
    assert [r["name"] for r in pool] == ["sproutle", "stoutbull"]  # by number
    assert pool[1] == {"num": 3, "name": "stoutbull", "level": 74, "moves": "jab jab focusup",
                       "essential": "needlevolley", "exclusive": "", "combo": ""}  # fmt: skip
    teams = tables["teams"]
    assert len(teams) == 2
    bull, sprout = teams
    assert (bull["species"], bull["species_num"], bull["level"]) == ("stoutbull", 3, 74)
    assert [bull[f"move{i}"] for i in range(1, 5)] == ["needlevolley", "jab", "focusup", ""]
    assert [bull[f"move{i}_num"] for i in range(1, 5)] == [2, 1, 4, 0]
    assert (bull["ev_hp"], bull["ev_spc"]) == (251, 255)
    assert (sprout["ev_atk"], sprout["iv_atk"], sprout["slot"], sprout["seed"]) == (0, 2, 1, "1,2,3,4")


def test_csv_round_trip(raw: dict, tmp_path: Path) -> None:
    tables = gen1_tables(raw)
    written = write_tables(tables, tmp_path / "gen1")
    assert sorted(p.name for p in written) == sorted(f"{n}.csv" for n in tables)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "gen1" / "moves.csv").read_text())))
    assert rows[1]["name"] == "needlevolley" and rows[1]["hits_max"] == "5" and rows[1]["flag_protect"] == "true"
    assert to_csv([]) == "\n"


def test_one_special_stat(raw: dict) -> None:
    bad = copy.deepcopy(raw)
    bad["species"][2]["baseStats"]["spd"] = 71
    with pytest.raises(SpecError, match="stoutbull: Special differs .spa 70, spd 71."):
        gen1_tables(bad)


def test_custom_code_needs_a_kind(raw: dict) -> None:
    move = dict(raw["moves"][0], id="mystery", hooks=["onHit"])
    with pytest.raises(SpecError, match="move mystery runs custom code .onHit. and has no entry in"):
        effect_kind(move)


def test_numbers_must_be_contiguous(raw: dict) -> None:
    bad = copy.deepcopy(raw)
    del bad["moves"][1]
    with pytest.raises(SpecError, match="move number 2 is missing .got 3 mindwave."):
        gen1_tables(bad)


def test_missing_package_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECC_SHOWDOWN_DIR", str(tmp_path))
    with pytest.raises(SpecError, match=r"not installed in .*node_modules: run `npm ci --prefix "):
        require_showdown()


def test_cli_other_sources(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["scrape", "showdown:gen2", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "showdown:gen2: the Showdown scraper exports showdown:gen1 only"
