"""Equivalence: specc's JAX backend, its Python reference and an outside implementation
(Pgx for the board games, gymnax for CartPole) play the same games in lock-step.

Each game is played once (see lockstep.run) and the one report backs two tests: ours vs
the peer, and JAX vs Python on every state field. Seeds are fixed, so runs repeat.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from lockstep import (
    GymnaxCartPole,
    Pair,
    PgxPeer,
    Report,
    batched,
    check_python,
    fields_of,
    make_keys,
    run,
    to_host,
    uniform_legal,
)

from specc.api import Env

MakeEnv = Callable[[str, str], Env]

BOARD_GAMES = {  # name: (games, horizon: the longest game possible)
    "tic_tac_toe": (1000, 9),
    "connect_four": (1000, 42),
}
SEED = 20240611

# CartPole: the long episodes lean on the balancing policy, the rest are random.
CARTPOLE_GAMES = 64
CARTPOLE_BALANCED = 8
CARTPOLE_HORIZON = 500
GYMNAX_ATOL = 1e-5
# A CartPole step is not bit-exact JAX vs Python: under jit XLA:CPU fuses a * b + c into
# one FMA (one rounding) where NumPy rounds twice, and XLA's float32 sin/cos differ from
# NumPy's by an ulp on ~2% of inputs. CartPole amplifies such gaps (an inverted pendulum),
# so the Python side restarts from the JAX state every step (resync) and each step is
# compared within PYTHON_ATOL; the largest gap seen is ~2.4e-7, an ulp of values near 2.
# The initial state, made of chance draws alone, is held to exact equality apart.
PYTHON_ATOL = 1e-6
# Free-running (no resync), random episodes of a few dozen steps drift by a few 1e-6.
FREE_RUNNING_ATOL = 1e-4


@pytest.fixture(scope="module", params=sorted(BOARD_GAMES))
def board_report(request: pytest.FixtureRequest, make_env: MakeEnv) -> Report:
    """One lock-step run of a board game on specc-JAX, specc-Python and Pgx."""
    name = request.param
    games, horizon = BOARD_GAMES[name]
    report = run(
        make_env(name, "jax"), make_env(name, "python"), games=games, horizon=horizon, seed=SEED, peer=PgxPeer(name)
    )
    print(f"\n{name}: {report.summary()}")
    return report


def test_board_games_really_played(board_report: Report) -> None:
    """The run covers what it claims: every game finished, every live state compared,
    and the outcomes are varied (wins for each player)."""
    assert board_report.unfinished == 0
    assert board_report.games >= 1000
    assert board_report.states == board_report.games + board_report.transitions
    finals = board_report.final_rewards
    assert (finals[:, 0] == 1).any() and (finals[:, 1] == 1).any()


def test_board_games_match_pgx(board_report: Report) -> None:
    """Masks (while live), terminated and the mover's reward agree with Pgx at every step
    (and observations, the matched reward vector and next mover; see PgxPeer)."""
    assert board_report.count("jax vs pgx") == 0, board_report.summary()


def test_board_games_jax_matches_python(board_report: Report) -> None:
    """Every state field, dtype included, is equal after init and after every step."""
    assert board_report.count("jax vs python") == 0, board_report.summary()


def balance_then_random(rng: np.random.Generator, batch: dict[str, np.ndarray]) -> np.ndarray:
    """Games below CARTPOLE_BALANCED push toward the pole's lean (they reach the time
    limit); the others push at random (they fall within a few dozen steps)."""
    lean = batch["theta"] + 0.5 * batch["theta_dot"]
    balance = (lean > 0).astype(np.int32)
    return np.where(np.arange(len(lean)) < CARTPOLE_BALANCED, balance, uniform_legal(rng, batch))


@pytest.fixture(scope="module")
def cartpole_report(make_env: MakeEnv) -> Report:
    """One lock-step run of CartPole on specc-JAX, specc-Python and gymnax."""
    report = run(
        make_env("cartpole", "jax"),
        make_env("cartpole", "python"),
        games=CARTPOLE_GAMES,
        horizon=CARTPOLE_HORIZON,
        seed=SEED,
        policy=balance_then_random,
        peer=GymnaxCartPole(GYMNAX_ATOL),
        atol=PYTHON_ATOL,
        resync=True,
    )
    print(f"\ncartpole: {report.summary()}")
    return report


def test_cartpole_really_played(cartpole_report: Report) -> None:
    """At least 500 steps in all, one episode to the 500-step truncation, random ones too."""
    assert cartpole_report.unfinished == 0
    assert cartpole_report.transitions >= 500
    assert cartpole_report.lengths.max() == CARTPOLE_HORIZON and cartpole_report.truncated >= 1
    assert (cartpole_report.lengths[CARTPOLE_BALANCED:] < CARTPOLE_HORIZON).all()
    assert cartpole_report.states == cartpole_report.games + cartpole_report.transitions


def test_cartpole_matches_gymnax(cartpole_report: Report) -> None:
    """x, x_dot, theta, theta_dot within 1e-5, the reward and termination agree with gymnax."""
    assert cartpole_report.count("jax vs gymnax") == 0, cartpole_report.summary()


def test_cartpole_jax_matches_python(cartpole_report: Report) -> None:
    """Every state field agrees (floats within PYTHON_ATOL) after init and every step."""
    assert cartpole_report.count("jax vs python") == 0, cartpole_report.summary()


# Chance draws give both backends the same random words, but turning a word into a float
# in [low, high) is low + (high - low) * unit: XLA fuses that multiply-add into one FMA
# under jit (one rounding), NumPy rounds twice, so initial floats may differ by 1 ulp
# (<= 3.7e-9 here). Integer and bool fields must still match exactly.
INIT_ATOL = 1e-8


def test_cartpole_init_matches(make_env: MakeEnv) -> None:
    """Chance draws give both backends the same numbers: initial states agree, floats to
    within an ulp (INIT_ATOL), everything else exactly."""
    jax_env, py_env = make_env("cartpole", "jax"), make_env("cartpole", "python")
    keys, _ = make_keys(SEED, CARTPOLE_GAMES, 1)
    init, _ = batched(jax_env)
    report = Report(games=CARTPOLE_GAMES)
    check_python(
        report, 0, to_host(init(jnp.asarray(keys))), [py_env.init(key) for key in keys], np.arange(len(keys)), INIT_ATOL
    )
    assert report.states == CARTPOLE_GAMES
    assert report.count() == 0, f"spec cartpole, seed {SEED}, init keys make_keys(seed, {CARTPOLE_GAMES}, 1):\n" + (
        report.summary()
    )


def test_cartpole_python_free_running(make_env: MakeEnv) -> None:
    """Without resync, the reference tracks JAX through whole random episodes: floats
    within FREE_RUNNING_ATOL, everything else (termination step included) exactly."""
    report = run(
        make_env("cartpole", "jax"),
        make_env("cartpole", "python"),
        games=CARTPOLE_GAMES,
        horizon=CARTPOLE_HORIZON,
        seed=SEED + 1,
        atol=FREE_RUNNING_ATOL,
    )
    print(f"\ncartpole, free-running: {report.summary()}")
    assert report.unfinished == 0 and report.transitions >= 500
    assert report.count() == 0, report.summary()


def test_comparison_catches_a_difference(make_env: MakeEnv) -> None:
    """The checker is not vacuous: a one-cell or one-dtype change in the reference is reported."""
    jax_env, py_env = make_env("tic_tac_toe", "jax"), make_env("tic_tac_toe", "python")
    key = np.asarray(jax.random.PRNGKey(0))
    batch = {name: value[None] for name, value in fields_of(jax.device_get(jax_env.init(key))).items()}
    state = py_env.init(key)
    clean = Report()
    check_python(clean, 0, batch, [state], np.arange(1))
    assert clean.count() == 0
    state.board[4] = 1
    state.step_count = np.int64(state.step_count)
    caught = Report()
    check_python(caught, 0, batch, [state], np.arange(1))
    assert {m.field for m in caught.failures()} == {"board", "step_count dtype/shape"}


def test_pgx_comparison_catches_a_difference(make_env: MakeEnv) -> None:
    """Nor is the Pgx check: after one real step on both, a changed Pgx mask or reward is reported."""
    peer = PgxPeer("tic_tac_toe")
    init, step = batched(make_env("tic_tac_toe", "jax"))
    keys = jnp.asarray(make_keys(SEED, 2, 1)[0])
    actions = jnp.array([4, 4], jnp.int32)
    start = init(keys)
    ours = Pair(to_host(start), to_host(step(start, actions, keys)))
    pgx_start = peer.reset(start, keys)
    pgx_next = peer.step(pgx_start, actions, keys)
    clean = Report()
    peer.check_step(clean, 1, ours, jax.device_get(Pair(pgx_start, pgx_next)), np.arange(2))
    assert clean.count() == 0
    tampered = pgx_next.replace(  # cell 0 is still free in both games; game 1 now pays 1 to both players
        legal_action_mask=pgx_next.legal_action_mask.at[:, 0].set(False),
        rewards=pgx_next.rewards.at[1].set(1.0),
    )
    caught = Report()
    peer.check_step(caught, 1, ours, jax.device_get(Pair(pgx_start, tampered)), np.arange(2))
    fields = sorted((m.game, m.field) for m in caught.failures())
    assert fields == [
        (0, "legal_action_mask"),
        (1, "legal_action_mask"),
        (1, "mover's reward"),
        (1, "rewards (players matched)"),
    ]
