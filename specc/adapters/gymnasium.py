"""Gymnasium adapters: a one-player spec as a `gymnasium.Env`, any spec as a `gymnasium.vector.VectorEnv`.

    env = GymnasiumEnv("specs/cartpole.yaml")          # or gymnasium.make("specc/cartpole-v0")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample(mask=info["action_mask"]))

    envs = specc.make_vec("specs/tic_tac_toe.yaml", 1024)   # or gymnasium.make_vec("specc/tic_tac_toe-v0", 1024)
    envs = specc.make_vec("specs/tic_tac_toe.yaml", 1024, backend="c")   # the native C backend

Observations are the current player's (`state.observation`); `info["action_mask"]` is the
legal mask as int8 (what `Discrete.sample(mask=...)` takes). In a multi-player spec the
vector env's reward is the mover's: the player who chose the action of that step;
`info["rewards"]` has every player's and `info["current_player"]` says who moves next.
Keys follow `specc.adapters.common`, so an episode replays exactly on `specc.make(spec)`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.vector import AutoresetMode

from ..api import Env
from ..errors import SpecError
from ..play import render
from .common import (
    SEED_LIMIT,
    Game,
    action_mask,
    check_seed,
    drawing_for,
    load,
    observation_box,
    seed_keys,
    split_keys,
)

SPECS_DIR = Path(__file__).resolve().parents[2] / "specs"  # the shipped specs


class GymnasiumEnv(gymnasium.Env):
    """A one-player spec as a `gymnasium.Env`.

    `spec`: a spec file or a `specc.make(...)` Env. `backend`: "python" (the reference, no
    compile time; the default for a file) or "jax" (jitted once).
    observation: the spec's `observe` (its dtype and shape); action: Discrete(num_actions);
    info: {"action_mask": int8[num_actions]}. The spec's `max_steps` truncates.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, spec: str | Path | Env, backend: str | None = None, render_mode: str | None = None,
                 out_dir: str | Path | None = None):  # fmt: skip
        env = load(spec, backend, out_dir)
        if env.num_players != 1:
            raise SpecError(
                f"{env.id} has {env.num_players} players; a gymnasium.Env is for one player: use "
                "specc.make_vec (the mover's reward) or specc.adapters.pettingzoo"
            )
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = observation_box(env.module)
        self.action_space = gymnasium.spaces.Discrete(env.num_actions)
        self._game = Game(env)
        self._drawing = drawing_for(spec)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        """Start an episode: (observation, {"action_mask"})."""
        super().reset(seed=None if seed is None else check_seed(seed))
        state = self._game.reset(seed, self.np_random)
        return np.asarray(state.observation), {"action_mask": action_mask(state)}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        """(observation, reward, terminated, truncated, {"action_mask"}). An illegal action
        ends the episode with the raw API's penalty for the mover."""
        state = self._game.step(int(action))
        reward = float(np.asarray(state.rewards)[0])
        info = {"action_mask": action_mask(state)}
        return np.asarray(state.observation), reward, bool(state.terminated), bool(state.truncated), info

    def render(self) -> str | None:
        """With render_mode "ansi": the state as text, as `specc play` draws it."""
        if self.render_mode == "ansi" and self._game.state is not None:
            return render(self._game.env, self._game.state, drawing=self._drawing)
        return None


class GymnasiumVectorEnv(gymnasium.vector.VectorEnv):
    """`num_envs` games of any spec on the JAX backend (one jitted call steps the whole
    batch) or, with backend="c", the native C one (one batched C call over all cores, and
    NumPy for the autoreset: no Python per sub-env). Both give identical results.

    Autoreset is Gymnasium 1.x's default, next-step: the step after a sub-env's episode ends
    ignores its action and returns the first observation of a new episode, with reward 0
    and terminated = truncated = False. Returned arrays are NumPy: observations
    [num_envs, *shape], rewards float32[num_envs] (the mover's), terminations and
    truncations bool[num_envs]; info: "action_mask" int8[num_envs, num_actions],
    "rewards" float32[num_envs, num_players], "current_player" int32[num_envs], each with
    Gymnasium's "_key" bool[num_envs] saying which sub-envs have it (all of them).
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, spec: str | Path | Env, num_envs: int, out_dir: str | Path | None = None,
                 backend: str = "jax"):  # fmt: skip
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        if backend not in ("jax", "c"):
            raise ValueError(f"backend must be 'jax' or 'c', got {backend!r}")
        env = load(spec, None, out_dir, need=backend)
        self.env = env
        self.num_envs = num_envs
        self.single_observation_space = observation_box(env.module)
        self.single_action_space = gymnasium.spaces.Discrete(env.num_actions)
        self.observation_space = gymnasium.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gymnasium.vector.utils.batch_space(self.single_action_space, num_envs)
        self._reset_fn, self._step_fn = _batched(env.module) if backend == "jax" else _native_batched(env.module)
        self._xp = jnp if backend == "jax" else np  # where the keys and flags live
        self._state: Any = None
        self._keys: Any = None
        self._autoreset = self._xp.zeros(num_envs, np.bool_)

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        """Start every sub-env: sub-env i from `seed + i` (or `seed[i]` for a list), else
        from its carried key (the first time, seeds drawn from `np_random`)."""
        if isinstance(seed, list | tuple):
            if len(seed) != self.num_envs:
                raise ValueError(f"seed has {len(seed)} entries for {self.num_envs} envs")
            super().reset(seed=None)
            keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray([check_seed(s) for s in seed], jnp.uint32))
            keys = self._xp.asarray(keys)
        else:
            if seed is not None:
                seed = check_seed(seed, self.num_envs)  # before Gymnasium's own, less precise check
            super().reset(seed=seed)
            if seed is not None:
                keys = self._xp.asarray(seed_keys(seed, self.num_envs))
            elif self._keys is not None:
                keys = self._keys
            else:
                start = int(self.np_random.integers(SEED_LIMIT - self.num_envs))
                keys = self._xp.asarray(seed_keys(start, self.num_envs))
        self._state, self._keys = self._reset_fn(keys)
        self._autoreset = self._xp.zeros(self.num_envs, np.bool_)
        return self._get("observation"), self._info()

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Step every sub-env with `actions` int[num_envs] (see the class doc for autoreset)."""
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(f"actions must be ints of shape ({self.num_envs},), got {actions.dtype} {actions.shape}")
        self._state, self._keys, reward = self._step_fn(
            self._state, self._keys, self._autoreset, self._xp.asarray(actions, np.int32)
        )
        terminated, truncated = self._get("terminated"), self._get("truncated")
        self._autoreset = self._xp.asarray(terminated | truncated)
        return self._get("observation"), np.asarray(reward), terminated, truncated, self._info()

    def _get(self, field: str) -> np.ndarray:
        """One State field of every sub-env as a NumPy array of its own (a copy on C, whose
        states change in place)."""
        if self._xp is np:
            return self._state[field].copy()
        return np.asarray(getattr(self._state, field))

    def _info(self) -> dict:
        info = {
            "action_mask": self._get("legal_action_mask").astype(np.int8),
            "rewards": self._get("rewards"),
            "current_player": self._get("current_player"),
        }
        everyone = np.ones(self.num_envs, np.bool_)
        return info | {f"_{k}": everyone for k in list(info)}


@functools.cache
def _batched(module: Any) -> tuple[Any, Any]:
    """The jitted batch reset and next-step-autoreset step of a compiled module (once each)."""
    init, step = jax.vmap(module.init), jax.vmap(module.step)
    split = jax.vmap(jax.random.split, out_axes=1)  # keys[n, 2] -> [2, n, 2]

    def reset(keys):
        keys, sub = split(keys)
        return init(sub), keys

    def step_batch(state, keys, autoreset, actions):
        keys, sub = split(keys)
        n = actions.shape[0]
        stepped = step(state, actions, sub)
        fresh = init(sub)  # the next episode of the sub-envs that ended last step

        def pick(a, b):
            return jnp.where(autoreset.reshape((n,) + (1,) * (a.ndim - 1)), a, b)

        new = jax.tree_util.tree_map(pick, fresh, stepped)
        mover_reward = stepped.rewards[jnp.arange(n), state.current_player]
        return new, keys, jnp.where(autoreset, 0.0, mover_reward).astype(jnp.float32)

    return jax.jit(reset), jax.jit(step_batch)


def _native_batched(module: Any) -> tuple[Any, Any]:
    """The batch reset and next-step-autoreset step on the C backend, in NumPy: the same
    keys (split in NumPy, bit-identical) and results as `_batched`'s on JAX."""
    arange = None

    def reset(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keys, sub = split_keys(keys)
        return module.init_batch(sub), keys

    def step_batch(states, keys, autoreset, actions):
        nonlocal arange
        keys, sub = split_keys(keys)
        n = len(states)
        arange = arange if arange is not None and len(arange) == n else np.arange(n)
        mover = np.clip(states["current_player"], 0, module.NUM_PLAYERS - 1)  # ended sub-envs: any, unused
        module.step_batch(states, actions, sub)  # in place; the ended sub-envs' results are replaced next
        reward = np.where(autoreset, 0.0, states["rewards"][arange, mover]).astype(np.float32)
        if autoreset.any():  # the next episode of the sub-envs that ended last step
            states[autoreset] = module.init_batch(sub[autoreset])
        return states, keys, reward

    return reset, step_batch


def make_vec(spec: str | Path | Env, num_envs: int, out_dir: str | Path | None = None,
             backend: str = "jax") -> GymnasiumVectorEnv:  # fmt: skip
    """`num_envs` games of `spec` as a Gymnasium vector env on the JAX (default) or C backend."""
    return GymnasiumVectorEnv(spec, num_envs, out_dir=out_dir, backend=backend)


def register(spec: str | Path, env_id: str | None = None) -> str:
    """Register `spec` with Gymnasium as `env_id` (default `specc/NAME-v0`): `gymnasium.make`
    builds a GymnasiumEnv (one-player specs only: for the others it says what to use
    instead), `gymnasium.make_vec` a GymnasiumVectorEnv."""
    import yaml

    path = Path(spec).resolve()
    env_id = env_id or f"specc/{yaml.safe_load(path.read_text())['name']}-v0"
    gymnasium.register(
        env_id,
        entry_point=f"{__name__}:GymnasiumEnv",
        vector_entry_point=f"{__name__}:GymnasiumVectorEnv",
        kwargs={"spec": str(path)},
    )
    return env_id


def _register_shipped() -> None:
    # the shipped specs are named after their files
    for path in sorted(SPECS_DIR.glob("*.yaml")):
        if f"specc/{path.stem}-v0" not in gymnasium.registry:
            register(path, f"specc/{path.stem}-v0")


_register_shipped()
