"""The Python API: `specc.make(spec, backend=...)`, following Pgx's conventions.

    env = specc.make("specs/tic_tac_toe.yaml")           # JAX backend
    env = specc.make("specs/tic_tac_toe.yaml", backend="c")  # native C (a C compiler needed)
    state = env.init(key)
    state = env.step(state, action, key)                   # pure, jit- and vmap-able

State fields: current_player, observation, legal_action_mask, rewards (one per
player), terminated, truncated, step_count, then the spec's own state fields.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from .compiler import compile_spec, default_out_dir, stale_files, write
from .errors import SpecError

BACKENDS = {"jax": "env", "python": "reference", "c": "native"}
RESET_SITE = 0x7E5E7  # folded into a step's key to draw the next episode's key


class Transition(NamedTuple):
    """What one auto-reset step did before the reset: the final observation is kept, with
    the player it belongs to (a truncated episode's value is bootstrapped from it)."""

    observation: Any
    rewards: Any
    terminated: Any
    truncated: Any
    current_player: Any


@dataclass(frozen=True)
class Env:
    """A compiled environment; `module` is the generated file behind it."""

    module: ModuleType
    backend: str

    @property
    def id(self) -> str:
        return self.module.ID

    @property
    def num_players(self) -> int:
        return self.module.NUM_PLAYERS

    @property
    def num_actions(self) -> int:
        return self.module.NUM_ACTIONS

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return tuple(self.module.OBSERVATION_SHAPE)

    @property
    def action_kinds(self) -> tuple[str, ...]:
        return tuple(self.module.ACTION_KINDS)

    @property
    def State(self) -> type:
        return self.module.State

    def init(self, key) -> Any:
        return self.module.init(key)

    def step(self, state, action, key=None) -> Any:
        return self.module.step(state, action, key)

    def observe(self, state, player) -> Any:
        return self.module.observe(state, player)

    def step_autoreset(self, state, action, key) -> tuple[Any, Transition]:
        """Step; if the episode ends, start a new one from a key folded out of `key`.

        Returns the next state (already reset where the episode ended) and the
        Transition of this step, whose `observation` is the final one before any reset.
        """
        return _AUTORESET[self.backend](self.module, state, action, key)

    def _native(self, what: str) -> Any:
        if self.backend != "c":
            raise SpecError(f"{what} is a call of backend 'c' (on JAX, use jax.vmap of init and step)")
        return self.module

    def init_batch(self, keys, threads: int | None = None) -> Any:
        """Backend 'c': new episodes, one per uint32[2] key, as one NumPy structured array
        (one record per environment: `states["board"]` holds every board)."""
        return self._native("init_batch").init_batch(keys, threads)

    def step_batch(self, states, actions, keys, threads: int | None = None) -> Any:
        """Backend 'c': step every environment in place, over `threads` cores (default all)."""
        return self._native("step_batch").step_batch(states, actions, keys, threads)

    def step_autoreset_batch(self, states, actions, keys, threads: int | None = None) -> Any:
        """Backend 'c': step_batch, then a new episode from fold_in(key, RESET_SITE) where one
        ended; returns the Transition (final observations, rewards, flags) of the step."""
        return self._native("step_autoreset_batch").step_autoreset_batch(states, actions, keys, threads)


def _autoreset_jax(module: ModuleType, state, action, key):
    import jax
    import jax.numpy as jnp

    nxt = module.step(state, action, key)
    done = jnp.logical_or(nxt.terminated, nxt.truncated)
    fresh = module.init(jax.random.fold_in(key, RESET_SITE))
    out = jax.tree_util.tree_map(lambda a, b: jnp.where(done, a, b), fresh, nxt)
    return out, Transition(nxt.observation, nxt.rewards, nxt.terminated, nxt.truncated, nxt.current_player)


def _autoreset_python(module: ModuleType, state, action, key):
    import jax

    nxt = module.step(state, action, key)
    transition = Transition(nxt.observation, nxt.rewards, nxt.terminated, nxt.truncated, nxt.current_player)
    if nxt.terminated or nxt.truncated:
        return module.init(jax.random.fold_in(key, RESET_SITE)), transition
    return nxt, transition


def _autoreset_c(module, state, action, key):
    return module.step_autoreset(state, action, key)


_AUTORESET: dict[str, Callable] = {"jax": _autoreset_jax, "python": _autoreset_python, "c": _autoreset_c}


def _import(path: Path, name: str) -> ModuleType:
    module_name = f"specc_generated.{path.parent.name}.{name}.{abs(hash(path.read_text()))}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def make(spec: str | Path, backend: str = "jax", out_dir: str | Path | None = None,
         overrides: Mapping[str, str] | None = None) -> Env:  # fmt: skip
    """Load the compiled environment of `spec`, compiling first if generated code is
    missing or stale. `overrides` ({NAME: VALUE}): a variant with some constants given
    another value (as `specc compile --set NAME=VALUE`), compiled into `out_dir`, by default
    a folder of specc's cache named by the variant's hash (never generated/NAME/)."""
    if backend not in BACKENDS:
        raise SpecError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
    compiled = compile_spec(spec, overrides)
    if out_dir is None and overrides:
        from .native import cache_dir

        out_dir = cache_dir() / "variants" / f"{compiled.program.name}-{compiled.program.spec_hash[:16]}"
    out = Path(out_dir) if out_dir is not None else default_out_dir(compiled.program)
    if stale_files(compiled, out):
        write(compiled, out)
    if backend == "c":
        from .native import load

        return Env(load(out / "native.c", _import(out / "reference.py", "reference")), backend)
    return Env(_import(out / f"{BACKENDS[backend]}.py", BACKENDS[backend]), backend)
