"""A newcomer's spec, tests/data/newbie/liars_dice.yaml (three-player Liar's Dice), on every
backend: it compiles, its scenarios (values worked out by hand from the rules) pass on JAX, the
reference and C, random games lock-step, and no observer id sees another player's cup."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import specc
from specc.loader import load
from specc.verify.rollouts import episode_key, lockstep_backends, step_key
from specc.verify.scenarios import run_scenarios

SPEC = Path(__file__).resolve().parent / "data" / "newbie" / "liars_dice.yaml"
BID, CHALLENGE, PICK = 0, 54, 55  # flat actions: bid(qty 1..9, face 0..5), challenge, choice(0..2)


def bid(qty: int, face: int) -> int:
    return BID + (qty - 1) * 6 + face


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    out = tmp_path_factory.mktemp("liars_dice")
    return {b: specc.make(SPEC, backend=b, out_dir=out) for b in ("python", "jax", "c")}


def test_it_compiles_with_the_actions_and_visibility_the_rules_give(envs) -> None:
    py = envs["python"]
    assert (py.num_players, py.num_actions, py.observation_shape) == (3, 58, (26,))
    labels = py.module.ACTION_LABELS
    assert labels[bid(1, 0)] == "bid(1, 0)" and labels[bid(9, 5)] == "bid(9, 5)"
    assert labels[CHALLENGE:] == ["challenge", "choice(0)", "choice(1)", "choice(2)"]
    visibility = py.module.VISIBILITY
    assert visibility["cups"] == "owner" and visibility["shown"] == "all"
    assert {v for n, v in visibility.items() if n.startswith("choice__")} == {"none"}


def test_the_scenarios_pass_on_every_backend(envs) -> None:
    spec, source, program = load(SPEC)
    modules = {b: e.module for b, e in envs.items()}
    result = run_scenarios(program, source, spec.scenarios, modules)
    assert result.failed == 0, result.failures
    assert (result.checks, result.details) == (163, {"scenarios": 8})  # 49 per backend, 16 agreements


def _host(state) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(state, f.name)) for f in dataclasses.fields(state)}


def _play(envs, setup: dict, actions: list[int], seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Every backend (JAX jitted and eager, the reference, C) from one set-up state; all
    fields equal after every step; the reference's states."""
    key = episode_key(seed, 0)
    jax_env, py, c = envs["jax"].module, envs["python"].module, envs["c"].module
    states = {}
    for name, module in (("jit", jax_env), ("eager", jax_env), ("python", py), ("c", c)):
        s = module.init(key)
        changes = {n: np.asarray(v, np.asarray(getattr(s, n)).dtype) for n, v in setup.items()}
        if module is jax_env:
            s = s.replace(**{n: jnp.asarray(v) for n, v in changes.items()})
        else:
            for n, v in changes.items():
                setattr(s, n, v[()] if v.ndim == 0 else v)
        states[name] = [module.refresh(s)]
    step = jax.jit(jax_env.step)
    for t, a in enumerate(actions):
        k = step_key(key, t)
        states["jit"].append(step(states["jit"][-1], a, k))
        states["eager"].append(jax_env.step(states["eager"][-1], a, k))
        states["python"].append(py.step(states["python"][-1], a, k))
        states["c"].append(c.step(states["c"][-1], a, k))
    ref = [_host(s) for s in states["python"]]
    for name in ("jit", "eager", "c"):
        for t, s in enumerate(states[name]):
            got = _host(s)
            for field, want in ref[t].items():
                assert got[field].dtype == want.dtype and np.array_equal(got[field], want), (name, t, field)
    return ref


CUPS = [[2, 1, 3], [3, 4, 1], [2, 0, 1]]


def test_the_bidder_picks_the_opener_and_the_dice_are_rolled_again(envs) -> None:
    """Player 1 challenges player 0's bid of three fours: two fours and a wild one hold it, so
    player 1 loses a die and player 0 (not the mover) picks; it picks player 2."""
    setup = {"cups": CUPS, "bid_qty": 3, "bid_face": 3, "bid_by": 0, "current_player": 1}
    start, asked, picked = _play(envs, setup, [CHALLENGE, PICK + 2])
    assert int(start["current_player"]) == 1
    assert int(asked["current_player"]) == 0 and asked["cups"].tolist() == [[2, 1, 3], [4, 1, -1], [2, 0, 1]]
    assert list(np.flatnonzero(asked["legal_action_mask"])) == [55, 56, 57]
    # the pick: a new round opened by player 2, every die still held rolled again, none for the lost one
    assert int(picked["current_player"]) == 2 and int(picked["bid_by"]) == -1
    assert picked["shown"].tolist() == CUPS and int(picked["last_loser"]) == 1
    assert (picked["cups"] >= 0).tolist() == [[True] * 3, [True, True, False], [True] * 3]
    assert picked["dice_left"].tolist() == [3, 2, 3]
    assert list(np.flatnonzero(picked["legal_action_mask"])) == list(range(54))  # any bid, no challenge
    assert picked["rewards"].tolist() == [0.0, 0.0, 0.0] and not picked["terminated"]


def test_a_knocked_out_player_is_skipped_and_the_last_one_wins(envs) -> None:
    # player 1 is out: from player 0 the turn goes to player 2, and from player 2 back to 0
    setup = {"cups": [[2, 5, -1], [-1, -1, -1], [3, -1, -1]], "dice_left": [2, 0, 1], "current_player": 0}
    states = _play(envs, setup, [bid(1, 1), bid(1, 4), bid(2, 0)])
    assert [int(s["current_player"]) for s in states] == [0, 2, 0, 2]
    # player 2 challenges player 0's two ones: there is none, so player 0 loses a die, and
    # player 2 (the challenger, the mover) picks the opener among players 0 and 2
    s = _play(envs, setup, [bid(1, 1), bid(1, 4), bid(2, 0), CHALLENGE])[-1]
    assert int(s["current_player"]) == 2 and list(np.flatnonzero(s["legal_action_mask"])) == [55, 57]
    # two fours bid by player 0: only player 2's wild one counts (its other die is a five), so
    # player 0 loses its last die and player 2 wins at once; no choice is asked
    setup = {
        "cups": [[2, -1, -1], [-1, -1, -1], [4, 0, -1]],
        "dice_left": [1, 0, 2],
        "bid_qty": 2,
        "bid_face": 3,
        "bid_by": 0,
        "current_player": 2,
    }
    s = _play(envs, setup, [CHALLENGE])[-1]
    assert bool(s["terminated"]) and s["rewards"].tolist() == [-1.0, -1.0, 1.0]
    assert not s["legal_action_mask"].any() and int(s["choice__pending"]) == 0


def test_random_games_lock_step_on_three_backends(envs) -> None:
    result = lockstep_backends(
        envs["jax"].module, envs["python"].module, episodes=12, seed=0, others={"specc-c": envs["c"].module}
    )
    assert result.failed == 0, result.failures
    assert result.details["backends"] == ["specc-python", "specc-jax", "specc-c"]
    assert result.details["steps"] >= 300, result.details


OBSERVERS = [0, 1, 2, -1, 3, 99, np.int64(1), np.int8(2), np.uint8(0), 1.0, np.float32(2.0), True, False, 2.5, math.nan]


def _player(p) -> int | None:
    """The player an observer id names, by the documented rule, or None."""
    value = float(p)
    return int(value) if value in (0.0, 1.0, 2.0) else None


def _states(envs, games: int = 3, steps: int = 40) -> list:
    """Reference states from random legal play, pending choices and ends included."""
    py = envs["python"].module
    out = []
    for g in range(games):
        key, rng = episode_key(7, g), np.random.default_rng(g)
        s = py.init(key)
        for t in range(steps):
            out.append(s)
            if s.terminated or s.truncated:
                break
            s = py.step(s, int(rng.choice(np.flatnonzero(s.legal_action_mask))), step_key(key, t))
    return out


def _scrambled(state, player: int | None, rng: np.random.Generator):
    """A copy of a reference state with everything hidden from `player` redrawn: the other
    players' cups (lost dice too: how many dice each holds is the public dice_left) and the
    choice's saved fields."""
    s = dataclasses.replace(state)
    cups = np.array(state.cups)
    for q in range(3):
        if q != player:
            cups[q] = rng.integers(-1, 6, 3)
    s.cups = cups.astype(np.int8)
    for f in dataclasses.fields(s):
        if f.name.startswith("choice__"):
            value = np.asarray(getattr(s, f.name))
            setattr(s, f.name, np.asarray(rng.integers(-1, 3, value.shape), value.dtype)[()])
    return s


def test_no_observer_sees_a_hidden_die(envs) -> None:
    jax_env, py, c = envs["jax"].module, envs["python"].module, envs["c"].module
    observe = jax.jit(jax_env.observe)
    rng = np.random.default_rng(0)
    states = _states(envs)
    assert any(int(s.choice__pending) for s in states)  # a pending pick is among them
    for s in states:
        js = jax_env.State(**{f.name: jnp.asarray(getattr(s, f.name)) for f in dataclasses.fields(s)})
        for p in OBSERVERS:
            who = _player(p)
            want = py.observe(s, p)
            assert np.array_equal(want, np.asarray(jax_env.observe(js, p))), p
            assert np.array_equal(want, np.asarray(observe(js, p))), p
            assert np.array_equal(want, c.observe(s, p)), p
            if who is None:
                assert not want.any(), p
                continue
            assert want[:3].tolist() == s.cups[who].tolist() and want[20 + who] == 1
            for _ in range(3):
                other = _scrambled(s, who, rng)
                assert np.array_equal(py.observe(other, p), want), p
                assert np.array_equal(c.observe(other, p), want), p
                jo = jax_env.State(**{f.name: jnp.asarray(getattr(other, f.name)) for f in dataclasses.fields(other)})
                assert np.array_equal(np.asarray(observe(jo, p)), want), p


def test_the_first_observation_by_hand(envs) -> None:
    """init(PRNGKey(0)) deals CUPS with player 0 to move: what players 1 and 0 see of it."""
    py = envs["python"].module
    s = py.init(np.asarray(jax.random.PRNGKey(0)))
    assert s.cups.tolist() == CUPS and int(s.current_player) == 0
    hidden_shown = [-1] * 9
    assert py.observe(s, 1).tolist() == [3, 4, 1, *hidden_shown, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 3, 3, 3]
    s.cups = np.array([[2, 1, 3], [3, 4, 1], [-1, -1, -1]], np.int8)  # what player 1 may not see changes
    assert py.observe(s, 1).tolist()[-3:] == [3, 3, 3]  # dice_left, not the cups, tells the counts
    assert s.observation.tolist() == [2, 1, 3, *hidden_shown, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 3, 3, 3]
