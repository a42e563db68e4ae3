"""A compiled spec as a `pgx.Env`, so code written for Pgx runs on it unchanged.

    env = PgxEnv("specs/connect_four.yaml")      # a pgx.Env; pgx.api_test(env) passes
    state = jax.jit(jax.vmap(env.init))(keys)     # a pgx.State
    state = jax.jit(jax.vmap(env.step))(state, action, keys)

Pgx's own `Env.step` wraps the compiled step, so Pgx's conventions hold where they differ
from specc's raw API (README, "Pgx's contract"): the legal mask is all True once the game
has ended (ours is all False), an illegal action is penalised by Pgx's rule, the step
counter is the private `_step_count`, and the spec's own fields live in `state._x` (the raw
specc State: Pgx allows only its six public fields). `state.save_svg` draws the state as
text (`specc play`'s rendering) in an SVG, for any spec.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jax
import jax.numpy as jnp
import pgx

from ..api import Env
from ..play import render
from .common import load


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class State(pgx.State):
    """Pgx's State (current_player int32, observation, rewards float32[num_players],
    terminated, truncated, legal_action_mask bool[num_actions], _step_count int32) plus
    `_x`, the raw specc State, and `_env`, the compiled env (static)."""

    _x: Any
    _env: Env = dataclasses.field(metadata={"static": True})

    @property
    def env_id(self) -> str:
        return self._env.id

    def to_svg(self, *, color_theme: str | None = None, scale: float | None = None) -> str:
        """The state as text in an SVG (every game of a batch, one after the other)."""
        x = self._x
        if jnp.ndim(x.current_player) == 0:
            texts = [render(self._env, x)]
        else:
            count = x.current_player.shape[0]
            texts = [f"game {i}\n" + render(self._env, jax.tree_util.tree_map(lambda a, i=i: a[i], x))
                     for i in range(count)]  # fmt: skip
        return _text_svg("\n\n".join(texts), scale or 1.0, color_theme == "dark")

    def save_svg(self, filename: str | Path, *, color_theme: str | None = None, scale: float | None = None) -> None:
        """Write `to_svg()` to `filename` (which Pgx wants to end in .svg)."""
        Path(filename).write_text(self.to_svg(color_theme=color_theme, scale=scale))


def _text_svg(text: str, scale: float, dark: bool) -> str:
    lines = text.splitlines()
    size, pad = 14 * scale, 8 * scale
    width = pad * 2 + size * 0.6 * max(len(line) for line in lines)
    height = pad * 2 + size * 1.2 * len(lines)
    fg, bg = ("white", "black") if dark else ("black", "white")
    spans = "".join(
        f'<tspan x="{pad:g}" y="{pad + size * 1.2 * (i + 1):g}" xml:space="preserve">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}">'
        f'<rect width="100%" height="100%" fill="{bg}"/>'
        f'<text font-family="monospace" font-size="{size:g}" fill="{fg}">{spans}</text></svg>'
    )


class PgxEnv(pgx.Env):
    """The JAX backend of `spec` behind Pgx's `Env` interface (`id` is the spec's name,
    `version` changes whenever the spec does)."""

    def __init__(self, spec: str | Path | Env, out_dir: str | Path | None = None):
        super().__init__()
        self._env = load(spec, None, out_dir, need="jax")
        manifest = Path(self._env.module.__file__).with_name("manifest.json")
        self._version = "specc-" + json.loads(manifest.read_text())["spec_sha256"][:12]

    def _init(self, key: jax.Array) -> State:
        x = self._env.module.init(key)
        return State(current_player=x.current_player, observation=x.observation, rewards=x.rewards,
                     terminated=x.terminated, truncated=x.truncated, legal_action_mask=x.legal_action_mask,
                     _step_count=jnp.int32(0), _x=x, _env=self._env)  # fmt: skip

    def _step(self, state: State, action: jax.Array, key: jax.Array | None) -> State:
        x = self._env.module.step(state._x, action, key)
        return state.replace(current_player=x.current_player, rewards=x.rewards, terminated=x.terminated,
                             truncated=x.truncated, legal_action_mask=x.legal_action_mask, _x=x)  # fmt: skip

    def _observe(self, state: State, player_id: jax.Array) -> jax.Array:
        return self._env.module.observe(state._x, player_id)

    @property
    def id(self) -> str:
        return self._env.id

    @property
    def version(self) -> str:
        return self._version

    @property
    def num_players(self) -> int:
        return self._env.num_players

    @property
    def num_actions(self) -> int:
        return self._env.num_actions

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return self._env.observation_shape
