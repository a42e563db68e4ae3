"""PettingZoo adapters: a multi-player spec as an AEC env and as a parallel env.

    env = AECEnv("specs/tic_tac_toe.yaml")
    env.reset(seed=0)
    for agent in env.agent_iter():
        obs, reward, terminated, truncated, info = env.last()
        action = None if terminated or truncated else env.action_space(agent).sample(obs["action_mask"])
        env.step(action)

Agents are "player_0", "player_1", ... (player i is the spec's player i). Each agent's
observation is a dict, as in PettingZoo's classic (masked) games: "observation" is
`observe(state, that agent)`, never another player's view, and "action_mask" (int8) is the
legal mask for the agent to move and all zeros for the others.

Games are turn-based, so the parallel env follows PettingZoo's conversion of turn-based
games (`turn_based_aec_to_parallel`): every live agent gets an observation and a reward
each step, and only the action of the agent to move (the one whose action mask is not all
zeros) is applied; the others' actions are ignored and may be left out.

Both take a spec file or a `specc.make(...)` Env and step one game at a time;
`backend="python"` (the reference, the default for a file: no compile time, about 1-30 ms
a step) or `"jax"` (init, step and observe jitted once per spec). An
illegal action ends the game as the raw API does (-1 for the mover, +1 for the others).
Keys follow `specc.adapters.common`, so a game replays exactly on `specc.make(spec)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pettingzoo

from ..api import Env
from ..errors import SpecError
from ..play import render
from .common import Game, drawing_for, load, observation_box


class _Seats:
    """The agents, spaces and observations of one game, shared by the AEC and parallel envs."""

    def __init__(self, spec: str | Path | Env, backend: str | None, render_mode: str | None,
                 out_dir: str | Path | None):  # fmt: skip
        env = load(spec, backend, out_dir)
        if env.num_players < 2:
            raise SpecError(f"{env.id} has one player: use specc.adapters.gymnasium.GymnasiumEnv")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.metadata = {"name": f"specc_{env.id}_v0", "render_modes": ["ansi"], "is_parallelizable": True}
        self.possible_agents = [f"player_{i}" for i in range(env.num_players)]
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        space = gymnasium.spaces.Dict({
            "observation": observation_box(env.module),
            "action_mask": gymnasium.spaces.Box(0, 1, (env.num_actions,), np.int8),
        })  # fmt: skip
        self._observation_spaces = dict.fromkeys(self.possible_agents, space)
        self._action_spaces = {a: gymnasium.spaces.Discrete(env.num_actions) for a in self.possible_agents}
        self._game = Game(env)
        self._drawing = drawing_for(spec)
        self._entropy = np.random.default_rng()  # seeds for resets without one

    def observation_space(self, agent: str) -> gymnasium.spaces.Dict:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Discrete:
        return self._action_spaces[agent]

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        """{"observation": observe(state, agent's player), "action_mask": int8[num_actions]}."""
        state, player = self._game.state, self._index[agent]
        mask = np.asarray(state.legal_action_mask).astype(np.int8)
        if player != int(state.current_player):
            mask = np.zeros_like(mask)
        return {"observation": self._game.observe(player), "action_mask": mask}

    def _to_move(self) -> str:
        return self.possible_agents[int(self._game.state.current_player)]

    def _rewards(self) -> dict[str, float]:
        rewards = np.asarray(self._game.state.rewards)
        return {a: float(rewards[i]) for a, i in self._index.items()}

    def render(self) -> str | None:
        """With render_mode "ansi": the whole state as text, as `specc play` draws it."""
        if self.render_mode == "ansi" and self._game.state is not None:
            return render(self._game.env, self._game.state, drawing=self._drawing)
        return None

    def close(self) -> None:
        """Nothing to release (text rendering opens no window)."""


class AECEnv(_Seats, pettingzoo.AECEnv):
    """A multi-player spec as a PettingZoo AEC env (see the module doc)."""

    def __init__(self, spec: str | Path | Env, backend: str | None = None, render_mode: str | None = None,
                 out_dir: str | Path | None = None):  # fmt: skip
        pettingzoo.AECEnv.__init__(self)
        _Seats.__init__(self, spec, backend, render_mode, out_dir)

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        self._game.reset(seed, self._entropy)
        self.agents = self.possible_agents[:]
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self.agent_selection = self._to_move()

    def step(self, action: Any) -> None:
        """Apply `action` for `agent_selection`; once the game is over each agent steps None."""
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if action is None:
            raise ValueError(f"{agent} is to move: give an action in 0..{self.action_space(agent).n - 1}")
        self._cumulative_rewards[agent] = 0.0
        state = self._game.step(int(action))
        self.rewards = self._rewards()
        self.terminations = dict.fromkeys(self.agents, bool(state.terminated))
        self.truncations = dict.fromkeys(self.agents, bool(state.truncated))
        self.agent_selection = self._to_move()
        self._accumulate_rewards()


class ParallelEnv(_Seats, pettingzoo.ParallelEnv):
    """A multi-player spec as a PettingZoo parallel env: only the agent to move acts (see the module doc)."""

    def __init__(self, spec: str | Path | Env, backend: str | None = None, render_mode: str | None = None,
                 out_dir: str | Path | None = None):  # fmt: skip
        _Seats.__init__(self, spec, backend, render_mode, out_dir)
        self.agents: list[str] = []

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """Start a game: (observations, infos), one entry per agent."""
        self._game.reset(seed, self._entropy)
        self.agents = self.possible_agents[:]
        return {a: self.observe(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Apply the action of the agent to move; (observations, rewards, terminations,
        truncations, infos) for every agent live before the step. Once the game is over
        `agents` is empty."""
        if not self.agents:
            raise RuntimeError("the game is over: call reset()")
        mover = self._to_move()
        if actions.get(mover) is None:
            raise ValueError(f"{mover} is to move: actions must give its action")
        state = self._game.step(int(actions[mover]))
        live = self.agents
        observations = {a: self.observe(a) for a in live}
        rewards = {a: r for a, r in self._rewards().items() if a in live}
        terminations = dict.fromkeys(live, bool(state.terminated))
        truncations = dict.fromkeys(live, bool(state.truncated))
        if self._game.done:
            self.agents = []
        return observations, rewards, terminations, truncations, {a: {} for a in live}


def env(spec: str | Path | Env, **kwargs: Any) -> AECEnv:
    """The AEC env of `spec` (PettingZoo's module-level constructor name)."""
    return AECEnv(spec, **kwargs)


def parallel_env(spec: str | Path | Env, **kwargs: Any) -> ParallelEnv:
    """The parallel env of `spec` (PettingZoo's module-level constructor name)."""
    return ParallelEnv(spec, **kwargs)
