"""`specc play`: a person plays a compiled game in the terminal."""

import io

import jax
import numpy as np

from specc.api import make
from specc.play import parse_choice, play, render


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
