"""Scrapers: rules pages to Markdown with stable section ids, tables to typed CSV/YAML.

Fast and offline: the pages are the fixtures we wrote (scrapers/fixtures/), URLs go through
httpx.MockTransport, and every bad page must end as one line `SOURCE: what is wrong`, exit
code 2 and no file written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

import scrapers
from scrapers import fetching
from scrapers.export import infer_type, to_csv, typed_rows
from scrapers.extract import main_content
from scrapers.markdown import to_markdown
from scrapers.plaintext import normalise_markdown, normalise_text
from specc.cli import main
from specc.errors import SpecError

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "scrapers" / "fixtures"
RULES_HTML = "scrapers/fixtures/pocket_rules.html"  # relative, as the demo commands name them
CARDS_HTML = "scrapers/fixtures/pocket_cards.html"

RULE_SECTIONS = [
    "deck", "winning", "opening-hand", "setup", "first-player", "turn-structure", "drawing", "energy-zone",
    "attaching-energy", "playing-basic-pokemon", "evolution", "trainer-cards", "items", "supporters", "retreat",
    "attacks", "weakness", "knock-outs-and-points", "hand-limit", "turn-limit", "special-conditions", "poisoned",
    "burned", "asleep", "paralyzed", "confused", "checkup",
]  # fmt: skip
NOISE = ["Tier list", "Meta decks", "cookies", "Trending decks", "Newsletter", "Subscribe", "fan site",
         "Breadcrumb", "Search guides", "Share on social", "Contents", "dataLayer", "font-family"]  # fmt: skip
EFFECTS = {
    "none", "coin_damage", "coin_bonus", "energy_damage", "heal", "poison", "burn", "sleep", "paralyze", "confuse",
    "draw", "bench_basic", "switch", "energy_accel", "discard_energy", "bench_damage",
}  # fmt: skip
TYPES = {"grass", "fire", "water", "lightning", "psychic", "fighting", "darkness", "colorless"}
POKEMON_COLUMNS = {
    "id": "int", "name": "str", "stage": "str", "evolves_from": "str", "type": "str", "hp": "int",
    "weakness": "str", "retreat": "int", "ex": "bool", "attack": "str", "cost_type": "str", "typed_energy": "int",
    "colorless_energy": "int", "damage": "int", "effect": "str", "amount": "int", "effect_text": "str",
}  # fmt: skip


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture(scope="module")
def rules_doc() -> scrapers.Document:
    return scrapers.convert(str(FIXTURES / "pocket_rules.html"))


@pytest.fixture(scope="module")
def cards_doc() -> scrapers.Document:
    return scrapers.convert(str(FIXTURES / "pocket_cards.html"))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scrape", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- the rules page ---------------------------------------------------------------------------


def test_rules_page_has_one_section_per_rule(rules_doc: scrapers.Document) -> None:
    ids = rules_doc.section_ids
    assert ids[0] == "how-to-play-pokemon-tcg-pocket"
    assert [i for i in ids if i in RULE_SECTIONS] == RULE_SECTIONS  # all of them, in page order
    assert len(ids) == len(set(ids))
    for ident in ("retreat", "poisoned", "energy-zone", "checkup"):
        assert f" {{#{ident}}}\n" in rules_doc.markdown
    assert "## Retreat {#retreat}" in rules_doc.markdown
    assert "### Poisoned {#poisoned}" in rules_doc.markdown  # a subsection of Special conditions


def test_rules_page_drops_the_site_around_the_article(rules_doc: scrapers.Document) -> None:
    for text in NOISE:
        assert text not in rules_doc.markdown, text
    assert "¶" not in rules_doc.markdown  # heading permalinks


def test_rules_page_keeps_lists_emphasis_and_tables(rules_doc: scrapers.Document) -> None:
    md = rules_doc.markdown
    assert "- No more than **2 copies** of any card with the same name." in md
    assert "1. **Draw**: draw one card from your deck." in md
    assert "2. **Main phase**: take any of these actions, in any order:\n   - put Basic Pokémon" in md  # nested
    assert "knocking out a Pokémon `ex`" in md
    assert "*Special conditions at a glance*" in md
    assert "| Condition | Damage at checkup | Can attack | Can retreat | How it ends |" in md
    assert "| Poisoned | 10 | yes | yes | evolving or retreating |" in md
    assert [t.name for t in rules_doc.tables] == ["special_conditions_at_a_glance", "numbers_at_a_glance"]
    assert rules_doc.tables[0].section == "special-conditions"


def test_the_demo_outputs_are_fresh(in_repo: Path) -> None:
    """rules/ holds what `specc scrape` makes of the fixtures now; if not, re-run:

    specc scrape scrapers/fixtures/pocket_rules.html -o rules/tcg.md
    specc scrape scrapers/fixtures/pocket_cards.html -o rules/tcg_cards.md --tables rules/tables
    """
    rules = scrapers.convert(RULES_HTML)
    cards = scrapers.convert(CARDS_HTML)
    assert (in_repo / "rules" / "tcg.md").read_text(encoding="utf-8") == rules.markdown
    assert (in_repo / "rules" / "tcg_cards.md").read_text(encoding="utf-8") == cards.markdown
    for name, text in cards.table_files.items():
        assert (in_repo / "rules" / "tables" / name).read_text(encoding="utf-8") == text, name


# --- the card list and its tables -------------------------------------------------------------


def test_card_page_exports_typed_tables(cards_doc: scrapers.Document, tmp_path: Path) -> None:
    result = scrapers.scrape(str(FIXTURES / "pocket_cards.html"), tmp_path / "cards.md", tables_dir=tmp_path / "t")
    names = sorted(p.name for p in result.written[1:])
    stems = ["deck_lists", "decks", "pokemon_cards", "trainer_cards"]
    assert names == sorted(f"{s}.{ext}" for s in stems for ext in ("csv", "yaml"))

    data = yaml.safe_load((tmp_path / "t" / "pokemon_cards.yaml").read_text(encoding="utf-8"))
    assert data["source"].endswith("pocket_cards.html") and data["caption"] == "Pokémon cards"
    assert data["columns"] == POKEMON_COLUMNS
    rows = data["rows"]
    assert len(rows) >= 30
    assert rows[0] == {
        "id": 1, "name": "Sproutle", "stage": "basic", "evolves_from": "", "type": "grass", "hp": 60,
        "weakness": "fire", "retreat": 1, "ex": False, "attack": "Leaf Flick", "cost_type": "grass",
        "typed_energy": 1, "colorless_energy": 0, "damage": 20, "effect": "none", "amount": 0, "effect_text": "",
    }  # fmt: skip
    for row in rows:  # each value has its column's Python type
        for column, kind in POKEMON_COLUMNS.items():
            assert type(row[column]).__name__ == kind, (row["name"], column)

    with open(tmp_path / "t" / "pokemon_cards.csv", newline="", encoding="utf-8") as handle:
        csv_rows = list(csv.DictReader(handle))
    assert len(csv_rows) == len(rows)
    assert list(csv_rows[0]) == list(POKEMON_COLUMNS)
    assert csv_rows[2]["name"] == "Bramblequeen ex" and csv_rows[2]["ex"] == "true" and csv_rows[2]["hp"] == "170"


def test_card_list_is_a_usable_game_data_set(cards_doc: scrapers.Document) -> None:
    """The fixture itself: small enum vocabularies, every effect kind, evolution lines, legal decks."""
    tables = {t.name: t for t in cards_doc.tables}
    _, _, raw = typed_rows(tables["pokemon_cards"])
    pokemon = [dict(zip(POKEMON_COLUMNS, r)) for r in raw]
    _, _, raw_trainers = typed_rows(tables["trainer_cards"])
    trainers = [dict(zip(["id", "name", "kind", "effect", "amount", "effect_text"], r)) for r in raw_trainers]
    by_name = {c["name"]: c for c in pokemon + trainers}
    assert len(by_name) == len(pokemon) + len(trainers)  # names are unique
    assert sorted(c["id"] for c in pokemon + trainers) == list(range(1, len(pokemon) + len(trainers) + 1))
    assert {c["stage"] for c in pokemon} == {"basic", "stage1", "stage2"}
    assert {c["type"] for c in pokemon} <= TYPES and {c["weakness"] for c in pokemon} <= TYPES
    assert {c["cost_type"] for c in pokemon} <= TYPES
    assert {c["effect"] for c in pokemon} == EFFECTS  # every effect kind on some attack
    assert {c["effect"] for c in trainers} <= EFFECTS and {c["kind"] for c in trainers} == {"item", "supporter"}
    assert all(c["ex"] == c["name"].endswith(" ex") for c in pokemon)
    for card in pokemon:
        if card["stage"] == "basic":
            assert card["evolves_from"] == ""
        else:
            base = by_name[card["evolves_from"]]
            assert base["stage"] == {"stage1": "basic", "stage2": "stage1"}[card["stage"]]

    decks: dict[str, dict[str, int]] = {}
    for deck, ident, card, copies in typed_rows(tables["deck_lists"])[2]:
        assert by_name[card]["id"] == ident
        decks.setdefault(deck, {})[card] = copies
    energy = {deck: set(types.split()) for deck, types, _ in typed_rows(tables["decks"])[2]}
    assert list(decks) == list(energy) == ["Verdant Bloom", "Storm Tide", "Ember Veil", "Shadow Quarry"]
    for deck, cards in decks.items():
        assert sum(cards.values()) == 20, deck
        assert max(cards.values()) <= 2, deck
        assert any(by_name[c].get("stage") == "basic" for c in cards), deck
        for card in cards:  # an evolution comes with the card it evolves from
            assert by_name[card].get("evolves_from", "") in ("", *cards), (deck, card)
            if by_name[card].get("typed_energy"):  # the deck's Energy Zone makes every attack's typed energy
                assert by_name[card]["cost_type"] in energy[deck], (deck, card)
    # together the decks use every card, so random games can meet every effect kind and weakness
    assert set().union(*decks.values()) == set(by_name)
    assert {by_name[c]["effect"] for cards in decks.values() for c in cards} == EFFECTS


def test_format_option_and_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cards.md"
    code, stdout, err = run_cli(capsys, str(FIXTURES / "pocket_cards.html"), "-o", str(out), "--tables",
                                str(tmp_path / "t"), "--format", "yaml")  # fmt: skip
    assert code == 0 and err == ""
    assert sorted(p.suffix for p in (tmp_path / "t").iterdir()) == [".yaml"] * 4
    assert f"wrote {out} (5 sections, 4 tables)" in stdout
    assert "pokemon_cards.yaml" in stdout


def test_scraping_is_deterministic(tmp_path: Path) -> None:
    for run in ("a", "b"):
        for page in ("pocket_rules.html", "pocket_cards.html"):
            scrapers.scrape(str(FIXTURES / page), tmp_path / run / f"{page}.md", tables_dir=tmp_path / run / "t")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 2 + 2 * 6
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporary files


# --- URLs: httpx.MockTransport, never the network --------------------------------------------

PAGE = b"<html><head><title>T</title></head><body><main><h1>Pocket</h1><h2>Retreat</h2><p>Discard energy.</p></main></body></html>"  # noqa: E501


def counting_transport(status: int = 200, body: bytes = PAGE, content_type: str = "text/html; charset=utf-8"):
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, content=body, headers={"content-type": content_type})

    return httpx.MockTransport(handler), requests


def test_url_is_fetched_once_then_served_from_the_cache(tmp_path: Path) -> None:
    transport, requests = counting_transport()
    url = "https://rules.example/pocket"
    first = scrapers.scrape(url, tmp_path / "a.md", cache_dir=tmp_path / "cache", transport=transport)
    second = scrapers.scrape(url, tmp_path / "b.md", cache_dir=tmp_path / "cache", transport=transport)
    assert len(requests) == 1  # the second scrape came from the cache
    agent = requests[0].headers["user-agent"]
    assert agent == scrapers.USER_AGENT and agent.startswith("specc/") and "scraper" in agent
    assert first.document.section_ids == second.document.section_ids == ["pocket", "retreat"]
    assert (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()
    assert "## Retreat {#retreat}" in (tmp_path / "a.md").read_text(encoding="utf-8")

    scrapers.scrape(url, tmp_path / "c.md", cache_dir=tmp_path / "cache", transport=transport, refresh=True)
    assert len(requests) == 2  # --refresh fetches again
    scrapers.scrape(url, tmp_path / "d.md", cache_dir=tmp_path / "nocache", transport=transport, use_cache=False)
    assert len(requests) == 3 and not (tmp_path / "nocache").exists()


def test_fetch_follows_redirects_and_reads_the_charset(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"location": "https://rules.example/new"})
        return httpx.Response(200, content="<p>Pokémon</p>".encode("latin-1"), headers={"content-type": "text/html; charset=ISO-8859-1"})  # noqa: E501

    fetched = scrapers.fetch("https://rules.example/old", cache_dir=tmp_path, transport=httpx.MockTransport(handler))
    assert fetched.url == "https://rules.example/new" and fetched.charset == "ISO-8859-1"
    doc = scrapers.convert("https://rules.example/old", cache_dir=tmp_path)  # now cached: no transport needed
    assert "Pokémon" in doc.markdown


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    "handler, message",
    [
        (_raise(httpx.ConnectError("Name or service not known")), "cannot reach the server: Name or service not known"),
        (_raise(httpx.ReadTimeout("slow")), "timed out after 20 s"),
        (lambda r: httpx.Response(404), "HTTP 404 Not Found"),
        (lambda r: httpx.Response(503), "HTTP 503 Service Unavailable"),
        (lambda r: httpx.Response(200, content=b"%PDF-1.7", headers={"content-type": "application/pdf"}),
         "not an HTML, Markdown, text or JSON page (content type application/pdf)"),
        (lambda r: httpx.Response(200, content=b"", headers={"content-type": "text/html"}), "the page is empty"),
    ],
)  # fmt: skip
def test_url_errors_are_one_line(
    handler: Callable[[httpx.Request], httpx.Response],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = fetching.make_client
    monkeypatch.setattr(fetching, "make_client", lambda transport=None, timeout=20.0: real(httpx.MockTransport(handler), timeout))  # noqa: E501
    url = "https://rules.example/pocket"
    out = tmp_path / "rules" / "x.md"
    code, stdout, err = run_cli(capsys, url, "-o", str(out), "--cache-dir", str(tmp_path / "cache"))
    assert code == 2
    assert err == f"{url}: {message}\n"
    assert not out.exists() and not (tmp_path / "rules").exists()
    assert not (tmp_path / "cache").exists()  # a failed fetch caches nothing


def test_only_http_urls(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="only http:// and https:// URLs"):
        scrapers.convert("ftp://rules.example/pocket", cache_dir=tmp_path)


# --- bad pages -------------------------------------------------------------------------------

BAD_PAGES = [
    ("empty.html", b"", "the file is empty"),
    ("blank.md", b"  \n\n", "the file is empty"),
    ("only_nav.html", b"<html><body><header>Site</header><nav><a href='/'>Home page</a></nav>"
     b"<footer>Copyright us</footer></body></html>", "no main content: only navigation"),
    ("only_title.html", b"<html><head><title>Rules</title></head><body></body></html>", "no main content: the page has a title"),  # noqa: E501
    ("scripts.html", b"<html><body><script>render()</script></body></html>", "no main content: only scripts"),
    ("malformed.html", b"<html><body><div class=\"rules", "malformed markup: no readable text"),
    ("debris.html", b"<html><body><<<>>> </ ></body></html>", "malformed markup: no readable text"),
    ("image.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file: it holds binary data"),
    ("data.html", b'{"rules": "not a page"}', "not HTML: no HTML markup found"),
    ("rules.pdf", b"%PDF-1.7", "unsupported file type '.pdf'"),
    ("rules", b"text", "unsupported file type (none)"),
]  # fmt: skip


@pytest.mark.parametrize("name, content, message", BAD_PAGES, ids=[case[0] for case in BAD_PAGES])
def test_bad_pages_are_one_clear_line(
    name: str, content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / name
    page.write_bytes(content)
    out = tmp_path / "out" / "rules.md"
    code, stdout, err = run_cli(capsys, str(page), "-o", str(out), "--tables", str(tmp_path / "out" / "tables"))
    assert code == 2, err
    assert err.startswith(f"{page}: {message}"), err
    assert err.count("\n") == 1 and "Traceback" not in err and stdout == ""
    assert not (tmp_path / "out").exists()  # nothing written


def test_missing_file_and_folder_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, str(tmp_path / "nope.html"), "-o", str(tmp_path / "x.md"))
    assert code == 2 and err == f"{tmp_path / 'nope.html'}: no such file\n"
    code, _, err = run_cli(capsys, str(FIXTURES / "pocket_rules.html"), "-o", str(tmp_path))
    assert code == 2 and err.startswith(f"{tmp_path}: is a folder")


# --- the pieces ------------------------------------------------------------------------------


def test_slugs_are_ascii_and_deduplicated() -> None:
    slug = scrapers.Slugger()
    assert [slug("Retreat"), slug("Retreat"), slug("Retreat"), slug("Pokémon ex: Knock-outs!"), slug("¿?")] == [
        "retreat", "retreat-2", "retreat-3", "pokemon-ex-knock-outs", "section",
    ]  # fmt: skip


def test_main_content_without_main_element_is_the_largest_block() -> None:
    html = """<html><body>
      <div class="banner"><p>Sale today</p></div>
      <div role="navigation"><ul><li>Home</li><li>Decks</li></ul></div>
      <div id="wrap"><div class="post"><h2>Setup</h2><p>Each player puts one Basic Pokémon into play face down.</p>
        <ul><li>Up to three more go on the Bench.</li><li>Then both are revealed.</li></ul></div></div>
      <aside><p>Ads</p></aside><footer><p>Legal text</p></footer></body></html>"""
    content, _ = main_content(html, "page.html")
    md = to_markdown(content).markdown
    assert md.startswith("## Setup {#setup}\n\nEach player puts one Basic")
    assert "- Up to three more go on the Bench." in md
    for noise in ("Sale today", "Home", "Ads", "Legal text"):
        assert noise not in md


def test_article_and_role_main_are_found() -> None:
    for wrapper in ('<div role="main">{}</div>', "<article>{}</article>"):
        body = wrapper.format("<h2>Weakness</h2><p>Twenty more damage.</p>")
        content, title = main_content(f"<html><head><title>Guide</title></head><body><div>Menu</div>{body}</body></html>", "p")  # noqa: E501
        md = to_markdown(content, title).markdown
        assert md == "# Guide {#guide}\n\n## Weakness {#weakness}\n\nTwenty more damage.\n"  # <title> heads it


def test_html_tables_fill_spans_and_infer_types() -> None:
    html = """<main><h2>Attacks</h2><table>
      <tr><th rowspan="2">Card</th><th colspan="2">Attack</th><th rowspan="2">Rare</th></tr>
      <tr><th>cost</th><th>damage</th></tr>
      <tr><td>Sproutle</td><td>1</td><td>20.5</td><td>no</td></tr>
      <tr><td rowspan="2">Emberkit</td><td>2</td><td></td><td>YES</td></tr>
      <tr><td>3</td><td>1e2</td><td>true</td></tr>
      <tr><td>a | b</td><td>x</td><td>4</td><td>no</td></tr></table></main>"""
    content, _ = main_content(html, "t.html")
    converted = to_markdown(content)
    table = converted.tables[0]
    assert table.name == "attacks" and table.header == ["Card", "Attack cost", "Attack damage", "Rare"]
    assert table.rows[2][0] == "Emberkit"  # carried down by rowspan
    names, types, rows = typed_rows(table)
    assert names == ["card", "attack_cost", "attack_damage", "rare"]
    assert types == ["str", "str", "float", "bool"]
    assert rows[1] == ["Emberkit", "2", None, True] and rows[2][2] == 100.0
    assert "| a \\| b | x | 4 | no |" in converted.markdown
    assert to_csv(table).splitlines()[2] == "Emberkit,2,,true"


def test_type_inference() -> None:
    assert infer_type(["1", "-2", ""]) == "int"
    assert infer_type(["1", "2.5"]) == "float"
    assert infer_type(["yes", "No", "TRUE"]) == "bool"
    assert infer_type(["0", "1"]) == "int"  # 0/1 stay numbers
    assert infer_type(["1", "one"]) == "str"
    assert infer_type(["", " "]) == "str"


def test_markdown_sources_get_ids_and_keep_the_rest() -> None:
    text = "Rules\n=====\n\n## Retreat\nOnce a turn.\n\n## Retreat ##\n\n### Mine {#kept}\n\n```\n# not a heading\n```\n\n| a | b |\n|---|---|\n| 1 | x \\| y |\n\nLast\n----\n"  # noqa: E501
    converted = normalise_markdown(text)
    assert [s.id for s in converted.sections] == ["rules", "retreat", "retreat-2", "kept", "last"]
    assert converted.markdown.startswith("# Rules {#rules}\n\n## Retreat {#retreat}\nOnce a turn.\n")
    assert "### Mine {#kept}" in converted.markdown and "```\n# not a heading\n```" in converted.markdown
    assert converted.tables[0].rows == [["1", "x | y"]] and converted.tables[0].name == "kept"


def test_text_sources_use_all_caps_headings_only(tmp_path: Path) -> None:
    text = "HOW TO PLAY\n\nSome rules follow:\n• one\n* two\n\nRETREAT\nDiscard energy.\n# of cards\n\nNote: not one\n"
    converted = normalise_text(text, "pocket_rules.txt")
    assert [s.id for s in converted.sections] == ["pocket-rules", "how-to-play", "retreat"]
    assert "Some rules follow:\n- one\n- two" in converted.markdown
    assert "## Retreat {#retreat}\n\nDiscard energy.\n\\# of cards" in converted.markdown
    plain = normalise_text("just words\nmore words\n", "notes.txt")
    assert plain.markdown == "# Notes {#notes}\n\njust words\nmore words\n"  # one section under the title


def test_local_text_and_markdown_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.txt").write_text("SETUP\nPut a Basic down.\n", encoding="utf-8")
    code, _, _ = run_cli(capsys, str(tmp_path / "r.txt"), "-o", str(tmp_path / "r.md"))
    assert code == 0
    first = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## Setup {#setup}" in first
    # a generated file scraped again keeps one header and the same ids
    code, _, _ = run_cli(capsys, str(tmp_path / "r.md"), "-o", str(tmp_path / "again.md"))
    again = (tmp_path / "again.md").read_text(encoding="utf-8")
    assert code == 0 and again.count("generated by specc scrape") == 1
    assert again.split("\n", 2)[2] == first.split("\n", 2)[2]


def test_csv_quotes_what_needs_quoting() -> None:
    table = scrapers.Table(header=["Name", "Text"], rows=[["a", 'says "hi", twice']])
    assert list(csv.reader(io.StringIO(to_csv(table)))) == [["name", "text"], ["a", 'says "hi", twice']]
