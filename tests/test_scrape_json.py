"""`specc scrape` on JSON card databases: records to tables with ids, nested record lists to child tables.

Offline: the database is our own invented fixture (tests/data/ptcgp/cards.json, the Pocket
database's format), URLs go through httpx.MockTransport.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest

import scrapers
from scrapers.jsondata import cell, json_tables
from specc.cli import main
from specc.errors import SpecError

ROOT = Path(__file__).resolve().parents[1]
CARDS_JSON = ROOT / "tests" / "data" / "ptcgp" / "cards.json"


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_card_json_becomes_tables_with_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cards.md"
    code = main(["scrape", str(CARDS_JSON), "-o", str(out), "--tables", str(tmp_path / "t"), "--format", "csv"])
    stdout, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert f"wrote {out} (4 sections, 3 tables)" in stdout
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["cards.csv", "cards_ability.csv", "cards_moves.csv"]
    cards = _csv(tmp_path / "t" / "cards.csv")
    assert len(cards) == 12
    assert list(cards[0]) == ["id", "card_name", "rarity", "exclusive_pack", "type", "hp", "stage", "pack_points",
                              "retreat_cost", "weakness", "evolves_from"]  # fmt: skip
    assert cards[2]["id"] == "T1 003" and cards[2]["card_name"] == "Voltmouse ex" and cards[2]["hp"] == "120"
    assert cards[0]["exclusive_pack"] == "Test Set (T1) / Any"  # a newline inside a value
    moves = _csv(tmp_path / "t" / "cards_moves.csv")
    assert [m["id"] for m in moves] == ["T1 001.1", "T1 002.1", "T1 002.2", "T1 003.1", "T1 004.1", "T1 006.1"]
    assert moves[2] == {"id": "T1 002.2", "card_id": "T1 002", "index": "2", "name": "Stomp", "energy": "Grass",
                        "damage": "30+",
                        "description": "Toss a coin: on heads, 30 extra damage."}  # fmt: skip
    assert moves[4]["energy"] == "Water, Lightning"
    ability = _csv(tmp_path / "t" / "cards_ability.csv")
    assert [(a["id"], a["card_id"], a["name"]) for a in ability] == [("T1 003.1", "T1 003", "Volt Charge")]
    md = out.read_text(encoding="utf-8")
    assert "# cards database {#cards-database}" in md and "## cards_moves {#cards-moves}" in md
    assert "| T1 003 | Voltmouse ex |" in md


def test_json_shapes_and_values() -> None:
    assert [cell(v) for v in (None, True, 3, 1.5, " a \n\n b  c ")] == ["", "true", "3", "1.5", "a / b c"]
    doc = {"units": [{"name": "A", "stats": {"hp": 3}, "tags": ["x", "y"]}, {"name": "B", "stats": {"hp": 4}}]}
    (units,) = json_tables(json.dumps(doc), "game.json")
    assert units.name == "units" and units.header == ["id", "name", "stats_hp", "tags"]
    assert units.rows == [["1", "A", "3", "x, y"], ["2", "B", "4", ""]]  # no id key: positions
    (items,) = json_tables('[{"id": 7, "n": 1}, {"id": 9, "n": 2}]', "https://x.example/data/items.json?v=2")
    assert items.name == "items" and items.rows == [["7", "1"], ["9", "2"]]


BAD = [
    ("broken.json", b'[{"a": 1,}]', "not valid JSON: Expecting property name enclosed in double quotes at line 1"),
    ("scalar.json", b'"cards"', "no records: expected a JSON list of objects"),
    ("empty_list.json", b"[]", "no records"),
    ("nested.json", b'[{"a": [[1, 2]]}]', "JSON record 1: a holds lists, not records or values"),
]


@pytest.mark.parametrize("name, content, message", BAD, ids=[b[0] for b in BAD])
def test_bad_json_is_one_clear_line(name: str, content: bytes, message: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    page = tmp_path / name
    page.write_bytes(content)
    code = main(["scrape", str(page), "-o", str(tmp_path / "out" / "x.md"), "--tables", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith(f"{page}: {message}"), err
    assert not (tmp_path / "out").exists()


def test_json_from_a_url_is_cached(tmp_path: Path) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, content=CARDS_JSON.read_bytes(), headers={"content-type": "application/json"})

    url = "https://cards.example/pocket/cards.json"
    for _ in range(2):
        doc = scrapers.convert(url, cache_dir=tmp_path, transport=httpx.MockTransport(handler))
        assert [t.name for t in doc.tables] == ["cards", "cards_moves", "cards_ability"]
    assert calls == [url]  # the second time from the cache


def test_html_pages_still_convert() -> None:
    doc = scrapers.convert(str(ROOT / "scrapers" / "fixtures" / "pocket_cards.html"))
    assert [t.name for t in doc.tables] == ["pokemon_cards", "trainer_cards", "decks", "deck_lists"]
    with pytest.raises(SpecError, match="unsupported file type '.csv'"):
        scrapers.convert(str(ROOT / "tests" / "data" / "ptcgp" / "corrections.csv"))
