"""`specc play`: a person plays a compiled game in the terminal."""

import io
import itertools
from pathlib import Path

import jax
import numpy as np
import pytest

import specc.play
from specc.api import make
from specc.drawing import draw_grid, load_render
from specc.errors import SpecError
from specc.loader import load
from specc.play import parse_choice, play, render
from specc.schema import DrawSpec


def test_a_scripted_game_of_tic_tac_toe_is_played_to_the_end():
    moves = iter(["place(4)", "99", "0", "1", "2", "3", "5", "6", "7", "8"])  # "99" is refused
    out = io.StringIO()
    reward = play("specs/tic_tac_toe.yaml", seat=0, seed=3, read=lambda _: next(moves), out=out)
    text = out.getvalue()
    assert "not a legal action: '99'" in text and "game over: your reward" in text
    assert reward in (-1, 0, 1)


def test_quit_and_end_of_input_stop_the_game():
    out = io.StringIO()
    assert play("specs/tic_tac_toe.yaml", read=lambda _: "q", out=out) == 0
    assert out.getvalue().rstrip().endswith("bye")

    def eof(_):
        raise EOFError

    assert play("specs/tic_tac_toe.yaml", read=eof, out=io.StringIO()) == 0


def test_parse_choice_takes_an_index_or_a_label():
    legal = [(0, "place(0)"), (4, "place(4)")]
    assert parse_choice("4", legal) == 4 and parse_choice(" place(0) ", legal) == 0
    assert parse_choice("3", legal) is None and parse_choice("place(3)", legal) is None


def test_a_seat_sees_only_what_its_player_may_see():
    env = make("specs/tcg.yaml", backend="python")
    state = env.init(jax.random.PRNGKey(0))
    seen = render(env, state, seat=0)
    assert "deck: (hidden)" in seen  # both decks: visible to nobody
    own_hand = np.asarray(state.hand)[0].tolist()
    assert f"hand: yours {own_hand}; the others' hidden" in seen
    everything = render(env, state)  # --reveal, or the end of the game
    assert "(hidden)" not in everything and "hand:\n" in everything


def test_the_spec_render_section_draws_the_board():
    env = make("specs/tic_tac_toe.yaml", backend="python")
    state = env.init(jax.random.PRNGKey(0))
    first = int(state.current_player)
    state = env.step(env.step(state, 2), 3)
    text = render(env, state, seat=0, drawing=load_render("specs/tic_tac_toe.yaml"))
    mark = {0: "X", 1: "O"}
    assert f"  board:\n    0 1 {mark[first]}\n    {mark[1 - first]} 4 5\n    6 7 8\n" in text
    env = make("specs/connect_four.yaml", backend="python")
    state = env.step(env.init(jax.random.PRNGKey(0)), 6)
    text = render(env, state, drawing=load_render("specs/connect_four.yaml"))
    top = "      0 1 2 3 4 5 6\n    0 . . . . . . .\n"
    assert top in text and text.count(" . . . . . . .\n") == 5 and "5 . . . . . . " in text


def test_draw_grid_labels_and_owner_rows():
    draw = DrawSpec(grid=(2, 2), symbols={-1: "-", 3: "{i}!"}, axes=True)
    assert draw_grid(np.array([3, -1, 7, 3]), draw) == ["   0  1", "0 0!  -", "1  7 3!"]


@pytest.mark.parametrize(
    "entry, words",
    [
        ("bord: {grid: [3, 3]}", "render: 'bord' is not a state field (did you mean 'board'?)"),
        ("board: {grid: [2, 3]}", "render: grid 2x3 has 6 cells but board has 9"),
        ("board: {symbols: {0: .}}", "render: board has shape [9]: give a grid [rows, columns] to draw it"),
    ],
)
def test_a_bad_render_section_is_one_clear_error(entry, words, tmp_path):
    text = Path("specs/tic_tac_toe.yaml").read_text()
    text = text.replace("  board: {grid: [3, 3], symbols: {0: \"{i}\", 1: X, 2: O}}", "  " + entry)
    spec = tmp_path / "tic_tac_toe.yaml"
    spec.write_text(text)
    line = text.splitlines().index("  " + entry) + 1
    with pytest.raises(SpecError) as err:
        load(spec)
    assert str(err.value).startswith(f"{spec}:{line}:") and str(err.value).endswith(words)


def script(moves: str):
    """A person who tries the cells in this order, again and again (illegal tries are refused)."""
    tries = itertools.cycle(moves)
    return lambda _: next(tries)


def test_play_names_the_seats_and_a_fresh_seed_replays(monkeypatch):
    monkeypatch.setattr(specc.play.secrets, "randbelow", lambda n: 1234)
    out = io.StringIO()
    play("specs/tic_tac_toe.yaml", seat=1, read=script("012345678"), out=out)
    text = out.getvalue()
    assert text.startswith(
        "You are player 1 of 2 in tic_tac_toe; player 0: a uniform random player. "
        "Seed 1234 (play this game again with --seed 1234).\n"
    )
    again = io.StringIO()
    play("specs/tic_tac_toe.yaml", seat=1, seed=1234, read=script("012345678"), out=again)
    assert again.getvalue() == text  # the same seed: the same game
    alone = io.StringIO()
    play("specs/cartpole.yaml", seed=5, read=lambda _: "q", out=alone)
    assert alone.getvalue().startswith("You play cartpole alone (player 0). Seed 5 ")
    with pytest.raises(SpecError, match="--seed must be in 0..4294967295"):
        play("specs/tic_tac_toe.yaml", seed=-1, out=io.StringIO())


def test_each_game_draws_its_own_seed():
    seeds = set()
    for _ in range(3):
        out = io.StringIO()
        play("specs/tic_tac_toe.yaml", read=lambda _: "q", out=out)
        seeds.add(out.getvalue().split("Seed ")[1].split(" ")[0])
    assert len(seeds) == 3
