"""`specc diff OLD NEW`: the rules, tables and kernels an edit changed (and nothing else)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specc.cli import main
from specc.diff import Change, diff_specs

ROOT = Path(__file__).resolve().parents[1]
TTT = ROOT / "specs" / "tic_tac_toe.yaml"
CARDS = ROOT / "tests" / "data" / "cards"
COIN = ROOT / "tests" / "data" / "agent" / "coin_battle.yaml"


def _edit(tmp_path: Path, source: Path, *replacements: tuple[str, str], name: str = "new.yaml") -> Path:
    text = source.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    out = tmp_path / name
    out.write_text(text)
    return out


def _changes(old: Path, new: Path) -> list[str]:
    return [str(c) for c in diff_specs(old, new)]


def test_identical_specs_have_no_changes(capsys):
    assert diff_specs(TTT, TTT) == []
    assert main(["diff", str(TTT), str(TTT)]) == 0
    assert "no rule, table or kernel changed" in capsys.readouterr().out


def test_a_changed_effect_is_named_but_comments_and_spacing_are_not(tmp_path):
    new = _edit(tmp_path, TTT, ("elif all(i in 0..9: board[i] != 0):", "elif all(i in 0..9: board[i] > 0):"))
    assert _changes(TTT, new) == ["changed  actions.place: effect"]
    cosmetic = _edit(
        tmp_path,
        TTT,
        ("board[cell] = current_player + 1\n", "board[cell] = current_player+1   # the mark\n"),
        ("legal: board[cell] == 0", "legal: (board[cell] == 0)"),
        ("doc: put the mover's mark on an empty cell", "doc: put a mark on an empty cell"),
        name="cosmetic.yaml",
    )
    assert _changes(TTT, cosmetic) == ["changed  actions.place: doc only"]


def test_added_removed_and_changed_entries(tmp_path):
    new = _edit(
        tmp_path,
        TTT,
        ("state:\n", "state:\n  moves: {type: int8, init: 0}\n"),
        ("[2, 4, 6]]", "[2, 4, 6], [0, 1, 2]]"),
        (
            "rewards: {range: [-1, 1], zero_sum: true, transfer_margin: 0.1}",
            "rewards: {range: [-1, 1], zero_sum: false, transfer_margin: 0.1}",
        ),
        ("  - name: a row of three wins\n", "  - name: a first row of three wins\n"),
        ("init: |\n  current_player = roll(PLAYERS)", "init: |\n  current_player = 0"),
    )
    assert _changes(TTT, new) == [
        "changed  constants.LINES",
        "added    state.moves",
        "changed  init",
        "changed  rewards",
        "added    scenarios.a first row of three wins",
        "removed  scenarios.a row of three wins",
    ]


def test_kernels_change_when_their_doc_or_signature_does(tmp_path):
    new = _edit(
        tmp_path,
        COIN,
        ("Flip 2 coins;", "Flip 3 coins;"),
        ("args: {hp: int16, max_hp: int16}", "args: {hp: int16, max_hp: int32}"),
    )
    assert _changes(COIN, new) == [
        "changed  kernels.coin_damage: doc (its body will be filled again by `specc compile --fill-kernels`)",
        "changed  kernels.healed: args (its body will be filled again by `specc compile --fill-kernels`)",
    ]


def test_a_table_changes_with_its_data_file(tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    shutil.copytree(CARDS, old_dir)
    shutil.copytree(CARDS, new_dir)
    csv = new_dir / "cards.csv"
    lines = csv.read_text().splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[-2], "9") if lines[1].count(",") >= 2 else lines[1] + "9"
    csv.write_text("\n".join(lines) + "\n")
    changes = diff_specs(old_dir / "game.yaml", new_dir / "game.yaml")
    assert changes == [Change("changed", "tables", "CARDS", "the data in cards.csv: row Ant: power 1 -> 9")]


def test_a_table_diff_names_added_removed_and_unused_rows(tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    shutil.copytree(CARDS, old_dir)
    shutil.copytree(CARDS, new_dir)
    csv = new_dir / "cards.csv"
    text = csv.read_text()
    csv.write_text(text.replace("1,Bee,bug,2,Ant\n", "") + "9,Wasp,bug,3,Bee\n")
    (detail,) = [c.detail for c in diff_specs(old_dir / "game.yaml", new_dir / "game.yaml")]
    assert detail == "the data in cards.csv: row Wasp added; row Bee removed"
    csv.write_text(text.replace("0,Ant,", "7,Ant,"))  # the id column: not one the spec declares
    (detail,) = [c.detail for c in diff_specs(old_dir / "game.yaml", new_dir / "game.yaml")]
    assert detail == "the data in cards.csv (no column the spec uses)"


def test_rows_with_repeated_names_are_named_by_their_leading_columns(tmp_path):
    """A card's attacks share names across cards (and empty ones): rows are then keyed by the
    fewest leading columns that are unique (card id and attack number) and named beside it.
    Keyed by name alone, a later row with the same name hid the edit (found on ptcgp)."""
    from specc.diff import _row_changes

    columns = {"damage": "int16"}
    header = "id,attack,name,damage\n"
    rows = "A1 001,1,Vine Whip,40\nA1 001,2,,0\nA1 018,1,Vine Whip,20\nA1 018,2,,0\n"
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text(header + rows)
    new.write_text(header + rows.replace("Vine Whip,40", "Vine Whip,50"))
    assert _row_changes(old, new, columns) == ": row A1 001 1 (Vine Whip): damage 40 -> 50"
    new.write_text(header + rows.replace("A1 018,2,,0", "A1 018,2,,30"))
    assert _row_changes(old, new, columns) == ": row A1 018 2: damage 0 -> 30"


def test_diff_of_one_spec_compares_with_git(tmp_path, capsys, monkeypatch):
    """`specc diff SPEC`: the spec and its tables against git's HEAD (or --since REV)."""
    import subprocess

    repo = tmp_path / "repo"
    shutil.copytree(CARDS, repo / "game")
    run = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "cards")
    spec = repo / "game" / "game.yaml"
    assert main(["diff", str(spec)]) == 0
    assert "no rule, table or kernel changed" in capsys.readouterr().out
    csv = repo / "game" / "cards.csv"
    csv.write_text(csv.read_text().replace("1,Bee,bug,2,Ant", "1,Bee,bug,5,Ant"))
    assert main(["diff", str(spec)]) == 1
    assert capsys.readouterr().out.strip() == "changed  tables.CARDS: the data in cards.csv: row Bee: power 2 -> 5"
    assert main(["diff", str(spec), "--since", "nosuchrev"]) == 2
    err = capsys.readouterr().err
    assert "nosuchrev" in err and "Traceback" not in err


def test_diff_reports_a_bad_spec_as_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("specc: 1\nname: x\nplayers: nine\n")
    assert main(["diff", str(TTT), str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"{bad}:3:10:")


@pytest.mark.parametrize("spec", ["tic_tac_toe", "connect_four", "cartpole"])
def test_every_shipped_spec_equals_itself(spec):
    path = ROOT / "specs" / f"{spec}.yaml"
    assert diff_specs(path, path) == []
