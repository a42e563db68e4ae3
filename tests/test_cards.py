"""Card-game language features: tables from data files, zones, shuffle, choose, hidden hands.

tests/data/cards/game.yaml is a small card game built on them; both backends must
agree exactly on every field, and each player's observation must hide the other's hand
and both decks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jax
import numpy as np
import pytest

import specc
from specc.errors import SpecError
from specc.loader import load_program
from specc.verify import level_properties
from specc.verify.rollouts import lockstep_backends

DATA = Path(__file__).parent / "data" / "cards"


@pytest.fixture(scope="module")
def game(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cards")
    for f in DATA.iterdir():
        shutil.copy(f, root / f.name)
    return root / "game.yaml", root / "out"


def test_table_columns_become_typed_constant_arrays(game: tuple[Path, Path]) -> None:
    spec, out = game
    env = specc.make(spec, out_dir=out)
    m = env.module
    np.testing.assert_array_equal(m.CARDS__power, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(m.CARDS__kind, [0, 0, 1, 1, 2, 1])  # enum members by number
    np.testing.assert_array_equal(m.CARDS__evolves_from, [-1, 0, -1, 2, -1, -1])  # names -> row indices
    assert m.CARDS__power.dtype == np.int8


def test_zones_deal_a_shuffled_deck(game: tuple[Path, Path]) -> None:
    spec, out = game
    env = specc.make(spec, out_dir=out)
    orders = set()
    for seed in range(20):
        s = env.init(jax.random.PRNGKey(seed))
        for p in range(2):
            cards = np.concatenate([np.asarray(s.hand[p]), np.asarray(s.deck[p])])
            assert sorted(c for c in cards.tolist() if c >= 0) == [0, 1, 2, 3, 4, 5]  # nothing lost
            assert np.asarray(s.deck[p])[4:].tolist() == [-1, -1]  # packed at the front
        orders.add(tuple(np.asarray(s.deck[0]).tolist()))
    assert len(orders) > 10  # the shuffle really shuffles


def test_backends_agree_exactly_on_card_games(game: tuple[Path, Path]) -> None:
    spec, out = game
    jax_env = specc.make(spec, out_dir=out)
    py_env = specc.make(spec, backend="python", out_dir=out)
    result = lockstep_backends(jax_env.module, py_env.module, episodes=200, seed=3)
    assert result.failed == 0, result.divergence.describe() if result.divergence else result.failures
    assert result.details["steps"] > 1000


def test_properties_hold_including_hidden_information(game: tuple[Path, Path], monkeypatch) -> None:
    spec, out = game
    specc.make(spec, out_dir=out)
    result = level_properties(out / "test_high_card.py", examples=10)
    assert result.failed == 0, result.failures
    assert result.checks >= 9


def test_table_errors_name_the_file_and_cell(tmp_path: Path) -> None:
    shutil.copy(DATA / "game.yaml", tmp_path / "game.yaml")
    (tmp_path / "cards.csv").write_text((DATA / "cards.csv").read_text().replace("beast,3", "dragon,3"))
    with pytest.raises(SpecError, match=r"cards.csv row 4 column kind: 'dragon' is not a member of enum Kind"):
        load_program(tmp_path / "game.yaml")
    (tmp_path / "cards.csv").unlink()
    with pytest.raises(SpecError, match="does not exist"):
        load_program(tmp_path / "game.yaml")
