"""The Gymnasium, PettingZoo and Pgx adapters pass each library's own contract test, and
replay exactly on the raw API (`specc.make(...).init/step`) with the same keys and actions."""

from __future__ import annotations

import sys
import typing
import warnings
from collections.abc import Callable
from pathlib import Path

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
import pgx
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

import specc
from specc.adapters.common import split_keys
from specc.adapters.gymnasium import GymnasiumEnv, GymnasiumVectorEnv, _batched
from specc.adapters.pettingzoo import AECEnv, ParallelEnv
from specc.adapters.pgx import PgxEnv
from specc.errors import SpecError

MULTI = ["tic_tac_toe", "connect_four", "tcg"]
SPECS = Path(__file__).resolve().parents[1] / "specs"


@pytest.fixture(scope="session")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the specs are compiled (as conftest's make_env does, so tests never rewrite generated/)."""
    return tmp_path_factory.mktemp("adapters")


@pytest.fixture(scope="session")
def env_of(out: Path) -> Callable[..., specc.api.Env]:
    """env_of(name, backend="jax"): specs/NAME.yaml made once per session (making tcg
    compiles it, about 15 s; the adapters take the made Env)."""
    made: dict[tuple[str, str], specc.api.Env] = {}

    def get(name: str, backend: str = "jax") -> specc.api.Env:
        if (name, backend) not in made:
            made[name, backend] = specc.make(SPECS / f"{name}.yaml", backend=backend, out_dir=out / name)
        return made[name, backend]

    return get


def random_legal(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    """One random legal action per row of `masks` (0 where nothing is legal)."""
    return np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in masks])


# --- Gymnasium ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["python", "jax"])
def test_gymnasium_env_passes_check_env(env_of, out, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # infinite Box bounds: a spec declares none for observe
        check_env(GymnasiumEnv(env_of("cartpole", backend)))
        check_env(gymnasium.make("specc/cartpole-v0", out_dir=out / "cartpole").unwrapped)


def test_gymnasium_env_replays_on_the_raw_api(env_of):
    raw = env_of("cartpole", "python")
    env = GymnasiumEnv(raw)
    obs, info = env.reset(seed=11)
    key, sub = jax.random.split(jax.random.PRNGKey(11))
    state = raw.init(sub)
    np.testing.assert_array_equal(obs, state.observation)
    np.testing.assert_array_equal(info["action_mask"], [1, 1])
    ended, rng = False, np.random.default_rng(0)
    while not ended:
        action = int(rng.integers(2))
        obs, reward, terminated, truncated, info = env.step(action)
        key, sub = jax.random.split(key)
        state = raw.step(state, action, sub)
        np.testing.assert_array_equal(obs, state.observation)
        assert (reward, terminated, truncated) == (1.0, bool(state.terminated), bool(state.truncated))
        ended = terminated or truncated
    assert terminated and info["action_mask"].tolist() == [0, 0]
    # reset() without a seed continues from the carried key
    obs, _ = env.reset()
    key, sub = jax.random.split(key)
    np.testing.assert_array_equal(obs, raw.init(sub).observation)


def test_gymnasium_env_refuses_multiplayer_specs(env_of, out):
    with pytest.raises(SpecError, match="tic_tac_toe has 2 players.*make_vec"):
        GymnasiumEnv(env_of("tic_tac_toe", "python"))
    with pytest.raises(SpecError, match="tic_tac_toe has 2 players.*make_vec"):
        gymnasium.make("specc/tic_tac_toe-v0", out_dir=out / "tic_tac_toe")


def replay_vector(raw: specc.api.Env, num_envs: int, seed: int, steps: int) -> tuple[int, int]:
    """Step the vector env with random legal actions and the raw API with the same keys
    (Gymnasium's next-step autoreset by hand); every output must be identical.
    Returns (autoresets, nonzero rewards) so callers can check both happened."""
    venv = specc.make_vec(raw, num_envs)
    init, step = jax.jit(raw.init), jax.jit(raw.step)
    carry, states = [], []
    for i in range(num_envs):
        key, sub = jax.random.split(jax.random.PRNGKey(seed + i))
        carry.append(key)
        states.append(init(sub))
    obs, info = venv.reset(seed=seed)
    np.testing.assert_array_equal(obs, np.stack([s.observation for s in states]))
    done = [False] * num_envs
    resets = rewarded = 0
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        actions = random_legal(rng, info["action_mask"])
        obs, reward, terminated, truncated, info = venv.step(actions)
        for i in range(num_envs):
            carry[i], sub = jax.random.split(carry[i])
            if done[i]:  # next-step autoreset: the action is ignored, a new episode starts
                states[i], expected = init(sub), 0.0
                resets += 1
            else:
                mover = int(states[i].current_player)
                states[i] = step(states[i], int(actions[i]), sub)
                expected = float(states[i].rewards[mover])
            s = states[i]
            np.testing.assert_array_equal(obs[i], s.observation)
            assert reward[i] == expected
            assert (terminated[i], truncated[i]) == (bool(s.terminated), bool(s.truncated))
            np.testing.assert_array_equal(info["action_mask"][i], np.asarray(s.legal_action_mask, np.int8))
            np.testing.assert_array_equal(info["rewards"][i], s.rewards)
            assert info["current_player"][i] == int(s.current_player)
            done[i] = bool(s.terminated or s.truncated)
            rewarded += expected != 0
    return resets, rewarded


@pytest.mark.parametrize("name", ["tic_tac_toe", "cartpole"])
def test_vector_env_matches_the_raw_api(env_of, name):
    resets, rewarded = replay_vector(env_of(name), num_envs=4, seed=5, steps=40)
    assert resets >= 4 and rewarded > 0


def test_vector_env_contract(env_of, out):
    venv = gymnasium.make_vec("specc/tic_tac_toe-v0", num_envs=3, out_dir=out / "tic_tac_toe")
    assert isinstance(venv, GymnasiumVectorEnv)
    assert venv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert venv.observation_space.shape == (3, 3, 3, 2) and venv.action_space.nvec.tolist() == [9, 9, 9]
    obs, info = venv.reset(seed=1)
    assert obs in venv.observation_space and info["_action_mask"].all()
    # a single env seeded seed + i starts as sub-env i (Gymnasium's seeding of vector envs)
    cart = GymnasiumVectorEnv(env_of("cartpole"), num_envs=3)
    obs, _ = cart.reset(seed=20)
    single = GymnasiumEnv(env_of("cartpole"))
    np.testing.assert_array_equal(obs[2], single.reset(seed=22)[0])
    # reset() without a seed continues: the same sequence as the first time
    first = cart.reset(seed=20)[0], cart.reset()[0]
    again = cart.reset(seed=20)[0], cart.reset()[0]
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])


def test_vector_env_compiles_step_once(env_of):
    venv = specc.make_vec(env_of("connect_four"), 8)
    obs, info = venv.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(30):
        obs, *_, info = venv.step(random_legal(rng, info["action_mask"]))
    _, step = _batched(env_of("connect_four").module)
    assert step._cache_size() == 1


def test_ansi_render_draws_as_specc_play(out):
    env = AECEnv(SPECS / "tic_tac_toe.yaml", render_mode="ansi", out_dir=out / "tic_tac_toe")
    env.reset(seed=0)
    env.step(4)
    mark = "X" if env.agent_selection == "player_1" else "O"  # the first mover's mark
    assert f"  board:\n    0 1 2\n    3 {mark} 5\n    6 7 8\n" in env.render()
    single = GymnasiumEnv(SPECS / "cartpole.yaml", render_mode="ansi", out_dir=out / "cartpole")
    single.reset(seed=0)
    assert single.render().startswith("cartpole: step 0") and "  theta_dot: " in single.render()


def test_vector_env_bad_arguments(env_of):
    with pytest.raises(ValueError, match="num_envs must be a positive int"):
        GymnasiumVectorEnv(env_of("tic_tac_toe"), num_envs=0)
    venv = GymnasiumVectorEnv(env_of("tic_tac_toe"), num_envs=2)
    with pytest.raises(RuntimeError, match="reset"):
        venv.step(np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="seed must be in"):
        venv.reset(seed=-1)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must be ints of shape \(2,\)"):
        venv.step(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="needs the jax backend"):
        GymnasiumVectorEnv(env_of("tic_tac_toe", "python"), num_envs=2)
    with pytest.raises(ValueError, match="backend='jax' but the Env given is on the python backend"):
        GymnasiumEnv(env_of("cartpole", "python"), backend="jax")


# --- the vector env on the C backend ----------------------------------------------------


def random_steps(venv: GymnasiumVectorEnv, seed: int, steps: int, rng: np.random.Generator):
    """reset(seed), then `steps` random legal steps: yields each reset/step result."""
    obs, info = venv.reset(seed=seed)
    yield obs, info
    for _ in range(steps):
        result = venv.step(random_legal(rng, info["action_mask"]))
        info = result[-1]
        yield result


@pytest.mark.parametrize("name, steps", [("tic_tac_toe", 40), ("tcg", 150)])
def test_c_vector_env_matches_the_jax_vector_env(env_of, name, steps):
    """The same seed and actions on both backends: every observation, reward, flag and
    info array is identical, through autoresets (and tcg's chance draws)."""
    on_jax = specc.make_vec(env_of(name), 8)
    on_c = specc.make_vec(env_of(name, "c"), 8, backend="c")
    resets = rewarded = 0
    pairs = zip(random_steps(on_jax, 11, steps, np.random.default_rng(1)),
                random_steps(on_c, 11, steps, np.random.default_rng(1)), strict=True)  # fmt: skip
    for j, c in pairs:
        for a, b in zip(j[:-1], c[:-1], strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        assert j[-1].keys() == c[-1].keys()
        for key in j[-1]:
            np.testing.assert_array_equal(j[-1][key], c[-1][key])
        if len(c) == 5:
            resets += int((c[2] | c[3]).sum())
            rewarded += int((c[1] != 0).sum())
    assert resets >= 4 and (rewarded > 0 or name == "tcg")  # random tcg games mostly hit the step limit


@pytest.mark.parametrize("name", ["tic_tac_toe", "cartpole", "tcg"])
def test_c_vector_env_matches_the_raw_c_batched_api(env_of, name):
    """Gymnasium's next-step autoreset by hand over the raw batched C calls
    (init_batch, step_batch), keys split by jax.random: the vector env gives the same."""
    raw, n, seed = env_of(name, "c"), 6, 7
    venv = specc.make_vec(raw, n, backend="c")
    split = jax.jit(jax.vmap(jax.random.split, out_axes=1))
    keys, sub = split(jax.vmap(jax.random.PRNGKey)(jnp.arange(seed, seed + n, dtype=jnp.uint32)))
    states = raw.init_batch(np.asarray(sub))
    obs, info = venv.reset(seed=seed)
    np.testing.assert_array_equal(obs, states["observation"])
    rng, done, resets = np.random.default_rng(seed), np.zeros(n, bool), 0
    for _ in range(60):
        actions = random_legal(rng, info["action_mask"])
        obs, reward, terminated, truncated, info = venv.step(actions)
        keys, sub = split(keys)
        mover = states["current_player"].copy()
        states = raw.step_batch(states, actions, np.asarray(sub))
        expected = np.where(done, 0.0, states["rewards"][np.arange(n), mover.clip(0, raw.num_players - 1)])
        states[done] = raw.init_batch(np.asarray(sub))[done]
        resets += int(done.sum())
        np.testing.assert_array_equal(obs, states["observation"])
        np.testing.assert_array_equal(reward, expected.astype(np.float32))
        np.testing.assert_array_equal(terminated, states["terminated"])
        np.testing.assert_array_equal(truncated, states["truncated"])
        np.testing.assert_array_equal(info["action_mask"], states["legal_action_mask"].astype(np.int8))
        np.testing.assert_array_equal(info["rewards"], states["rewards"])
        np.testing.assert_array_equal(info["current_player"], states["current_player"])
        done = terminated | truncated
    assert resets > 0 or name == "tcg"  # tcg's games last longer than 60 steps


def test_c_vector_env_contract(env_of):
    """Spaces, metadata and returned arrays of their own (the C states change in place)."""
    venv = specc.make_vec(env_of("tic_tac_toe", "c"), 3, backend="c")
    assert venv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, info = venv.reset(seed=1)
    assert obs in venv.observation_space and info["_action_mask"].all()
    first, mask = obs.copy(), info["action_mask"].copy()
    venv.step(random_legal(np.random.default_rng(0), info["action_mask"]))
    np.testing.assert_array_equal(obs, first)
    np.testing.assert_array_equal(info["action_mask"], mask)
    # cartpole: the C floats match JAX's to the last bit or so
    on_c = specc.make_vec(env_of("cartpole", "c"), 4, backend="c").reset(seed=3)[0]
    np.testing.assert_allclose(on_c, specc.make_vec(env_of("cartpole"), 4).reset(seed=3)[0], rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="needs the c backend, the Env given is on jax"):
        GymnasiumVectorEnv(env_of("tic_tac_toe"), num_envs=2, backend="c")
    with pytest.raises(ValueError, match="backend must be 'jax' or 'c', got 'cuda'"):
        GymnasiumVectorEnv(env_of("tic_tac_toe"), num_envs=2, backend="cuda")


def test_numpy_key_split_is_jax_random_split():
    keys = np.array(jax.vmap(jax.random.PRNGKey)(jnp.arange(0, 9000, 1000, dtype=jnp.uint32)))
    keys[0] = [0xFFFFFFFF, 0xFFFFFFFE]
    carry, sub = split_keys(keys)
    expected = np.asarray(jax.vmap(jax.random.split, out_axes=1)(keys))
    np.testing.assert_array_equal(carry, expected[0])
    np.testing.assert_array_equal(sub, expected[1])


# --- PettingZoo --------------------------------------------------------------------------


@pytest.mark.parametrize("name, backend", [(name, "python") for name in MULTI] + [("tic_tac_toe", "jax")])
def test_pettingzoo_api_tests_pass(env_of, name, backend):
    with warnings.catch_warnings():
        # the same advisory warnings PettingZoo's own classic games get (dict observations)
        warnings.simplefilter("ignore")
        api_test(AECEnv(env_of(name, backend)), num_cycles=100)
        parallel_api_test(ParallelEnv(env_of(name, backend)), num_cycles=100)


def test_pettingzoo_seed_tests_pass(env_of):
    raw = env_of("connect_four", "python")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seed_test(lambda: AECEnv(raw), num_cycles=50)  # the same seed: the same game
        parallel_seed_test(lambda: ParallelEnv(raw), num_cycles=50)


def test_each_agent_sees_its_own_observation(env_of):
    raw = env_of("tcg", "python")
    env = AECEnv(raw)
    env.reset(seed=3)
    key, sub = jax.random.split(jax.random.PRNGKey(3))
    state = raw.init(sub)
    views = {}
    for player, agent in enumerate(env.possible_agents):
        obs = env.observe(agent)
        np.testing.assert_array_equal(obs["observation"], raw.observe(state, player))
        mover = player == int(state.current_player)
        np.testing.assert_array_equal(obs["action_mask"], state.legal_action_mask if mover else 0)
        views[agent] = obs["observation"]
    assert not np.array_equal(views["player_0"], views["player_1"])  # hands are hidden


def test_parallel_env_applies_only_the_movers_action(env_of):
    env = ParallelEnv(env_of("tic_tac_toe", "python"))
    obs, _ = env.reset(seed=0)
    mover = next(a for a in env.agents if obs[a]["action_mask"].any())
    other = next(a for a in env.agents if a != mover)
    obs, rewards, terminated, _, _ = env.step({mover: 4, other: 4})  # the other's 4 is ignored
    assert not any(terminated.values()) and set(rewards.values()) == {0.0}
    assert obs[other]["action_mask"].tolist() == [1, 1, 1, 1, 0, 1, 1, 1, 1]
    with pytest.raises(ValueError, match=f"{other} is to move"):
        env.step({mover: 0})


def test_aec_env_illegal_action_ends_the_game(env_of):
    env = AECEnv(env_of("connect_four", "python"))
    env.reset(seed=1)
    agent = env.agent_selection
    env.step(99)  # out of range: illegal, as in the raw API
    assert all(env.terminations.values())
    assert env._cumulative_rewards[agent] == -1.0
    assert sum(env._cumulative_rewards.values()) == 0.0


# --- Pgx ---------------------------------------------------------------------------------


@pytest.fixture
def pgx_api_test(monkeypatch):
    """`pgx.api_test`, with two changes that each let it run here, both explained:

    - Pgx 2.6's single-game check draws actions with `act_randomly`, which calls
      `categorical(..., axis=1)` on one game's 1-D mask; current JAX rejects that axis
      (Pgx's own tic_tac_toe fails the same way), so the same draw is made on axis -1.
    - It checks `state.env_id` against Pgx's closed list of its own games; specs that are
      not Pgx games (tcg) are added to that list so every other check runs.
    """
    module = sys.modules["pgx._src.api_test"]
    draw = jax.jit(lambda key, mask: jax.random.categorical(key, jnp.log(mask.astype(jnp.float32)), axis=-1))
    monkeypatch.setattr(module, "act_randomly", draw)
    known = typing.get_args(pgx.core.EnvId)
    monkeypatch.setattr(module, "get_args", lambda t: known + ("tcg",) if t is pgx.core.EnvId else typing.get_args(t))
    return module.api_test


def test_pgx_api_test_runs_on_pgx_itself(pgx_api_test):
    pgx_api_test(pgx.make("tic_tac_toe"), num=2)  # the patched test still passes Pgx's own env


# tcg: Pgx's wrapped step is compiled twice (single and vmapped), about 2 minutes on 2 cores
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "tcg" else n for n in MULTI])
def test_pgx_api_test_passes(env_of, pgx_api_test, name):
    env = PgxEnv(env_of(name))
    assert isinstance(env, pgx.Env) and env.version.startswith("specc-")
    pgx_api_test(env, num=2)


def test_pgx_conventions_at_the_end(env_of):
    env = PgxEnv(env_of("tic_tac_toe"))
    step = jax.jit(env.step)
    state = jax.jit(env.init)(jax.random.PRNGKey(0))
    assert isinstance(state, pgx.State) and state.env_id == "tic_tac_toe"
    mover = int(state.current_player)
    state = step(state, 0)
    state = step(state, 0)  # illegal: the cell is taken
    assert bool(state.terminated) and state.rewards.tolist()[1 - mover] == -1.0
    assert bool(state.legal_action_mask.all())  # Pgx: all True once ended
    assert not bool(state._x.legal_action_mask.any())  # specc: all False
    assert int(state._step_count) == 2
    svg = state.to_svg()
    assert svg.startswith("<svg") and "tic_tac_toe: step 2" in svg
