"""What the adapters share: seeds to keys, observation spaces, one game stepped at a time.

Keys follow one rule everywhere, so an adapter's episodes can be replayed on the raw API:
a game seeded with `seed` starts from the key `PRNGKey(seed)`; every reset and every step
first splits that carried key, `carry, sub = jax.random.split(carry)`, and passes `sub` to
`init` or `step`. A vector env's sub-env `i` reset with `seed` carries `PRNGKey(seed + i)`
(Gymnasium's own rule for seeding vector envs).
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np

from ..api import Env, make

SEED_LIMIT = 2**32  # PRNGKey keeps 32 bits of a seed: larger seeds would collide


def load(spec: str | Path | Env, backend: str | None, out_dir: str | Path | None, need: str | None = None) -> Env:
    """The compiled env of `spec`: a spec file (compiled if stale, on `backend`, default the
    Python reference) or an already made `specc.make(...)` Env, used as it is (making one
    compiles the spec: a second adapter of the same spec can skip that by taking the Env).
    `need`: the backend the adapter requires."""
    if isinstance(spec, Env):
        if backend is not None and backend != spec.backend:
            raise ValueError(f"backend={backend!r} but the Env given is on the {spec.backend} backend")
        env = spec
    else:
        env = make(spec, backend=backend or need or "python", out_dir=out_dir)
    if need is not None and env.backend != need:
        raise ValueError(f"this adapter needs the {need} backend, the Env given is on {env.backend}")
    return env


def drawing_for(spec: str | Path | Env) -> dict:
    """The spec's `render:` section (how its fields are drawn as text), when built from a file."""
    from ..drawing import load_render

    return {} if isinstance(spec, Env) else load_render(spec)


def check_seed(seed: Any, count: int = 1) -> int:
    """`seed` as an int, after checking that `seed .. seed + count - 1` are all usable seeds."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an int, got {seed!r}")
    if not 0 <= int(seed) <= SEED_LIMIT - count:
        raise ValueError(f"seed must be in 0..{SEED_LIMIT - count}, got {seed}")
    return int(seed)


def seed_keys(seed: int, count: int) -> jax.Array:
    """`PRNGKey(seed + i)` for i in 0..count-1: uint32[count, 2]."""
    seeds = jnp.asarray(seed, jnp.uint32) + jnp.arange(count, dtype=jnp.uint32)
    return jax.vmap(jax.random.PRNGKey)(seeds)


def split_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`jax.random.split` of every key of uint32[n, 2] in NumPy: (carry, sub), each
    uint32[n, 2]. With partitionable threefry (JAX's default), split(key)[i] is
    fold_in(key, i): threefry-2x32 of the counter (0, i) under the key."""
    keys = np.asarray(keys, np.uint32)
    k0, k1 = keys[:, 0], keys[:, 1]
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA))
    out = []
    for i in (0, 1):
        x0, x1 = np.zeros_like(k0) + ks[0], np.full_like(k0, i) + ks[1]
        for group in range(5):
            for r in ((13, 15, 26, 6), (17, 29, 16, 24))[group % 2]:
                x0 = x0 + x1
                x1 = ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))) ^ x0
            x0 = x0 + ks[(group + 1) % 3]
            x1 = x1 + ks[(group + 2) % 3] + np.uint32(group + 1)
        out.append(np.stack([x0, x1], axis=1))
    return out[0], out[1]


def observation_box(module: ModuleType) -> gymnasium.spaces.Box:
    """The space of one player's observation: the dtype's whole range (specs declare no
    bounds for `observe`), booleans as a Box of bool."""
    shape = tuple(module.OBSERVATION_SHAPE)
    dtype = np.dtype(module.OBSERVATION_DTYPE)
    if dtype == np.bool_:
        return gymnasium.spaces.Box(0, 1, shape, np.bool_)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return gymnasium.spaces.Box(info.min, info.max, shape, dtype)
    return gymnasium.spaces.Box(-np.inf, np.inf, shape, dtype)


def action_mask(state: Any) -> np.ndarray:
    """The legal mask as int8[num_actions], what `Discrete.sample(mask=...)` takes."""
    return np.asarray(state.legal_action_mask).astype(np.int8)


@functools.cache
def _jitted(module: ModuleType) -> tuple[Any, Any, Any]:
    # one compilation per generated module, shared by every adapter instance
    return jax.jit(module.init), jax.jit(module.step), jax.jit(module.observe)


class Game:
    """One game stepped at a time on either backend, carrying its key (see the module doc).

    `state` is the backend's State (NumPy values on the Python backend, JAX arrays on the
    JAX one, where `init` and `step` are jitted once per compiled module).
    """

    def __init__(self, env: Env):
        self.env = env
        if env.backend == "jax":
            self._init, self._step, self._observe = _jitted(env.module)
        else:
            self._init, self._step, self._observe = env.module.init, env.module.step, env.module.observe
        self.key: jax.Array | None = None
        self.state: Any = None

    def reset(self, seed: int | None, np_random: np.random.Generator) -> Any:
        """Start an episode: from `PRNGKey(seed)` if a seed is given, else from the carried
        key (or, the first time, a seed drawn from `np_random`)."""
        if seed is not None:
            self.key = jax.random.PRNGKey(check_seed(seed))
        elif self.key is None:
            self.key = jax.random.PRNGKey(int(np_random.integers(SEED_LIMIT)))
        self.key, sub = jax.random.split(self.key)
        self.state = self._init(sub)
        return self.state

    def step(self, action: int) -> Any:
        """Apply `action` for the current player; returns the new state."""
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        self.key, sub = jax.random.split(self.key)
        self.state = self._step(self.state, np.int32(action), sub)
        return self.state

    def observe(self, player: int) -> np.ndarray:
        """What `player` sees of the current state (the spec's `observe`)."""
        return np.asarray(self._observe(self.state, np.int32(player)))

    @property
    def done(self) -> bool:
        return bool(self.state.terminated) or bool(self.state.truncated)
